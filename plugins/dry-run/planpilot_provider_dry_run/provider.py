"""``DryRunProvider``: an in-memory tracker, so a dry run exercises the whole sync without touching one.

Nothing here talks to a network or needs a token. Ids, keys and urls are assigned from one counter
in creation order, so the same plan always yields the same placeholders. Every change is appended
to an operation log the caller can print to show what a real sync would have done.
"""

from __future__ import annotations

import asyncio
import enum
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, Final

import attrs

from planpilot_providers_core.capabilities import DISCOVERY_CAPABILITIES, Capability
from planpilot_providers_core.context import ProviderContext, frozen_mapping
from planpilot_providers_core.contracts import (
    CreateItemInput,
    FieldConfig,
    Item,
    ItemRelations,
    ItemSearchFilters,
    PlanItemType,
    Provider,
    UpdateItemInput,
)
from planpilot_providers_core.errors import ItemNotFoundError, ProviderError

__all__ = ["DryRunContext", "DryRunItem", "DryRunProvider", "Operation", "OperationKind"]

_ACCEPTED_KWARGS: Final = "target, token, board_url, label, field_config, required_capabilities, read_only"


class OperationKind(enum.StrEnum):
    """What a logged operation did; compares equal to its plain string value."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
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


@attrs.frozen(kw_only=True)
class DryRunItem(Item):
    """A snapshot of a stored item; relation methods act on the provider's current state."""

    size: str | None = None
    _provider: DryRunProvider = attrs.field(eq=False, repr=False, alias="provider")

    async def set_parent(self, parent: Item) -> None:
        await self._provider._set_parent(self.id, parent.id)

    async def add_dependency(self, blocker: Item) -> None:
        await self._provider._add_dependency(self.id, blocker.id)

    async def reconcile_relations(self, *, parent: Item | None, blockers: Sequence[Item]) -> None:
        await self._provider._reconcile(
            self.id, None if parent is None else parent.id, [blocker.id for blocker in blockers]
        )

    async def get_relations(self) -> ItemRelations:
        return await self._provider._get_relations(self.id)


def _merge_labels(*groups: Iterable[str]) -> tuple[str, ...]:
    """Labels in first-seen order; trackers treat labels case-insensitively, so duplicates by case merge."""
    seen: dict[str, str] = {}
    for group in groups:
        for label in group:
            seen.setdefault(label.casefold(), label)
    return tuple(seen.values())


def _non_blank(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"DryRunProvider needs a non-empty {name}, got {value!r}")
    return value


class DryRunProvider(Provider):
    """In-memory provider for ``sync(dry_run=True)``: deterministic placeholders, an operation log.

    State lives on the instance and survives exit and re-entry, like a remote tracker would. One
    lock guards it and is never held across an ``await``, so concurrent calls (tasks or threads)
    see every change whole.
    """

    name: ClassVar[str] = "dry-run"
    CAPABILITIES: ClassVar[frozenset[Capability]] = frozenset(
        {
            *DISCOVERY_CAPABILITIES,
            Capability.RELATION_PARENT,
            Capability.RELATION_BLOCKED_BY,
            Capability.ITEM_TYPES_LABEL,
            Capability.ITEM_DELETE,
        }
    )

    def __init__(
        self,
        *,
        target: str,
        token: str = "",
        board_url: str = "",
        label: str = "planpilot",
        field_config: FieldConfig | None = None,
        required_capabilities: Iterable[str | Capability] = DISCOVERY_CAPABILITIES,
        read_only: bool = False,
        **kwargs: object,
    ) -> None:
        # ``token`` is accepted so the factory's uniform call works; a dry run never keeps or shows it.
        del token
        if kwargs:
            raise TypeError(
                f"DryRunProvider got unexpected keyword argument(s) {', '.join(sorted(kwargs))}; "
                f"it accepts {_ACCEPTED_KWARGS}"
            )
        if field_config is not None and not isinstance(field_config, FieldConfig):
            raise TypeError(f"field_config must be a FieldConfig or None, got {type(field_config).__name__}")
        super().__init__(required_capabilities=required_capabilities, read_only=read_only)
        self.target = _non_blank("target", target)
        self.label = _non_blank("label", label)
        if not isinstance(board_url, str):
            raise TypeError(f"board_url must be a string, got {type(board_url).__name__}")
        self.board_url = board_url
        self.field_config = field_config if field_config is not None else FieldConfig()
        self._lock = threading.Lock()
        self._next_number = 1
        self._items: dict[str, DryRunItem] = {}
        self._parent_of: dict[str, str] = {}
        self._blockers_of: dict[str, dict[str, None]] = {}
        """Blocker ids per item, as an ordered set so the log lists them in the order they were added."""
        self._operations: list[Operation] = []

    def __repr__(self) -> str:
        return f"DryRunProvider(target={self.target!r}, label={self.label!r})"

    # -- lifecycle ---------------------------------------------------------------------------

    async def resolve_context(self) -> DryRunContext:
        return DryRunContext(
            provider=self.name,
            capabilities=self.CAPABILITIES,
            target=self.target,
            board_url=self.board_url,
            label=self.label,
            type_labels=self.field_config.create_type_map,
        )

    async def aclose(self) -> None:
        """Nothing to release: there are no connections."""

    # -- the operation log -------------------------------------------------------------------

    @property
    def operations(self) -> tuple[Operation, ...]:
        """Every change made so far, oldest first (including those from earlier entries)."""
        with self._lock:
            return tuple(self._operations)

    def format_operations(self) -> str:
        """The log as numbered lines, ready to print as the dry run's report."""
        ops = self.operations
        if not ops:
            return f"dry-run {self.target}: no operations"
        width = len(str(len(ops)))
        lines = [f"dry-run {self.target}: {len(ops)} operation(s)"]
        lines.extend(f"{number:>{width}}. {op}" for number, op in enumerate(ops, start=1))
        return "\n".join(lines)

    # -- Provider ------------------------------------------------------------------------------

    async def _writable(self) -> DryRunContext:
        context = await self._entered()
        self.ensure_writable()
        return context

    async def _entered(self) -> DryRunContext:
        """The context, or ``ProviderError`` when not entered; yields once like a network call would."""
        context = self.context
        await asyncio.sleep(0)
        if not isinstance(context, DryRunContext):
            raise ProviderError(f"dry-run provider has an unexpected context {type(context).__name__}")
        return context

    async def search_items(self, filters: ItemSearchFilters) -> list[Item]:
        await self._entered()
        with self._lock:
            return [item for item in self._items.values() if filters.matches(item.labels, item.body)]

    async def create_item(self, item: CreateItemInput) -> DryRunItem:
        context = await self._writable()
        labels = _merge_labels(item.labels, (context.label, context.type_labels[item.item_type]))
        parent_id = item.parent_id if Capability.RELATION_PARENT in context.capabilities else None
        with self._lock:
            if parent_id is not None:
                self._get(parent_id)  # an unknown parent fails before anything is created
            number = self._next_number
            self._next_number += 1
            created = DryRunItem(
                id=f"dry-run-{number}",
                key=f"DRY-{number}",
                url=f"dry-run://{context.target}/items/{number}",
                title=item.title,
                body=item.body,
                item_type=item.item_type,
                labels=labels,
                size=item.size,
                provider=self,
            )
            self._items[created.id] = created
            self._log(OperationKind.CREATE, created.key, f"{item.item_type.value} {item.title!r}")
            if parent_id is not None:
                self._link_parent(created.id, parent_id)
        return created

    async def update_item(self, item_id: str, item: UpdateItemInput) -> DryRunItem:
        context = await self._writable()
        with self._lock:
            current = self._get(item_id)
            changes: dict[str, Any] = {}
            for field in ("title", "body", "item_type", "size"):
                wanted = getattr(item, field)
                if wanted is not None and wanted != getattr(current, field):
                    changes[field] = wanted
            type_label = () if item.item_type is None else (context.type_labels[item.item_type],)
            labels = _merge_labels(current.labels, item.labels or (), type_label)
            if labels != current.labels:
                changes["labels"] = labels
            if not changes:
                return current
            updated = attrs.evolve(current, **changes)
            self._items[item_id] = updated
            detail = ", ".join(
                f"labels +{list(labels[len(current.labels) :])}" if field == "labels" else field for field in changes
            )
            self._log(OperationKind.UPDATE, current.key, detail)
        return updated

    async def get_item(self, item_id: str) -> DryRunItem:
        await self._entered()
        with self._lock:
            return self._get(item_id)

    async def delete_item(self, item_id: str) -> None:
        await self._writable()
        self.require(Capability.ITEM_DELETE)
        with self._lock:
            deleted = self._get(item_id)
            del self._items[item_id]
            # The tracker drops links to a deleted item; so does the dry run, silently.
            self._parent_of.pop(item_id, None)
            self._blockers_of.pop(item_id, None)
            for child in [c for c, p in self._parent_of.items() if p == item_id]:
                del self._parent_of[child]
            for blockers in self._blockers_of.values():
                blockers.pop(item_id, None)
            self._log(OperationKind.DELETE, deleted.key, repr(deleted.title))

    # -- relations (called by DryRunItem) --------------------------------------------------------

    async def _set_parent(self, child_id: str, parent_id: str) -> None:
        await self._writable()
        self.require(Capability.RELATION_PARENT)
        with self._lock:
            self._link_parent(child_id, parent_id)

    async def _add_dependency(self, item_id: str, blocker_id: str) -> None:
        await self._writable()
        self.require(Capability.RELATION_BLOCKED_BY)
        with self._lock:
            self._link_blocker(item_id, blocker_id)

    async def _reconcile(self, item_id: str, parent_id: str | None, blocker_ids: Sequence[str]) -> None:
        await self._writable()
        self.require(Capability.RELATION_PARENT)
        self.require(Capability.RELATION_BLOCKED_BY)
        with self._lock:
            # Validate everything first so a bad argument changes nothing.
            item = self._get(item_id)
            if parent_id is not None:
                self._check_parent(item_id, parent_id)
            for blocker_id in blocker_ids:
                self._check_blocker(item_id, blocker_id)
            if parent_id is not None:
                self._link_parent(item_id, parent_id)
            elif item_id in self._parent_of:
                old = self._parent_of.pop(item_id)
                self._log(OperationKind.REMOVE_PARENT, item.key, f"was {self._key(old)}")
            wanted = dict.fromkeys(blocker_ids)
            for blocker_id in wanted:
                self._link_blocker(item_id, blocker_id)
            current = self._blockers_of.get(item_id, {})
            for stale in [b for b in current if b not in wanted]:
                del current[stale]
                self._log(OperationKind.REMOVE_DEPENDENCY, item.key, f"no longer blocked by {self._key(stale)}")

    async def _get_relations(self, item_id: str) -> ItemRelations:
        await self._entered()
        with self._lock:
            self._get(item_id)
            blocker_ids = list(self._blockers_of.get(item_id, {}))
            return ItemRelations(parent_id=self._parent_of.get(item_id), blocker_ids=blocker_ids)

    # -- helpers; callers hold the lock ------------------------------------------------------------

    def _get(self, item_id: str) -> DryRunItem:
        try:
            return self._items[item_id]
        except KeyError:
            raise ItemNotFoundError(f"dry-run item {item_id!r} does not exist in {self.target!r}") from None

    def _key(self, item_id: str) -> str:
        return self._get(item_id).key

    def _check_parent(self, child_id: str, parent_id: str) -> None:
        self._get(child_id)
        self._get(parent_id)
        ancestor: str | None = parent_id
        while ancestor is not None:
            if ancestor == child_id:
                raise ProviderError(
                    f"cannot make {self._key(parent_id)} the parent of {self._key(child_id)}: that would form a cycle"
                )
            ancestor = self._parent_of.get(ancestor)

    def _check_blocker(self, item_id: str, blocker_id: str) -> None:
        self._get(item_id)
        self._get(blocker_id)
        if blocker_id == item_id:
            raise ProviderError(f"{self._key(item_id)} cannot be blocked by itself")

    def _link_parent(self, child_id: str, parent_id: str) -> None:
        self._check_parent(child_id, parent_id)
        old = self._parent_of.get(child_id)
        if old == parent_id:
            return
        self._parent_of[child_id] = parent_id
        moved = "" if old is None else f" (was {self._key(old)})"
        self._log(OperationKind.SET_PARENT, self._key(child_id), f"parent {self._key(parent_id)}{moved}")

    def _link_blocker(self, item_id: str, blocker_id: str) -> None:
        self._check_blocker(item_id, blocker_id)
        blockers = self._blockers_of.setdefault(item_id, {})
        if blocker_id in blockers:
            return
        blockers[blocker_id] = None
        self._log(OperationKind.ADD_DEPENDENCY, self._key(item_id), f"blocked by {self._key(blocker_id)}")

    def _log(self, kind: OperationKind, key: str, detail: str) -> None:
        self._operations.append(Operation(kind=kind, key=key, detail=detail))
