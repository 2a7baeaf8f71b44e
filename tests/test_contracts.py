"""The provider contract: validated frozen value types, the frozen context and the Provider lifecycle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import pytest

from planpilot_providers_core.capabilities import DISCOVERY_CAPABILITIES, Capability
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.context import ProviderContext, frozen_mapping
from planpilot_providers_core.contracts import (
    TSHIRT_POINTS,
    CreateItemInput,
    FieldConfig,
    Item,
    ItemRelations,
    ItemSearchFilters,
    PlanItemType,
    UpdateItemInput,
)
from planpilot_providers_core.errors import ProviderCapabilityError, ProviderError
from planpilot_providers_core.provider import Provider

# -- CreateItemInput / UpdateItemInput ------------------------------------------------------------


def test_create_item_input_converts_and_is_frozen() -> None:
    """Providers get normalised values (enum type, label tuple) that no caller can change underneath them."""
    item = CreateItemInput(title="Login", body="b", item_type="STORY", labels=["planpilot", "auth", "planpilot"])

    assert item.item_type is PlanItemType.STORY
    assert item.labels == ("planpilot", "auth")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        item.title = "other"  # type: ignore[misc]


@pytest.mark.parametrize("title", ["", "   ", "\n"])
def test_create_item_input_rejects_blank_title(title: str) -> None:
    """An untitled issue is never what the plan meant; refuse before anything is created remotely."""
    with pytest.raises(ValueError, match="title must not be blank"):
        CreateItemInput(title=title, body="", item_type=PlanItemType.TASK)


def test_create_item_input_rejects_labels_given_as_a_string() -> None:
    """``labels="bug"`` would otherwise become the labels b, u, g."""
    with pytest.raises(TypeError, match="not the string 'bug'"):
        CreateItemInput(title="t", body="", item_type="TASK", labels="bug")


def test_create_item_input_rejects_blank_label() -> None:
    """A blank label cannot be created in any tracker; say so up front."""
    with pytest.raises(ValueError, match="non-empty string"):
        CreateItemInput(title="t", body="", item_type="TASK", labels=["ok", " "])


def test_unknown_item_type_names_the_valid_ones() -> None:
    """The message tells the plan author what to write instead."""
    with pytest.raises(ValueError, match="unknown item type 'BUG'") as excinfo:
        CreateItemInput(title="t", body="", item_type="BUG")
    for valid in ("EPIC", "STORY", "TASK"):
        assert valid in str(excinfo.value)


def test_create_item_input_rejects_blank_size() -> None:
    """``size=""`` is a mistake, not "no size" (that is ``None``)."""
    assert CreateItemInput(title="t", body="", item_type="TASK").size is None
    with pytest.raises(ValueError, match="size must not be blank"):
        CreateItemInput(title="t", body="", item_type="TASK", size=" ")


def test_update_item_input_none_means_unchanged() -> None:
    """Only fields the caller sets are applied; ``labels=[]`` (add nothing) differs from ``None``."""
    unchanged = UpdateItemInput()
    assert attrs.asdict(unchanged) == dict.fromkeys(("title", "body", "item_type", "labels", "size", "fields"))

    changed = UpdateItemInput(item_type="EPIC", labels=[])
    assert changed.item_type is PlanItemType.EPIC
    assert changed.labels == ()
    assert changed.title is None


def test_update_item_input_validates_what_is_given() -> None:
    """Setting a field to a bad value is rejected just as on create."""
    with pytest.raises(ValueError, match="title must not be blank"):
        UpdateItemInput(title="")
    with pytest.raises(TypeError, match="not the string"):
        UpdateItemInput(labels="bug")
    with pytest.raises(ValueError, match="EPIC, STORY, TASK"):
        UpdateItemInput(item_type="feature")


# -- ItemSearchFilters ---------------------------------------------------------------------------------


def test_search_filters_need_a_label_or_text() -> None:
    """An empty filter would list the whole tracker; that is never discovery."""
    with pytest.raises(ValueError, match="at least one label or a body_contains"):
        ItemSearchFilters(labels=[], body_contains="")
    assert ItemSearchFilters(labels=["planpilot"]).body_contains == ""
    assert ItemSearchFilters(body_contains="PLAN_ID:abc").labels == ()


def test_search_filters_reject_a_label_string() -> None:
    """Same trap as on create: a string is not a list of labels."""
    with pytest.raises(TypeError):
        ItemSearchFilters(labels="planpilot")


def test_search_filters_match_all_labels_and_the_text() -> None:
    """Discovery is conjunctive: every label (case-insensitively) and the body text."""
    filters = ItemSearchFilters(labels=["PlanPilot", "epic"], body_contains="PLAN_ID:abc")
    body = "intro\nPLAN_ID:abc\n"

    assert filters.matches(["planpilot", "EPIC", "other"], body)
    assert not filters.matches(["planpilot"], body)
    assert not filters.matches(["planpilot", "epic"], "PLAN_ID:xyz")
    assert not filters.matches([], body)


# -- FieldConfig -------------------------------------------------------------------------------------------


def test_field_config_default_type_map_covers_every_item_type() -> None:
    """Whatever the defaults, creating any item type must find a type name."""
    assert set(FieldConfig().create_type_map) == set(PlanItemType)


def test_field_config_rejects_unknown_strategy() -> None:
    """A misspelt strategy must fail at configuration time, not midway through a sync."""
    with pytest.raises(ValueError, match="create_type_strategy"):
        FieldConfig(create_type_strategy="labels")  # type: ignore[arg-type]


def test_field_config_requires_a_complete_type_map() -> None:
    """A missing type would only surface when the first item of that type is created."""
    with pytest.raises(ValueError, match=r"missing \['TASK'\]"):
        FieldConfig(create_type_map={"EPIC": "Epic", "STORY": "Story"})


def test_field_config_type_map_keys_are_item_types() -> None:
    """Keys given as strings are converted, and unknown ones are named."""
    config = FieldConfig(create_type_map={"EPIC": "Initiative", "STORY": "Feature", "TASK": "Chore"})
    assert config.create_type_map[PlanItemType.STORY] == "Feature"
    with pytest.raises(ValueError, match="EPIC, STORY, TASK"):
        FieldConfig(create_type_map={"EPIC": "E", "STORY": "S", "TASK": "T", "BUG": "B"})


@pytest.mark.parametrize(
    "kwargs",
    [
        {"status": ""},
        {"priority": "  "},
        {"iteration": ""},
        {"size_field": ""},
        {"create_type_map": {"EPIC": "Epic", "STORY": " ", "TASK": "Task"}},
    ],
)
def test_field_config_rejects_blank_values(kwargs: dict[str, object]) -> None:
    """Blank names match no board field or option; ``None`` is how to leave one unset."""
    with pytest.raises(ValueError, match="must"):
        FieldConfig(**kwargs)  # type: ignore[arg-type]


def test_field_config_none_leaves_creation_defaults_unset() -> None:
    """Status, priority and iteration are optional creation defaults."""
    config = FieldConfig(status=None, priority=None, iteration=None)
    assert (config.status, config.priority, config.iteration) == (None, None, None)


def test_field_config_rejects_non_bool_tshirt_flag() -> None:
    """``"false"`` is truthy; accepting it would silently do the opposite."""
    with pytest.raises(TypeError):
        FieldConfig(size_from_tshirt="false")  # type: ignore[arg-type]


def test_mappings_in_frozen_objects_are_read_only_copies() -> None:
    """Frozen must mean deep enough: neither the object nor the caller's dict can change the mapping."""
    source = {"EPIC": "Epic", "STORY": "Story", "TASK": "Task"}
    config = FieldConfig(create_type_map=source)
    source["EPIC"] = "Changed"

    assert config.create_type_map[PlanItemType.EPIC] == "Epic"
    with pytest.raises(TypeError):
        config.create_type_map[PlanItemType.EPIC] = "X"  # type: ignore[index]
    with pytest.raises(TypeError):
        TSHIRT_POINTS["XS"] = 0  # type: ignore[index]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        config.status = "Done"  # type: ignore[misc]


# -- ProviderContext ----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class _Context(ProviderContext):
    field_ids: Mapping[str, str] = attrs.field(converter=frozen_mapping)


def test_provider_context_fields_cannot_be_reassigned() -> None:
    """Concurrent calls read the context without locks; that is only safe if nothing can change it."""
    ids = {"Status": "F1"}
    context = _Context(provider="x", capabilities=["discovery.labels"], field_ids=ids)
    ids["Status"] = "changed"

    assert context.capabilities == {Capability.DISCOVERY_BY_LABELS}
    assert context.field_ids == {"Status": "F1"}
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        context.capabilities = frozenset()  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        context.provider = "y"  # type: ignore[misc]
    with pytest.raises(TypeError):
        context.field_ids["Status"] = "F2"  # type: ignore[index]


def test_provider_context_rejects_unknown_capability() -> None:
    """A provider resolving a capability nobody checks for is a bug in that provider."""
    with pytest.raises(ValueError, match=r"unknown capability 'discovery\.magic'"):
        ProviderContext(provider="x", capabilities=["discovery.magic"])


# -- Item / Provider lifecycle ------------------------------------------------------------


@attrs.frozen(kw_only=True)
class _Item(Item):
    relations: ItemRelations = attrs.field(factory=ItemRelations)

    async def set_parent(self, parent: Item) -> None:
        raise NotImplementedError

    async def add_dependency(self, blocker: Item) -> None:
        raise NotImplementedError

    async def reconcile_relations(self, *, parent: Item | None, blockers: Sequence[Item]) -> None:
        raise NotImplementedError

    async def get_relations(self) -> ItemRelations:
        return self.relations


def _item(item_id: str, relations: ItemRelations | None = None) -> _Item:
    return _Item(
        id=item_id,
        key=f"K-{item_id}",
        url=f"https://tracker.test/{item_id}",
        title="t",
        body="",
        item_type="TASK",
        relations=relations or ItemRelations(),
    )


class _Provider(Provider[ProviderContext]):
    def __init__(
        self,
        *,
        capabilities: frozenset[Capability] = DISCOVERY_CAPABILITIES,
        fail_resolve: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(ProviderConfig.from_keywords("fake", target="t", **kwargs))
        self.offered = capabilities
        self.fail_resolve = fail_resolve
        self.events: list[str] = []

    async def resolve_context(self) -> ProviderContext:
        self.events.append("resolve")
        if self.fail_resolve:
            raise ConnectionError("tracker unreachable")
        return ProviderContext(provider=self.name, capabilities=self.offered)

    async def aclose(self) -> None:
        self.events.append("aclose")

    async def search_items(self, filters: ItemSearchFilters) -> list[Item]:
        raise NotImplementedError

    async def create_item(self, item: CreateItemInput) -> Item:
        raise NotImplementedError

    async def update_item(self, item_id: str, item: UpdateItemInput) -> Item:
        raise NotImplementedError

    async def get_item(self, item_id: str) -> Item:
        raise NotImplementedError

    async def delete_item(self, item_id: str) -> None:
        raise NotImplementedError


async def test_enter_resolves_context_and_exit_closes() -> None:
    """``async with`` is the whole lifecycle: resolved state inside, connections released after."""
    provider = _Provider()

    async with provider as entered:
        assert entered is provider
        assert provider.events == ["resolve"]
        assert provider.context.provider == "fake"
        assert provider.capabilities == DISCOVERY_CAPABILITIES

    assert provider.events == ["resolve", "aclose"]
    with pytest.raises(ProviderError, match="not entered"):
        _ = provider.context


async def test_context_before_enter_raises_provider_error() -> None:
    """Calling a provider before entering it must fail clearly, not with ``None`` attribute errors."""
    with pytest.raises(ProviderError, match="async with"):
        _ = _Provider().context


async def test_enter_fails_capability_check_and_closes() -> None:
    """The check runs on what was resolved; a provider that falls short fails in ``__aenter__``."""
    provider = _Provider(capabilities=frozenset({Capability.DISCOVERY_BY_LABELS, Capability.DISCOVERY_COMPLETE}))

    with pytest.raises(ProviderCapabilityError) as excinfo:
        await provider.__aenter__()

    assert excinfo.value.capability == Capability.DISCOVERY_BY_BODY_TEXT
    assert provider.events == ["resolve", "aclose"]
    with pytest.raises(ProviderError):
        _ = provider.context


async def test_required_capabilities_are_what_enter_checks() -> None:
    """A caller that needs less (or more) than discovery gets exactly that check."""
    lean = _Provider(capabilities=frozenset(), required_capabilities=())
    async with lean:
        assert lean.capabilities == frozenset()

    demanding = _Provider(required_capabilities=[*DISCOVERY_CAPABILITIES, "items.delete"])
    with pytest.raises(ProviderCapabilityError, match=r"items\.delete"):
        await demanding.__aenter__()
    assert demanding.events == ["resolve", "aclose"]


async def test_enter_closes_when_resolve_fails() -> None:
    """A half-opened client must be released even though ``__aexit__`` will never run."""
    provider = _Provider(fail_resolve=True)

    with pytest.raises(ConnectionError):
        await provider.__aenter__()
    assert provider.events == ["resolve", "aclose"]


async def test_entering_twice_raises() -> None:
    """A second enter would leak the first connection and replace a context others are reading."""
    provider = _Provider()
    async with provider:
        with pytest.raises(ProviderError, match="already entered"):
            await provider.__aenter__()
        assert provider.events == ["resolve"]
        assert provider.context.provider == "fake"


async def test_exit_closes_even_on_error() -> None:
    """Leaving the block by an exception still releases connections."""
    provider = _Provider()
    with pytest.raises(RuntimeError):
        async with provider:
            raise RuntimeError("boom")
    assert provider.events == ["resolve", "aclose"]


async def test_require_checks_one_capability() -> None:
    """Optional operations (delete, relations) ask the entered provider before acting."""
    async with _Provider() as provider:
        provider.require(Capability.DISCOVERY_COMPLETE)
        with pytest.raises(ProviderCapabilityError) as excinfo:
            provider.require(Capability.ITEM_DELETE)
    assert excinfo.value.capability == Capability.ITEM_DELETE


async def test_fetch_relations_default_asks_every_item() -> None:
    """Providers without a batch read still answer for every item, keyed by id."""
    parent = _item("1")
    child = _item("2", ItemRelations(parent_id="1", blocker_ids=["3"]))

    async with _Provider() as provider:
        relations = await provider.fetch_relations([parent, child])
        assert await provider.fetch_relations([]) == {}

    assert relations == {
        "1": ItemRelations(),
        "2": ItemRelations(parent_id="1", blocker_ids=("3",)),
    }


def test_item_is_frozen_and_validated() -> None:
    """Items are snapshots: what the provider saw, normalised, not something a caller edits."""
    item = _item("1")
    assert item.item_type is PlanItemType.TASK
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        item.title = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        _Item(id="1", key="k", url="u", title="t", body="", item_type="TASK", labels="planpilot")


def test_assigning_an_attribute_of_an_item_subclass_says_what_to_do_instead() -> None:
    """Both mistakes: assigning in ``__attrs_post_init__`` (construction) and assigning afterwards."""

    @attrs.frozen(kw_only=True)
    class AssignsWhenMade(_Item):
        def __attrs_post_init__(self) -> None:
            self.provider = object()  # type: ignore[attr-defined]  # the mistake under test

    @attrs.frozen(kw_only=True)
    class Made(_Item):
        pass

    fields = {"id": "1", "key": "K-1", "url": "u", "title": "t", "body": "b", "item_type": "TASK"}
    with pytest.raises(attrs.exceptions.FrozenInstanceError, match=r"declare it as a field of AssignsWhenMade"):
        AssignsWhenMade(**fields)
    made = Made(**fields)
    with pytest.raises(AttributeError, match=r"Made assigned its attribute 'provider'.*attrs\.evolve\(item, provider"):
        made.provider = object()  # type: ignore[attr-defined]
    assert attrs.evolve(made, title="t2").title == "t2"
