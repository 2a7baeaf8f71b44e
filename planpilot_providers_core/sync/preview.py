"""What a sync would change, computed against the real tracker without writing anything.

The provider is entered read-only. The plan's identity and items are discovered exactly as a sync
discovers them, the plan is checked the same way (``preflight``), every item is compared with the
same comparison (``sync.compare``) and relations are read in batches and diffed (``sync.relations``).
The result lists, per item, whether it would be created, updated (with the fields that differ) or left
unchanged, and which relations would be linked or unlinked; and which surplus copies of an item (two
syncs ran at once) the sync would close as duplicates of the kept one.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs

from planpilot_providers_core.capabilities import Capability
from planpilot_providers_core.contracts import Item, ItemRelations, PlanItemType, Workload
from planpilot_providers_core.plan import LEVELS, Plan, PlanError, PlanItem
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.sync.board import BoardValues
from planpilot_providers_core.sync.body import References, render_body
from planpilot_providers_core.sync.compare import differences, unsure
from planpilot_providers_core.sync.identity import Discovery, discover
from planpilot_providers_core.sync.preflight import preflight
from planpilot_providers_core.sync.relations import RelationSupport, relation_diff
from planpilot_providers_core.sync.results import MergedItem, RemovedItem

__all__ = ["Change", "PlannedItem", "SyncPreview", "preview_sync"]

#: Stands in for the key of an item the sync would create.
NEW_KEY: Final = "(new)"
_BATCH: Final = 100


class Change(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"


@attrs.frozen(kw_only=True)
class PlannedItem:
    """What a sync would do to one plan item."""

    item_id: str
    item_type: PlanItemType
    title: str
    change: Change
    key: str | None = None
    url: str | None = None
    fields: tuple[str, ...] = ()
    """For an update: the fields that differ; for a create: the board fields it would set."""
    link: tuple[str, ...] = ()
    """Relations it would gain, by plan item id: ``parent E1``, ``blocked by T3``."""
    unlink: tuple[str, ...] = ()
    """Relations it would lose (by plan item id, or the tracker key of an item outside the plan)."""

    @property
    def pending(self) -> bool:
        return self.change is not Change.UNCHANGED or bool(self.link or self.unlink)

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.item_id,
            "type": self.item_type.value,
            "title": self.title,
            "change": self.change.value,
            "key": self.key,
            "url": self.url,
            "fields": list(self.fields),
            "link": list(self.link),
            "unlink": list(self.unlink),
        }


@attrs.frozen(kw_only=True)
class SyncPreview:
    """Everything a sync would change; ``pending`` tells whether there is anything at all."""

    plan_id: str
    content_id: str
    identity: str
    provider: str
    items: tuple[PlannedItem, ...]
    removed: tuple[RemovedItem, ...] = ()
    merges: tuple[MergedItem, ...] = ()
    """Surplus copies the sync would close as duplicates of the kept ones (``closed``: their keys)."""
    merged_copies: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    work: Workload = attrs.field(factory=Workload)
    """The provider calls the sync would make, for ``Provider.estimate``: a created item's parent goes with
    its create (no relation write), and one with sub-items is updated once they exist, to list them."""

    @property
    def pending(self) -> bool:
        return bool(self.merges) or any(item.pending for item in self.items)

    def count(self, change: Change) -> int:
        return sum(item.change is change for item in self.items)

    def to_json(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "content_id": self.content_id,
            "identity": self.identity,
            "provider": self.provider,
            "pending": self.pending,
            "summary": {change.value: self.count(change) for change in Change},
            "relation_changes": sum(len(item.link) + len(item.unlink) for item in self.items),
            "items": [item.to_json() for item in self.items],
            "removed": [removed.to_json() for removed in self.removed],
            "merges": [merge.to_json() for merge in self.merges],
            "merged_copies": list(self.merged_copies),
            "warnings": list(self.warnings),
        }


def _references(plan: Plan, item: PlanItem, tracked: Mapping[str, Item]) -> References:
    """The keys the body would carry: known ones, and a placeholder for items still to be created."""

    def key(item_id: str) -> str:
        found = tracked.get(item_id)
        return found.key if found is not None else NEW_KEY

    return References(
        parent=key(item.parent_id) if item.parent_id is not None and item.parent_id in plan else None,
        sub_items=[(key(child.id), child.title) for child in plan.children(item.id)],
        blocked_by={dep: key(dep) for dep in item.depends_on if dep in plan},
    )


async def _current_relations(provider: Provider[Any], items: Sequence[Item]) -> dict[str, ItemRelations]:
    relations: dict[str, ItemRelations] = {}
    for start in range(0, len(items), _BATCH):
        relations.update(await provider.fetch_relations(items[start : start + _BATCH]))
    return relations


def _relation_changes(
    plan: Plan,
    item: PlanItem,
    wanted_blockers: frozenset[str],
    tracked: Mapping[str, Item],
    current: ItemRelations | None,
    support: RelationSupport,
    names: Mapping[str, str],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(link, unlink)`` for one item, named by plan item id (tracker key for items outside the plan)."""
    parent_id = item.parent_id if item.parent_id is not None and item.parent_id in plan else None
    if current is None:  # the item would be created: every relation it has is new
        created = [f"parent {parent_id}"] if parent_id and support.parents else []
        created += [f"blocked by {b}" for b in sorted(wanted_blockers)] if support.blockers else []
        return tuple(created), ()
    new = [b for b in wanted_blockers if b not in tracked]
    wanted_parent = tracked[parent_id].id if parent_id is not None and parent_id in tracked else None
    diff = relation_diff(current, wanted_parent, [tracked[b].id for b in wanted_blockers if b in tracked], support)
    link: list[str] = []
    unlink: list[str] = []
    if parent_id is not None and parent_id not in tracked and support.parents:
        link.append(f"parent {parent_id}")
    elif diff.parent is not None:
        old, wanted = diff.parent
        if wanted is not None:
            link.append(f"parent {names.get(wanted, wanted)}")
        if old is not None:
            unlink.append(f"parent {names.get(old, old)}")
    if support.blockers:
        link += [f"blocked by {names.get(b, b)}" for b in sorted(diff.add_blockers)]
        link += [f"blocked by {b}" for b in sorted(new)]
        unlink += [f"blocked by {names.get(b, b)}" for b in sorted(diff.remove_blockers)]
    return tuple(link), tuple(unlink)


async def _read_unsure(
    provider: Provider[Any], plan: Plan, discovery: Discovery, *, label: str, keeps_sizes: bool
) -> dict[str, Item]:
    """The discovered items, read again where the only differences are fields discovery did not read (as the
    sync does before deciding to write them)."""
    tracked = dict(discovery.items)
    size_field = provider.config.field_config.size_field
    unsure_ids = []
    for item_id, current in tracked.items():
        item = plan[item_id]
        body = render_body(item, plan.plan_id, _references(plan, item, tracked), lineage=discovery.plan_id)
        board = BoardValues.of(item, size_field)
        keeps = keeps_sizes or current.size is not None
        changed = differences(
            current, item, body, label=label, keeps_sizes=keeps, board=board, canonical_body=provider.canonical_body
        )
        if unsure(current, changed):
            unsure_ids.append(item_id)
    fresh = await asyncio.gather(*(provider.get_item(tracked[i].id) for i in unsure_ids), return_exceptions=True)
    for item_id, read in zip(unsure_ids, fresh, strict=True):
        if isinstance(read, Item):
            tracked[item_id] = read
    return tracked


async def preview_sync(provider: Provider[Any], plan: Plan, *, label: str, keep_copy: bool = False) -> SyncPreview:
    """Everything a sync of ``plan`` would change through the entered (read-only) ``provider``."""
    discovery: Discovery = await discover(provider, plan, label=label, pinned=plan.pinned_id, keep_copy=keep_copy)
    problems = preflight(provider, plan, lineage=discovery.plan_id)
    if problems:
        raise PlanError(problems)
    size_field = provider.config.field_config.size_field
    keeps_sizes = Capability.PROJECT_FIELDS in provider.capabilities
    tracked = await _read_unsure(provider, plan, discovery, label=label, keeps_sizes=keeps_sizes)
    support = RelationSupport.of(provider.capabilities)
    relations = await _current_relations(provider, list(tracked.values())) if support.any and tracked else {}
    names = {found.id: item_id for item_id, found in tracked.items()}
    names.update({found.id: found.key for _, found in discovery.removed})
    names.update({surplus.id: surplus.key for copies in discovery.duplicates for surplus in copies.surplus})
    blockers = plan.blockers()
    planned: list[PlannedItem] = []
    updates = relation_writes = 0
    for level in LEVELS:
        for item in plan.level(level):
            current = tracked.get(item.id)
            link, unlink = _relation_changes(
                plan,
                item,
                blockers[item.id],
                tracked,
                None if current is None else relations.get(current.id),
                support,
                names,
            )
            if current is None:
                updates += bool(plan.children(item.id))
                relation_writes += len(blockers[item.id]) if support.blockers else 0
                board = BoardValues.of(item, size_field)
                fields = tuple(f"field {name}={value}" for name, value in board.fields.items())
                planned.append(
                    PlannedItem(
                        item_id=item.id,
                        item_type=item.type,
                        title=item.title,
                        change=Change.CREATE,
                        fields=fields,
                        link=link,
                    )
                )
                continue
            body = render_body(item, plan.plan_id, _references(plan, item, tracked), lineage=discovery.plan_id)
            changed = differences(
                current,
                item,
                body,
                label=label,
                keeps_sizes=keeps_sizes or current.size is not None,
                board=BoardValues.of(item, size_field),
                canonical_body=provider.canonical_body,
            )
            updates += bool(changed)
            relation_writes += len(link) + len(unlink)
            planned.append(
                PlannedItem(
                    item_id=item.id,
                    item_type=item.type,
                    title=item.title,
                    change=Change.UPDATE if changed else Change.UNCHANGED,
                    key=current.key,
                    url=current.url,
                    fields=tuple(changed),
                    link=link,
                    unlink=unlink,
                )
            )
    removed = tuple(RemovedItem.of(item_id, found) for item_id, found in discovery.removed)
    return SyncPreview(
        plan_id=discovery.plan_id,
        content_id=discovery.content_id,
        identity=discovery.source.value,
        provider=provider.name,
        items=tuple(planned),
        removed=removed,
        merges=tuple(
            MergedItem(item_id=c.item_id, kept=c.kept.key, url=c.kept.url, closed=tuple(s.key for s in c.surplus))
            for c in discovery.duplicates
        ),
        merged_copies=discovery.merged_copies,
        warnings=discovery.warnings,
        work=Workload(
            creates=sum(p.change is Change.CREATE for p in planned), updates=updates, relation_writes=relation_writes
        ),
    )
