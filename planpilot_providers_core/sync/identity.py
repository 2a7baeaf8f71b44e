"""Which tracker items are this plan's, which copy of each is kept, and the plan's lasting identity.

Every item's metadata block says which plan it belongs to in two ways (``sync.body``): ``PLAN_ID`` is the
content hash of the plan version it was last synced from (what PlanPilot looks up, so PlanPilot finds
the items of any version this project synced), and ``PLAN_LINEAGE`` is the plan's lasting id, kept across
edits. Items that name no lineage (PlanPilot's, or an unedited plan's) belong to the copy their
``PLAN_ID`` names. The copies in the tracker are read in one search, and the plan's copy is chosen:

* a copy holding items with the plan's content hash is the plan (unchanged, or synced by PlanPilot);
* a copy this plan evidently continues is it, edited: most items of the version the two share are still
  in the plan, and most of those still have their title or goal. A plan that only overlaps a small part
  of another plan (reusing a few ids and titles) is a new plan, and the sync says so. Beside a copy
  with the content hash, another copy counts only if it holds most of the plan (not a smaller plan
  this one grew from);
* a pinned id (``--plan-id``, or ``plan_id`` in the plan file) is used as given, if its items evidently
  belong to this plan;
* anything else is a new plan: its content hash becomes its lineage.

Two copies that both qualify (PlanPilot re-synced an edited plan, or two plans were synced under
different ids) are never chosen between silently: the sync is refused, naming both, until one is pinned.
``keep_copy`` pins one and merges the others into it: their items become surplus copies of the kept
ones.

Within the chosen copy, a plan item with more than one tracker item (two syncs ran at once) keeps the
copy with the lowest key, in natural order (``#9`` before ``#10``: trackers number items as they create
them, so it is the oldest), and the others are *surplus*: the sync closes them as duplicates of the kept
one (``Provider.close_duplicate``). Every run, on every machine, makes the same choice, because it is read
from the tracker alone.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from planpilot_providers_core.contracts import Item, ItemSearchFilters
from planpilot_providers_core.errors import PlanPilotError
from planpilot_providers_core.plan import Plan
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.sync.body import META_START, Metadata, parse_metadata, section

__all__ = [
    "Copies",
    "Discovery",
    "IdentitySource",
    "PlanCollisionError",
    "copy_order",
    "discover",
    "rediscover",
]


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


_DIGITS = re.compile(r"(\d+)")


def copy_order(item: Item) -> tuple[tuple[tuple[int, int, str], ...], str]:
    """The order in which copies of one plan item are kept: natural order of keys, then ids.

    ``#9`` comes before ``#10`` and ``ENG-9`` before ``ENG-10``: trackers number items in the order they
    create them, so the first is the oldest, and every run picks the same one.
    """
    parts = tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in _DIGITS.split(item.key) if part)
    return parts, item.id


@attrs.frozen(kw_only=True)
class Copies:
    """One plan item's tracker items: the one kept, and the surplus ones the sync closes as its duplicates."""

    item_id: str
    kept: Item
    surplus: tuple[Item, ...]


@attrs.frozen(kw_only=True)
class Discovery:
    """What discovery found: the plan's identity and its items in the tracker."""

    plan_id: str
    """The plan's lasting id (its lineage): the copy it is, kept across edits."""
    content_id: str
    """The plan's content hash: PlanPilot's plan id for this version, written as every item's ``PLAN_ID``."""
    source: IdentitySource
    items: Mapping[str, Item]
    """Plan item id -> its tracker item (the kept copy when there are several)."""
    duplicates: tuple[Copies, ...] = ()
    """Plan items with surplus copies (two syncs ran at once, or merged copies of the plan)."""
    removed: tuple[tuple[str, Item], ...] = ()
    """This plan's tracker items whose item id the plan no longer has: reported, left alone."""
    merged_copies: tuple[str, ...] = ()
    """Other copies of the plan merged into this one (``keep_copy``)."""
    warnings: tuple[str, ...] = ()


# -- reading the copies -----------------------------------------------------------------------------------


def _group(found: Iterable[Item]) -> dict[str, list[_Tracked]]:
    """Items with a metadata block, by copy; each copy's items in :func:`copy_order`.

    An item PlanPilot rewrote (its body without our ``PLAN_LINEAGE`` line) names only its ``PLAN_ID``; it
    joins the one copy whose items carry that ``PLAN_ID`` and lack its item ids, so a copy is not split by
    PlanPilot's run. A whole second copy under that ``PLAN_ID`` (the same item ids) stays a copy of its own.
    """
    copies: dict[str, list[_Tracked]] = {}
    for item in found:
        meta = parse_metadata(item.body)
        if meta is not None:
            copies.setdefault(meta.copy_key, []).append(_Tracked(item=item, meta=meta))
    for key in [k for k, members in copies.items() if all(t.meta.lineage is None for t in members)]:
        ids = {t.meta.item_id for t in copies[key]}
        owners = [
            other
            for other, members in copies.items()
            if other != key
            and any(t.meta.lineage is not None and t.meta.plan_id == key for t in members)
            and not ids & {t.meta.item_id for t in members}
        ]
        if len(owners) == 1:
            copies[owners[0]].extend(copies.pop(key))
    for members in copies.values():
        members.sort(key=lambda t: copy_order(t.item))
    return copies


async def _read(provider: Provider[Any], label: str) -> dict[str, list[_Tracked]]:
    """Every copy of every plan under ``label``: one search for items carrying a metadata block."""
    found = await provider.search_items(ItemSearchFilters(labels=(label,), body_contains=META_START))
    return _group(found)


# -- choosing the plan's copy -----------------------------------------------------------------------------


@attrs.frozen
class _Overlap:
    """How much of a copy a plan shares: item ids, of those the ones with the same title or goal, and the
    size of the versions they come from (the copy's items carrying one of their ``PLAN_ID`` s)."""

    shared: int
    same: int
    version: int

    @classmethod
    def of(cls, plan: Plan, group: Sequence[_Tracked]) -> _Overlap:
        shared: dict[str, _Tracked] = {}
        for tracked in group:
            if tracked.meta.item_id in plan:
                shared.setdefault(tracked.meta.item_id, tracked)
        same = 0
        for tracked in shared.values():
            planned = plan[tracked.meta.item_id]
            if tracked.meta.item_type not in (None, planned.type.value):
                continue
            goal = section(tracked.item.body, "Goal")
            if tracked.item.title == planned.title or (goal is not None and goal == (planned.goal or "").strip()):
                same += 1
        versions = {t.meta.plan_id for t in group if t.meta.item_id in shared}
        version = len({t.meta.item_id for t in group if t.meta.plan_id in versions})
        return cls(shared=len(shared), same=same, version=version)

    @property
    def alike(self) -> bool:
        """Most shared items still name the same thing (another plan reusing ``E1`` has other titles)."""
        return self.shared > 0 and self.same >= math.ceil(self.shared / 2)

    def weak(self, plan: Plan, group: Sequence[_Tracked]) -> bool:
        """Evidently the same plan at all: at least half of the smaller side shared, and alike."""
        ids = len({t.meta.item_id for t in group})
        return self.alike and self.shared >= math.ceil(min(len(plan), ids) / 2)

    @property
    def strong(self) -> bool:
        """Taken as this plan without being told: at least half of the version it shares is still there."""
        return self.alike and self.shared >= math.ceil(self.version / 2)

    def covers(self, plan: Plan) -> bool:
        """A whole copy of the plan, not a smaller plan it grew from: at least half of the plan's items."""
        return self.strong and self.shared >= math.ceil(len(plan) / 2)


def _content(plan: Plan, group: Sequence[_Tracked]) -> bool:
    return any(t.meta.plan_id == plan.plan_id for t in group)


def _describe(key: str, group: Sequence[_Tracked]) -> str:
    first = group[0]
    return f"{key} ({len(group)} item(s), e.g. {first.item.key} {first.item.title!r})"


@attrs.frozen(kw_only=True)
class _Choice:
    key: str
    source: IdentitySource
    merged: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def _choose(
    plan: Plan, copies: Mapping[str, list[_Tracked]], pinned: str | None, keep_copy: bool, where: str
) -> _Choice:
    # A copy with the plan's content hash is the plan; beside one, another copy competes only if it is a
    # whole copy (PlanPilot's of an edited version, say), not a smaller plan this one grew from.
    content = {key for key, group in copies.items() if _content(plan, group)}
    overlaps = {key: _Overlap.of(plan, group) for key, group in copies.items() if key not in content}
    qualifying = sorted(content | {key for key, o in overlaps.items() if (o.covers(plan) if content else o.strong)})
    if pinned is not None:
        group = copies.get(pinned, [])
        if group and not _content(plan, group) and not _Overlap.of(plan, group).weak(plan, group):
            raise PlanCollisionError(
                f"plan id {pinned!r} is already used in {where} by another plan: its items "
                f"{_describe(pinned, group)} do not match this plan's ids, titles and goals. Nothing was written. "
                "Pick another plan id for this plan; if it really is the same plan rewritten, remove the old "
                "items' discovery label first"
            )
        others = [key for key in qualifying if key != pinned]
        if keep_copy:
            return _Choice(key=pinned, source=IdentitySource.PINNED, merged=tuple(others))
        warnings = tuple(
            f"another copy of this plan is in {where} and is left alone: {_describe(key, copies[key])}; "
            f"--keep-copy {pinned} would close its items as duplicates of this copy's"
            for key in others
        )
        return _Choice(key=pinned, source=IdentitySource.PINNED, warnings=warnings)
    if len(qualifying) > 1:
        listed_copies = "; ".join(_describe(key, copies[key]) for key in qualifying)
        raise PlanCollisionError(
            f"{where} holds {len(qualifying)} copies of this plan: {listed_copies}. They are usually made by "
            "syncing edited versions with a tool that names plans by content (PlanPilot), or by syncing under "
            "another --plan-id. Nothing was written. Keep one with --keep-copy ID: its items stay, and each "
            "item of the other copies is closed as a duplicate of the kept one (linked to it, never deleted); "
            "or sync one with --plan-id ID and leave the others alone"
        )
    if qualifying:
        key = qualifying[0]
        source = IdentitySource.CONTENT if _content(plan, copies[key]) else IdentitySource.LINEAGE
        return _Choice(key=key, source=source)
    notes: list[str] = []
    for key, group in sorted(copies.items()):
        overlap = _Overlap.of(plan, group)
        if overlap.weak(plan, group):
            notes.append(
                f"this plan shares {overlap.shared} item id(s), most with their titles or goals, with the "
                f"{overlap.version} item(s) of plan {_describe(key, group)}, too few to be taken as an edit of "
                f"it: it is synced as a new plan and {key}'s items are left alone. If it is {key} edited, run "
                f"once with --plan-id {key}"
            )
    return _Choice(key=plan.plan_id, source=IdentitySource.NEW, warnings=tuple(notes))


# -- the chosen copy's items ---------------------------------------------------------------------------


def _kept(
    plan: Plan, copies: Mapping[str, list[_Tracked]], key: str, merged: Sequence[str]
) -> tuple[dict[str, Item], tuple[Copies, ...], tuple[tuple[str, Item], ...]]:
    """Each plan item's kept copy and surplus copies, and the copy's items the plan no longer has.

    Items of the chosen copy come before those of merged copies; within each, :func:`copy_order`.
    """
    candidates: dict[str, list[Item]] = {}
    removed: list[tuple[str, Item]] = []
    for rank, copy_key in enumerate((key, *merged)):
        for tracked in copies.get(copy_key, []):  # already in copy_order
            if tracked.meta.item_id in plan:
                candidates.setdefault(tracked.meta.item_id, []).append(tracked.item)
            elif rank == 0:
                removed.append((tracked.meta.item_id, tracked.item))
    items = {item_id: found[0] for item_id, found in candidates.items()}
    duplicates = tuple(
        Copies(item_id=item.id, kept=found[0], surplus=tuple(found[1:]))
        for item in plan
        if len(found := candidates.get(item.id, [])) > 1
    )
    return items, duplicates, tuple(removed)


async def discover(
    provider: Provider[Any], plan: Plan, *, label: str, pinned: str | None = None, keep_copy: bool = False
) -> Discovery:
    """Find the plan's identity and its items (see the module docstring): one search under ``label``.

    ``keep_copy`` (with ``pinned``) merges every other qualifying copy of the plan into the pinned one.
    Raises :class:`PlanCollisionError` before anything is written for a pinned id of another plan, or for
    two copies of this plan when none is pinned.
    """
    if keep_copy and pinned is None:
        raise ValueError("keep_copy needs the copy to keep: pass its id as pinned")
    copies = await _read(provider, label)
    choice = _choose(plan, copies, pinned, keep_copy, f"{provider.name} {provider.config.target}")
    items, duplicates, removed = _kept(plan, copies, choice.key, choice.merged)
    return Discovery(
        plan_id=choice.key,
        content_id=plan.plan_id,
        source=choice.source,
        items=items,
        duplicates=duplicates,
        removed=removed,
        merged_copies=choice.merged,
        warnings=choice.warnings,
    )


async def rediscover(provider: Provider[Any], plan: Plan, *, label: str, found: Discovery) -> Discovery:
    """Read the tracker again for the copy ``found`` chose, without choosing again: after this run's writes,
    the items other runs created at the same time show up as surplus copies."""
    copies = await _read(provider, label)
    items, duplicates, removed = _kept(plan, copies, found.plan_id, found.merged_copies)
    return attrs.evolve(found, items=items, duplicates=duplicates, removed=removed, warnings=())
