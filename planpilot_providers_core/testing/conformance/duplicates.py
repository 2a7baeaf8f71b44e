"""Checks that copies of plan items made by syncs that ran at once end as one item each.

Two syncs of one plan started together both find nothing and both create every item. The reference
sync merges the copies through the contract: every run keeps the same copy (the lowest key) and closes
the others with ``close_duplicate``, which must take them out of discovery without deleting them. These
checks run that through the provider under test: ``close_duplicate`` itself, a tracker left with two
copies of a plan, and two syncs of one plan at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from planpilot_providers_core.capabilities import Capability
from planpilot_providers_core.contracts import CreateItemInput, Item, ItemSearchFilters
from planpilot_providers_core.errors import ItemNotFoundError, ProviderCapabilityError
from planpilot_providers_core.plan import Plan, PlanItem
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.sync.body import META_START, parse_metadata, render_body
from planpilot_providers_core.sync.identity import copy_order
from planpilot_providers_core.sync.results import SyncResult
from planpilot_providers_core.sync.runner import sync_plan
from planpilot_providers_core.testing.conformance.calls import _create, _get, _ok, _search
from planpilot_providers_core.testing.conformance.checks import _describe, _expect, _ids, _raises
from planpilot_providers_core.testing.conformance.marker import _Marker


def _plan(m: _Marker) -> Plan:
    """E1 > S1 > T1, T2 (T2 blocked by T1), titled with the marker so each test has its own plan."""

    def item(item_id: str, item_type: str, parent: str | None = None, **extra: Any) -> PlanItem:
        title = f"[conformance] {item_id} {m.body}"
        return PlanItem(id=item_id, type=item_type, title=title, goal=f"goal of {item_id}", parent_id=parent, **extra)

    return Plan(
        items=[
            item("E1", "EPIC"),
            item("S1", "STORY", "E1"),
            item("T1", "TASK", "S1"),
            item("T2", "TASK", "S1", depends_on=("T1",)),
        ]
    )


def _close_call(item_id: str, kept: Item, label: str) -> str:
    return f"close_duplicate({item_id!r}, <item {kept.id!r}>, label={label!r})"


async def _plan_items(provider: Provider[Any], label: str) -> dict[str, list[Item]]:
    """Plan item id -> the tracker items a discovery finds for it."""
    found = await _search(provider, ItemSearchFilters(labels=(label,), body_contains=META_START))
    copies: dict[str, list[Item]] = {}
    for item in found:
        meta = parse_metadata(item.body)
        if meta is not None:
            copies.setdefault(meta.item_id, []).append(item)
    return copies


def _expect_one_each(plan: Plan, copies: Mapping[str, Sequence[Item]], call: str) -> dict[str, Item]:
    __tracebackhide__ = True
    counts = {item.id: len(copies.get(item.id, ())) for item in plan}
    _expect(
        all(n == 1 for n in counts.values()),
        "after the sync every plan item has exactly one item that discovery finds",
        call=call,
        expected={item.id: 1 for item in plan},
        got=counts,
    )
    return {item_id: found[0] for item_id, found in copies.items()}


async def _expect_relations(provider: Provider[Any], kept: Mapping[str, Item], call: str) -> None:
    """Parents and blockers of the kept items point at kept items (where the provider has them)."""
    __tracebackhide__ = True
    caps = provider.capabilities
    relations = await _ok(provider.fetch_relations(list(kept.values())), f"fetch_relations(...) after {call}")
    if Capability.RELATION_PARENT in caps:
        parents = {item_id: relations[item.id].parent_id for item_id, item in kept.items()}
        wanted = {"E1": None, "S1": kept["E1"].id, "T1": kept["S1"].id, "T2": kept["S1"].id}
        _expect(
            parents == wanted,
            "relations point at the items kept: each kept item's parent is the kept parent",
            call=call,
            expected=wanted,
            got=parents,
        )
    if Capability.RELATION_BLOCKED_BY in caps:
        blockers = {item_id: sorted(relations[item.id].blocker_ids) for item_id, item in kept.items()}
        wanted_blockers = {"E1": [], "S1": [], "T1": [], "T2": [kept["T1"].id]}
        _expect(
            blockers == wanted_blockers,
            "relations point at the items kept: T2 is blocked by the kept T1 only",
            call=call,
            expected=wanted_blockers,
            got=blockers,
        )


class DuplicateChecks:
    """``close_duplicate``, and syncs that merge the copies concurrent syncs make."""

    @pytest.mark.asyncio
    async def test_close_duplicate_takes_an_item_out_of_discovery_without_deleting_it(
        self, provider: Provider[Any], missing_item_id: str
    ) -> None:
        m = _Marker.new()
        kept = await _create(provider, m.create("kept"))
        surplus = await _create(provider, m.create("surplus"))
        call = _close_call(surplus.id, kept, m.label)
        if Capability.ITEM_CLOSE_DUPLICATE not in provider.capabilities:
            await _raises(
                ProviderCapabilityError,
                provider.close_duplicate(surplus.id, kept, label=m.label),
                f"without {Capability.ITEM_CLOSE_DUPLICATE.value}, close_duplicate raises ProviderCapabilityError",
                call=call,
            )
            return
        await _ok(provider.close_duplicate(surplus.id, kept, label=m.label), call)
        found = await _search(provider, m.filters())
        _expect(
            _ids(found) == [kept.id],
            "a search for the discovery label no longer finds an item closed as a duplicate",
            call=f"search_items after {call}",
            expected=f"only the kept item: {_describe([kept])}",
            got=_describe(found),
        )
        again = await _get(provider, surplus.id, "closed as a duplicate, never deleted")
        _expect(
            again.id == surplus.id,
            "an item closed as a duplicate still exists",
            call=f"get_item({surplus.id!r})",
            expected=surplus.id,
            got=again.id,
        )
        await _ok(provider.close_duplicate(surplus.id, kept, label=m.label), f"{call} again (already closed)")
        await _raises(
            ItemNotFoundError,
            provider.close_duplicate(missing_item_id, kept, label=m.label),
            "close_duplicate of an id that does not exist raises ItemNotFoundError",
            call=_close_call(missing_item_id, kept, m.label),
        )

    @pytest.mark.asyncio
    async def test_a_sync_merges_the_copies_two_syncs_left(self, provider: Provider[Any]) -> None:
        m = _Marker.new()
        plan = _plan(m)
        copies: dict[str, list[Item]] = {}
        for _ in range(2):  # two runs, each creating the whole plan
            for planned in plan:
                request = CreateItemInput(
                    title=planned.title,
                    body=render_body(planned, plan.plan_id),
                    item_type=planned.type,
                    labels=(m.label,),
                )
                copies.setdefault(planned.id, []).append(await _create(provider, request))
        call = f"sync_plan(<4-item plan, each item twice in the tracker>, label={m.label!r})"
        result: SyncResult = await _ok(sync_plan(provider, plan, label=m.label), call)
        if Capability.ITEM_CLOSE_DUPLICATE not in provider.capabilities:
            _expect(
                not result.ok and {p.item_id for p in result.problems} == {i.id for i in plan},
                f"without {Capability.ITEM_CLOSE_DUPLICATE.value} a sync reports every duplicated item as a problem",
                call=call,
                expected="ok=False, a problem for each of E1, S1, T1, T2",
                got=f"ok={result.ok}, problems: {[str(p) for p in result.problems]}",
            )
            return
        _expect(result.ok, "the sync succeeds", call=call, expected="ok=True", got=[str(p) for p in result.problems])
        wanted = {item_id: min(found, key=copy_order) for item_id, found in copies.items()}
        merged = {merged.item_id: merged.kept for merged in result.merged}
        _expect(
            merged == {item_id: item.key for item_id, item in wanted.items()},
            "the sync says what it merged, keeping the copy with the lowest key",
            call=call,
            expected={item_id: item.key for item_id, item in wanted.items()},
            got=merged,
        )
        kept = _expect_one_each(plan, await _plan_items(provider, m.label), call)
        _expect(
            {item_id: item.id for item_id, item in kept.items()} == {i: item.id for i, item in wanted.items()},
            "the copy kept is the one with the lowest key, the same in every run",
            call=call,
            expected=_describe(list(wanted.values())),
            got=_describe(list(kept.values())),
        )
        await _expect_relations(provider, kept, call)
        again = await _ok(sync_plan(provider, plan, label=m.label), f"{call}, then again")
        _expect(
            (again.writes, again.merged) == (0, ()),
            "a sync after the merge writes nothing",
            call=f"{call}, then again",
            expected="0 writes, nothing merged",
            got=f"{again.writes} writes, merged {[x.to_json() for x in again.merged]}",
        )

    @pytest.mark.asyncio
    async def test_syncs_of_one_plan_at_once_end_with_one_item_each(self, provider: Provider[Any]) -> None:
        m = _Marker.new()
        plan = _plan(m)
        call = f"3 concurrent sync_plan(<4-item plan>, label={m.label!r})"
        results = await _ok(asyncio.gather(*(sync_plan(provider, plan, label=m.label) for _ in range(3))), call)
        if Capability.ITEM_CLOSE_DUPLICATE not in provider.capabilities:
            return  # the copies cannot be merged; test_a_sync_merges_the_copies_two_syncs_left checks the report
        _expect(
            all(result.ok for result in results),
            "every sync succeeds",
            call=call,
            expected="ok=True for each",
            got=[[str(p) for p in result.problems] for result in results],
        )
        _expect_one_each(plan, await _plan_items(provider, m.label), call)
        # Relation links two syncs make at the same moment may be doubled on a tracker that keeps a link
        # twice; the next sync must clean that up, and the one after it write nothing.
        call = f"{call}, then one more"
        await _ok(sync_plan(provider, plan, label=m.label), call)
        kept = _expect_one_each(plan, await _plan_items(provider, m.label), call)
        await _expect_relations(provider, kept, call)
        again = await _ok(sync_plan(provider, plan, label=m.label), f"{call}, and another")
        _expect(
            again.writes == 0,
            "once concurrent syncs are done and one more ran, a sync writes nothing",
            call=f"{call}, and another",
            expected="0 writes",
            got=f"{again.writes} writes",
        )
