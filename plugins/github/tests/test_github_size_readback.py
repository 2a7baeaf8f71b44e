"""Sizes are read back with discovery, so a re-sync sees a size a person changed on the board."""

from collections.abc import Callable
from pathlib import Path

from planpilot_provider_github.provider import GitHubProvider
from planpilot_provider_github.testing import GitHubEmulator
from planpilot_providers_core.contracts import CreateItemInput, FieldConfig, ItemSearchFilters
from planpilot_providers_core.plan import load_plan
from planpilot_providers_core.sync.results import ItemAction
from planpilot_providers_core.sync.runner import sync_plan

MakeGitHub = Callable[..., GitHubProvider]
FILTERS = ItemSearchFilters(labels=("planpilot",), body_contains="PLAN_ID:s")
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "roadmap.json"


def _board_item(emulator: GitHubEmulator, title: str):  # type: ignore[no-untyped-def]
    state = emulator.state
    project = state.project("acme", 1)
    return next(item for item in project.items.values() if item.content.title == title)


async def test_search_reports_the_board_size_and_sees_changes(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    async with make_github() as provider:
        created = await provider.create_item(
            CreateItemInput(title="sized", body="PLAN_ID:s", item_type="TASK", size="M")
        )
        assert created.size == "M"
        [found] = await provider.search_items(FILTERS)
        assert found.size == "M"
        emulator.state.set_field(_board_item(emulator, "sized"), "Size", "L")  # a person resizes it
        [found] = await provider.search_items(FILTERS)
        assert found.size == "L"
        assert (await provider.get_item(created.id)).size == "L"


async def test_number_size_field_reads_back_as_the_tshirt_size(make_github: MakeGitHub) -> None:
    async with make_github(field_config=FieldConfig(size_field="Estimate")) as provider:
        await provider.create_item(CreateItemInput(title="pointed", body="PLAN_ID:s", item_type="TASK", size="L"))
        [found] = await provider.search_items(FILTERS)
    assert found.size == "L"


async def test_unsized_item_reads_back_none(make_github: MakeGitHub) -> None:
    async with make_github() as provider:
        await provider.create_item(CreateItemInput(title="unsized", body="PLAN_ID:s", item_type="TASK"))
        [found] = await provider.search_items(FILTERS)
    assert found.size is None


async def test_resync_restores_a_size_changed_on_the_board(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    plan = load_plan([EXAMPLE])
    task = next(item for item in plan if item.size is not None)
    async with make_github() as provider:
        await sync_plan(provider, plan)
        emulator.state.set_field(_board_item(emulator, task.title), "Size", "XS" if task.size != "XS" else "XL")
        emulator.stats.reset()
        result = await sync_plan(provider, plan)
    assert result.outcome(task.id).action is ItemAction.UPDATED
    assert sum(o.action is ItemAction.UPDATED for o in result.items) == 1
    assert emulator.stats.mutation_requests == 1
    view = next(v for v in emulator.state.issues("acme/roadmap") if v.title == task.title)
    assert view.project_fields["acme/1"]["Size"] == task.size
