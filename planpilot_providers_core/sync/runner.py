"""The reference sync engine: drive any entered provider until the tracker matches a plan.

It runs PlanPilot's four phases:

1. **discover** — find the plan's identity and its items (``sync.identity``): one search for the
   discovery label; each hit's metadata block maps its ``ITEM_ID`` to the tracker item. An edited
   plan keeps the id its items carry; other plans' items are never touched. Then, before anything is
   written, the plan is checked against what the provider accepts (``sync.preflight``).
   Surplus copies of a plan item (two syncs ran at once) are merged: closed as duplicates of the kept
   copy (``Provider.close_duplicate``), which every run chooses alike (``sync.identity``).
2. **upsert** — epics, then stories, then tasks. Within a level items run concurrently, at most
   ``max_concurrent`` provider calls at a time. An item waits for the items it names (parent and
   dependencies of its own or an earlier level), so its first body already carries their keys, and it
   is *skipped* when one of them failed or was skipped. Existing items are left for the next phase.
3. **enrich** — every item's full body (parent, sub-items, blocked-by, by key) is compared with the
   tracker's copy, together with title, type, the discovery label, size and declared board fields
   (``sync.compare``); only items that differ get ``update_item``. An unchanged re-sync writes nothing.
4. **relations** — current parents and blockers are read in batches (``provider.fetch_relations``) and
   reconciled only for items whose relations differ (``sync.relations_phase``).

A run that created or merged anything then **settles** before enrich: it reads the tracker again and,
if another run made copies at the same time, merges them and follows the kept ones. No lease is
needed. Every run keeps the same copy, the one with the lowest key, and a tracker numbers items as it
creates them: a copy made after a run settled has a higher key than the one that run kept, so the
choice never changes, and the run that settles last sees every copy (each run's creates come before
its own settle). Any number of runs started together so end with one open item per plan item, whose
relations point at the kept items. A run that met other runs' copies settles once more after its
relations phase, and runs enrich and relations again while that still changes anything (at most
``MAX_SETTLE_ROUNDS`` times; if copies still appear, it reports a problem instead of success).

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

import attrs

from planpilot_providers_core.capabilities import Capability
from planpilot_providers_core.contracts import (
    CreateItemInput,
    Estimate,
    Item,
    RelationChange,
    UpdateItemInput,
    Workload,
)
from planpilot_providers_core.defaults import DEFAULT_LABEL
from planpilot_providers_core.plan import LEVELS, Plan, PlanError, PlanItem
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.sync.board import BoardValues
from planpilot_providers_core.sync.body import References, render_body
from planpilot_providers_core.sync.compare import differences, unsure
from planpilot_providers_core.sync.identity import Copies, Discovery, discover, rediscover
from planpilot_providers_core.sync.ledger import ProgressCallback, RunLedger
from planpilot_providers_core.sync.preflight import preflight
from planpilot_providers_core.sync.relations_phase import sync_relations
from planpilot_providers_core.sync.results import (
    ItemAction,
    MergedItem,
    Phase,
    RelationsAction,
    RemovedItem,
    SyncProblem,
    SyncResult,
)

__all__ = ["DEFAULT_MAX_CONCURRENT", "MAX_SETTLE_ROUNDS", "ProgressCallback", "SyncRun", "sync_plan"]

DEFAULT_MAX_CONCURRENT: Final = 4
DEFAULT_RELATION_BATCH: Final = 50
MAX_SETTLE_ROUNDS: Final = 3
"""How often a run reads the tracker again after its relations phase while other runs keep changing it."""


async def sync_plan(
    provider: Provider[Any],
    plan: Plan,
    *,
    label: str = DEFAULT_LABEL,
    max_concurrent: int = DEFAULT_MAX_CONCURRENT,
    relation_batch_size: int = DEFAULT_RELATION_BATCH,
    progress: ProgressCallback | None = None,
    keep_copy: bool = False,
) -> SyncResult:
    """Make the tracker behind the entered ``provider`` match ``plan``; see the module docstring.

    ``keep_copy`` (with ``plan.pinned_id``) merges every other copy of the plan into the pinned one.
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
        keep_copy=keep_copy,
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
        keep_copy: bool = False,
    ) -> None:
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"label must be a non-empty string, got {label!r}")
        for name, value in (("max_concurrent", max_concurrent), ("relation_batch_size", relation_batch_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if keep_copy and plan.pinned_id is None:
            raise ValueError("keep_copy needs the copy to keep: pin it as the plan's id (plan.pinned_id)")
        provider.capabilities  # noqa: B018 - raises a clear ProviderError when the provider is not entered
        self.provider = provider
        self.plan = plan
        self.label = label
        self.keep_copy = keep_copy
        self.batch_size = relation_batch_size
        self.finished = False
        self.discovery: Discovery | None = None
        self.ledger = RunLedger(plan, max_concurrent=max_concurrent, progress=progress)
        self._pending_updates: int | None = None
        self._blockers = plan.blockers()
        self._size_field = provider.config.field_config.size_field
        self._copies_changed = False
        """This run created or merged items: other runs may have made copies at the same time."""
        self._closed: set[str] = set()
        """Ids this run closed as duplicates: found again, the provider's ``close_duplicate`` did not work."""

    @property
    def plan_id(self) -> str:
        """The plan's lasting id (its lineage): found by discovery (the pinned id or content hash until then)."""
        return self.discovery.plan_id if self.discovery is not None else self.plan.pinned_id or self.plan.plan_id

    @property
    def content_id(self) -> str:
        """The plan's content hash: every body's ``PLAN_ID``, so PlanPilot finds the items of this version."""
        return self.plan.plan_id

    # -- the run -----------------------------------------------------------------------------------

    async def execute(self) -> SyncResult:
        """Run the phases; a plan the provider cannot take is refused after discovery, before any write."""
        discovery = await self._discover()
        problems = preflight(self.provider, self.plan, lineage=self.plan_id)
        if problems:
            raise PlanError(problems)
        await self._merge(discovery.duplicates)
        await self._upsert(discovery.items)
        raced = self._copies_changed and await self._settle()
        await self._write_and_link()
        if raced:  # other runs were at work: until they are done, their copies may keep coming
            await self._settle_until_still()
        self.finished = True
        return self.result()

    async def _write_and_link(self) -> None:
        await self._enrich()
        await sync_relations(self.provider, self.ledger, self._blockers, batch_size=self.batch_size)

    async def _discover(self) -> Discovery:
        self.ledger.start(Phase.DISCOVER, 1)
        pinned = self.plan.pinned_id
        self.discovery = discovery = await self.ledger.call(
            lambda: discover(self.provider, self.plan, label=self.label, pinned=pinned, keep_copy=self.keep_copy),
            write=False,
        )
        self.ledger.warnings.extend(discovery.warnings)
        self.ledger.tick(Phase.DISCOVER)
        return discovery

    # -- copies: merge and settle -------------------------------------------------------------------

    async def _settle(self) -> bool:
        """Read the tracker again; merge copies other runs made meanwhile and follow the kept ones.

        Returns whether anything changed (a surplus copy, or a kept copy other than the one tracked).
        """
        chosen = self.discovery
        assert chosen is not None
        found = await self.ledger.call(
            lambda: rediscover(self.provider, self.plan, label=self.label, found=chosen), write=False
        )
        changed = any(surplus.id not in self._closed for c in found.duplicates for surplus in c.surplus)
        for item_id, kept in found.items.items():
            tracked = self.ledger.tracked.get(item_id)
            if tracked is not None and tracked.id != kept.id:
                changed = True  # another run's copy is kept: this run's was closed as its duplicate
                self._follow(item_id, kept)
        await self._merge(found.duplicates)
        return changed

    async def _settle_until_still(self) -> None:
        """After the relations phase: settle again, and redo enrich and relations while that changes anything."""
        for _ in range(MAX_SETTLE_ROUNDS):
            if not await self._settle():
                return
            await self._write_and_link()
        if not await self._settle():
            return
        for item in self.plan:  # still moving after every round: say so, never "the tracker matches"
            if self.ledger.state[item.id].action is not ItemAction.FAILED:
                self.ledger.problems.append(
                    SyncProblem(
                        item_id=item.id,
                        phase=Phase.MERGE,
                        error="StillChanging",
                        message="copies of the plan's items kept appearing while this sync settled (other syncs "
                        "of this plan are running); run the sync again once they have finished",
                    )
                )
                return

    def _follow(self, item_id: str, kept: Item) -> None:
        """Track ``kept`` as the item's tracker item; a copy this run created that was not kept is no longer
        this run's creation (the kept copy is then updated or left unchanged like any found item)."""
        state = self.ledger.state[item_id]
        if state.action is ItemAction.CREATED:
            state.action = None
        state.existed = True
        self.ledger.track(item_id, kept)

    async def _merge(self, duplicates: Sequence[Copies]) -> None:
        """Close every surplus copy as a duplicate of its kept one, after detaching its relations."""
        if not duplicates:
            return
        for copies in duplicates:
            self._follow(copies.item_id, copies.kept)
        if Capability.ITEM_CLOSE_DUPLICATE not in self.provider.capabilities:
            self._report_unmerged(duplicates)
            return
        self._report_still_found(duplicates)
        duplicates = [
            attrs.evolve(c, surplus=fresh)
            for c in duplicates
            if (fresh := tuple(s for s in c.surplus if s.id not in self._closed))
        ]
        if not duplicates:
            return
        self._copies_changed = True
        self.ledger.start(Phase.MERGE, sum(len(c.surplus) for c in duplicates))
        await self._detach([surplus for copies in duplicates for surplus in copies.surplus])
        await asyncio.gather(*(self._close(copies) for copies in duplicates))

    def _report_still_found(self, duplicates: Sequence[Copies]) -> None:
        """A copy this run closed that discovery still finds: the provider's ``close_duplicate`` is broken."""
        for copies in duplicates:
            again = [s.key for s in copies.surplus if s.id in self._closed]
            if again:
                self.ledger.problems.append(
                    SyncProblem(
                        item_id=copies.item_id,
                        phase=Phase.MERGE,
                        error="StillDiscovered",
                        message=f"{', '.join(again)} closed as a duplicate of {copies.kept.key}, but still found by "
                        f"a search for the {self.label!r} label: provider {self.provider.name!r}'s close_duplicate "
                        "must take the label off",
                    )
                )

    def _report_unmerged(self, duplicates: Sequence[Copies]) -> None:
        """Without ``close_duplicate`` the copies stay: a problem per item (once), never a success."""
        reported = {p.item_id for p in self.ledger.problems if p.phase is Phase.MERGE}
        for copies in duplicates:
            if copies.item_id in reported:
                continue
            surplus = ", ".join(s.key for s in copies.surplus)
            self.ledger.problems.append(
                SyncProblem(
                    item_id=copies.item_id,
                    phase=Phase.MERGE,
                    error="DuplicateItems",
                    message=f"{len(copies.surplus) + 1} tracker items ({copies.kept.key}, {surplus}); provider "
                    f"{self.provider.name!r} lacks {Capability.ITEM_CLOSE_DUPLICATE.value}, so the sync cannot "
                    f"close the surplus ones: close {surplus} as duplicates of {copies.kept.key} and take the "
                    f"{self.label!r} label off them",
                )
            )

    async def _detach(self, surplus: Sequence[Item]) -> None:
        """Take surplus copies out of the plan's tree (no parent, no blockers), so that the kept items' parents
        list no closed duplicates; the relations phase then points the kept items at each other."""
        caps = self.provider.capabilities
        if not surplus or not {Capability.RELATION_PARENT, Capability.RELATION_BLOCKED_BY} <= caps:
            return
        try:
            current = await self.ledger.call(lambda: self.provider.fetch_relations(surplus), write=False)
            linked = [s for s in surplus if (r := current.get(s.id)) is not None and (r.parent_id or r.blocker_ids)]
            if linked:
                changes = [RelationChange(item=s, parent=None, blockers=()) for s in linked]
                reconcile = functools.partial(self.provider.reconcile_many, changes)
                results = await self.ledger.call(reconcile, write=True, items=len(changes))
                failed = [s.key for s, result in zip(linked, results, strict=True) if result is not None]
                if failed:
                    self.ledger.warnings.append(f"could not detach the relations of {', '.join(failed)} before closing")
        except Exception as exc:  # closing matters more than detaching: go on, and say so
            self.ledger.warnings.append(f"could not detach the relations of surplus copies before closing them: {exc}")

    async def _close(self, copies: Copies) -> None:
        closed: list[str] = []
        for surplus in copies.surplus:
            try:
                await self.ledger.call(
                    functools.partial(self.provider.close_duplicate, surplus.id, copies.kept, label=self.label),
                    write=True,
                )
            except Exception as exc:
                self.ledger.problems.append(
                    SyncProblem(
                        item_id=copies.item_id,
                        phase=Phase.MERGE,
                        error=type(exc).__name__,
                        message=f"closing {surplus.key} as a duplicate of {copies.kept.key} failed: {exc}",
                    )
                )
            else:
                closed.append(surplus.key)
                self._closed.add(surplus.id)
            finally:
                self.ledger.tick(Phase.MERGE)
        if closed:
            self.ledger.merged.append(
                MergedItem(item_id=copies.item_id, kept=copies.kept.key, url=copies.kept.url, closed=tuple(closed))
            )

    # -- upsert ------------------------------------------------------------------------------------

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
            board = BoardValues.of(item, self._size_field)
            request = CreateItemInput(
                title=item.title,
                body=self._body(item),
                item_type=item.type,
                labels=(self.label,),
                size=board.size,
                parent_id=parent.id if parent is not None and self._supports(Capability.RELATION_PARENT) else None,
                fields=board.fields,
            )
            try:
                created = await self.ledger.call(lambda: self.provider.create_item(request), write=True)
            except Exception as exc:
                self.ledger.fail(item, Phase.UPSERT, exc)
                return
            finally:
                self._copies_changed = True  # even a failed create may have made an item
            state.action = ItemAction.CREATED
            self.ledger.track(item.id, created)
        finally:
            state.settled.set()
            self.ledger.tick(Phase.UPSERT)

    def _supports(self, capability: Capability) -> bool:
        return capability in self.provider.capabilities

    def _body(self, item: PlanItem) -> str:
        """The item's body as it should be now: this version's content hash, the plan's lineage, the keys."""
        return render_body(item, self.content_id, self._references(item), lineage=self.plan_id)

    def _references(self, item: PlanItem) -> References:
        """The keys of the referenced items that exist in the tracker right now."""
        tracked = self.ledger.tracked
        parent = tracked.get(item.parent_id) if item.parent_id else None
        children = [(tracked[c.id].key, c.title) for c in self.plan.children(item.id) if c.id in tracked]
        blocked_by = {dep_id: tracked[dep_id].key for dep_id in item.depends_on if dep_id in tracked}
        return References(parent=parent.key if parent else None, sub_items=children, blocked_by=blocked_by)

    # -- enrich ------------------------------------------------------------------------------------

    async def _enrich(self) -> None:
        """Compare every tracked item with the plan; send the ones that differ in batches (``update_items``).

        An item whose only differences are board fields it was read without is read first (``get_item``):
        it often holds them already, and then nothing is written."""
        todo = [item for item in self.plan if item.id in self.ledger.tracked]
        self.ledger.start(Phase.ENRICH, len(todo))
        changed = {item.id: self._differences(item) for item in todo}
        unsure_ids = [item.id for item in todo if unsure(self.ledger.tracked[item.id], changed[item.id])]
        if unsure_ids:
            fresh = await asyncio.gather(*(self._read_again(item_id) for item_id in unsure_ids), return_exceptions=True)
            for item_id, read in zip(unsure_ids, fresh, strict=True):
                if isinstance(read, Item):
                    self.ledger.track(item_id, read)
                    changed[item_id] = self._differences(self.plan[item_id])
        updates: list[tuple[PlanItem, UpdateItemInput]] = []
        for item in todo:
            if changed[item.id]:
                board = BoardValues.of(item, self._size_field)
                update = UpdateItemInput(
                    title=item.title,
                    body=self._body(item),
                    item_type=item.type,
                    labels=(self.label,),
                    size=board.size,
                    fields=board.fields or None,
                )
                updates.append((item, update))
                continue
            state = self.ledger.state[item.id]
            if state.existed and state.action in (None, ItemAction.UNCHANGED):
                state.action = ItemAction.UNCHANGED
            self.ledger.tick(Phase.ENRICH)
        self._pending_updates = len(updates)
        chunks = [updates[n : n + self.batch_size] for n in range(0, len(updates), self.batch_size)]
        await asyncio.gather(*(self._update_chunk(chunk) for chunk in chunks))

    def _differences(self, item: PlanItem) -> list[str]:
        current = self.ledger.tracked[item.id]
        keeps_sizes = self._supports(Capability.PROJECT_FIELDS) or current.size is not None
        board = BoardValues.of(item, self._size_field)
        return differences(
            current,
            item,
            self._body(item),
            label=self.label,
            keeps_sizes=keeps_sizes,
            board=board,
            canonical_body=self.provider.canonical_body,
        )

    async def _read_again(self, item_id: str) -> Item:
        tracked = self.ledger.tracked[item_id]
        return await self.ledger.call(lambda: self.provider.get_item(tracked.id), write=False)

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
                state = self.ledger.state[item.id]
                if state.existed and state.action is not ItemAction.FAILED:
                    state.action = ItemAction.UPDATED
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
            content_id=self.content_id,
            identity=None if discovery is None else discovery.source.value,
            provider=self.provider.name,
            items=self.ledger.outcomes(finished=self.finished),
            problems=tuple(self.ledger.problems),
            unsupported_relations=tuple(self.ledger.unsupported),
            warnings=tuple(self.ledger.warnings),
            writes=self.ledger.writes,
            finished=self.finished,
            removed=removed,
            merged=tuple(self.ledger.merged),
            merged_copies=() if discovery is None else discovery.merged_copies,
        )
