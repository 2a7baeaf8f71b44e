"""Behaviour of the dry-run provider beyond the shared contract: placeholders, labels, log, relations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import attrs
import pytest

from planpilot_provider_dry_run.provider import (
    DryRunContext,
    DryRunItem,
    DryRunProvider,
    Operation,
    OperationKind,
)
from planpilot_providers_core.capabilities import Capability
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.contracts import (
    CreateItemInput,
    FieldConfig,
    ItemRelations,
    ItemSearchFilters,
    PlanItemType,
    UpdateItemInput,
)
from planpilot_providers_core.errors import (
    ItemNotFoundError,
    ProviderCapabilityError,
    ProviderConfigError,
    ProviderError,
)

TARGET = "acme/roadmap"


def task(title: str, *labels: str, body: str = "body", item_type: PlanItemType = PlanItemType.TASK) -> CreateItemInput:
    return CreateItemInput(title=title, body=body, item_type=item_type, labels=labels)


@pytest.fixture
async def provider() -> AsyncIterator[DryRunProvider]:
    async with DryRunProvider(ProviderConfig.from_keywords("dry-run", target=TARGET)) as entered:
        yield entered


def kinds(provider: DryRunProvider) -> list[tuple[str, str]]:
    return [(op.kind.value, op.key) for op in provider.operations]


# -- construction ----------------------------------------------------------------------------------


def test_unknown_keyword_arguments_are_named() -> None:
    with pytest.raises(
        ProviderConfigError, match=r"does not accept option\(s\) colour, page_size; it takes no options"
    ):
        DryRunProvider(ProviderConfig.from_keywords("dry-run", target=TARGET, page_size=5, colour="red"))


@pytest.mark.parametrize("field", ["target", "label"])
def test_blank_target_or_label_is_refused(field: str) -> None:
    arguments = {"target": TARGET, "label": "planpilot", field: "  "}
    with pytest.raises(ValueError, match=f"{field} must not be blank"):
        DryRunProvider(ProviderConfig.from_keywords("dry-run", target=arguments["target"], label=arguments["label"]))


def test_field_config_must_be_a_field_config() -> None:
    with pytest.raises(ProviderConfigError, match="field_config must be a FieldConfig"):
        DryRunProvider(ProviderConfig.from_keywords("dry-run", target=TARGET, field_config={"status": "Todo"}))  # type: ignore[arg-type]


async def test_token_is_never_kept_or_shown() -> None:
    secret = "ghp_dry-run-secret-token"
    provider = DryRunProvider(ProviderConfig.from_keywords("dry-run", target=TARGET, token=secret))
    async with provider:
        item = await provider.create_item(task("one"))
        await provider.update_item(item.id, UpdateItemInput(title="two"))
        shown = [repr(provider), repr(provider.context), repr(item), *provider.recorded_changes()]
        kept = [repr(value) for value in vars(provider).values()]
    assert not [text for text in shown + kept if secret in text]


async def test_methods_before_enter_raise_provider_error() -> None:
    provider = DryRunProvider(ProviderConfig.from_keywords("dry-run", target=TARGET))
    with pytest.raises(ProviderError, match="not entered"):
        await provider.search_items(ItemSearchFilters(labels=("planpilot",)))
    with pytest.raises(ProviderError, match="not entered"):
        await provider.create_item(task("one"))


# -- context and capabilities ----------------------------------------------------------------------


async def test_context_holds_settings_and_capabilities() -> None:
    config = FieldConfig(create_type_map={"EPIC": "kind:epic", "STORY": "kind:story", "TASK": "kind:task"})
    async with DryRunProvider(
        ProviderConfig.from_keywords(
            "dry-run", target=TARGET, board_url="https://tracker.example/board/1", label="pp", field_config=config
        )
    ) as p:
        context = p.context
    assert isinstance(context, DryRunContext)
    assert (context.provider, context.target, context.board_url, context.label) == (
        "dry-run",
        TARGET,
        "https://tracker.example/board/1",
        "pp",
    )
    assert dict(context.type_labels) == {
        PlanItemType.EPIC: "kind:epic",
        PlanItemType.STORY: "kind:story",
        PlanItemType.TASK: "kind:task",
    }
    assert context.capabilities == {
        Capability.DISCOVERY_BY_LABELS,
        Capability.DISCOVERY_BY_BODY_TEXT,
        Capability.DISCOVERY_COMPLETE,
        Capability.RELATION_PARENT,
        Capability.RELATION_BLOCKED_BY,
        Capability.ITEM_TYPES_LABEL,
        Capability.PROJECT_FIELDS,
        Capability.ITEM_DELETE,
        Capability.ITEM_CLOSE_DUPLICATE,
    }


async def test_requiring_a_capability_it_lacks_fails_on_enter() -> None:
    provider = DryRunProvider(
        ProviderConfig.from_keywords(
            "dry-run", target=TARGET, required_capabilities={"discovery.labels", "types.native"}
        )
    )
    with pytest.raises(ProviderCapabilityError, match=r"types\.native") as failure:
        await provider.__aenter__()
    assert failure.value.missing == ("types.native",)


# -- create, search, get -----------------------------------------------------------------------------


async def test_ids_keys_and_urls_follow_creation_order(provider: DryRunProvider) -> None:
    items = [await provider.create_item(task(f"t{n}")) for n in (1, 2, 3)]
    assert [(i.id, i.key, i.url) for i in items] == [
        (f"dry-run-{n}", f"DRY-{n}", f"dry-run://{TARGET}/items/{n}") for n in (1, 2, 3)
    ]


async def test_same_plan_gives_same_placeholders_on_a_fresh_provider() -> None:
    async def run() -> list[DryRunItem]:
        async with DryRunProvider(ProviderConfig.from_keywords("dry-run", target=TARGET)) as p:
            return [await p.create_item(task(f"t{n}", "x", item_type=PlanItemType.STORY)) for n in range(3)]

    first, second = await run(), await run()
    assert first == second  # equality ignores the back-reference to the provider
    assert first[0].relations is not second[0].relations


async def test_concurrent_creates_take_each_number_once(provider: DryRunProvider) -> None:
    items = await asyncio.gather(*(provider.create_item(task(f"t{n}")) for n in range(100)))
    assert sorted(int(item.id.removeprefix("dry-run-")) for item in items) == list(range(1, 101))
    assert len({item.key for item in items}) == 100
    assert len(provider.operations) == 100


async def test_create_adds_discovery_and_type_labels(provider: DryRunProvider) -> None:
    epic = await provider.create_item(task("epic", "team-a", item_type=PlanItemType.EPIC))
    assert epic.labels == ("team-a", "planpilot", "Epic")
    # Labels compare case-insensitively, as in trackers: no second "planpilot".
    story = await provider.create_item(task("story", "PlanPilot", item_type=PlanItemType.STORY))
    assert story.labels == ("PlanPilot", "Story")


async def test_type_label_comes_from_field_config_whatever_the_strategy() -> None:
    config = FieldConfig(
        create_type_strategy="issue-type",
        create_type_map={"EPIC": "type/epic", "STORY": "type/story", "TASK": "type/task"},
    )
    async with DryRunProvider(
        ProviderConfig.from_keywords("dry-run", target=TARGET, label="sync", field_config=config)
    ) as p:
        item = await p.create_item(task("t", item_type=PlanItemType.STORY))
    assert item.labels == ("sync", "type/story")


async def test_create_keeps_every_input_field(provider: DryRunProvider) -> None:
    request = CreateItemInput(title="T", body="B", item_type="STORY", labels=("l",), size="M")
    item = await provider.create_item(request)
    assert (item.title, item.body, item.item_type, item.size) == ("T", "B", PlanItemType.STORY, "M")


async def test_search_is_conjunctive_case_insensitive_and_in_creation_order(provider: DryRunProvider) -> None:
    a = await provider.create_item(task("a", "red", body="marker-1"))
    await provider.create_item(task("b", "red", body="other"))
    await provider.create_item(task("c", "blue", body="marker-1"))
    d = await provider.create_item(task("d", "RED", "blue", body="xx marker-1 xx"))
    assert await provider.search_items(ItemSearchFilters(labels=("red",), body_contains="marker-1")) == [a, d]
    assert await provider.search_items(ItemSearchFilters(labels=("red", "Blue"))) == [d]


async def test_get_and_delete_of_unknown_ids_raise_item_not_found(provider: DryRunProvider) -> None:
    with pytest.raises(ItemNotFoundError, match="'dry-run-9' does not exist in 'acme/roadmap'"):
        await provider.get_item("dry-run-9")
    with pytest.raises(ItemNotFoundError):
        await provider.delete_item("dry-run-9")
    with pytest.raises(ItemNotFoundError):
        await provider.update_item("dry-run-9", UpdateItemInput(title="x"))
    assert provider.operations == ()


# -- update --------------------------------------------------------------------------------------


async def test_update_applies_only_given_fields_and_keeps_snapshots(provider: DryRunProvider) -> None:
    created = await provider.create_item(task("old", "keep", body="body"))
    updated = await provider.update_item(created.id, UpdateItemInput(title="new", size="L"))
    assert (updated.title, updated.body, updated.size, updated.labels) == ("new", "body", "L", created.labels)
    assert created.title == "old", "a returned item is a snapshot"
    assert await provider.get_item(created.id) == updated
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        updated.title = "mutated"  # type: ignore[misc]
    assert provider.operations[-1] == Operation(kind="update", key="DRY-1", detail="title, size")


async def test_update_labels_are_additive_and_logged(provider: DryRunProvider) -> None:
    created = await provider.create_item(task("t", "keep-me"))
    updated = await provider.update_item(created.id, UpdateItemInput(labels=("added", "KEEP-ME")))
    assert updated.labels == ("keep-me", "planpilot", "Task", "added")
    assert provider.operations[-1].detail == "labels +['added']"


async def test_changing_the_type_adds_the_new_type_label_and_removes_none(provider: DryRunProvider) -> None:
    created = await provider.create_item(task("t"))
    updated = await provider.update_item(created.id, UpdateItemInput(item_type=PlanItemType.STORY))
    assert updated.item_type is PlanItemType.STORY
    assert updated.labels == ("planpilot", "Story"), "a type change swaps the type label, as GitHub does"
    assert provider.operations[-1].detail == "item_type, labels +['Story'] -['Task']"


async def test_update_that_changes_nothing_records_nothing(provider: DryRunProvider) -> None:
    created = await provider.create_item(task("t", "x", body="b"))
    before = provider.operations
    same = UpdateItemInput(title="t", body="b", item_type="TASK", labels=("x", "Task"))
    assert await provider.update_item(created.id, same) == created
    assert await provider.update_item(created.id, UpdateItemInput()) == created
    assert provider.operations == before


# -- delete --------------------------------------------------------------------------------------


async def test_delete_removes_the_item_and_links_to_it(provider: DryRunProvider) -> None:
    parent, child, blocker = [await provider.create_item(task(n)) for n in ("p", "c", "b")]
    await child.set_parent(parent)
    await child.add_dependency(blocker)
    await blocker.set_parent(parent)
    await provider.delete_item(parent.id)
    await provider.delete_item(blocker.id)
    assert await child.get_relations() == ItemRelations()
    with pytest.raises(ItemNotFoundError):
        await provider.get_item(parent.id)
    with pytest.raises(ItemNotFoundError):
        await blocker.get_relations()
    assert provider.operations[-2:] == (
        Operation(kind="delete", key="DRY-1", detail="'p'"),
        Operation(kind="delete", key="DRY-3", detail="'b'"),
    )


# -- relations -----------------------------------------------------------------------------------


async def test_set_parent_moves_and_add_dependency_is_idempotent(provider: DryRunProvider) -> None:
    first, second, child, blocker = [await provider.create_item(task(n)) for n in ("p1", "p2", "c", "b")]
    await child.set_parent(first)
    await child.set_parent(first)
    await child.set_parent(second)
    await child.add_dependency(blocker)
    await child.add_dependency(blocker)
    assert await child.get_relations() == ItemRelations(parent_id=second.id, blocker_ids=[blocker.id])
    assert [(op.kind, op.key, op.detail) for op in provider.operations[4:]] == [
        ("set_parent", "DRY-3", "parent DRY-1"),
        ("set_parent", "DRY-3", "parent DRY-2 (was DRY-1)"),
        ("add_dependency", "DRY-3", "blocked by DRY-4"),
    ]


async def test_reconcile_adds_missing_removes_stale_and_repeats_silently(provider: DryRunProvider) -> None:
    first, second, child, b1, b2, b3 = [
        await provider.create_item(task(n)) for n in ("p1", "p2", "c", "b1", "b2", "b3")
    ]
    await child.reconcile_relations(parent=first, blockers=[b1, b2])
    await child.reconcile_relations(parent=second, blockers=[b2, b3])
    logged = len(provider.operations)
    await child.reconcile_relations(parent=second, blockers=[b3, b2])
    assert len(provider.operations) == logged, "an idempotent reconcile must record nothing"
    assert await child.get_relations() == ItemRelations(parent_id=second.id, blocker_ids=[b2.id, b3.id])
    await child.reconcile_relations(parent=None, blockers=[])
    assert await child.get_relations() == ItemRelations()
    assert [(op.kind, op.detail) for op in provider.operations[6:]] == [
        ("set_parent", "parent DRY-1"),
        ("add_dependency", "blocked by DRY-4"),
        ("add_dependency", "blocked by DRY-5"),
        ("set_parent", "parent DRY-2 (was DRY-1)"),
        ("add_dependency", "blocked by DRY-6"),
        ("remove_dependency", "no longer blocked by DRY-4"),
        ("remove_parent", "was DRY-2"),
        ("remove_dependency", "no longer blocked by DRY-5"),
        ("remove_dependency", "no longer blocked by DRY-6"),
    ]


async def test_relations_refuse_cycles_self_blocks_and_unknown_items(provider: DryRunProvider) -> None:
    epic, story, blocker = [await provider.create_item(task(n)) for n in ("e", "s", "b")]
    await story.set_parent(epic)
    with pytest.raises(ProviderError, match="cycle"):
        await epic.set_parent(story)
    with pytest.raises(ProviderError, match="cycle"):
        await epic.set_parent(epic)
    with pytest.raises(ProviderError, match="blocked by itself"):
        await story.add_dependency(story)
    await provider.delete_item(blocker.id)
    logged = provider.operations
    # A bad blocker makes the whole reconcile fail before it changes anything.
    with pytest.raises(ItemNotFoundError):
        await story.reconcile_relations(parent=None, blockers=[blocker])
    assert await story.get_relations() == ItemRelations(parent_id=epic.id)
    assert provider.operations == logged


async def test_relations_need_an_entered_provider(provider: DryRunProvider) -> None:
    parent, child = [await provider.create_item(task(n)) for n in ("p", "c")]
    await provider.__aexit__(None, None, None)
    with pytest.raises(ProviderError, match="not entered"):
        await child.set_parent(parent)
    with pytest.raises(ProviderError, match="not entered"):
        await child.get_relations()
    await provider.__aenter__()


async def test_relation_methods_check_capabilities() -> None:
    class NoRelations(DryRunProvider):
        async def resolve_context(self) -> DryRunContext:
            context = await super().resolve_context()
            lacking = context.capabilities - {Capability.RELATION_PARENT, Capability.RELATION_BLOCKED_BY}
            return attrs.evolve(context, capabilities=lacking)

    async with NoRelations(ProviderConfig.from_keywords("dry-run", target=TARGET)) as provider:
        parent, child = [await provider.create_item(task(n)) for n in ("p", "c")]
        with pytest.raises(ProviderCapabilityError, match=r"relations\.parent"):
            await child.set_parent(parent)
        with pytest.raises(ProviderCapabilityError, match=r"relations\.blocked-by"):
            await child.add_dependency(parent)
        with pytest.raises(ProviderCapabilityError):
            await child.reconcile_relations(parent=None, blockers=[])


async def test_item_equality_and_repr_leave_out_the_provider(provider: DryRunProvider) -> None:
    item = await provider.create_item(task("t"))
    other = DryRunProvider(ProviderConfig.from_keywords("dry-run", target="elsewhere"))
    clone = attrs.evolve(item, relations=other._relations)
    assert clone == item
    assert hash(clone) == hash(item)
    assert "DryRunProvider" not in repr(item)


# -- lifecycle and log ---------------------------------------------------------------------------


async def test_state_survives_exit_and_reentry() -> None:
    provider = DryRunProvider(ProviderConfig.from_keywords("dry-run", target=TARGET))
    async with provider:
        first = await provider.create_item(task("one"))
    async with provider:
        assert await provider.get_item(first.id) == first
        second = await provider.create_item(task("two"))
    assert second.id == "dry-run-2"
    assert kinds(provider) == [("create", "DRY-1"), ("create", "DRY-2")]


async def test_recorded_changes_are_the_log_one_line_each(provider: DryRunProvider) -> None:
    assert provider.recorded_changes() == []
    epic = await provider.create_item(task("Launch", item_type=PlanItemType.EPIC))
    story = await provider.create_item(task("Sign-up", item_type=PlanItemType.STORY))
    await story.set_parent(epic)
    assert provider.recorded_changes() == [
        "create            DRY-1    EPIC 'Launch'",
        "create            DRY-2    STORY 'Sign-up'",
        "set_parent        DRY-2    parent DRY-1",
    ]


def test_operation_kinds_compare_as_plain_strings() -> None:
    op = Operation(kind="remove_dependency", key="DRY-1")
    assert op.kind is OperationKind.REMOVE_DEPENDENCY
    plain: str = op.kind
    assert plain == "remove_dependency"
    assert str(op) == "remove_dependency DRY-1"
    with pytest.raises(ValueError, match="'rename'"):
        Operation(kind="rename", key="DRY-1")
