"""The contract's value types: plan item types, create/update inputs, search filters, ``Item``, ``FieldConfig``.

The ``Provider`` ABC that uses them lives in :mod:`planpilot_providers_core.provider`.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal

import attrs

from planpilot_providers_core.context import frozen_mapping


class PlanItemType(enum.StrEnum):
    """The three levels of a plan."""

    EPIC = "EPIC"
    STORY = "STORY"
    TASK = "TASK"


def merge_labels(*groups: Iterable[str]) -> tuple[str, ...]:
    """Labels in first-seen order, one per case-insensitive name (trackers compare labels that way)."""
    merged: dict[str, str] = {}
    for group in groups:
        for label in group:
            merged.setdefault(label.casefold(), label)
    return tuple(merged.values())


def _labels(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError(f"labels must be a sequence of strings, not the string {value!r}")
    labels = tuple(value)
    for label in labels:
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"every label must be a non-empty string, got {label!r}")
    return merge_labels(labels)


def _optional_labels(value: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if value is None else _labels(value)


def to_item_type(value: PlanItemType | str) -> PlanItemType:
    """``value`` as a ``PlanItemType``; ``ValueError`` naming the three types otherwise."""
    try:
        return PlanItemType(value)
    except ValueError:
        raise ValueError(f"unknown item type {value!r}; use one of EPIC, STORY, TASK") from None


def _optional_item_type(value: PlanItemType | str | None) -> PlanItemType | None:
    return None if value is None else to_item_type(value)


def non_blank(_: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    """attrs validator: a string with something other than whitespace in it (``None`` passes)."""
    if value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{attribute.name} must not be blank")


def field_values(value: Mapping[str, str]) -> Mapping[str, str]:
    """Board field name -> value, both non-blank strings, kept read-only."""
    for name, text in value.items():
        if not isinstance(name, str) or not name.strip() or not isinstance(text, str):
            raise ValueError(f"fields must map field names to string values, got {name!r}: {text!r}")
    return frozen_mapping(value)


def field_value(fields: Mapping[str, str | None], name: str) -> tuple[bool, str | None]:
    """``(read, value)`` of a board field by name, compared as trackers compare names (ignoring case)."""
    wanted = name.casefold()
    for key, value in fields.items():
        if key.casefold() == wanted:
            return True, value
    return False, None


@attrs.frozen(kw_only=True)
class CreateItemInput:
    """Everything needed to create one plan item; the body already carries the metadata block."""

    title: str = attrs.field(validator=[attrs.validators.instance_of(str), non_blank])
    body: str = attrs.field(validator=attrs.validators.instance_of(str))
    item_type: PlanItemType = attrs.field(converter=to_item_type)
    labels: tuple[str, ...] = attrs.field(default=(), converter=_labels)
    size: str | None = attrs.field(default=None, validator=non_blank)
    parent_id: str | None = attrs.field(default=None, validator=non_blank)
    """An existing item to create this one under. Providers with ``relations.parent`` set it, in the
    create request itself where the tracker allows (saving a relation call later); others ignore it."""
    fields: Mapping[str, str] = attrs.field(factory=dict, converter=field_values)
    """The item's own board field values (``{"Status": "Todo"}``), applied over the provider's creation
    defaults; checked with ``Provider.field_problems`` before any write."""


@attrs.frozen(kw_only=True)
class UpdateItemInput:
    """The plan-authoritative fields to change; ``None`` leaves a field as it is."""

    title: str | None = attrs.field(default=None, validator=non_blank)
    body: str | None = None
    item_type: PlanItemType | None = attrs.field(default=None, converter=_optional_item_type)
    labels: tuple[str, ...] | None = attrs.field(default=None, converter=_optional_labels)
    size: str | None = attrs.field(default=None, validator=non_blank)
    fields: Mapping[str, str] | None = attrs.field(default=None, converter=attrs.converters.optional(field_values))
    """Board field values the plan declares for the item: each is set unless it already holds that value
    (even Status and the like, which are otherwise creation defaults only)."""


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


def _ids(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError(f"blocker_ids must be a collection of ids, not the string {value!r}")
    return tuple(value)


@attrs.frozen(kw_only=True)
class ItemRelations:
    """An item's current parent and blockers, as ids, as the tracker shows them.

    ``blocker_ids`` keeps the tracker's list as read, duplicates included, so that a provider which
    links the same blocker twice shows it (the conformance suite checks it never does); compare
    sets with :attr:`blockers`.
    """

    parent_id: str | None = None
    blocker_ids: tuple[str, ...] = attrs.field(default=(), converter=_ids)

    @property
    def blockers(self) -> frozenset[str]:
        """The blocker ids as a set."""
        return frozenset(self.blocker_ids)


class FrozenItemError(attrs.exceptions.FrozenInstanceError):
    """Assigning an attribute of an ``Item``: says how to give an item what it needs instead."""

    def __init__(self, message: str) -> None:
        AttributeError.__init__(self, message)  # attrs' FrozenError takes no message
        self.args = (message,)

    def __str__(self) -> str:
        return str(self.args[0])


def _explain(cls: type, name: str) -> str:
    return (
        f"{cls.__name__} assigned its attribute {name!r}, but an Item is a frozen attrs class: declare it as a "
        f"field of {cls.__name__} (`{name}: MyRelations = attrs.field(eq=False, repr=False)`) and pass it when "
        f"creating the item, or make a changed copy with attrs.evolve(item, {name}=...)"
    )


def _frozen_item_setattr(self: object, name: str, value: object) -> None:
    raise FrozenItemError(_explain(type(self), name))


def _is_attrs_frozen_setattr(value: object) -> bool:
    return getattr(value, "__module__", "").startswith("attr") and getattr(value, "__name__", "") == "_frozen_setattrs"


class _ItemMeta(abc.ABCMeta):
    """Explains the one mistake everybody makes when subclassing a frozen attrs class: assigning an attribute,
    in ``__init__``, in ``__attrs_post_init__`` or afterwards."""

    def __init__(cls, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(name, bases, namespace, **kwargs)
        if _is_attrs_frozen_setattr(namespace.get("__setattr__")):  # a slotted attrs class, rebuilt by attrs
            type.__setattr__(cls, "__setattr__", _frozen_item_setattr)

    def __setattr__(cls, name: str, value: Any) -> None:
        if name == "__setattr__" and _is_attrs_frozen_setattr(value):  # attrs patching a class without slots
            value = _frozen_item_setattr
        super().__setattr__(name, value)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except FrozenItemError:
            raise
        except attrs.exceptions.FrozenInstanceError:
            if "__attrs_attrs__" in cls.__dict__:
                raise
            raise TypeError(
                f"{cls.__name__} assigned an attribute, but an Item is a frozen attrs class: decorate "
                f"{cls.__name__} with @attrs.frozen(kw_only=True) and declare each extra attribute as a "
                "field, e.g. `relations: MyRelations = attrs.field(eq=False, repr=False)` for what the "
                "relation methods need"
            ) from None


@attrs.frozen(kw_only=True)
class Item(metaclass=_ItemMeta):
    """An item in the tracker as the provider last saw it. Relation methods act on the tracker.

    Subclass it as a frozen attrs class, and give it what its relation methods need as a field that
    takes no part in equality. Prefer a small relations object to the provider itself: an item
    outlives the call that made it, and a back-reference invites calls into private methods::

        @attrs.frozen(kw_only=True)
        class LinearItem(Item):
            relations: LinearRelations = attrs.field(eq=False, repr=False)

            async def set_parent(self, parent: Item) -> None:
                await self.relations.set_parent(self.id, parent.id)
    """

    id: str
    key: str
    url: str
    title: str
    body: str
    item_type: PlanItemType = attrs.field(converter=to_item_type)
    labels: tuple[str, ...] = attrs.field(default=(), converter=_labels)
    size: str | None = None
    """The size the tracker shows, as the plan writes it (a t-shirt size); ``None`` when unset or not read."""
    fields: Mapping[str, str | None] = attrs.field(factory=dict, converter=frozen_mapping, hash=False)
    """Board field values the provider read with the item (name -> value, ``None`` when empty). A field
    not in here was not read: a sync then asks ``update_item`` to compare and set it."""
    complete: bool = True
    """``False`` when the tracker shows this item half-configured: a create that stopped midway left it
    off the board, without its type, or with creation defaults unset. A sync then calls ``update_item``
    on it even when every plan field matches, and ``update_item`` finishes it."""

    @abc.abstractmethod
    async def set_parent(self, parent: Item) -> None:
        """Make ``parent`` this item's parent (moving it from any other parent)."""

    @abc.abstractmethod
    async def add_dependency(self, blocker: Item) -> None:
        """Record that this item is blocked by ``blocker``; already blocked counts as success."""

    @abc.abstractmethod
    async def reconcile_relations(self, *, parent: Item | None, blockers: Sequence[Item]) -> None:
        """Make the tracker show exactly this parent and these blockers: add missing, remove stale."""

    @abc.abstractmethod
    async def get_relations(self) -> ItemRelations:
        """Read the item's current parent and blockers from the tracker."""


def _limit(_: object, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"ItemLimits.{attribute.name} must be a positive int or None, got {value!r}")


@attrs.frozen(kw_only=True)
class ItemLimits:
    """The longest title and body a tracker accepts, in characters; ``None``: no limit known.

    A provider declares them (``Provider.item_limits``) so that a plan breaking them is refused
    before anything is written, instead of failing item by item half-way through a sync.
    """

    title: int | None = attrs.field(default=None, validator=_limit)
    body: int | None = attrs.field(default=None, validator=_limit)


@attrs.frozen(kw_only=True)
class Workload:
    """Work a sync still has to do, in provider calls, for an estimate of how long it takes."""

    creates: int = 0
    updates: int = 0
    relation_writes: int = 0
    """Relation links and unlinks (a parent, a blocker)."""
    reads: int = 0


@attrs.frozen(kw_only=True)
class Estimate:
    """How long some work takes at the tracker's pace, and the budget that sets it (``None``: none does)."""

    seconds: float
    binding: str | None = None
    units: Mapping[str, float] = attrs.field(factory=dict, converter=frozen_mapping)
    """Budget units the work costs, per budget (e.g. ``{"content per hour": 43}``)."""


def _item_tuple(value: Iterable[Item]) -> tuple[Item, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class RelationChange:
    """One item's wanted relations, for a batched ``reconcile_relations``."""

    item: Item
    parent: Item | None
    blockers: tuple[Item, ...] = attrs.field(converter=_item_tuple)

    @property
    def wanted(self) -> ItemRelations:
        """The relations asked for, as ids: what the tracker shows once they hold."""
        return ItemRelations(
            parent_id=None if self.parent is None else self.parent.id, blocker_ids=[b.id for b in self.blockers]
        )


CreateTypeStrategy = Literal["issue-type", "label"]
CREATE_TYPE_STRATEGIES: Final[tuple[str, ...]] = ("issue-type", "label")
DEFAULT_CREATE_TYPE_MAP: Final[Mapping[PlanItemType, str]] = frozen_mapping(
    {PlanItemType.EPIC: "Epic", PlanItemType.STORY: "Story", PlanItemType.TASK: "Task"}
)


def _type_map(value: Mapping[PlanItemType | str, str]) -> Mapping[PlanItemType, str]:
    converted = {to_item_type(key): name for key, name in value.items()}
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

    status: str | None = attrs.field(default="Backlog", validator=non_blank)
    priority: str | None = attrs.field(default="P1", validator=non_blank)
    iteration: str | None = attrs.field(default="active", validator=non_blank)
    """An iteration title, ``"active"`` for the current one, or ``None`` to leave it unset."""
    size_field: str = attrs.field(default="Size", validator=non_blank)
    size_from_tshirt: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))
    """Sizes are t-shirt names (XS..XXL); a number field gets the matching points."""
    create_type_strategy: CreateTypeStrategy = attrs.field(
        default="issue-type", validator=attrs.validators.in_(CREATE_TYPE_STRATEGIES)
    )
    create_type_map: Mapping[PlanItemType, str] = attrs.field(default=DEFAULT_CREATE_TYPE_MAP, converter=_type_map)


#: Points a t-shirt size becomes when the size field is a number field.
TSHIRT_POINTS: Final[Mapping[str, float]] = frozen_mapping({"XS": 1, "S": 2, "M": 3, "L": 5, "XL": 8, "XXL": 13})
