"""The conformance suite is only worth running if it fails for broken providers.

Each case below breaks one promise of the contract in a ``DryRunProvider`` subclass and runs one
suite test against it directly; the test must fail, for the stated reason, with a message naming the
provider call, what was expected and what came back. A meta-test keeps every suite test covered by
at least one case, so a new suite test cannot be vacuous, and another keeps every kind of defect the
suite once missed (issue 7's list, ``KINDS``) covered.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import re
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace, TracebackType
from typing import Any, ClassVar, Self

import attrs
import pytest

from planpilot_provider_dry_run.provider import DryRunContext, DryRunItem, DryRunProvider, DryRunRelations
from planpilot_providers_core.capabilities import Capability
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.contracts import (
    CreateItemInput,
    Item,
    ItemRelations,
    ItemSearchFilters,
    PlanItemType,
    UpdateItemInput,
    merge_labels,
)
from planpilot_providers_core.errors import (
    CreateItemPartialFailureError,
    ItemNotFoundError,
    ProviderCapabilityError,
    ProviderError,
)
from planpilot_providers_core.testing import (
    ConformanceSettings,
    ProviderConformance,
    failing_after,
    failing_after_or_skip,
)

SETTINGS = ConformanceSettings(page_size=10, concurrency=20, call_timeout=0.2)
MISSING_ID = "dry-run-999999"


def _dedupe(items: Sequence[Item]) -> list[Item]:
    return list({item.id: item for item in items}.values())


class _Capabilities(DryRunProvider):
    """Resolves the dry run's capabilities plus ``add`` minus ``drop``."""

    add: ClassVar[frozenset[Capability]] = frozenset()
    drop: ClassVar[frozenset[Capability]] = frozenset()

    async def resolve_context(self) -> DryRunContext:
        context = await super().resolve_context()
        return attrs.evolve(context, capabilities=(context.capabilities | self.add) - self.drop)


class _Relations(DryRunProvider):
    """A dry run whose items use ``relations_class`` for their relation calls."""

    relations_class: ClassVar[type[DryRunRelations]] = DryRunRelations

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self._relations = self.relations_class(
            self._store, ensure_entered=self.ensure_entered, ensure_writable=self.ensure_writable, require=self.require
        )


def _store_item(provider: DryRunProvider, item: DryRunItem) -> None:
    with provider._store.lock:
        provider._store.items[item.id] = item


# -- capabilities (j) ------------------------------------------------------------------------------


class LacksDiscovery(_Capabilities):
    drop = frozenset({Capability.DISCOVERY_COMPLETE})


class UndeclaredCapability(_Capabilities):
    """Resolves types.native, which the dry run's registration does not declare."""

    add = frozenset({Capability.ITEM_TYPES_NATIVE})


class UnresolvedCapability(_Capabilities):
    """The registration declares items.delete, but entering never resolves it."""

    drop = frozenset({Capability.ITEM_DELETE})


class UnresolvedTypes(_Capabilities):
    """Declares types.label (one of the type alternatives) and resolves neither."""

    drop = frozenset({Capability.ITEM_TYPES_LABEL})


# -- discovery (a, b, c) ---------------------------------------------------------------------------


class IgnoresBodyText(DryRunProvider):
    """Filters on the labels only."""

    async def search_items(self, filters: ItemSearchFilters) -> list[Item]:
        if not filters.labels:
            return await super().search_items(filters)
        return await super().search_items(ItemSearchFilters(labels=filters.labels))


class OrSearch(DryRunProvider):
    """Treats the labels and the body text as alternatives."""

    async def search_items(self, filters: ItemSearchFilters) -> list[Item]:
        by_labels = await super().search_items(ItemSearchFilters(labels=filters.labels))
        if not filters.body_contains:
            return by_labels
        by_body = await super().search_items(ItemSearchFilters(labels=(), body_contains=filters.body_contains))
        return _dedupe([*by_labels, *by_body])


class AnyLabelSearch(DryRunProvider):
    """Matches items carrying any one of the labels."""

    async def search_items(self, filters: ItemSearchFilters) -> list[Item]:
        found: list[Item] = []
        for label in filters.labels:
            found += await super().search_items(ItemSearchFilters(labels=(label,), body_contains=filters.body_contains))
        return _dedupe(found)


class FirstPageOnly(DryRunProvider):
    async def search_items(self, filters: ItemSearchFilters) -> list[Item]:
        return (await super().search_items(filters))[: SETTINGS.page_size]


class DuplicatingSearch(DryRunProvider):
    """Returns the union of overlapping partitions without de-duplicating it."""

    async def search_items(self, filters: ItemSearchFilters) -> list[Item]:
        found = await super().search_items(filters)
        return found + found[-1:]


# -- items (d, e, k) -------------------------------------------------------------------------------


class DeleteDoesNothing(DryRunProvider):
    async def delete_item(self, item_id: str) -> None:
        await self.get_item(item_id)


class StaleGet(DryRunProvider):
    """Serves get_item from a cache filled on first read and never refreshed."""

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self.cache: dict[str, DryRunItem] = {}

    async def get_item(self, item_id: str) -> DryRunItem:
        if item_id not in self.cache:
            self.cache[item_id] = await super().get_item(item_id)
        return self.cache[item_id]


class UpdateClearsNoneBody(DryRunProvider):
    async def update_item(self, item_id: str, item: UpdateItemInput) -> DryRunItem:
        return await super().update_item(item_id, attrs.evolve(item, body=item.body or ""))


class UpdateDefaultsNoneType(DryRunProvider):
    """Writes TASK when no type is given."""

    async def update_item(self, item_id: str, item: UpdateItemInput) -> DryRunItem:
        return await super().update_item(item_id, attrs.evolve(item, item_type=item.item_type or PlanItemType.TASK))


class UpdateClearsNoneSize(DryRunProvider):
    """Writes the size even when it is None, clearing it."""

    async def update_item(self, item_id: str, item: UpdateItemInput) -> DryRunItem:
        updated = attrs.evolve(await super().update_item(item_id, item), size=item.size)
        _store_item(self, updated)
        return updated


class UpdateReplacesLabels(DryRunProvider):
    async def update_item(self, item_id: str, item: UpdateItemInput) -> DryRunItem:
        updated = await super().update_item(item_id, item)
        if item.labels is not None:
            updated = attrs.evolve(updated, labels=item.labels)
            _store_item(self, updated)
        return updated


class UpdateAlwaysTouches(DryRunProvider):
    """Adds a marker label on every update call, even when nothing differs."""

    async def update_item(self, item_id: str, item: UpdateItemInput) -> DryRunItem:
        return await super().update_item(item_id, attrs.evolve(item, labels=(*(item.labels or ()), "touched")))


class GetMissingReturnsNone(DryRunProvider):
    async def get_item(self, item_id: str) -> DryRunItem:
        try:
            return await super().get_item(item_id)
        except ItemNotFoundError:
            return None  # type: ignore[return-value]  # the defect under test


class NoDeleteGetMissingReturnsNone(_Capabilities):
    """The same defect in a provider without items.delete, which a delete round trip never reaches."""

    drop = frozenset({Capability.ITEM_DELETE})

    async def get_item(self, item_id: str) -> DryRunItem:
        try:
            return await super().get_item(item_id)
        except ItemNotFoundError:
            return None  # type: ignore[return-value]  # the defect under test


class GetMissingRaisesPlainError(DryRunProvider):
    async def get_item(self, item_id: str) -> DryRunItem:
        try:
            return await super().get_item(item_id)
        except ItemNotFoundError:
            raise ProviderError(f"HTTP 404 for {item_id}") from None


class UpdateMissingCreates(DryRunProvider):
    """An 'upsert': updating an unknown id creates a new item."""

    async def update_item(self, item_id: str, item: UpdateItemInput) -> DryRunItem:
        try:
            return await super().update_item(item_id, item)
        except ItemNotFoundError:
            request = CreateItemInput(title=item.title or "untitled", body=item.body or "", item_type="TASK")
            return await self.create_item(request)


# -- types ---------------------------------------------------------------------------------------


class KeepsOldTypeLabel(DryRunProvider):
    """The dry run as it was: a type change adds the new type label and keeps the old one."""

    async def update_item(self, item_id: str, item: UpdateItemInput) -> DryRunItem:
        before = await self.get_item(item_id)
        updated = await super().update_item(item_id, item)
        kept = attrs.evolve(updated, labels=merge_labels(updated.labels, before.labels))
        _store_item(self, kept)
        return kept


class UpdateIgnoresType(DryRunProvider):
    async def update_item(self, item_id: str, item: UpdateItemInput) -> DryRunItem:
        return await super().update_item(item_id, attrs.evolve(item, item_type=None))


class TypeLabelsAllAlike(DryRunProvider):
    """Resolves types.label but gives every type the same label."""

    async def resolve_context(self) -> DryRunContext:
        context = await super().resolve_context()
        return attrs.evolve(context, type_labels=dict.fromkeys(PlanItemType, "typed"))


# -- partial failures (f) ----------------------------------------------------------------------------


class PlainExceptionMidCreate(DryRunProvider):
    """Reports a failure after the item exists as a plain ProviderError."""

    async def create_item(self, item: CreateItemInput) -> DryRunItem:
        try:
            return await super().create_item(item)
        except CreateItemPartialFailureError:
            raise ProviderError("could not finish the item: board unavailable") from None


class _Rewrites(DryRunProvider):
    """Re-raises a partial failure with some of its fields replaced by ``changes``."""

    changes: ClassVar[dict[str, Any]] = {}

    async def create_item(self, item: CreateItemInput) -> DryRunItem:
        try:
            return await super().create_item(item)
        except CreateItemPartialFailureError as exc:
            fields: dict[str, Any] = {
                "created_item_id": exc.created_item_id,
                "created_item_key": exc.created_item_key,
                "created_item_url": exc.created_item_url,
                "completed_steps": exc.completed_steps,
                "retryable": exc.retryable,
                **self.changes,
            }
            raise CreateItemPartialFailureError(str(exc.args[0]), **fields) from None


class PartialFailureWithoutSteps(_Rewrites):
    changes = {"completed_steps": ()}


class PartialFailureWithoutId(_Rewrites):
    changes = {"created_item_id": None}


class UndiscoverablePartialItem(DryRunProvider):
    """Sets labels in a later request, so an item that failed midway carries none."""

    async def create_item(self, item: CreateItemInput) -> DryRunItem:
        try:
            return await super().create_item(item)
        except CreateItemPartialFailureError as exc:
            if exc.created_item_id is None:
                raise
            bare = attrs.evolve(self._store.items[exc.created_item_id], labels=())
            _store_item(self, bare)
            raise


class RecordsNoSteps(DryRunProvider):
    """Creates in a context of its own, so core's failing_after never reaches its CreateProgress."""

    async def create_item(self, item: CreateItemInput) -> DryRunItem:
        creating = super().create_item(item)
        return await asyncio.create_task(creating, context=contextvars.Context())


# -- relations (g) -------------------------------------------------------------------------------


class _OnlyAddsRelations(DryRunRelations):
    async def reconcile(self, item_id: str, parent_id: str | None, blocker_ids: Sequence[str]) -> None:
        if parent_id is not None:
            await self.set_parent(item_id, parent_id)
        for blocker_id in blocker_ids:
            await self.add_dependency(item_id, blocker_id)


class ReconcileOnlyAdds(_Relations):
    relations_class = _OnlyAddsRelations


class _StuckParentRelations(DryRunRelations):
    async def reconcile(self, item_id: str, parent_id: str | None, blocker_ids: Sequence[str]) -> None:
        if parent_id is not None:
            parent_id = self._store.parent_of.get(item_id, parent_id)
        await super().reconcile(item_id, parent_id, blocker_ids)


class ParentNeverMoves(_Relations):
    relations_class = _StuckParentRelations


class _DuplicatingRelations(DryRunRelations):
    """Links each blocker again on every call, as a tracker without an 'already linked' check would."""

    reconciling: ClassVar[bool] = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.links: Counter[tuple[str, str]] = Counter()

    async def add_dependency(self, item_id: str, blocker_id: str) -> None:
        await super().add_dependency(item_id, blocker_id)
        if not self.reconciling:
            self.links[item_id, blocker_id] += 1

    async def reconcile(self, item_id: str, parent_id: str | None, blocker_ids: Sequence[str]) -> None:
        await super().reconcile(item_id, parent_id, blocker_ids)
        if self.reconciling:
            for stale in [link for link in self.links if link[0] == item_id and link[1] not in blocker_ids]:
                del self.links[stale]
            for blocker_id in blocker_ids:
                self.links[item_id, blocker_id] += 1

    async def get(self, item_id: str) -> ItemRelations:
        relations = await super().get(item_id)
        again = [blocker for (item, blocker), n in self.links.items() if item == item_id for _ in range(n - 1)]
        return attrs.evolve(relations, blocker_ids=(*relations.blocker_ids, *again))


class DuplicateBlockerOnReconcile(_Relations):
    relations_class = _DuplicatingRelations


class _DuplicatingAddRelations(_DuplicatingRelations):
    reconciling = False


class DuplicateBlockerOnAdd(_Relations):
    relations_class = _DuplicatingAddRelations


class IgnoresParentAtCreate(DryRunProvider):
    async def create_item(self, item: CreateItemInput) -> DryRunItem:
        return await super().create_item(attrs.evolve(item, parent_id=None))


class UndeclaredRelationsSucceed(_Capabilities):
    """Does not offer relations, yet silently accepts relation calls."""

    drop = frozenset({Capability.RELATION_PARENT, Capability.RELATION_BLOCKED_BY})

    def require(self, capability: Capability) -> None:
        pass


# -- concurrency (i) -------------------------------------------------------------------------------


class RacyCreate(DryRunProvider):
    """Reads the next number, yields, then uses it: concurrent creates collide."""

    async def create_item(self, item: CreateItemInput) -> DryRunItem:
        number = self._store.next_number
        await asyncio.sleep(0)
        created = await super().create_item(item)
        racy = attrs.evolve(created, id=f"dry-run-{number}", key=f"DRY-{number}", url=f"dry-run://x/{number}")
        _store_item(self, racy)
        return racy


# -- the context (h) -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class _ExtraContext(DryRunContext):
    """A context with one more member; core checks it at construction like any other."""

    extra: object = None


@attrs.frozen(kw_only=True)
class _UncheckedContext(_ExtraContext):
    """Skips core's check at construction, as a careless subclass can."""

    def __attrs_post_init__(self) -> None:
        pass


class _SettableContext(_UncheckedContext):
    def __setattr__(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)


class _Cache:
    def __init__(self) -> None:
        self.hits = 0


@attrs.define
class _Counter:
    hits: int = 0


class _Smuggles(DryRunProvider):
    """Builds its context with ``context_class``, then lets ``smuggle`` put something mutable in it."""

    context_class: ClassVar[type[_ExtraContext]] = _ExtraContext

    async def resolve_context(self) -> DryRunContext:
        plain = await super().resolve_context()
        return self.smuggle(self.context_class(**attrs.asdict(plain, recurse=False)))

    def smuggle(self, context: _ExtraContext) -> _ExtraContext:
        return context


class SettableContext(_Smuggles):
    context_class = _SettableContext


class DictInContext(_Smuggles):
    def smuggle(self, context: _ExtraContext) -> _ExtraContext:
        return _UncheckedContext(**{**attrs.asdict(context, recurse=False), "extra": {"cache": "hit"}})


class NamespaceInContext(_Smuggles):
    def smuggle(self, context: _ExtraContext) -> _ExtraContext:
        object.__setattr__(context, "extra", SimpleNamespace(hits=0))
        return context


class PlainObjectInContext(_Smuggles):
    def smuggle(self, context: _ExtraContext) -> _ExtraContext:
        object.__setattr__(context, "extra", _Cache())
        return context


class MutableAttrsObjectInContext(_Smuggles):
    context_class = _UncheckedContext

    def smuggle(self, context: _ExtraContext) -> _ExtraContext:
        return attrs.evolve(context, extra=_Counter())


class ListInTupleInContext(_Smuggles):
    context_class = _UncheckedContext

    def smuggle(self, context: _ExtraContext) -> _ExtraContext:
        return attrs.evolve(context, extra=(("fixed",), ["grows"]))


class ReplacesContext(DryRunProvider):
    async def create_item(self, item: CreateItemInput) -> DryRunItem:
        self._context = attrs.evolve(self.context, label="changed")
        return await super().create_item(item)


# -- lifecycle -----------------------------------------------------------------------------------


class EntersTwice(DryRunProvider):
    async def __aenter__(self) -> Self:
        if self._context is not None:
            return self
        return await super().__aenter__()


class UsableAfterExit(DryRunProvider):
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


class HangsAfterExit(DryRunProvider):
    """Lets calls through after exit, where they wait forever for a closed connection."""

    exited = False

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.exited = True
        await super().__aexit__(exc_type, exc, tb)

    def ensure_entered(self) -> None:
        if not self.exited:
            super().ensure_entered()

    async def search_items(self, filters: ItemSearchFilters) -> list[Item]:
        if self.exited:
            await asyncio.Event().wait()
        return await super().search_items(filters)


class CannotReenter(DryRunProvider):
    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self.closed = False

    async def resolve_context(self) -> DryRunContext:
        if self.closed:
            raise ProviderError("the client is closed")
        return await super().resolve_context()

    async def aclose(self) -> None:
        self.closed = True


class SkipsCapabilityCheck(DryRunProvider):
    """Ignores the capabilities its caller requires."""

    @property
    def required_capabilities(self) -> frozenset[Capability]:
        return frozenset()


class HalfEnteredOnFailure(DryRunProvider):
    """Keeps the context of an enter that failed the capability check."""

    async def __aenter__(self) -> Self:
        try:
            return await super().__aenter__()
        except ProviderCapabilityError:
            self._context = await self.resolve_context()
            raise


class CloseKeepsLabel(DryRunProvider):
    """Closes an item as a duplicate but leaves the discovery label on it: discovery finds it again."""

    async def close_duplicate(self, item_id: str, kept: Item, *, label: str) -> None:
        with self._store.lock:
            self._store.duplicate_of[item_id] = kept.id


class CloseDeletes(DryRunProvider):
    """Deletes the duplicate instead of closing it."""

    async def close_duplicate(self, item_id: str, kept: Item, *, label: str) -> None:
        with self._store.lock:
            self._store.delete(item_id)


@attrs.frozen
class Breakage:
    test: str
    provider: type[DryRunProvider]
    reason: str
    """A regex the failure message must match, so the case fails for the intended reason."""
    kind: str = ""
    """Which of issue 7's defects (a)-(k) it is, if one."""
    options: dict[str, Any] = attrs.field(factory=dict)
    """Configuration keywords beyond the target."""


PARTIAL = "test_create_failure_after_each_step_is_reported_as_partial"
CASES = [
    # (j) capabilities
    Breakage(
        "test_declares_discovery_capabilities",
        LacksDiscovery,
        "discovery capabilities.*lacking.*discovery.complete",
        options={"required_capabilities": ()},
    ),
    Breakage(
        "test_resolves_exactly_the_declared_capabilities",
        UndeclaredCapability,
        r"\['types.native'\] are not declared",
        "j",
    ),
    Breakage(
        "test_resolves_exactly_the_declared_capabilities", UnresolvedCapability, r"lacking \['items.delete'\]", "j"
    ),
    Breakage("test_resolves_exactly_the_declared_capabilities", UnresolvedTypes, r"lacking \['types.label'\]", "j"),
    # (a) (b) (c) discovery
    Breakage("test_search_filter_is_conjunctive", IgnoresBodyText, r"\(label AND body text\).*label only", "a"),
    Breakage("test_search_filter_is_conjunctive", OrSearch, r"\(label AND body text\)"),
    Breakage("test_search_filter_is_conjunctive", AnyLabelSearch, r"\(two labels AND body text\)"),
    Breakage("test_search_returns_every_page", FirstPageOnly, "never truncate.*returned 10 of 15", "b"),
    Breakage("test_search_returns_every_page", DuplicatingSearch, "each matching item once.*more than once", "c"),
    Breakage("test_search_returns_each_item_once", DuplicatingSearch, "de-duplicated union", "c"),
    # items: (d) (e) (k)
    Breakage("test_create_get_update_delete_round_trip", DeleteDoesNothing, "deleted item must raise.*it returned"),
    Breakage("test_create_get_update_delete_round_trip", StaleGet, "stale"),
    Breakage("test_update_leaves_none_fields_alone", UpdateClearsNoneBody, "given as None.*'body': ''", "e"),
    Breakage("test_update_leaves_none_fields_alone", UpdateDefaultsNoneType, "given as None.*TASK", "e"),
    Breakage("test_update_leaves_none_fields_alone", UpdateClearsNoneSize, "given as None.*'size': None", "e"),
    Breakage("test_update_adds_labels_without_removing_any", UpdateReplacesLabels, "additive.*keep-me", "d"),
    Breakage("test_update_with_identical_values_changes_nothing", UpdateAlwaysTouches, "identical values"),
    Breakage(
        "test_get_of_a_missing_id_raises_item_not_found",
        GetMissingReturnsNone,
        "never return None.*it returned None",
        "k",
    ),
    Breakage(
        "test_get_of_a_missing_id_raises_item_not_found",
        NoDeleteGetMissingReturnsNone,
        "get_item.*it returned None",
        "k",
    ),
    Breakage(
        "test_get_of_a_missing_id_raises_item_not_found", GetMissingRaisesPlainError, "got: +ProviderError raised", "k"
    ),
    Breakage("test_get_of_a_missing_id_raises_item_not_found", UpdateMissingCreates, "update_item of an id", "k"),
    # the type label a dry run previews
    Breakage("test_type_change_swaps_the_type_label", KeepsOldTypeLabel, "replaces the old type's label"),
    Breakage("test_type_change_swaps_the_type_label", UpdateIgnoresType, "reads back as the new type"),
    Breakage("test_type_change_swaps_the_type_label", TypeLabelsAllAlike, "must differ by their type labels"),
    # (f) partial failures
    Breakage(PARTIAL, PlainExceptionMidCreate, "never a plain|plain exception.*got: +ProviderError raised", "f"),
    Breakage(PARTIAL, PartialFailureWithoutSteps, "completed_steps names each", "f"),
    Breakage(PARTIAL, PartialFailureWithoutId, "carry the created item's id", "f"),
    Breakage(PARTIAL, UndiscoverablePartialItem, "discoverable by the discovery label", "f"),
    Breakage(PARTIAL, UpdateReplacesLabels, "converge.*labels including", "f"),
    Breakage(PARTIAL, RecordsNoSteps, "issue_created is the step every create completes"),
    # relations: (g)
    Breakage("test_relations_reconcile_idempotently", ReconcileOnlyAdds, "remove a blocker"),
    Breakage("test_relations_reconcile_idempotently", ParentNeverMoves, "move to another parent"),
    Breakage("test_relations_reconcile_idempotently", DuplicateBlockerOnReconcile, "each once.*repeated call", "g"),
    Breakage("test_set_parent_and_add_dependency", DuplicateBlockerOnAdd, "records the blocker once", "g"),
    Breakage("test_create_under_a_parent", IgnoresParentAtCreate, "places the item under parent_id"),
    Breakage("test_relations_reconcile_idempotently", UndeclaredRelationsSucceed, "must refuse reconcile_relations"),
    Breakage("test_set_parent_and_add_dependency", UndeclaredRelationsSucceed, "must refuse set_parent"),
    # (i) concurrency
    Breakage("test_concurrent_creates_give_distinct_items", RacyCreate, "same id more than once", "i"),
    # duplicates that syncs at once make
    Breakage(
        "test_close_duplicate_takes_an_item_out_of_discovery_without_deleting_it",
        CloseKeepsLabel,
        "no longer finds an item closed as a duplicate",
    ),
    Breakage(
        "test_close_duplicate_takes_an_item_out_of_discovery_without_deleting_it",
        CloseDeletes,
        "get_item must return an existing item .closed as a duplicate, never deleted",
    ),
    Breakage(
        "test_a_sync_merges_the_copies_two_syncs_left", CloseKeepsLabel, "the sync succeeds.*StillDiscovered.*label off"
    ),
    Breakage(
        "test_syncs_of_one_plan_at_once_end_with_one_item_each",
        CloseKeepsLabel,
        "every sync succeeds.*StillDiscovered.*label off",
    ),
    # (h) the context
    Breakage("test_context_is_immutable_after_enter", SettableContext, "mutable: context: _SettableContext", "h"),
    Breakage("test_context_is_immutable_after_enter", DictInContext, r"mutable: context\.extra: dict", "h"),
    Breakage("test_context_is_immutable_after_enter", NamespaceInContext, r"context\.extra: SimpleNamespace", "h"),
    Breakage("test_context_is_immutable_after_enter", PlainObjectInContext, r"context\.extra: _Cache", "h"),
    Breakage("test_context_is_immutable_after_enter", MutableAttrsObjectInContext, r"context\.extra: _Counter", "h"),
    Breakage("test_context_is_immutable_after_enter", ListInTupleInContext, r"context\.extra\[1\]: list", "h"),
    Breakage("test_context_is_immutable_after_enter", ReplacesContext, "must not change after enter"),
    # lifecycle
    Breakage("test_entering_twice_fails", EntersTwice, "must fail.*ProviderError raised.*it returned"),
    Breakage("test_exit_is_clean", UsableAfterExit, "exited provider has no context.*it returned"),
    Breakage("test_exit_is_clean", HangsAfterExit, "did not return within 0.2s"),
    Breakage("test_exit_is_clean", CannotReenter, "entered again after a clean exit"),
    Breakage("test_required_capabilities_are_checked_on_enter", SkipsCapabilityCheck, "required capability is missing"),
    Breakage("test_required_capabilities_are_checked_on_enter", HalfEnteredOnFailure, "half-entered.*it returned"),
]
SUITE_TESTS = sorted(name for name in dir(ProviderConformance) if name.startswith("test_"))
#: Issue 7's defects the suite must catch: (a) search ignoring the body, (b) first page only,
#: (c) duplicates, (d) labels replaced, (e) None written, (f) plain exception mid-create,
#: (g) duplicate relations, (h) mutable context objects, (i) racy ids, (j) undeclared or unresolved
#: capabilities, (k) get_item of a missing id.
KINDS = "abcdefghijk"


def make(provider_cls: type[DryRunProvider], **options: Any) -> DryRunProvider:
    return provider_cls(ProviderConfig.from_keywords("dry-run", target="acme/roadmap", **options))


async def run_suite_test(
    name: str, provider_cls: type[DryRunProvider], *, options: dict[str, Any] | None = None, **fixtures: Any
) -> None:
    """Call one suite test the way pytest would, with the suite's fixtures done by hand.

    The fixtures are the ones our own runs use (failure injection opted in, a dry-run shaped
    missing id); ``fixtures`` overrides them.
    """
    method = getattr(ProviderConformance(), name)
    wanted = inspect.signature(method).parameters

    def make_provider() -> DryRunProvider:
        return make(provider_cls, **(options or {}))

    values: dict[str, Any] = {
        "make_provider": make_provider,
        "conformance_settings": SETTINGS,
        "missing_item_id": MISSING_ID,
        "inject_create_failure": failing_after,
        **fixtures,
    }
    kwargs = {key: value for key, value in values.items() if key in wanted}
    if "provider" not in wanted:
        await method(**kwargs)
        return
    async with make_provider() as provider:
        await method(provider=provider, **kwargs)


def _case_id(case: Breakage) -> str:
    return f"{case.test.removeprefix('test_')}-{case.provider.__name__}"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
async def test_suite_fails_for_a_provider_that_breaks_it(case: Breakage) -> None:
    with pytest.raises(AssertionError) as failure:
        await run_suite_test(case.test, case.provider, options=case.options)
    message = str(failure.value)
    assert re.search(case.reason, message, re.DOTALL), message
    # Every failure names the provider call, what was expected and what came back.
    assert re.search(r"\n  call: +\S.*\n  expected: +\S.*\n  got: +\S", message, re.DOTALL), message


@pytest.mark.parametrize("name", SUITE_TESTS)
async def test_suite_passes_for_the_intact_provider_under_the_same_harness(name: str) -> None:
    await run_suite_test(name, DryRunProvider)


def test_every_suite_test_is_shown_to_catch_some_breakage() -> None:
    assert sorted({case.test for case in CASES}) == SUITE_TESTS


def test_every_kind_of_defect_is_covered() -> None:
    assert "".join(sorted({case.kind for case in CASES} - {""})) == KINDS


async def test_a_provider_that_records_no_steps_is_skipped_by_default_with_the_reason() -> None:
    """Without an opt-in, a provider that does not record create steps is skipped, and told how to opt in."""
    with pytest.raises(
        pytest.skip.Exception, match=r"records no create step with CreateProgress.*inject_create_failure"
    ):
        await run_suite_test(PARTIAL, RecordsNoSteps, inject_create_failure=failing_after_or_skip)
    with pytest.raises(pytest.skip.Exception, match="inject_create_failure fixture returned None"):
        await run_suite_test(PARTIAL, DryRunProvider, inject_create_failure=None)


async def test_the_default_injection_checks_a_provider_that_records_its_steps() -> None:
    """The default is no free pass: a CreateProgress provider is checked without opting in."""
    await run_suite_test(PARTIAL, DryRunProvider, inject_create_failure=failing_after_or_skip)
    with pytest.raises(AssertionError, match="plain exception"):
        await run_suite_test(PARTIAL, PlainExceptionMidCreate, inject_create_failure=failing_after_or_skip)


def test_suite_runs_in_a_strict_mode_project_and_reports_failures(tmp_path: Path) -> None:
    """A third party's project: strict asyncio mode, ``make_provider`` in conftest, warnings as errors.

    It uses the suite's default fixtures, so it also shows that they run everything for the dry run
    (no test skipped).
    """
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
    )
    (tmp_path / "conftest.py").write_text(
        textwrap.dedent(
            """
            import pytest
            from planpilot_provider_dry_run.provider import DryRunProvider
            from planpilot_providers_core.config import ProviderConfig

            @pytest.fixture
            def make_provider():
                return lambda: DryRunProvider(ProviderConfig.from_keywords("dry-run", target="acme/roadmap"))
            """
        )
    )
    (tmp_path / "test_my_provider.py").write_text(
        textwrap.dedent(
            """
            import pytest
            from planpilot_providers_core.config import ProviderConfig
            from planpilot_providers_core.testing import ConformanceSettings, ProviderConformance

            class TestDryRun(ProviderConformance):
                @pytest.fixture
                def conformance_settings(self):
                    return ConformanceSettings(page_size=3, concurrency=5)

            class TestBrokenSearch(ProviderConformance):
                @pytest.fixture
                def make_provider(self):
                    from planpilot_provider_dry_run.provider import DryRunProvider

                    class Broken(DryRunProvider):
                        async def search_items(self, filters):
                            return (await super().search_items(filters))[:1]

                    return lambda: Broken(ProviderConfig.from_keywords("dry-run", target="acme/roadmap"))
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", "-rfs"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    summary = result.stdout.strip().splitlines()[-1]
    outcomes = {kind: int(n) for n, kind in re.findall(r"(\d+) (\w+)", summary)}
    assert outcomes.keys() == {"passed", "failed"}, result.stdout
    assert outcomes["passed"] + outcomes["failed"] == 2 * len(SUITE_TESTS), result.stdout
    failed = set(re.findall(r"FAILED test_my_provider.py::(\w+)::(\w+)", result.stdout))
    assert {cls for cls, _ in failed} == {"TestBrokenSearch"}, result.stdout
    assert {
        "test_search_filter_is_conjunctive",
        "test_search_returns_every_page",
        "test_search_returns_each_item_once",
        "test_concurrent_creates_give_distinct_items",
    } <= {test for _, test in failed}, result.stdout
