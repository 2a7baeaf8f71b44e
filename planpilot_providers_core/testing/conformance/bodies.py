"""Checks of bodies: Markdown with PlanPilot's metadata block, in and out of the tracker's own format."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest

from planpilot_providers_core.contracts import ItemSearchFilters, PlanItemType, UpdateItemInput
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.testing.conformance.calls import _create, _get, _search, _update
from planpilot_providers_core.testing.conformance.checks import (
    _create_call,
    _describe,
    _expect,
    _ids,
    _search_call,
    _update_call,
)
from planpilot_providers_core.testing.conformance.marker import _Marker
from planpilot_providers_core.testing.faults import FaultPlan

_BODY = """PLANPILOT_META_V1
PLAN_ID:{plan}
ITEM_ID:S1
END_PLANPILOT_META

## Goal

Ship the *first* slice of `sync`, with **no** duplicates — café, 東京, ünïcode.

* a bullet with a [link](https://example.com/a?b=1&c=2)
* another bullet

1. first
2. second

```python
print("code block")
```

> a quote

marker: {marker}
"""


class BodyChecks:
    """A Markdown body round-trips: create, get, update with the same body, and nothing is written."""

    @pytest.mark.asyncio
    async def test_markdown_body_round_trips_and_an_unchanged_update_writes_nothing(
        self, make_provider: Callable[[], Provider[Any]], fault_plan: FaultPlan | None
    ) -> None:
        plan = fault_plan or FaultPlan()
        with plan.installed():
            async with make_provider() as provider:
                m = _Marker.new()
                body = _BODY.format(plan=m.label, marker=m.body)
                request = attrs.evolve(m.create("markdown body", item_type=PlanItemType.STORY), body=body)
                created = await _create(provider, request)
                fetched = await _get(provider, created.id, "just created with a Markdown body")
                canonical = provider.canonical_body
                _expect(
                    canonical(fetched.body) == canonical(body),
                    "a Markdown body must read back equal in the provider's canonical form (Provider.canonical_body): "
                    "a tracker with another format converts on write and back on read, or every re-sync rewrites it",
                    call=f"get_item({created.id!r}) after {_create_call(request)}",
                    expected=repr(canonical(body)),
                    got=repr(canonical(fetched.body)),
                )
                for text in (m.body, f"PLAN_ID:{m.label}"):
                    filters = ItemSearchFilters(labels=(provider.config.label,), body_contains=text)
                    found = await _search(provider, filters)
                    _expect(
                        _ids(found) == [created.id],
                        "search must find the metadata and the marker in a body that went through the tracker's format",
                        call=_search_call(filters),
                        expected=_describe([created]),
                        got=_describe(found),
                    )
                same = UpdateItemInput(title=fetched.title, body=body, item_type=fetched.item_type)
                mark = plan.mark()
                await _update(provider, created.id, same)
                writes = [f"{r.method} {r.path}" for r in plan.requests[mark:] if r.write]
                _expect(
                    not writes,
                    "an update with the body the item already has must write nothing: compare in the canonical "
                    "form before writing",
                    call=_update_call(created.id, same),
                    expected="no write request",
                    got=f"writes {writes}",
                )
                after = await _get(provider, created.id, "updated with the same body")
                _expect(
                    canonical(after.body) == canonical(body),
                    "an update with the same body leaves it as it was",
                    call=_update_call(created.id, same),
                    expected=repr(canonical(body)),
                    got=repr(canonical(after.body)),
                )
