"""Which tracker items are this plan's: the plan's identity, kept stable across edits.

PlanPilot names a plan by a hash of its content, so every edit made a new plan and a re-sync
duplicated the roadmap. Here the identity is the ``PLAN_ID`` its items already carry in the tracker:

* a plan whose content hash is in the tracker is that plan (unchanged, or synced by PlanPilot);
* otherwise, the one group of items (same ``PLAN_ID``) that this plan evidently continues is it:
  most of the plan's item ids are there, and most of those still have their title or goal. The
  edited plan keeps that id, so the next sync finds it again without any flag or local state;
* a pinned id (``--plan-id``, or ``plan_id`` in the plan file) is used as given, but only if the
  items under it evidently belong to this plan;
* anything else is a new plan (its content hash).

Two different plans in one repository and label never take over each other's items: a plan that
shares item ids but not their titles or goals is another plan. A pinned id whose items belong to
another plan, or a plan that continues two groups at once, is refused before anything is written.
Everything is read from the tracker, so a team syncing from several machines and CI agrees on it.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from planpilot_providers_core.contracts import Item, ItemSearchFilters
from planpilot_providers_core.errors import PlanPilotError
from planpilot_providers_core.plan import Plan
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.sync.body import META_START, Metadata, parse_metadata, section

__all__ = ["Discovery", "IdentitySource", "PlanCollisionError", "discover"]


class PlanCollisionError(PlanPilotError):
    """The tracker's items under the chosen plan id belong to another plan (or to two): nothing was written."""


class IdentitySource(enum.StrEnum):
    """How the plan's identity was found."""

    CONTENT = "content"
    """Items carry the plan's content hash: the same plan, unchanged (or synced by PlanPilot)."""
    LINEAGE = "lineage"
    """An edited plan: it continues the items of an earlier version and keeps their id."""
    PINNED = "pinned"
    """Given by the user (``--plan-id`` or ``plan_id`` in the plan file)."""
    NEW = "new"
    """No items of this plan yet: its content hash becomes its id."""


@attrs.frozen(kw_only=True)
class _Tracked:
    item: Item
    meta: Metadata


@attrs.frozen(kw_only=True)
class Discovery:
    """What discovery found: the plan's identity and its items in the tracker."""

    plan_id: str
    """The id bodies carry and the next discovery looks for."""
    content_id: str
    """The plan's content hash (PlanPilot's plan id for this version)."""
    source: IdentitySource
    items: Mapping[str, Item]
    """Plan item id -> its tracker item."""
    removed: tuple[tuple[str, Item], ...] = ()
    """This plan's tracker items whose item id the plan no longer has: reported, left alone."""
    warnings: tuple[str, ...] = ()


def _continues(plan: Plan, group: Sequence[_Tracked]) -> bool:
    """Whether ``plan`` is evidently the plan these items were made from (possibly edited since).

    Most of the ids the two share (at least half of the smaller side) still name the same thing: the
    same type, and the same title or the same goal. Another plan that happens to use ids such as
    ``E1`` has other titles and goals.
    """
    shared = [t for t in group if t.meta.item_id in plan]
    needed = math.ceil(min(len(plan), len(group)) / 2)
    if not shared or len(shared) < needed:
        return False
    same = 0
    for tracked in shared:
        planned = plan[tracked.meta.item_id]
        if tracked.meta.item_type not in (None, planned.type.value):
            continue
        goal = section(tracked.item.body, "Goal")
        if tracked.item.title == planned.title or (goal is not None and goal == (planned.goal or "").strip()):
            same += 1
    return same >= math.ceil(len(shared) / 2)


def _describe(plan_id: str, group: Sequence[_Tracked]) -> str:
    first = group[0]
    return f"{plan_id} ({len(group)} item(s), e.g. {first.item.key} {first.item.title!r})"


def _choose(
    plan: Plan, groups: Mapping[str, list[_Tracked]], pinned: str | None, where: str
) -> tuple[str, IdentitySource]:
    if pinned is not None:
        group = groups.get(pinned, [])
        if group and not _continues(plan, group):
            raise PlanCollisionError(
                f"plan id {pinned!r} is already used in {where} by another plan: its items "
                f"{_describe(pinned, group)} do not match this plan's ids, titles and goals. Nothing was written. "
                "Pick another plan id for this plan; if it really is the same plan rewritten, remove the old "
                "items' discovery label first"
            )
        return pinned, IdentitySource.PINNED
    if plan.plan_id in groups:
        return plan.plan_id, IdentitySource.CONTENT
    candidates = sorted(plan_id for plan_id, group in groups.items() if _continues(plan, group))
    if len(candidates) > 1:
        listed = "; ".join(_describe(plan_id, groups[plan_id]) for plan_id in candidates)
        raise PlanCollisionError(
            f"this plan continues the items of {len(candidates)} plans in {where}: {listed}. These are usually "
            "copies made by syncing edited versions with a tool that names plans by content. Nothing was "
            "written. Pick the copy to keep with --plan-id (the others are left alone)"
        )
    if candidates:
        return candidates[0], IdentitySource.LINEAGE
    return plan.plan_id, IdentitySource.NEW


async def discover(provider: Provider[Any], plan: Plan, *, label: str, pinned: str | None = None) -> Discovery:
    """Find the plan's identity and its items: one search for every item carrying a metadata block
    under ``label`` (just the pinned id's items when one is given)."""
    body = f"PLAN_ID:{pinned}" if pinned is not None else META_START
    found = await provider.search_items(ItemSearchFilters(labels=(label,), body_contains=body))
    groups: dict[str, list[_Tracked]] = {}
    for item in found:
        meta = parse_metadata(item.body)
        if meta is not None:
            groups.setdefault(meta.plan_id, []).append(_Tracked(item=item, meta=meta))
    for group in groups.values():
        group.sort(key=lambda t: (len(t.item.key), t.item.key, t.item.id))
    plan_id, source = _choose(plan, groups, pinned, f"{provider.name} {provider.config.target}")
    items: dict[str, Item] = {}
    removed: list[tuple[str, Item]] = []
    warnings: list[str] = []
    by_item: dict[str, list[Item]] = {}
    for tracked in groups.get(plan_id, []):
        if tracked.meta.item_id in plan:
            by_item.setdefault(tracked.meta.item_id, []).append(tracked.item)
        else:
            removed.append((tracked.meta.item_id, tracked.item))
    for item_id, copies in by_item.items():
        items[item_id] = copies[0]
        if len(copies) > 1:
            others = ", ".join(c.key for c in copies[1:])
            warnings.append(
                f"{item_id} has {len(copies)} tracker items ({copies[0].key}, {others}); "
                f"syncing {copies[0].key} and leaving the others alone"
            )
    return Discovery(
        plan_id=plan_id,
        content_id=plan.plan_id,
        source=source,
        items=items,
        removed=tuple(removed),
        warnings=tuple(warnings),
    )
