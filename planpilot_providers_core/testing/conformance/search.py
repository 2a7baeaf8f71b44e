"""Checks of ``search_items``: conjunctive filters, every page, each item once."""

from __future__ import annotations

from collections import Counter
from typing import Any

import attrs
import pytest

from planpilot_providers_core.contracts import ItemSearchFilters
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.testing.conformance.calls import _create, _create_all, _search
from planpilot_providers_core.testing.conformance.checks import _call, _describe, _expect, _ids, _search_call
from planpilot_providers_core.testing.conformance.marker import _Marker
from planpilot_providers_core.testing.conformance.settings import ConformanceSettings


class SearchChecks:
    """How ``search_items`` finds items: the discovery a sync relies on."""

    @pytest.mark.asyncio
    async def test_search_filter_is_conjunctive(self, provider: Provider[Any]) -> None:
        m = _Marker.new()
        label_only = await _create(provider, m.create("label only", in_body=False))
        body_only = await _create(provider, m.create("body only", labels=()))
        both = await _create(provider, m.create("label and body"))
        two_labels = await _create(provider, m.create("two labels and body", labels=(m.label, m.other_label)))
        everything = [label_only, body_only, both, two_labels]

        cases = [
            (m.filters(m.label), {both.id, two_labels.id}, "label AND body text"),
            (m.filters(m.label, m.other_label), {two_labels.id}, "two labels AND body text"),
            (m.filters(m.label, m.other_label, body=False), {two_labels.id}, "two labels (AND), no body text"),
        ]
        for filters, expected, meaning in cases:
            found = await _call(
                provider.search_items(filters), "search_items must answer", call=_search_call(filters), expected="items"
            )
            _expect(
                set(_ids(found)) == expected,
                f"search must return only items matching every condition ({meaning})",
                call=_search_call(filters),
                expected=_describe(i for i in everything if i.id in expected),
                got=_describe(found),
            )

    @pytest.mark.asyncio
    async def test_search_is_exact_despite_near_misses(self, provider: Provider[Any]) -> None:
        """Near misses a fuzzy or token search lets through: the marker in the title only, a longer marker that
        starts with the one searched for, a label differing only by case, one of two required labels."""
        m = _Marker.new()
        longer = f"{m.body}x9"
        planted = {
            "match": m.create("match", labels=(m.label, m.other_label)),
            "labels in another case": m.create("labels in another case", labels=(m.label.upper(), m.other_label)),
            "marker in the title only": m.create(
                f"marker {m.body} in the title only", labels=(m.label, m.other_label), in_body=False
            ),
            "a longer marker": attrs.evolve(
                m.create("a longer marker", labels=(m.label, m.other_label)),
                body=f"Created by the planpilot provider conformance suite.\n\nmarker: {longer}\n",
            ),
            "one of the two labels": m.create("one of the two labels", labels=(m.label,)),
        }
        created = {name: await _create(provider, request) for name, request in planted.items()}
        for filters in (m.filters(m.label, m.other_label), m.filters(m.other_label), m.filters(m.label)):
            wanted = {
                created[name].id
                for name, request in planted.items()
                if filters.matches((*request.labels, provider.config.label), request.body)
            }
            found = await _search(provider, filters)
            strays = [name for name, item in created.items() if item.id in _ids(found) and item.id not in wanted]
            missed = [name for name, item in created.items() if item.id in wanted and item.id not in _ids(found)]
            _expect(
                not strays and not missed,
                "search must return exactly the items with every label (compared ignoring case) and the text in "
                "the body: trackers' text search also matches titles, stems and tokenizes words, so re-check every "
                "result with filters.matches(labels, body) and search for what fuzzy matching misses",
                call=_search_call(filters),
                expected=sorted(name for name, item in created.items() if item.id in wanted),
                got=f"{sorted(name for name, item in created.items() if item.id in _ids(found))}"
                + (f"; not expected: {strays}" if strays else "")
                + (f"; missing: {missed}" if missed else ""),
            )
        exact = ItemSearchFilters(labels=(m.label,), body_contains=f"marker: {longer}")
        found = await _search(provider, exact)
        _expect(
            _ids(found) == [created["a longer marker"].id],
            "a search for a longer marker must not return items with a marker it merely starts with",
            call=_search_call(exact),
            expected=["a longer marker"],
            got=_describe(found),
        )

    @pytest.mark.asyncio
    async def test_search_returns_every_page(
        self, provider: Provider[Any], conformance_settings: ConformanceSettings
    ) -> None:
        m = _Marker.new()
        count = conformance_settings.page_size + 5
        created = await _create_all(
            provider, [m.create(f"paging {n}") for n in range(count)], conformance_settings.concurrency
        )
        filters = m.filters()
        found = await _search(provider, filters)
        ids = _ids(found)
        repeated = sorted(item_id for item_id, n in Counter(ids).items() if n > 1)
        _expect(
            not repeated,
            "search must return each matching item once",
            call=_search_call(filters),
            expected=f"{count} distinct items",
            got=f"{len(ids)} items; these more than once: {repeated}",
        )
        missing = set(_ids(created)) - set(ids)
        _expect(
            not missing,
            f"search must page through every result or fail, never truncate silently "
            f"(page size {conformance_settings.page_size})",
            call=_search_call(filters),
            expected=f"all {count} matching items",
            got=f"returned {len(set(ids))} of {count}; missing {len(missing)}",
        )
        _expect(
            set(ids) == set(_ids(created)),
            "search must return only items matching the filter",
            call=_search_call(filters),
            expected=f"the {count} items created for this test",
            got=f"also {_describe(i for i in found if i.id not in set(_ids(created)))}",
        )

    @pytest.mark.asyncio
    async def test_search_returns_each_item_once(self, provider: Provider[Any]) -> None:
        m = _Marker.new()
        created = [await _create(provider, m.create(f"once {n}", labels=(m.label, m.other_label))) for n in range(3)]
        for filters in (m.filters(m.label), m.filters(m.label, m.other_label), m.filters(m.other_label)):
            found = await _search(provider, filters)
            counts = Counter(_ids(found))
            repeated = sorted(item_id for item_id, n in counts.items() if n > 1)
            _expect(
                not repeated and set(counts) == set(_ids(created)),
                "search must return the de-duplicated union: every match exactly once",
                call=_search_call(filters),
                expected=_describe(created),
                got=_describe(found),
            )
