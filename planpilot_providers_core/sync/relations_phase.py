"""The relations phase: read current parents and blockers in batches, reconcile only the items that differ.

With both relation kinds, each batch is one ``fetch_relations`` and at most one ``reconcile_many``. With
one kind only, the writes that kind allows go one by one and what it cannot do becomes a warning.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any

from planpilot_providers_core.contracts import Item, ItemRelations, RelationChange
from planpilot_providers_core.plan import PlanItem
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.sync.ledger import RunLedger
from planpilot_providers_core.sync.relations import RelationSupport, relation_diff, relation_writes
from planpilot_providers_core.sync.results import Phase, RelationsAction

__all__ = ["sync_relations"]


async def sync_relations(
    provider: Provider[Any], ledger: RunLedger, blockers: Mapping[str, frozenset[str]], *, batch_size: int
) -> None:
    """Make the parents and ``blockers`` (plan item id -> blocking ids) of every tracked plan item match."""
    await _RelationsPhase(provider, ledger, blockers, batch_size).run()


class _RelationsPhase:
    def __init__(
        self, provider: Provider[Any], ledger: RunLedger, blockers: Mapping[str, frozenset[str]], batch_size: int
    ) -> None:
        self.provider = provider
        self.ledger = ledger
        self.batch_size = batch_size
        self.support = RelationSupport.of(provider.capabilities)
        self.blockers = blockers
        self.one_kind_only: list[Awaitable[None]] = []

    async def run(self) -> None:
        ledger = self.ledger
        for capability in self.support.missing:
            ledger.unsupported.append(capability.value)
            ledger.warnings.append(
                f"provider {self.provider.name!r} lacks {capability.value}; those relations were not synced"
            )
        items = [item for item in ledger.plan if item.id in ledger.tracked]
        if not self.support.any:
            ledger.start(Phase.RELATIONS, 0)
            return
        ledger.start(Phase.RELATIONS, len(items))
        batches = [items[n : n + self.batch_size] for n in range(0, len(items), self.batch_size)]
        await asyncio.gather(*(self._batch(batch) for batch in batches))
        await asyncio.gather(*self.one_kind_only)

    async def _batch(self, batch: Sequence[PlanItem]) -> None:
        ledger = self.ledger
        tracker_items = [ledger.tracked[item.id] for item in batch]
        try:
            current = await ledger.call(lambda: self.provider.fetch_relations(tracker_items), write=False)
        except Exception as exc:
            for item in batch:
                ledger.relations_failed(item, exc)
                ledger.tick(Phase.RELATIONS)
            return
        changes: list[tuple[PlanItem, RelationChange]] = []
        for item in batch:
            change = self._change(item, current)
            if change is not None:
                changes.append((item, change))
        if not changes:
            return
        try:
            batch_changes = [c for _, c in changes]
            results = await ledger.call(
                lambda: self.provider.reconcile_many(batch_changes), write=True, items=len(batch_changes)
            )
        except Exception as exc:
            results = [exc] * len(changes)
        for (item, _), result in zip(changes, results, strict=True):
            if result is None:
                ledger.state[item.id].relations = RelationsAction.UPDATED
            else:
                ledger.relations_failed(item, result)
            ledger.tick(Phase.RELATIONS)

    def _change(self, item: PlanItem, current_by_id: Mapping[str, ItemRelations]) -> RelationChange | None:
        """Settle an item that needs no batched reconcile (ticking it); else the change to send."""
        ledger = self.ledger
        tracker_item = ledger.tracked[item.id]
        current = current_by_id.get(tracker_item.id)
        if current is None:
            ledger.relations_failed(item, LookupError(f"fetch_relations returned nothing for {tracker_item.key}"))
            ledger.tick(Phase.RELATIONS)
            return None
        parent = ledger.tracked.get(item.parent_id) if item.parent_id else None
        blockers = sorted(
            (ledger.tracked[b] for b in self.blockers[item.id] if b in ledger.tracked), key=lambda i: i.id
        )
        if self.support.parents and self.support.blockers:
            if relation_diff(current, parent.id if parent else None, [b.id for b in blockers], self.support):
                return RelationChange(item=tracker_item, parent=parent, blockers=blockers)
            ledger.state[item.id].relations = RelationsAction.UNCHANGED
            ledger.tick(Phase.RELATIONS)
            return None
        self.one_kind_only.append(self._one_kind(item, tracker_item, current, parent, blockers))
        return None

    async def _one_kind(
        self, item: PlanItem, tracker_item: Item, current: ItemRelations, parent: Item | None, blockers: Sequence[Item]
    ) -> None:
        """With one relation kind only: the writes it allows, one by one; what it cannot do is a warning."""
        ledger = self.ledger
        try:
            writes, warnings = relation_writes(tracker_item, current, parent, blockers, self.support)
            ledger.warnings.extend(f"{item.id}: {warning}" for warning in warnings)
            for write in writes:
                await ledger.call(write, write=True)
            changed = bool(writes or warnings)
            ledger.state[item.id].relations = RelationsAction.UPDATED if changed else RelationsAction.UNCHANGED
        except Exception as exc:
            ledger.relations_failed(item, exc)
        finally:
            ledger.tick(Phase.RELATIONS)
