"""The provider contract: value types, the ``Item`` and ``Provider`` ABCs, and ``FieldConfig``."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, ClassVar, Final, Literal, Self

import attrs

from planpilot_providers_core.capabilities import (
    DISCOVERY_CAPABILITIES,
    Capability,
    check_capabilities,
    parse_capabilities,
)
from planpilot_providers_core.context import ProviderContext, frozen_mapping
from planpilot_providers_core.errors import ProviderError


class PlanItemType(enum.StrEnum):
    """The three levels of a plan."""

    EPIC = "EPIC"
    STORY = "STORY"
    TASK = "TASK"


def _labels(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError(f"labels must be a sequence of strings, not the string {value!r}")
    labels: dict[str, str] = {}
    for label in value:
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"every label must be a non-empty string, got {label!r}")
        labels.setdefault(label.casefold(), label)  # trackers compare labels case-insensitively
    return tuple(labels.values())


def _optional_labels(value: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if value is None else _labels(value)


def _item_type(value: PlanItemType | str) -> PlanItemType:
    try:
        return PlanItemType(value)
    except ValueError:
        raise ValueError(f"unknown item type {value!r}; use one of EPIC, STORY, TASK") from None


def _optional_item_type(value: PlanItemType | str | None) -> PlanItemType | None:
    return None if value is None else _item_type(value)


def _non_blank(_: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and not value.strip():
        raise ValueError(f"{attribute.name} must not be blank")


@attrs.frozen(kw_only=True)
class CreateItemInput:
    """Everything needed to create one plan item; the body already carries the metadata block."""

    title: str = attrs.field(validator=[attrs.validators.instance_of(str), _non_blank])
    body: str = attrs.field(validator=attrs.validators.instance_of(str))
    item_type: PlanItemType = attrs.field(converter=_item_type)
    labels: tuple[str, ...] = attrs.field(default=(), converter=_labels)
    size: str | None = attrs.field(default=None, validator=_non_blank)
    parent_id: str | None = attrs.field(default=None, validator=_non_blank)
    """An existing item to create this one under. Providers with ``relations.parent`` set it, in the
    create request itself where the tracker allows (saving a relation call later); others ignore it."""


@attrs.frozen(kw_only=True)
class UpdateItemInput:
    """The plan-authoritative fields to change; ``None`` leaves a field as it is."""

    title: str | None = attrs.field(default=None, validator=_non_blank)
    body: str | None = None
    item_type: PlanItemType | None = attrs.field(default=None, converter=_optional_item_type)
    labels: tuple[str, ...] | None = attrs.field(default=None, converter=_optional_labels)
    size: str | None = attrs.field(default=None, validator=_non_blank)


@attrs.frozen(kw_only=True)
class ItemSearchFilters:
    """Discovery filter: items carrying *all* ``labels`` *and* whose body contains ``body_contains``."""

    labels: tuple[str, ...] = attrs.field(default=(), converter=_labels)
    body_contains: str = attrs.field(default="", validator=attrs.validators.instance_of(str))

    def __attrs_post_init__(self) -> None:
        if not self.labels and not self.body_contains:
            raise ValueError("a search needs at least one label or a body_contains text; refusing to list everything")

    def matches(self, labels: Iterable[str], body: str) -> bool:
        """The conjunctive filter's meaning, for providers that check results locally."""
        have = {label.casefold() for label in labels}
        return all(label.casefold() in have for label in self.labels) and self.body_contains in body


def _id_set(value: Iterable[str]) -> frozenset[str]:
    # A typed converter: with the bare generic ``frozenset`` mypy cannot type the attrs __init__.
    return frozenset(value)


@attrs.frozen(kw_only=True)
class ItemRelations:
    """An item's current parent and blockers, as ids."""

    parent_id: str | None = None
    blocker_ids: frozenset[str] = attrs.field(default=frozenset(), converter=_id_set)


@attrs.frozen(kw_only=True)
class Item(ABC):
    """An item in the tracker as the provider last saw it. Relation methods act on the tracker."""

    id: str
    key: str
    url: str
    title: str
    body: str
    item_type: PlanItemType = attrs.field(converter=_item_type)
    labels: tuple[str, ...] = attrs.field(default=(), converter=_labels)

    @abstractmethod
    async def set_parent(self, parent: Item) -> None:
        """Make ``parent`` this item's parent (moving it from any other parent)."""

    @abstractmethod
    async def add_dependency(self, blocker: Item) -> None:
        """Record that this item is blocked by ``blocker``; already blocked counts as success."""

    @abstractmethod
    async def reconcile_relations(self, *, parent: Item | None, blockers: Sequence[Item]) -> None:
        """Make the tracker show exactly this parent and these blockers: add missing, remove stale."""

    @abstractmethod
    async def get_relations(self) -> ItemRelations:
        """Read the item's current parent and blockers from the tracker."""


CreateTypeStrategy = Literal["issue-type", "label"]
CREATE_TYPE_STRATEGIES: Final[tuple[str, ...]] = ("issue-type", "label")
DEFAULT_CREATE_TYPE_MAP: Final[Mapping[PlanItemType, str]] = frozen_mapping(
    {PlanItemType.EPIC: "Epic", PlanItemType.STORY: "Story", PlanItemType.TASK: "Task"}
)


def _type_map(value: Mapping[PlanItemType | str, str]) -> Mapping[PlanItemType, str]:
    converted = {_item_type(key): name for key, name in value.items()}
    missing = [t.value for t in PlanItemType if t not in converted]
    if missing:
        raise ValueError(f"create_type_map must name a type for every item type; missing {missing}")
    for key, name in converted.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"create_type_map[{key.value}] must be a non-empty name, got {name!r}")
    return frozen_mapping(converted)


@attrs.frozen(kw_only=True)
class FieldConfig:
    """How plan items map onto board fields. Status/priority/iteration are creation defaults only."""

    status: str | None = attrs.field(default="Backlog", validator=_non_blank)
    priority: str | None = attrs.field(default="P1", validator=_non_blank)
    iteration: str | None = attrs.field(default="active", validator=_non_blank)
    """An iteration title, ``"active"`` for the current one, or ``None`` to leave it unset."""
    size_field: str = attrs.field(default="Size", validator=_non_blank)
    size_from_tshirt: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))
    """Sizes are t-shirt names (XS..XXL); a number field gets the matching points."""
    create_type_strategy: CreateTypeStrategy = attrs.field(
        default="issue-type", validator=attrs.validators.in_(CREATE_TYPE_STRATEGIES)
    )
    create_type_map: Mapping[PlanItemType, str] = attrs.field(default=DEFAULT_CREATE_TYPE_MAP, converter=_type_map)


#: Points a t-shirt size becomes when the size field is a number field.
TSHIRT_POINTS: Final[Mapping[str, float]] = frozen_mapping({"XS": 1, "S": 2, "M": 3, "L": 5, "XL": 8, "XXL": 13})


class Provider(ABC):
    """An issue tracker adapter. Enter it (``async with``) before calling anything else.

    Subclasses implement :meth:`resolve_context` (look up remote state, open clients) and
    :meth:`aclose`; the base turns those into the async context manager and runs the capability
    check, so no provider can forget it. Every method must be safe under concurrent calls.
    """

    name: ClassVar[str]

    def __init__(
        self, *, required_capabilities: Iterable[str | Capability] = DISCOVERY_CAPABILITIES, read_only: bool = False
    ) -> None:
        self.required_capabilities = parse_capabilities(required_capabilities)
        self.read_only = read_only
        """Enter and read without writing anything (``check`` uses it); every write then raises."""
        self._context: ProviderContext | None = None

    @property
    def context(self) -> ProviderContext:
        """The frozen state resolved on enter."""
        if self._context is None:
            raise ProviderError(f"provider {self.name!r} is not entered; use 'async with provider:' first")
        return self._context

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self.context.capabilities

    async def __aenter__(self) -> Self:
        if self._context is not None:
            raise ProviderError(f"provider {self.name!r} is already entered")
        try:
            context = await self.resolve_context()
            check_capabilities(self.name, context.capabilities, self.required_capabilities)
        except BaseException:
            await self.aclose()
            raise
        self._context = context
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._context = None
        await self.aclose()

    def ensure_writable(self) -> None:
        """Raise ``ProviderError`` when the provider was created ``read_only``."""
        if self.read_only:
            raise ProviderError(f"provider {self.name!r} was created read_only; create it without read_only to write")

    def require(self, capability: Capability) -> None:
        """Raise ``ProviderCapabilityError`` unless the entered provider offers ``capability``."""
        check_capabilities(self.name, self.capabilities, (capability,))

    @abstractmethod
    async def resolve_context(self) -> ProviderContext:
        """Open connections and resolve remote state; called once by ``__aenter__``."""

    @abstractmethod
    async def aclose(self) -> None:
        """Release connections; must be safe to call after a failed or partial ``resolve_context``."""

    @abstractmethod
    async def search_items(self, filters: ItemSearchFilters) -> list[Item]:
        """Every item matching ``filters`` exactly once, or an error; never a silent partial list."""

    @abstractmethod
    async def create_item(self, item: CreateItemInput) -> Item:
        """Create an item and configure it fully; raises ``CreateItemPartialFailureError`` midway."""

    @abstractmethod
    async def update_item(self, item_id: str, item: UpdateItemInput) -> Item:
        """Apply the plan-authoritative fields that differ; labels are only ever added."""

    @abstractmethod
    async def get_item(self, item_id: str) -> Item:
        """The item with this id; ``ItemNotFoundError`` when there is none."""

    @abstractmethod
    async def delete_item(self, item_id: str) -> None:
        """Delete the item; ``ItemNotFoundError`` when there is none."""

    async def fetch_relations(self, items: Sequence[Item]) -> dict[str, ItemRelations]:
        """Current relations of many items, keyed by item id.

        The default asks each item in turn; providers that can read many items per request
        (GitHub: ``nodes(ids:)``) override it so a sync reads relations in batches.
        """
        return {item.id: await item.get_relations() for item in items}
