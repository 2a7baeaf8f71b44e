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
   reconciled only for items whose relations differ (``sync.relations``).

The engine never retries (providers own retries). A failure of one item is recorded and the run goes
on; ``CreateItemPartialFailureError`` is recorded with the created item and its completed steps. As
the metadata block is in the body from the first write, the next run discovers that item and updates it
instead of creating a second one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

import attrs

from planpilot_providers_core.capabilities import Capability
from planpilot_providers_core.contracts import (
    CreateItemInput,
    Estimate,
    Item,
    ItemRelations,
    RelationChange,
    UpdateItemInput,
    Workload,
)
from planpilot_providers_core.defaults import DEFAULT_LABEL
from planpilot_providers_core.errors import CreateItemPartialFailureError
from planpilot_providers_core.plan import LEVELS, Plan, PlanError, PlanItem
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.sync.body import References, render_body
from planpilot_providers_core.sync.compare import differences
from planpilot_providers_core.sync.identity import Discovery, discover
from planpilot_providers_core.sync.preflight import preflight
from planpilot_providers_core.sync.relations import RelationSupport, relation_diff, relation_writes
from planpilot_providers_core.sync.results import (
    ItemAction,
    ItemOutcome,
    Phase,
    RelationsAction,
    RemovedItem,
    SyncProblem,
    SyncResult,
)

__all__ = ["DEFAULT_MAX_CONCURRENT", "ProgressCallback", "SyncRun", "sync_plan"]

_T = TypeVar("_T")

DEFAULT_MAX_CONCURRENT: Final = 4
DEFAULT_RELATION_BATCH: Final = 50

#: ``progress(phase, done, total)``: called when a phase starts (``done == 0``) and after each item.
ProgressCallback = Callable[[str, int, int], None]


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


@attrs.define
class _State:
    """Mutable per-item bookkeeping of one run."""

    action: ItemAction | None = None
    existed: bool = False
    relations: RelationsAction = RelationsAction.SKIPPED
    reason: str | None = None
    key: str | None = None
    url: str | None = None
    settled: asyncio.Event = attrs.field(factory=asyncio.Event)


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
        self.semaphore = asyncio.Semaphore(max_concurrent)
        self.batch_size = relation_batch_size
        self.progress = progress
        self.finished = False
        self.discovery: Discovery | None = None
        self.tracked: dict[str, Item] = {}
        """Plan item id -> its tracker item, as last seen (discovered, created or updated)."""
        self.state = {item.id: _State() for item in plan}
        self.problems: list[SyncProblem] = []
        self.warnings: list[str] = []
        self.unsupported: list[str] = []
        self.writes = 0
        self._done = 0
        self._phase_total = 0
        self._phase: Phase | None = None
        self._pending_updates: int | None = None
        self._blockers = plan.blockers()
        self._partial_support: list[Awaitable[None]] = []

    @property
    def plan_id(self) -> str:
        """The plan's identity: found by discovery (the content hash until then)."""
        return self.discovery.plan_id if self.discovery is not None else self.plan.pinned_id or self.plan.plan_id

    # -- plumbing ----------------------------------------------------------------------------------

    def _start(self, phase: Phase, total: int) -> None:
        self._phase = phase
        self._done = 0
        self._phase_total = total
        if self.progress is not None:
            self.progress(phase.value, 0, total)

    def _tick(self, phase: Phase) -> None:
        self._done += 1
        if self.progress is not None:
            self.progress(phase.value, self._done, self._phase_total)

    async def _call(self, operation: Callable[[], Awaitable[_T]], *, write: bool, items: int = 1) -> _T:
        """One provider call inside the concurrency bound; a write counts once per item it writes."""
        async with self.semaphore:
            if write:
                self.writes += items
            return await operation()

    def _fail(self, item: PlanItem, phase: Phase, exc: Exception) -> None:
        state = self.state[item.id]
        state.action = ItemAction.FAILED
        state.reason = f"{phase.value} failed: {exc}"
        problem = SyncProblem(item_id=item.id, phase=phase, error=type(exc).__name__, message=str(exc))
        if isinstance(exc, CreateItemPartialFailureError):
            problem = attrs.evolve(
                problem,
                partial=True,
                message=str(exc.args[0]) if exc.args else str(exc),
                created_item_id=exc.created_item_id,
                created_item_key=exc.created_item_key,
                created_item_url=exc.created_item_url,
                completed_steps=exc.completed_steps,
                retryable=exc.retryable,
            )
            state.key = exc.created_item_key
            state.url = exc.created_item_url
            steps = ", ".join(exc.completed_steps) or "none"
            state.reason = (
                f"created {exc.created_item_key or exc.created_item_id} but not fully configured "
                f"(completed steps: {steps}); run the sync again to finish it"
            )
        self.problems.append(problem)

    def _track(self, item_id: str, tracker_item: Item) -> None:
        self.tracked[item_id] = tracker_item
        state = self.state[item_id]
        state.key, state.url = tracker_item.key, tracker_item.url

    # -- the run -----------------------------------------------------------------------------------

    async def execute(self) -> SyncResult:
        """Run the phases; a plan the provider cannot take is refused after discovery, before any write."""
        discovered = await self._discover()
        problems = preflight(self.provider, self.plan, self.plan_id)
        if problems:
            raise PlanError(problems)
        await self._upsert(discovered)
        await self._enrich()
        await self._relations()
        self.finished = True
        return self.result()

    async def _discover(self) -> Mapping[str, Item]:
        self._start(Phase.DISCOVER, 1)
        self.discovery = await self._call(
            lambda: discover(self.provider, self.plan, label=self.label, pinned=self.plan.pinned_id), write=False
        )
        self.warnings.extend(self.discovery.warnings)
        self._tick(Phase.DISCOVER)
        return self.discovery.items

    async def _upsert(self, discovered: Mapping[str, Item]) -> None:
        self._start(Phase.UPSERT, len(self.plan))
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
        state = self.state[item.id]
        existing = discovered.get(item.id)
        try:
            for relation, other_id in self._waits_for(item, rank):
                other = self.state[other_id]
                await other.settled.wait()
                if other.action in (ItemAction.FAILED, ItemAction.SKIPPED):
                    state.action = ItemAction.SKIPPED
                    state.reason = f"its {relation} {other_id} was {other.action.value}"
                    if existing is not None:
                        state.key, state.url = existing.key, existing.url
                    return
            if existing is not None:
                state.existed = True
                self._track(item.id, existing)
                return
            parent = self.tracked.get(item.parent_id) if item.parent_id else None
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
                created = await self._call(lambda: self.provider.create_item(request), write=True)
            except Exception as exc:
                self._fail(item, Phase.UPSERT, exc)
                return
            state.action = ItemAction.CREATED
            self._track(item.id, created)
        finally:
            state.settled.set()
            self._tick(Phase.UPSERT)

    def _supports(self, capability: Capability) -> bool:
        return capability in self.provider.capabilities

    def _references(self, item: PlanItem) -> References:
        """The keys of the referenced items that exist in the tracker right now."""
        parent = self.tracked.get(item.parent_id) if item.parent_id else None
        children = [
            (self.tracked[child.id].key, child.title)
            for child in self.plan.children(item.id)
            if child.id in self.tracked
        ]
        blocked_by = {dep_id: self.tracked[dep_id].key for dep_id in item.depends_on if dep_id in self.tracked}
        return References(parent=parent.key if parent else None, sub_items=children, blocked_by=blocked_by)

    async def _enrich(self) -> None:
        """Compare every tracked item with the plan; send the ones that differ in batches (``update_items``)."""
        todo = [item for item in self.plan if item.id in self.tracked]
        self._start(Phase.ENRICH, len(todo))
        updates: list[tuple[PlanItem, UpdateItemInput]] = []
        for item in todo:
            body = render_body(item, self.plan_id, self._references(item))
            current = self.tracked[item.id]
            keeps_sizes = self._supports(Capability.PROJECT_FIELDS) or current.size is not None
            if differences(current, item, body, label=self.label, keeps_sizes=keeps_sizes):
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
            if self.state[item.id].existed:
                self.state[item.id].action = ItemAction.UNCHANGED
            self._tick(Phase.ENRICH)
        self._pending_updates = len(updates)
        chunks = [updates[n : n + self.batch_size] for n in range(0, len(updates), self.batch_size)]
        await asyncio.gather(*(self._update_chunk(chunk) for chunk in chunks))

    async def _update_chunk(self, chunk: Sequence[tuple[PlanItem, UpdateItemInput]]) -> None:
        requests = [(self.tracked[item.id].id, update) for item, update in chunk]
        try:
            results = await self._call(lambda: self.provider.update_items(requests), write=True, items=len(requests))
        except Exception as exc:  # the whole call failed: every item in it did
            results = [exc] * len(chunk)
        for (item, _), result in zip(chunk, results, strict=True):
            self._pending_updates = (self._pending_updates or 1) - 1
            if isinstance(result, Exception):
                self._fail(item, Phase.ENRICH, result)
            else:
                self._track(item.id, result)
                if self.state[item.id].existed:
                    self.state[item.id].action = ItemAction.UPDATED
            self._tick(Phase.ENRICH)

    # -- relations ---------------------------------------------------------------------------------

    async def _relations(self) -> None:
        support = RelationSupport.of(self.provider.capabilities)
        for capability in support.missing:
            self.unsupported.append(capability.value)
            self.warnings.append(
                f"provider {self.provider.name!r} lacks {capability.value}; those relations were not synced"
            )
        items = [item for item in self.plan if item.id in self.tracked]
        if not support.any:
            self._start(Phase.RELATIONS, 0)
            return
        self._start(Phase.RELATIONS, len(items))
        wanted = self._blockers
        batches = [items[n : n + self.batch_size] for n in range(0, len(items), self.batch_size)]
        await asyncio.gather(*(self._relations_batch(batch, wanted, support) for batch in batches))
        await asyncio.gather(*self._partial_support)

    async def _relations_batch(
        self, batch: Sequence[PlanItem], wanted: Mapping[str, frozenset[str]], support: RelationSupport
    ) -> None:
        tracker_items = [self.tracked[item.id] for item in batch]
        try:
            current = await self._call(lambda: self.provider.fetch_relations(tracker_items), write=False)
        except Exception as exc:
            for item in batch:
                self._relations_failed(item, exc)
                self._tick(Phase.RELATIONS)
            return
        changes: list[tuple[PlanItem, RelationChange]] = []
        for item in batch:
            change = self._relations_item(item, current, wanted[item.id], support)
            if change is not None:
                changes.append((item, change))
        if not changes:
            return
        try:
            batch_changes = [c for _, c in changes]
            results = await self._call(
                lambda: self.provider.reconcile_many(batch_changes), write=True, items=len(batch_changes)
            )
        except Exception as exc:
            results = [exc] * len(changes)
        for (item, _), result in zip(changes, results, strict=True):
            if result is None:
                self.state[item.id].relations = RelationsAction.UPDATED
            else:
                self._relations_failed(item, result)
            self._tick(Phase.RELATIONS)

    def _relations_failed(self, item: PlanItem, exc: Exception) -> None:
        self.state[item.id].relations = RelationsAction.FAILED
        self.problems.append(
            SyncProblem(item_id=item.id, phase=Phase.RELATIONS, error=type(exc).__name__, message=str(exc))
        )

    def _relations_item(
        self,
        item: PlanItem,
        current_by_id: Mapping[str, ItemRelations],
        blocker_ids: frozenset[str],
        support: RelationSupport,
    ) -> RelationChange | None:
        """Settle an item that needs no batched reconcile (ticking it); else the change to send."""
        state = self.state[item.id]
        tracker_item = self.tracked[item.id]
        current = current_by_id.get(tracker_item.id)
        if current is None:
            self._relations_failed(item, LookupError(f"fetch_relations returned nothing for {tracker_item.key}"))
            self._tick(Phase.RELATIONS)
            return None
        parent = self.tracked.get(item.parent_id) if item.parent_id else None
        blockers = sorted((self.tracked[b] for b in blocker_ids if b in self.tracked), key=lambda i: i.id)
        if support.parents and support.blockers:
            if relation_diff(current, parent.id if parent else None, [b.id for b in blockers], support):
                return RelationChange(item=tracker_item, parent=parent, blockers=blockers)
            state.relations = RelationsAction.UNCHANGED
            self._tick(Phase.RELATIONS)
            return None
        self._partial_support.append(self._relations_one_kind(item, tracker_item, current, parent, blockers, support))
        return None

    async def _relations_one_kind(
        self,
        item: PlanItem,
        tracker_item: Item,
        current: ItemRelations,
        parent: Item | None,
        blockers: Sequence[Item],
        support: RelationSupport,
    ) -> None:
        """With one relation kind only: the writes it allows, one by one; what it cannot do is a warning."""
        state = self.state[item.id]
        try:
            writes, warnings = relation_writes(tracker_item, current, parent, blockers, support)
            self.warnings.extend(f"{item.id}: {warning}" for warning in warnings)
            for write in writes:
                await self._call(write, write=True)
            changed = bool(writes or warnings)
            state.relations = RelationsAction.UPDATED if changed else RelationsAction.UNCHANGED
        except Exception as exc:
            self._relations_failed(item, exc)
        finally:
            self._tick(Phase.RELATIONS)

    # -- what is left ------------------------------------------------------------------------------

    def remaining_work(self) -> Workload:
        """The provider calls the run still has to make, as far as it can tell now (for an ETA)."""
        done = (ItemAction.CREATED, ItemAction.FAILED, ItemAction.SKIPPED)
        creates = sum(1 for item in self.plan if item.id not in self.tracked and self.state[item.id].action not in done)
        if self._pending_updates is None:  # before enrich: parents list their sub-items once those exist
            updates = sum(1 for item in self.plan if self.plan.children(item.id))
        else:
            updates = self._pending_updates
        links = sum(
            len(self._blockers[item.id])
            for item in self.plan
            if self.state[item.id].relations is RelationsAction.SKIPPED
            and self.state[item.id].action not in (ItemAction.FAILED, ItemAction.SKIPPED)
        )
        return Workload(creates=creates, updates=updates, relation_writes=links)

    def estimate(self) -> Estimate | None:
        """How long the rest of the run takes at the tracker's pace (``Provider.estimate``), if it knows."""
        return self.provider.estimate(self.remaining_work())

    # -- result ------------------------------------------------------------------------------------

    def result(self) -> SyncResult:
        """What the run did so far; before it finished, items whose outcome is not known are ``pending``."""
        unknown = ItemAction.UNCHANGED if self.finished else ItemAction.PENDING
        outcomes = []
        for level in LEVELS:
            for item in self.plan.level(level):
                state = self.state[item.id]
                outcomes.append(
                    ItemOutcome(
                        item_id=item.id,
                        item_type=item.type,
                        title=item.title,
                        action=state.action or unknown,
                        key=state.key,
                        url=state.url,
                        relations=state.relations,
                        reason=state.reason,
                    )
                )
        discovery = self.discovery
        removed = () if discovery is None else tuple(RemovedItem.of(i, t) for i, t in discovery.removed)
        return SyncResult(
            plan_id=self.plan_id,
            content_id=self.plan.plan_id,
            identity=None if discovery is None else discovery.source.value,
            provider=self.provider.name,
            items=tuple(outcomes),
            problems=tuple(self.problems),
            unsupported_relations=tuple(self.unsupported),
            warnings=tuple(self.warnings),
            writes=self.writes,
            finished=self.finished,
            removed=removed,
        )
