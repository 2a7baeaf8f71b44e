"""A plan's identity: an edited plan updates its items in place; other plans are never taken over.

Run on the dry-run provider, whose state survives re-entry like a tracker's.
"""

from __future__ import annotations

import collections
from typing import Any

import attrs
import pytest

from planpilot_provider_dry_run.provider import DryRunProvider, DryRunRelations
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.contracts import CreateItemInput
from planpilot_providers_core.plan import Plan, PlanItem
from planpilot_providers_core.sync.body import parse_metadata, render_body
from planpilot_providers_core.sync.identity import PlanCollisionError
from planpilot_providers_core.sync.preview import Change, preview_sync
from planpilot_providers_core.sync.results import ItemAction, SyncResult
from planpilot_providers_core.sync.runner import sync_plan


def item(item_id: str, item_type: str, parent: str | None = None, **extra: Any) -> PlanItem:
    values: dict[str, Any] = {
        "id": item_id,
        "type": item_type,
        "title": f"Title of {item_id}",
        "goal": f"Goal of {item_id}",
        "requirements": ["r"],
        "acceptance_criteria": ["a"],
        "parent_id": parent,
        **extra,
    }
    return PlanItem(**values)


def roadmap(**titles: str) -> Plan:
    """E1 > S1 > T1, T2 and E2 > S2 > T3; ``titles`` overrides titles by item id."""
    items = [
        item("E1", "EPIC"),
        item("E2", "EPIC"),
        item("S1", "STORY", "E1"),
        item("S2", "STORY", "E2"),
        item("T1", "TASK", "S1"),
        item("T2", "TASK", "S1", depends_on=("T1",)),
        item("T3", "TASK", "S2"),
    ]
    return Plan(items=[attrs.evolve(i, title=titles.get(i.id, i.title)) for i in items])


def other_plan() -> Plan:
    """Another team's plan that happens to use the same ids, with its own titles and goals."""
    return Plan(
        items=[
            attrs.evolve(i, title=f"Other {i.id}", goal=f"Another goal for {i.id}")
            for i in roadmap().items
            if i.id in ("E1", "S1", "T1")
        ]
    )


@pytest.fixture
def tracker() -> DryRunProvider:
    return DryRunProvider(ProviderConfig.from_keywords("dry-run", target="acme/roadmap"))


async def sync(tracker: DryRunProvider, plan: Plan) -> SyncResult:
    async with tracker:
        return await sync_plan(tracker, plan)


def items_of(tracker: DryRunProvider) -> collections.Counter[tuple[str, str]]:
    """(plan lineage, item id) -> how many tracker items carry it (closed duplicates left out)."""
    found = (parse_metadata(i.body) for i in tracker._store.items.values() if i.id not in tracker._store.duplicate_of)
    return collections.Counter((m.copy_key, m.item_id) for m in found if m)


async def test_an_edited_plan_updates_its_items_without_any_flag(tracker: DryRunProvider) -> None:
    first = await sync(tracker, roadmap())
    assert first.identity == "new"
    edited = roadmap(T2="Renamed task")
    assert edited.plan_id != first.plan_id, "the content hash changed"

    second = await sync(tracker, edited)

    assert second.ok
    assert second.identity == "lineage"
    assert second.plan_id == first.plan_id, "the plan keeps the id its items carry"
    assert second.content_id == edited.plan_id
    assert len(tracker._store.items) == 7, "no new item"
    assert second.outcome("T2").action is ItemAction.UPDATED
    assert sum(o.action is ItemAction.CREATED for o in second.items) == 0
    assert tracker.get_item  # the renamed title is in the tracker
    assert {i.title for i in tracker._store.items.values()} >= {"Renamed task"}
    third = await sync(tracker, roadmap(T2="Renamed task", T3="Renamed again"))
    assert (third.plan_id, third.identity, len(tracker._store.items)) == (first.plan_id, "lineage", 7)
    unchanged = await sync(tracker, roadmap(T2="Renamed task", T3="Renamed again"))
    assert unchanged.writes == 0


async def test_new_items_of_an_edited_plan_join_it_and_removed_ones_are_reported_not_touched(
    tracker: DryRunProvider,
) -> None:
    first = await sync(tracker, roadmap())
    grown = Plan(items=[*[i for i in roadmap().items if i.id != "T3"], item("T4", "TASK", "S1")])
    before = len(tracker.operations)

    second = await sync(tracker, grown)

    assert second.plan_id == first.plan_id
    assert second.outcome("T4").action is ItemAction.CREATED
    assert [(r.item_id, r.title) for r in second.removed] == [("T3", "Title of T3")]
    t3_key = first.outcome("T3").key
    assert not [op for op in tracker.operations[before:] if op.key == t3_key], "a removed item is left alone"
    assert items_of(tracker)[(first.plan_id, "T4")] == 1


async def test_items_planpilot_created_are_adopted(tracker: DryRunProvider) -> None:
    """PlanPilot names a plan by its content hash and writes the same metadata block."""
    plan = roadmap()
    async with tracker:
        for planned in plan:
            body = render_body(planned, plan.plan_id)
            await tracker.create_item(
                CreateItemInput(title=planned.title, body=body, item_type=planned.type, labels=("planpilot",))
            )

    result = await sync(tracker, plan)

    assert result.identity == "content"
    assert sum(o.action is ItemAction.CREATED for o in result.items) == 0
    assert len(tracker._store.items) == 7
    edited = await sync(tracker, roadmap(E1="Edited after PlanPilot"))
    assert (edited.identity, edited.plan_id, len(tracker._store.items)) == ("lineage", plan.plan_id, 7)


async def test_a_second_plan_with_the_same_ids_takes_over_nothing(tracker: DryRunProvider) -> None:
    first = await sync(tracker, roadmap())
    before = len(tracker.operations)

    second = await sync(tracker, other_plan())

    assert second.identity == "new"
    assert second.plan_id != first.plan_id
    assert all(o.action is ItemAction.CREATED for o in second.items)
    touched = {op.key for op in tracker.operations[before:]} & {o.key for o in first.items}
    assert not touched - {first.outcome("S1").key}, "only new items (and links to them) were written"
    again = await sync(tracker, roadmap())
    assert (again.plan_id, again.writes) == (first.plan_id, 0), "plan A finds its items unchanged"


async def test_pinning_another_plans_id_is_refused_before_any_write(tracker: DryRunProvider) -> None:
    first = await sync(tracker, roadmap())
    before = tracker.operations

    with pytest.raises(PlanCollisionError, match=f"plan id '{first.plan_id}' is already used .* by another plan"):
        await sync(tracker, attrs.evolve(other_plan(), pinned_id=first.plan_id))

    assert tracker.operations == before, "nothing was written"
    pinned_edit = await sync(tracker, attrs.evolve(roadmap(T1="Edited"), pinned_id=first.plan_id))
    assert (pinned_edit.identity, len(tracker._store.items)) == ("pinned", 7)


async def two_copies(tracker: DryRunProvider, plan: Plan) -> tuple[str, str]:
    """Two full copies of ``plan`` under two plan ids, as PlanPilot leaves them; the two ids."""
    copy_ids = (plan.plan_id, roadmap(E2="v0 title").plan_id)
    async with tracker:
        for plan_id in copy_ids:
            for planned in plan:
                body = render_body(planned, plan_id)
                request = CreateItemInput(title=planned.title, body=body, item_type=planned.type, labels=("planpilot",))
                await tracker.create_item(request)
    return copy_ids


async def test_a_plan_continuing_two_copies_is_refused_until_one_is_picked(tracker: DryRunProvider) -> None:
    """Two full copies of v1 under different ids (PlanPilot re-synced an edited plan), then v2."""
    plan = roadmap()
    copy_ids = await two_copies(tracker, plan)
    edited = roadmap(T1="v2 title")
    before = tracker.operations

    with pytest.raises(PlanCollisionError, match="holds 2 copies of this plan") as info:
        await sync(tracker, edited)
    assert all(plan_id in str(info.value) for plan_id in copy_ids)
    assert "--keep-copy" in str(info.value)
    assert tracker.operations == before

    chosen = await sync(tracker, attrs.evolve(edited, pinned_id=copy_ids[1]))
    assert chosen.plan_id == copy_ids[1]
    assert sum(o.action is ItemAction.CREATED for o in chosen.items) == 0
    assert any(f"--keep-copy {copy_ids[1]}" in w for w in chosen.warnings), "the other copy is named, not dropped"


async def test_keeping_one_copy_closes_the_others_items_once_and_for_all(tracker: DryRunProvider) -> None:
    plan = roadmap()
    copy_ids = await two_copies(tracker, plan)
    edited = roadmap(T1="v2 title")

    async with tracker:
        kept = await sync_plan(tracker, attrs.evolve(edited, pinned_id=copy_ids[1]), keep_copy=True)

    assert kept.ok
    assert kept.merged_copies == (copy_ids[0],)
    assert {m.item_id for m in kept.merged} == {i.id for i in plan}, "each item of the other copy closed"
    assert all(m.kept.startswith("DRY-") for m in kept.merged)
    assert len(tracker._store.duplicate_of) == 7
    again = await sync(tracker, edited)  # no --plan-id: the choice stuck
    assert (again.plan_id, again.writes) == (copy_ids[1], 0)


async def test_partial_plans_leave_links_outside_the_plan_out(tracker: DryRunProvider) -> None:
    orphan = item("T9", "TASK", "S-elsewhere", depends_on=("T-elsewhere",))
    plan = Plan(items=[item("E1", "EPIC"), orphan], partial=True)
    assert [str(w) for w in plan.warnings] == [
        '<memory>: item "T9": parent_id "S-elsewhere" does not name an item in the plan',
        '<memory>: item "T9": depends_on "T-elsewhere" does not name an item in the plan',
    ]

    result = await sync(tracker, plan)

    assert result.ok
    assert result.outcome("T9").action is ItemAction.CREATED
    async with tracker:
        created = await tracker.get_item(result.outcome("T9").key.replace("DRY-", "dry-run-"))  # type: ignore[union-attr]
        relations = await created.get_relations()
    assert (relations.parent_id, relations.blocker_ids) == (None, ())


async def test_per_item_fields_are_created_and_reapplied(tracker: DryRunProvider) -> None:
    plan = Plan(items=[item("E1", "EPIC", fields={"Status": "Todo", "Team": "Core"})])
    first = await sync(tracker, plan)
    (stored,) = tracker._store.items.values()
    assert dict(stored.fields) == {"Status": "Todo", "Team": "Core"}
    assert (await sync(tracker, plan)).writes == 0, "fields that match are not written again"

    moved = Plan(items=[item("E1", "EPIC", fields={"Status": "In Progress", "Team": "Core"})])
    second = await sync(tracker, moved)
    assert second.outcome("E1").action is ItemAction.UPDATED
    assert second.plan_id == first.plan_id
    (stored,) = tracker._store.items.values()
    assert dict(stored.fields) == {"Status": "In Progress", "Team": "Core"}


async def test_the_preview_shows_what_a_sync_would_change_and_writes_nothing(tracker: DryRunProvider) -> None:
    await sync(tracker, roadmap())
    edited = Plan(items=[*roadmap(T2="Renamed").items, item("T4", "TASK", "S2", depends_on=("T3",))])
    before = tracker.operations
    read_only = DryRunProvider(attrs.evolve(tracker.config, read_only=True))
    read_only._store = tracker._store  # the same tracker, seen read-only
    read_only._relations = DryRunRelations(
        tracker._store,
        ensure_entered=read_only.ensure_entered,
        ensure_writable=read_only.ensure_writable,
        require=read_only.require,
    )

    async with read_only:
        preview = await preview_sync(read_only, edited, label="planpilot")

    assert tracker.operations == before
    changes = {p.item_id: p for p in preview.items if p.pending}
    # Every body gets the edited version's content hash (PlanPilot's PLAN_ID for it).
    assert set(changes) == {"E1", "E2", "S1", "S2", "T1", "T2", "T3", "T4"}
    assert changes["T2"].change is Change.UPDATE
    assert "title" in changes["T2"].fields
    assert changes["T4"].change is Change.CREATE
    assert changes["T4"].link == ("parent S2", "blocked by T3")
    assert changes["S1"].fields == changes["S2"].fields == changes["E1"].fields == ("body",)
    assert preview.pending
    assert (preview.count(Change.CREATE), preview.count(Change.UPDATE)) == (1, 7)
