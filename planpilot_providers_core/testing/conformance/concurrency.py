"""Checks that concurrent creates give distinct items, each found by search."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from planpilot_providers_core.provider import Provider
from planpilot_providers_core.testing.conformance.calls import _create, _search
from planpilot_providers_core.testing.conformance.checks import _describe, _expect, _ids, _search_call
from planpilot_providers_core.testing.conformance.marker import _Marker
from planpilot_providers_core.testing.conformance.settings import ConformanceSettings


class ConcurrencyChecks:
    """Many creates at once, as a sync runs them."""

    @pytest.mark.asyncio
    async def test_concurrent_creates_give_distinct_items(
        self, provider: Provider[Any], conformance_settings: ConformanceSettings
    ) -> None:
        m = _Marker.new()
        count = conformance_settings.concurrency
        call = f"{count} concurrent create_item calls"
        created = await asyncio.gather(*(_create(provider, m.create(f"concurrent {n}")) for n in range(count)))
        for field in ("id", "key", "url"):
            values = Counter(getattr(item, field) for item in created)
            clashes = sorted(value for value, n in values.items() if n > 1)
            _expect(
                not clashes,
                f"concurrent creates must give distinct items: each its own {field}",
                call=call,
                expected=f"{count} distinct {field}s",
                got=f"the same {field} more than once: {clashes}",
            )
        titles = sorted(item.title for item in created)
        wanted = sorted(f"[conformance] concurrent {n}" for n in range(count))
        _expect(
            titles == wanted,
            "each concurrent create returns its own item",
            call=call,
            expected=f"titles {wanted}",
            got=f"titles {titles}",
        )
        filters = m.filters()
        found = await _search(provider, filters)
        _expect(
            sorted(_ids(found)) == sorted(_ids(created)),
            "search finds exactly the concurrently created items",
            call=f"{_search_call(filters)} after {call}",
            expected=f"{count} items: {_describe(created)}",
            got=f"{len(found)} items: {_describe(found)}",
        )
