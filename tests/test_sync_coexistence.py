"""Living beside PlanPilot 2.7: every body carries the content hash PlanPilot looks up, the lineage is ours.

PlanPilot finds a plan's issues by ``PLAN_ID:<content hash>`` under the label and reads every ``KEY:value``
line of the metadata block, using only ``PLAN_ID`` and ``ITEM_ID``. These tests play PlanPilot's side with
that lookup (``planpilot_lookup``); ``nox -s planpilot_compat`` runs the real PlanPilot 2.7.0.
"""

from __future__ import annotations

import re
from typing import Any

import attrs
import pytest

from planpilot_provider_dry_run.provider import DryRunProvider
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.contracts import CreateItemInput, Item, ItemSearchFilters
from planpilot_providers_core.plan import Plan, PlanItem
from planpilot_providers_core.sync.body import META_END, META_START, parse_metadata, render_body
from planpilot_providers_core.sync.identity import PlanCollisionError
from planpilot_providers_core.sync.results import ItemAction, SyncResult
from planpilot_providers_core.sync.runner import sync_plan


def item(item_id: str, item_type: str, parent: str | None = None, **extra: Any) -> PlanItem:
    return PlanItem(
        id=item_id,
        type=item_type,
        title=extra.pop("title", f"Title of {item_id}"),
        goal=f"Goal of {item_id}",
        parent_id=parent,
        **extra,
    )


def roadmap(**titles: str) -> Plan:
    ids = [("E1", "EPIC", None), ("E2", "EPIC", None), ("S1", "STORY", "E1"), ("S2", "STORY", "E2")]
    ids += [(f"T{n}", "TASK", "S1" if n < 4 else "S2") for n in range(1, 7)]
    return Plan(items=[item(i, t, p, title=titles.get(i, f"Title of {i}")) for i, t, p in ids])


@pytest.fixture
def tracker() -> DryRunProvider:
    return DryRunProvider(ProviderConfig.from_keywords("dry-run", target="acme/roadmap"))


async def sync(tracker: DryRunProvider, plan: Plan, **options: Any) -> SyncResult:
    async with tracker:
        return await sync_plan(tracker, plan, **options)


def _planpilot_metadata(body: str) -> dict[str, str]:
    """PlanPilot 2.7's reading of a block (facts from its source: exact start and end lines, every
    ``KEY:value`` line split on the first colon and stripped, the last of a key winning)."""
    lines = body.splitlines()
    if META_START not in lines or META_END not in lines[lines.index(META_START) + 1 :]:
        return {}
    start = lines.index(META_START)
    end = lines.index(META_END, start + 1)
    found: dict[str, str] = {}
    for line in lines[start + 1 : end]:
        key, colon, value = line.partition(":")
        if colon and key.strip():
            found[key.strip()] = value.strip()
    return found


async def planpilot_lookup(tracker: DryRunProvider, plan: Plan, label: str = "planpilot") -> dict[str, Item]:
    """What PlanPilot 2.7 discovers for ``plan``: items under the label with ``PLAN_ID:<its content hash>``."""
    async with tracker:
        found = await tracker.search_items(ItemSearchFilters(labels=(label,), body_contains=f"PLAN_ID:{plan.plan_id}"))
    existing: dict[str, Item] = {}
    for candidate in found:
        meta = _planpilot_metadata(candidate.body)
        if meta.get("PLAN_ID") == plan.plan_id and meta.get("ITEM_ID"):
            existing[meta["ITEM_ID"]] = candidate
    return existing


async def planpilot_creates(tracker: DryRunProvider, plan: Plan) -> None:
    """PlanPilot syncing ``plan`` into a tracker where it finds nothing: a whole new copy, no lineage line."""
    async with tracker:
        for planned in plan:
            request = CreateItemInput(
                title=planned.title,
                body=render_body(planned, plan.plan_id),
                item_type=planned.type,
                labels=("planpilot",),
            )
            await tracker.create_item(request)


def open_items(tracker: DryRunProvider) -> list[Item]:
    return [i for i in tracker._store.items.values() if i.id not in tracker._store.duplicate_of]


async def test_after_an_edit_planpilot_finds_every_item_by_the_new_content_hash(tracker: DryRunProvider) -> None:
    first = await sync(tracker, roadmap())
    edited = roadmap(T2="Renamed task")

    second = await sync(tracker, edited)

    assert (second.identity, second.plan_id, second.content_id) == ("lineage", first.plan_id, edited.plan_id)
    found = await planpilot_lookup(tracker, edited)
    assert sorted(found) == sorted(i.id for i in edited), "PlanPilot would create none"
    bodies = [i.body for i in open_items(tracker)]
    assert all(f"PLAN_LINEAGE:{first.plan_id}" in body for body in bodies), "the lineage is kept our own way"
    third = await sync(tracker, roadmap(T2="Renamed task", T5="Renamed again"))
    assert (third.plan_id, third.identity) == (first.plan_id, "lineage")
    assert len(tracker._store.items) == 10


async def test_an_unedited_plans_bodies_are_planpilots_exactly(tracker: DryRunProvider) -> None:
    plan = roadmap()
    await sync(tracker, plan)
    assert not [i for i in open_items(tracker) if "PLAN_LINEAGE" in i.body], "no line that repeats PLAN_ID"


async def test_a_copy_planpilot_made_is_not_silently_preferred_to_ours(tracker: DryRunProvider) -> None:
    """Ours synced v1 then... PlanPilot synced the edited v2 first (a copy of its own); then we run v2."""
    ours = await sync(tracker, roadmap())
    edited = roadmap(T1="Edited")
    await planpilot_creates(tracker, edited)
    before = tracker.operations

    with pytest.raises(PlanCollisionError, match="holds 2 copies of this plan") as refused:
        await sync(tracker, edited)

    assert ours.plan_id in str(refused.value), "both copies named"
    assert edited.plan_id in str(refused.value), "both copies named"
    assert "--keep-copy" in str(refused.value), "and how to choose"
    assert tracker.operations == before, "nothing written"
    kept = await sync(tracker, attrs.evolve(edited, pinned_id=ours.plan_id), keep_copy=True)
    assert kept.ok
    assert len(kept.merged) == 10, "PlanPilot's copy is closed as duplicates of ours"
    assert (await sync(tracker, edited)).writes == 0, "and the choice sticks without --plan-id"
    assert sorted(await planpilot_lookup(tracker, edited)) == sorted(i.id for i in edited)


async def test_a_small_plan_reusing_another_plans_ids_and_titles_takes_nothing_over(tracker: DryRunProvider) -> None:
    big = await sync(tracker, roadmap())
    small = Plan(items=[item("E1", "EPIC"), item("S1", "STORY", "E1"), item("T1", "TASK", "S1")])
    before = {i.id: i.body for i in tracker._store.items.values()}

    result = await sync(tracker, small)

    assert (result.identity, result.plan_id) == ("new", small.plan_id)
    assert all(o.action is ItemAction.CREATED for o in result.items)
    assert any(f"--plan-id {big.plan_id}" in w for w in result.warnings), "and it says so"
    assert all(tracker._store.items[i].body == body for i, body in before.items()), "the big plan's items stay"
    again = await sync(tracker, roadmap())
    assert (again.plan_id, again.writes) == (big.plan_id, 0), "no flip-flop"


async def test_an_edit_stopped_half_way_is_one_copy_next_time(tracker: DryRunProvider) -> None:
    """Half the items carry the edited version's hash, half the old one: one copy, no duplicates."""
    first = await sync(tracker, roadmap())
    edited = roadmap(T6="Edited")
    async with tracker:
        for stored in list(tracker._store.items.values())[:5]:
            meta = parse_metadata(stored.body)
            assert meta is not None
            body = stored.body.replace(f"PLAN_ID:{first.plan_id}", f"PLAN_ID:{edited.plan_id}")
            body = body.replace(META_END, f"PLAN_LINEAGE:{first.plan_id}\n{META_END}")
            tracker._store.items[stored.id] = attrs.evolve(stored, body=body)

    result = await sync(tracker, edited)

    assert (result.plan_id, result.ok) == (first.plan_id, True)
    assert not [o for o in result.items if o.action is ItemAction.CREATED]
    assert len(tracker._store.items) == 10


async def test_bodies_planpilot_rewrote_without_our_line_stay_in_the_copy(tracker: DryRunProvider) -> None:
    first = await sync(tracker, roadmap())
    edited = roadmap(T3="Edited")
    await sync(tracker, edited)
    async with tracker:  # PlanPilot re-renders some bodies: PLAN_ID kept, no PLAN_LINEAGE line
        for stored in list(tracker._store.items.values())[:4]:
            body = re.sub(r"PLAN_LINEAGE:[^\n]*\n", "", stored.body)
            tracker._store.items[stored.id] = attrs.evolve(stored, body=body)

    result = await sync(tracker, edited)

    assert (result.plan_id, result.identity) == (first.plan_id, "content")
    assert not [o for o in result.items if o.action is ItemAction.CREATED]
    assert len(tracker._store.items) == 10
