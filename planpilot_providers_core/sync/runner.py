"""The reference sync engine: drive any entered provider until the tracker matches a plan.

It runs PlanPilot's four phases:

1. **discover** — find the plan's identity and its items (``sync.identity``): one search for the
   discovery label; each hit's metadata block maps its ``ITEM_ID`` to the tracker item. An edited
   plan keeps the id its items carry; other plans' items are never touched. Then, before anything is
   written, the plan is checked against what the provider accepts (``sync.preflight``).
2. **upsert** — epics, then stories, then tasks. Within a level items run concurrently, at most
   ``max_concurrent`` provider calls at a time. An item waits for the items it names (parent and
   dependencies of its own or an earlier level), so its first body already carries their keys, and it
   is *skipped* when one of them failed or was skipped. Existing items are left for the next phase.
3. **enrich** — every item's full body (parent, sub-items, blocked-by, by key) is compared with the
   tracker's copy, together with title, type, the discovery label, size and declared board fields
   (``sync.compare``); only items that differ get ``update_item``. An unchanged re-sync writes nothing.
4. **relations** — current parents and blockers are read in batches (``provider.fetch_relations``) and
   reconciled only for items whose relations differ (``sync.relations_phase``).

What happened to each item is kept in a ``sync.ledger.RunLedger``. The engine never retries
(providers own retries). A failure of one item is recorded and the run goes on;
``CreateItemPartialFailureError`` is recorded with the created item and its completed steps. As the
metadata block is in the body from the first write, the next run discovers that item and updates it
instead of creating a second one.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping, Sequence
from typing import Any, Final

from planpilot_providers_core.capabilities import Capability
from planpilot_providers_core.contracts import (
    CreateItemInput,
    Estimate,
    Item,
    UpdateItemInput,
    Workload,
)
from planpilot_providers_core.defaults import DEFAULT_LABEL
from planpilot_providers_core.plan import LEVELS, Plan, PlanError, PlanItem
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.sync.body import References, render_body
from planpilot_providers_core.sync.compare import differences
from planpilot_providers_core.sync.identity import Discovery, discover
from planpilot_providers_core.sync.ledger import ProgressCallback, RunLedger
from planpilot_providers_core.sync.preflight import preflight
from planpilot_providers_core.sync.relations_phase import sync_relations
from planpilot_providers_core.sync.results import (
    ItemAction,
    Phase,
    RelationsAction,
    RemovedItem,
    SyncResult,
)

__all__ = ["DEFAULT_MAX_CONCURRENT", "ProgressCallback", "SyncRun", "sync_plan"]

DEFAULT_MAX_CONCURRENT: Final = 4
DEFAULT_RELATION_BATCH: Final = 50


async def sync_plan(
    provider: Provider[Any],
    plan: Plan,
    *,
    label: str = DEFAULT_LABEL,
    max_concurrent: int = DEFAULT_MAX_CONCURRENT,
    relation_batch_size: int = DEFAULT_RELATION_BATCH,
    progress: ProgressCallback | None = None,
) -> SyncResult:
    """Make the tracker behind the entered ``provider`` match ``plan``; see the module docstring.

    Raises only for run-wide failures (the provider is not entered, discovery fails, the plan
    collides with another plan or does not fit the provider: nothing written then); failures of
    single items are in the result's ``problems``.
    """
    run = SyncRun(
        provider,
        plan,
        label=label,
        max_concurrent=max_concurrent,
        relation_batch_size=relation_batch_size,
        progress=progress,
    )
    return await run.execute()


class SyncRun:
    """One sync of one plan; holds the state the phases share.

    :func:`sync_plan` is the usual way in. Holding the run lets a caller report what was done so far
    when the sync is stopped half-way (:meth:`result` at any time: unfinished items are ``pending``).
    """

    def __init__(
        self,
        provider: Provider[Any],
        plan: Plan,
        *,
        label: str = DEFAULT_LABEL,
        max_concurrent: int = DEFAULT_MAX_CONCURRENT,
        relation_batch_size: int = DEFAULT_RELATION_BATCH,
        progress: ProgressCallback | None = None,
    ) -> None:
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"label must be a non-empty string, got {label!r}")
        for name, value in (("max_concurrent", max_concurrent), ("relation_batch_size", relation_batch_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        provider.capabilities  # noqa: B018 - raises a clear ProviderError when the provider is not entered
        self.provider = provider
        self.plan = plan
        self.label = label
        self.batch_size = relation_batch_size
        self.finished = False
        self.discovery: Discovery | None = None
        self.ledger = RunLedger(plan, max_concurrent=max_concurrent, progress=progress)
        self._pending_updates: int | None = None
        self._blockers = plan.blockers()

    @property
    def plan_id(self) -> str:
        """The plan's identity: found by discovery (the content hash until then)."""
        return self.discovery.plan_id if self.discovery is not None else self.plan.pinned_id or self.plan.plan_id

    # -- the run -----------------------------------------------------------------------------------

    async def execute(self) -> SyncResult:
        """Run the phases; a plan the provider cannot take is refused after discovery, before any write."""
        discovered = await self._discover()
        problems = preflight(self.provider, self.plan, self.plan_id)
        if problems:
            raise PlanError(problems)
        await self._upsert(discovered)
        await self._enrich()
        await sync_relations(self.provider, self.ledger, self._blockers, batch_size=self.batch_size)
        self.finished = True
        return self.result()

    async def _discover(self) -> Mapping[str, Item]:
        self.ledger.start(Phase.DISCOVER, 1)
        self.discovery = await self.ledger.call(
            lambda: discover(self.provider, self.plan, label=self.label, pinned=self.plan.pinned_id), write=False
        )
        self.ledger.warnings.extend(self.discovery.warnings)
        self.ledger.tick(Phase.DISCOVER)
        return self.discovery.items

    async def _upsert(self, discovered: Mapping[str, Item]) -> None:
        self.ledger.start(Phase.UPSERT, len(self.plan))
        for level in LEVELS:
            rank = LEVELS.index(level)
            await asyncio.gather(*(self._upsert_item(item, rank, discovered) for item in self.plan.level(level)))

    def _waits_for(self, item: PlanItem, rank: int) -> list[tuple[str, str]]:
        """``(relation, item id)`` the item must wait for: its parent, and dependencies not of a later level."""
        waits = [("parent", item.parent_id)] if item.parent_id is not None and item.parent_id in self.plan else []
        for dep_id in dict.fromkeys(item.depends_on):
            if dep_id in self.plan and LEVELS.index(self.plan[dep_id].type) <= rank:
                waits.append(("dependency", dep_id))
        return waits

    async def _upsert_item(self, item: PlanItem, rank: int, discovered: Mapping[str, Item]) -> None:
        state = self.ledger.state[item.id]
        existing = discovered.get(item.id)
        try:
            for relation, other_id in self._waits_for(item, rank):
                other = self.ledger.state[other_id]
                await other.settled.wait()
                if other.action in (ItemAction.FAILED, ItemAction.SKIPPED):
                    state.action = ItemAction.SKIPPED
                    state.reason = f"its {relation} {other_id} was {other.action.value}"
                    if existing is not None:
                        state.key, state.url = existing.key, existing.url
                    return
            if existing is not None:
                state.existed = True
                self.ledger.track(item.id, existing)
                return
            parent = self.ledger.tracked.get(item.parent_id) if item.parent_id else None
            request = CreateItemInput(
                title=item.title,
                body=render_body(item, self.plan_id, self._references(item)),
                item_type=item.type,
                labels=(self.label,),
                size=item.size,
                parent_id=parent.id if parent is not None and self._supports(Capability.RELATION_PARENT) else None,
                fields=item.fields,
            )
            try:
                created = await self.ledger.call(lambda: self.provider.create_item(request), write=True)
            except Exception as exc:
                self.ledger.fail(item, Phase.UPSERT, exc)
                return
            state.action = ItemAction.CREATED
            self.ledger.track(item.id, created)
        finally:
            state.settled.set()
            self.ledger.tick(Phase.UPSERT)

    def _supports(self, capability: Capability) -> bool:
        return capability in self.provider.capabilities

    def _references(self, item: PlanItem) -> References:
        """The keys of the referenced items that exist in the tracker right now."""
        tracked = self.ledger.tracked
        parent = tracked.get(item.parent_id) if item.parent_id else None
        children = [(tracked[c.id].key, c.title) for c in self.plan.children(item.id) if c.id in tracked]
        blocked_by = {dep_id: tracked[dep_id].key for dep_id in item.depends_on if dep_id in tracked}
        return References(parent=parent.key if parent else None, sub_items=children, blocked_by=blocked_by)

    async def _enrich(self) -> None:
        """Compare every tracked item with the plan; send the ones that differ in batches (``update_items``)."""
        todo = [item for item in self.plan if item.id in self.ledger.tracked]
        self.ledger.start(Phase.ENRICH, len(todo))
        updates: list[tuple[PlanItem, UpdateItemInput]] = []
        for item in todo:
            body = render_body(item, self.plan_id, self._references(item))
            current = self.ledger.tracked[item.id]
            keeps_sizes = self._supports(Capability.PROJECT_FIELDS) or current.size is not None
            canonical = self.provider.canonical_body
            if differences(current, item, body, label=self.label, keeps_sizes=keeps_sizes, canonical_body=canonical):
                update = UpdateItemInput(
                    title=item.title,
                    body=body,
                    item_type=item.type,
                    labels=(self.label,),
                    size=item.size,
                    fields=item.fields or None,
                )
                updates.append((item, update))
                continue
            if self.ledger.state[item.id].existed:
                self.ledger.state[item.id].action = ItemAction.UNCHANGED
            self.ledger.tick(Phase.ENRICH)
        self._pending_updates = len(updates)
        chunks = [updates[n : n + self.batch_size] for n in range(0, len(updates), self.batch_size)]
        await asyncio.gather(*(self._update_chunk(chunk) for chunk in chunks))

    async def _update_chunk(self, chunk: Sequence[tuple[PlanItem, UpdateItemInput]]) -> None:
        requests = [(self.ledger.tracked[item.id].id, update) for item, update in chunk]
        try:
            update = functools.partial(self.provider.update_items, requests)
            results = await self.ledger.call(update, write=True, items=len(requests))
        except Exception as exc:  # the whole call failed: every item in it did
            results = [exc] * len(chunk)
        for (item, _), result in zip(chunk, results, strict=True):
            self._pending_updates = (self._pending_updates or 1) - 1
            if isinstance(result, Exception):
                self.ledger.fail(item, Phase.ENRICH, result)
            else:
                self.ledger.track(item.id, result)
                if self.ledger.state[item.id].existed:
                    self.ledger.state[item.id].action = ItemAction.UPDATED
            self.ledger.tick(Phase.ENRICH)

    # -- what is left ------------------------------------------------------------------------------

    def remaining_work(self) -> Workload:
        """The provider calls the run still has to make, as far as it can tell now (for an ETA)."""
        done = (ItemAction.CREATED, ItemAction.FAILED, ItemAction.SKIPPED)
        state, tracked = self.ledger.state, self.ledger.tracked
        creates = sum(1 for item in self.plan if item.id not in tracked and state[item.id].action not in done)
        if self._pending_updates is None:  # before enrich: parents list their sub-items once those exist
            updates = sum(1 for item in self.plan if self.plan.children(item.id))
        else:
            updates = self._pending_updates
        links = sum(
            len(self._blockers[item.id])
            for item in self.plan
            if state[item.id].relations is RelationsAction.SKIPPED
            and state[item.id].action not in (ItemAction.FAILED, ItemAction.SKIPPED)
        )
        return Workload(creates=creates, updates=updates, relation_writes=links)

    def estimate(self) -> Estimate | None:
        """How long the rest of the run takes at the tracker's pace (``Provider.estimate``), if it knows."""
        return self.provider.estimate(self.remaining_work())

    # -- result ------------------------------------------------------------------------------------

    def result(self) -> SyncResult:
        """What the run did so far; before it finished, items whose outcome is not known are ``pending``."""
        discovery = self.discovery
        removed = () if discovery is None else tuple(RemovedItem.of(i, t) for i, t in discovery.removed)
        return SyncResult(
            plan_id=self.plan_id,
            content_id=self.plan.plan_id,
            identity=None if discovery is None else discovery.source.value,
            provider=self.provider.name,
            items=self.ledger.outcomes(finished=self.finished),
            problems=tuple(self.ledger.problems),
            unsupported_relations=tuple(self.ledger.unsupported),
            warnings=tuple(self.ledger.warnings),
            writes=self.ledger.writes,
            finished=self.finished,
            removed=removed,
        )
