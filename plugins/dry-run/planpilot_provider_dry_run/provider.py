"""``DryRunProvider``: an in-memory tracker, so a dry run exercises the whole sync without touching one.

Nothing here talks to a network or needs a credential. Ids, keys and urls are assigned from one
counter in creation order, so the same plan always yields the same placeholders. Every change is
appended to an operation log, which :meth:`DryRunProvider.recorded_changes` hands the caller as the
preview of what a real sync would change.
"""

from __future__ import annotations

import asyncio
import enum
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import attrs

from planpilot_provider_dry_run.plugin import CAPABILITIES
from planpilot_providers_core import (
    Capability,
    CreateItemInput,
    CreateProgress,
    CreateStep,
    Item,
    ItemNotFoundError,
    ItemRelations,
    ItemSearchFilters,
    PlanItemType,
    Provider,
    ProviderConfig,
    ProviderConfigError,
    ProviderContext,
    ProviderError,
    UpdateItemInput,
    frozen_mapping,
    merge_labels,
)

__all__ = ["DryRunContext", "DryRunItem", "DryRunProvider", "Operation", "OperationKind"]


class OperationKind(enum.StrEnum):
    """What a logged operation did; compares equal to its plain string value."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    CLOSE_DUPLICATE = "close_duplicate"
    SET_PARENT = "set_parent"
    REMOVE_PARENT = "remove_parent"
    ADD_DEPENDENCY = "add_dependency"
    REMOVE_DEPENDENCY = "remove_dependency"


@attrs.frozen(kw_only=True)
class Operation:
    """One change the dry run recorded instead of making it in a real tracker."""

    kind: OperationKind = attrs.field(converter=OperationKind)
    key: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind.value:<17} {self.key:<8} {self.detail}".rstrip()


@attrs.frozen(kw_only=True)
class DryRunContext(ProviderContext):
    """What entering resolves: fixed settings only, as there is no remote state to look up."""

    target: str
    board_url: str
    label: str
    type_labels: Mapping[PlanItemType, str] = attrs.field(converter=frozen_mapping)
    """The label each item type gets; the dry run always expresses types as labels."""


class _Store:
    """The in-memory tracker: items, relations and the operation log, behind one lock.

    The lock is never held across an ``await``, so concurrent calls (tasks or threads) see every
    change whole. It outlives exit and re-entry, as a remote tracker would.
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self.lock = threading.Lock()
        self.next_number = 1
        self.items: dict[str, DryRunItem] = {}
        self.parent_of: dict[str, str] = {}
        self.blockers_of: dict[str, dict[str, None]] = {}
        """Blocker ids per item, as an ordered set so the log lists them in the order they were added."""
        self.operations: list[Operation] = []
        self.duplicate_of: dict[str, str] = {}
        """Closed items: item id -> the id of the item it was closed as a duplicate of."""

    # callers hold the lock

    def get(self, item_id: str) -> DryRunItem:
        try:
            return self.items[item_id]
        except KeyError:
            raise ItemNotFoundError(f"dry-run item {item_id!r} does not exist in {self.target!r}") from None

    def key(self, item_id: str) -> str:
        return self.get(item_id).key

    def log(self, kind: OperationKind, key: str, detail: str) -> None:
        self.operations.append(Operation(kind=kind, key=key, detail=detail))

    def check_parent(self, child_id: str, parent_id: str) -> None:
        self.get(child_id)
        self.get(parent_id)
        ancestor: str | None = parent_id
        while ancestor is not None:
            if ancestor == child_id:
                raise ProviderError(
                    f"cannot make {self.key(parent_id)} the parent of {self.key(child_id)}: that would form a cycle"
                )
            ancestor = self.parent_of.get(ancestor)

    def check_blocker(self, item_id: str, blocker_id: str) -> None:
        self.get(item_id)
        self.get(blocker_id)
        if blocker_id == item_id:
            raise ProviderError(f"{self.key(item_id)} cannot be blocked by itself")

    def link_parent(self, child_id: str, parent_id: str) -> None:
        self.check_parent(child_id, parent_id)
        old = self.parent_of.get(child_id)
        if old == parent_id:
            return
        self.parent_of[child_id] = parent_id
        moved = "" if old is None else f" (was {self.key(old)})"
        self.log(OperationKind.SET_PARENT, self.key(child_id), f"parent {self.key(parent_id)}{moved}")

    def link_blocker(self, item_id: str, blocker_id: str) -> None:
        self.check_blocker(item_id, blocker_id)
        blockers = self.blockers_of.setdefault(item_id, {})
        if blocker_id in blockers:
            return
        blockers[blocker_id] = None
        self.log(OperationKind.ADD_DEPENDENCY, self.key(item_id), f"blocked by {self.key(blocker_id)}")

    def delete(self, item_id: str) -> None:
        deleted = self.get(item_id)
        del self.items[item_id]
        # The tracker drops links to a deleted item; so does the dry run, silently.
        self.parent_of.pop(item_id, None)
        self.blockers_of.pop(item_id, None)
        for child in [c for c, p in self.parent_of.items() if p == item_id]:
            del self.parent_of[child]
        for blockers in self.blockers_of.values():
            blockers.pop(item_id, None)
        self.log(OperationKind.DELETE, deleted.key, repr(deleted.title))


class DryRunRelations:
    """The relation operations a :class:`DryRunItem` needs: the store, and the provider's checks."""

    def __init__(
        self,
        store: _Store,
        *,
        ensure_entered: Callable[[], None],
        ensure_writable: Callable[[], None],
        require: Callable[[Capability], None],
    ) -> None:
        self._store = store
        self._ensure_entered = ensure_entered
        self._ensure_writable = ensure_writable
        self._require = require

    async def _writing(self, *capabilities: Capability) -> None:
        self._ensure_writable()
        for capability in capabilities:
            self._require(capability)
        await asyncio.sleep(0)  # yield like a network call would

    async def set_parent(self, child_id: str, parent_id: str) -> None:
        await self._writing(Capability.RELATION_PARENT)
        with self._store.lock:
            self._store.link_parent(child_id, parent_id)

    async def add_dependency(self, item_id: str, blocker_id: str) -> None:
        await self._writing(Capability.RELATION_BLOCKED_BY)
        with self._store.lock:
            self._store.link_blocker(item_id, blocker_id)

    async def reconcile(self, item_id: str, parent_id: str | None, blocker_ids: Sequence[str]) -> None:
        await self._writing(Capability.RELATION_PARENT, Capability.RELATION_BLOCKED_BY)
        store = self._store
        with store.lock:
            # Validate everything first so a bad argument changes nothing.
            item = store.get(item_id)
            if parent_id is not None:
                store.check_parent(item_id, parent_id)
            for blocker_id in blocker_ids:
                store.check_blocker(item_id, blocker_id)
            if parent_id is not None:
                store.link_parent(item_id, parent_id)
            elif item_id in store.parent_of:
                old = store.parent_of.pop(item_id)
                store.log(OperationKind.REMOVE_PARENT, item.key, f"was {store.key(old)}")
            wanted = dict.fromkeys(blocker_ids)
            for blocker_id in wanted:
                store.link_blocker(item_id, blocker_id)
            current = store.blockers_of.get(item_id, {})
            for stale in [b for b in current if b not in wanted]:
                del current[stale]
                store.log(OperationKind.REMOVE_DEPENDENCY, item.key, f"no longer blocked by {store.key(stale)}")

    async def get(self, item_id: str) -> ItemRelations:
        self._ensure_entered()
        await asyncio.sleep(0)
        with self._store.lock:
            self._store.get(item_id)
            return ItemRelations(
                parent_id=self._store.parent_of.get(item_id),
                blocker_ids=list(self._store.blockers_of.get(item_id, {})),
            )


@attrs.frozen(kw_only=True)
class DryRunItem(Item):
    """A snapshot of a stored item; relation methods act on the store's current state."""

    relations: DryRunRelations = attrs.field(eq=False, repr=False)

    async def set_parent(self, parent: Item) -> None:
        await self.relations.set_parent(self.id, parent.id)

    async def add_dependency(self, blocker: Item) -> None:
        await self.relations.add_dependency(self.id, blocker.id)

    async def reconcile_relations(self, *, parent: Item | None, blockers: Sequence[Item]) -> None:
        await self.relations.reconcile(self.id, None if parent is None else parent.id, [b.id for b in blockers])

    async def get_relations(self) -> ItemRelations:
        return await self.relations.get(self.id)


def _check_target(target: str) -> None:
    if any(c.isspace() for c in target):
        raise ProviderConfigError(
            f"target {target!r} has whitespace in it; give the dry run a name such as OWNER/REPO (or leave it out)"
        )


def _check_board_url(board_url: str) -> None:
    if not board_url:
        return
    parts = urlsplit(board_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in board_url):
        raise ProviderConfigError(
            f"board URL {board_url!r} is not an http(s) URL; give the board URL of the tracker the dry run "
            "stands in for, or leave it out"
        )


class DryRunProvider(Provider[DryRunContext]):
    """In-memory provider for previews: deterministic placeholders and a log of every change.

    State lives on the instance and survives exit and re-entry, like a remote tracker would. It takes
    no options beyond the configuration's own fields.
    """

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self._store = _Store(config.target)
        self._relations = DryRunRelations(
            self._store, ensure_entered=self.ensure_entered, ensure_writable=self.ensure_writable, require=self.require
        )

    @classmethod
    def validate_config(cls, config: ProviderConfig) -> None:
        if config.options:
            raise ProviderConfigError(
                f"provider {config.provider!r} does not accept option(s) {', '.join(sorted(config.options))}; "
                "it takes no options"
            )
        _check_target(config.target)
        _check_board_url(config.board_url)

    def __repr__(self) -> str:
        return f"DryRunProvider(target={self.config.target!r}, label={self.config.label!r})"

    async def resolve_context(self) -> DryRunContext:
        return DryRunContext(
            provider=self.name,
            capabilities=CAPABILITIES,
            target=self.config.target,
            board_url=self.config.board_url,
            label=self.config.label,
            type_labels=self.config.field_config.create_type_map,
        )

    # -- the operation log -------------------------------------------------------------------

    @property
    def operations(self) -> tuple[Operation, ...]:
        """Every change made so far, oldest first (including those from earlier entries)."""
        with self._store.lock:
            return tuple(self._store.operations)

    def recorded_changes(self) -> Sequence[str]:
        """The operation log, one line per change: what a real sync would have changed."""
        return [str(op) for op in self.operations]

    # -- Provider ------------------------------------------------------------------------------

    def _bind(self, item: DryRunItem) -> DryRunItem:
        """The stored item, with relation calls going through this provider (and its lifecycle)."""
        return item if item.relations is self._relations else attrs.evolve(item, relations=self._relations)

    async def search_items(self, filters: ItemSearchFilters) -> list[Item]:
        await asyncio.sleep(0)
        with self._store.lock:
            found = [item for item in self._store.items.values() if filters.matches(item.labels, item.body)]
        return [self._bind(item) for item in found]

    async def create_item(self, item: CreateItemInput) -> DryRunItem:
        """Like GitHub's ``createIssue``: title, body, type label and labels in one step, then the parent."""
        context = self.context
        await asyncio.sleep(0)
        labels = merge_labels(item.labels, (context.label, context.type_labels[item.item_type]))
        store = self._store
        progress = CreateProgress()
        with progress, store.lock:
            if item.parent_id is not None:
                store.get(item.parent_id)  # an unknown parent fails before anything is created
            number = store.next_number
            store.next_number += 1
            created = DryRunItem(
                id=f"dry-run-{number}",
                key=f"DRY-{number}",
                url=f"dry-run://{context.target}/items/{number}",
                title=item.title,
                body=item.body,
                item_type=item.item_type,
                labels=labels,
                size=item.size,
                fields=item.fields,
                relations=self._relations,
            )
            store.items[created.id] = created
            store.log(OperationKind.CREATE, created.key, f"{item.item_type.value} {item.title!r}")
            progress.created(created.id, created.key, created.url, CreateStep.ISSUE_TYPE_SET, CreateStep.LABELS_SET)
            if item.parent_id is not None:
                store.link_parent(created.id, item.parent_id)
                progress.done(CreateStep.PARENT_SET)
        return created

    async def update_item(self, item_id: str, item: UpdateItemInput) -> DryRunItem:
        context = self.context
        await asyncio.sleep(0)
        store = self._store
        with store.lock:
            current = store.get(item_id)
            changes: dict[str, Any] = {}
            for field in ("title", "body", "item_type", "size"):
                wanted = getattr(item, field)
                if wanted is not None and wanted != getattr(current, field):
                    changes[field] = wanted
            if item.fields is not None and {**current.fields, **item.fields} != dict(current.fields):
                changes["fields"] = {**current.fields, **item.fields}
            kept = current.labels
            if item.item_type is not None:  # a type change swaps our own type label, as trackers do
                others = {label.casefold() for t, label in context.type_labels.items() if t is not item.item_type}
                kept = tuple(label for label in kept if label.casefold() not in others)
            type_label = () if item.item_type is None else (context.type_labels[item.item_type],)
            labels = merge_labels(kept, item.labels or (), type_label)
            if labels != current.labels:
                changes["labels"] = labels
            if not changes:
                return self._bind(current)
            updated = attrs.evolve(current, **changes)
            store.items[item_id] = updated
            store.log(OperationKind.UPDATE, current.key, ", ".join(_describe(f, current, labels) for f in changes))
        return self._bind(updated)

    async def get_item(self, item_id: str) -> DryRunItem:
        await asyncio.sleep(0)
        with self._store.lock:
            return self._bind(self._store.get(item_id))

    async def close_duplicate(self, item_id: str, kept: Item, *, label: str) -> None:
        """Closed as a duplicate of ``kept``, without the discovery ``label``: kept in the store, found by
        ``get_item``, no longer by a search for the label."""
        self.require(Capability.ITEM_CLOSE_DUPLICATE)
        await asyncio.sleep(0)
        store = self._store
        with store.lock:
            current = store.get(item_id)
            target = store.get(kept.id)
            if target.id == item_id:
                raise ProviderError(f"{current.key} cannot be closed as a duplicate of itself")
            labels = tuple(name for name in current.labels if name.casefold() != label.casefold())
            if store.duplicate_of.get(item_id) == target.id and labels == current.labels:
                return  # closed so already
            store.items[item_id] = attrs.evolve(current, labels=labels)
            store.duplicate_of[item_id] = target.id
            store.log(OperationKind.CLOSE_DUPLICATE, current.key, f"closed as a duplicate of {target.key}")

    def closed_as_duplicate(self, item_id: str) -> str | None:
        """The id of the item ``item_id`` was closed as a duplicate of, or None while it is open."""
        with self._store.lock:
            return self._store.duplicate_of.get(item_id)

    async def delete_item(self, item_id: str) -> None:
        self.require(Capability.ITEM_DELETE)
        await asyncio.sleep(0)
        with self._store.lock:
            self._store.delete(item_id)


def _describe(field: str, current: DryRunItem, labels: tuple[str, ...]) -> str:
    """How an update log line names a changed field; labels show what was added and removed."""
    if field != "labels":
        return field
    before = {label.casefold() for label in current.labels}
    after = {label.casefold() for label in labels}
    added = [label for label in labels if label.casefold() not in before]
    removed = [label for label in current.labels if label.casefold() not in after]
    return " ".join(part for part in (f"labels +{added}" if added else "", f"-{removed}" if removed else "") if part)
