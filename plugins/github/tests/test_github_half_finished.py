"""A create that stopped midway reads ``complete=False`` and ``update_item`` finishes it (issue 11, point 2).

Every way a half-finished create can look "unchanged" to a sync that compares only plan fields: the board
field write failed; the issue is off the board; it has no type of ours (it reads as TASK by default); the
discovery label is gone; one creation default is unset; the read paged off the board state. Each is made
on the emulator (a fault, or a direct state edit), then read back through ``get_item`` and discovery,
finished by ``update_item`` with the plan's own values, and read again: complete, and nothing more to write.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from graphql import parse

from planpilot_provider_github.graphql.generated import issues as issue_ops
from planpilot_provider_github.graphql.generated import search as search_ops
from planpilot_provider_github.provider import GitHubProvider
from planpilot_provider_github.testing import FaultKind, GitHubEmulator
from planpilot_provider_github.testing.cost import measure
from planpilot_provider_github.testing.model import Issue
from planpilot_provider_github.testing.schema import github_schema
from planpilot_providers_core.contracts import CreateItemInput, Item, ItemSearchFilters, UpdateItemInput
from planpilot_providers_core.errors import CreateItemPartialFailureError
from planpilot_providers_core.plan import Plan, PlanItem
from planpilot_providers_core.sgqlc_runtime import render
from planpilot_providers_core.sync.runner import sync_plan

MakeGitHub = Callable[..., GitHubProvider]
ORG_REPO = "acme/roadmap"
USER_REPO = "octo/side"
USER_BOARD = "https://github.com/users/octo/projects/1"
BODY = "PLAN_ID:half\nITEM_ID:E1"
BY_LABEL = ItemSearchFilters(labels=("planpilot",), body_contains="PLAN_ID:half")
BY_BODY = ItemSearchFilters(body_contains="PLAN_ID:half")
DEFAULTS = {"Status": "Backlog", "Priority": "P1", "Iteration": "Iteration 3"}


def plan_update(item_type: str = "TASK") -> UpdateItemInput:
    """What a sync sends for the item: the plan's fields, all equal to what the issue already shows."""
    return UpdateItemInput(title="Half", body=BODY, item_type=item_type, labels=("planpilot",))


def board(emulator: GitHubEmulator, issue_id: str, key: str = "acme/1") -> dict[str, object]:
    [view] = [v for repo in (ORG_REPO, USER_REPO) for v in emulator.state.issues(repo) if v.id == issue_id]
    return dict(view.project_fields.get(key, {}))


def seed(
    emulator: GitHubEmulator,
    *,
    repo: str = ORG_REPO,
    owner: str = "acme",
    labels: Sequence[str] = ("planpilot",),
    issue_type: str | None = "Task",
    on_board: bool = True,
    fields: dict[str, str] | None = None,
) -> Issue:
    """An issue as a create leaves it, minus what the caller leaves out."""
    state = emulator.state
    issue = state.add_issue(repo, "Half", BODY, labels=labels, issue_type=issue_type)
    if on_board:
        item = state.add_to_project(state.project(owner, 1), issue)
        for name, value in (DEFAULTS if fields is None else fields).items():
            state.set_field(item, name, value)
    return issue


async def discovered(provider: GitHubProvider, filters: ItemSearchFilters = BY_LABEL) -> Item:
    [item] = await provider.search_items(filters)
    return item


async def finish_and_check(
    provider: GitHubProvider, emulator: GitHubEmulator, issue_id: str, update: UpdateItemInput
) -> None:
    """``update_item`` with values the issue already shows finishes it; then it reads complete, and the
    same update again is one read and no write."""
    finished = await provider.update_item(issue_id, update)
    assert finished.complete
    assert (await provider.get_item(issue_id)).complete
    emulator.stats.reset()
    again = await provider.update_item(issue_id, update)
    assert again.complete
    assert emulator.stats.mutation_requests == 0
    assert emulator.stats.requests == 1


async def test_a_create_whose_field_write_failed(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        emulator.inject(FaultKind.FORBIDDEN_403, operation="SetProjectFields3")  # no size: three defaults
        with pytest.raises(CreateItemPartialFailureError) as info:
            await provider.create_item(CreateItemInput(title="Half", body=BODY, item_type="TASK"))
        issue_id = info.value.created_item_id
        assert issue_id is not None
        assert board(emulator, issue_id) == {}

        found = await discovered(provider)
        assert (found.id, found.complete) == (issue_id, False)
        assert found.title == "Half"  # every plan field matches: only `complete` tells
        assert not (await provider.get_item(issue_id)).complete
        await finish_and_check(provider, emulator, issue_id, plan_update())
        assert (await discovered(provider)).complete
    assert board(emulator, issue_id) == DEFAULTS


async def test_an_issue_off_the_board(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    issue = seed(emulator, on_board=False)
    async with make_github() as provider:
        assert not (await discovered(provider)).complete
        assert not (await provider.get_item(issue.id)).complete
        await finish_and_check(provider, emulator, issue.id, plan_update())
        assert (await discovered(provider)).complete
    assert board(emulator, issue.id) == DEFAULTS


async def test_an_issue_without_a_native_type_reads_task_but_incomplete(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    issue = seed(emulator, issue_type=None)
    async with make_github() as provider:
        found = await discovered(provider)
        assert found.item_type == "TASK"  # the default reading, which a plan of a task would accept
        assert not found.complete
        assert not (await provider.get_item(issue.id)).complete
        await finish_and_check(provider, emulator, issue.id, plan_update("TASK"))
        assert (await discovered(provider)).complete
    assert emulator.state.issue(ORG_REPO, issue.number).issue_type == "Task"


async def test_an_issue_of_someone_elses_type(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    issue = seed(emulator, issue_type="Bug")
    async with make_github() as provider:
        found = await discovered(provider)
        assert (found.item_type, found.complete) == ("TASK", False)
        await finish_and_check(provider, emulator, issue.id, plan_update("TASK"))
    assert emulator.state.issue(ORG_REPO, issue.number).issue_type == "Task"


async def test_an_issue_without_a_type_label(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    issue = seed(emulator, repo=USER_REPO, owner="octo", issue_type=None)
    async with make_github(target=USER_REPO, board_url=USER_BOARD) as provider:
        assert provider.context.create_type_strategy == "label"
        found = await discovered(provider)
        assert (found.item_type, found.complete) == ("TASK", False)
        assert not (await provider.get_item(issue.id)).complete
        await finish_and_check(provider, emulator, issue.id, plan_update("TASK"))
        assert (await discovered(provider)).complete
    assert "Task" in emulator.state.issue(USER_REPO, issue.number).labels


async def test_an_issue_without_the_discovery_label(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    issue = seed(emulator, labels=(), issue_type="Task")
    async with make_github() as provider:
        assert await provider.search_items(BY_LABEL) == []  # a label search cannot see it at all
        assert not (await discovered(provider, BY_BODY)).complete
        assert not (await provider.get_item(issue.id)).complete
        await finish_and_check(provider, emulator, issue.id, plan_update())
        assert (await discovered(provider, BY_BODY)).complete
    assert "planpilot" in emulator.state.issue(ORG_REPO, issue.number).labels


@pytest.mark.parametrize("unset", ["Status", "Priority", "Iteration"])
async def test_an_issue_with_one_creation_default_unset(
    make_github: MakeGitHub, emulator: GitHubEmulator, unset: str
) -> None:
    issue = seed(emulator, fields={k: v for k, v in DEFAULTS.items() if k != unset})
    async with make_github() as provider:
        assert not (await discovered(provider)).complete
        assert not (await provider.get_item(issue.id)).complete
        await finish_and_check(provider, emulator, issue.id, plan_update())
        assert (await discovered(provider)).complete
    assert board(emulator, issue.id) == DEFAULTS


async def test_a_default_is_never_written_over_a_value(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    issue = seed(emulator, fields={"Status": "Done", "Priority": "P0", "Iteration": "Iteration 4"})
    async with make_github() as provider:
        assert (await discovered(provider)).complete
        assert (await provider.get_item(issue.id)).complete
        emulator.stats.reset()
        await provider.update_item(issue.id, plan_update())
    assert emulator.stats.mutation_requests == 0
    assert board(emulator, issue.id) == {"Status": "Done", "Priority": "P0", "Iteration": "Iteration 4"}


async def test_a_read_that_paged_off_the_board_is_not_complete(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    """Discovery reads 10 board items per issue, ``get_item`` 20: ours is the 13th, Status unset."""
    state = emulator.state
    issue = state.add_issue(ORG_REPO, "Half", BODY, labels=("planpilot",), issue_type="Task")
    for n in range(12):
        state.add_to_project(state.add_project("acme", f"Other {n}", number=100 + n), issue)
    ours = state.add_to_project(state.project("acme", 1), issue)
    for name in ("Priority", "Iteration"):
        state.set_field(ours, name, DEFAULTS[name])
    async with make_github() as provider:
        assert not (await discovered(provider)).complete  # cannot tell: not complete, so update_item reads
        assert not (await provider.get_item(issue.id)).complete  # sees our item: Status is empty
        await finish_and_check(provider, emulator, issue.id, plan_update())
        assert not (await discovered(provider)).complete  # still cannot tell; an update then writes nothing
    assert board(emulator, issue.id) == DEFAULTS


async def test_a_read_that_cannot_see_our_board_item_stays_incomplete(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    """Past every page read: nothing is filled on the strength of not seeing it, and nothing claims done."""
    state = emulator.state
    issue = state.add_issue(ORG_REPO, "Half", BODY, labels=("planpilot",), issue_type="Task")
    for n in range(21):
        state.add_to_project(state.add_project("acme", f"Other {n}", number=100 + n), issue)
    state.add_to_project(state.project("acme", 1), issue)
    async with make_github() as provider:
        updated = await provider.update_item(issue.id, plan_update())
    assert not updated.complete
    assert board(emulator, issue.id) == {}
    assert not any(op.startswith("SetProjectFields") for op in emulator.stats.operations)


@pytest.mark.parametrize(
    ("op", "name", "extra"),
    [
        (search_ops.Operations.query.search_issues, "SearchIssues", {"query": "repo:acme/roadmap"}),
        (issue_ops.Operations.query.list_issues, "ListIssues", {"owner": "acme", "name": "roadmap"}),
    ],
)
def test_discovery_reads_the_default_fields_at_no_extra_cost(op: object, name: str, extra: dict[str, str]) -> None:
    """By name (``fieldValueByName`` is no connection): a page of 100 issues stays at 2 points, as it
    was with the size alone; ``fieldValues(first: 50)`` instead would cost 50 times more."""
    names = {"sizeField": "Size", "statusField": "Status", "priorityField": "Priority", "iterationField": "Iteration"}
    cost = measure(github_schema(), parse(render(op)), {"first": 100, **names, **extra}, name)  # type: ignore[arg-type]
    assert (cost.requests, cost.points) == (201, 2)


async def test_a_finished_create_reads_complete_everywhere(make_github: MakeGitHub) -> None:
    async with make_github() as provider:
        created = await provider.create_item(CreateItemInput(title="Half", body=BODY, item_type="EPIC", size="M"))
        assert created.complete
        assert (await provider.get_item(created.id)).complete
        assert (await discovered(provider)).complete


async def test_a_sync_finishes_an_epic_whose_field_write_failed(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    """The repro of issue 11: one epic, no estimate, the field write refused on the first sync."""
    plan = Plan(items=[PlanItem(id="E1", type="EPIC", title="Epic without an estimate")])
    async with make_github() as provider:
        emulator.inject(FaultKind.FORBIDDEN_403, operation="SetProjectFields3")
        first = await sync_plan(provider, plan)
        assert first.problems
        [view] = emulator.state.issues(ORG_REPO)
        assert board(emulator, view.id) == {}
        emulator.stats.reset()
        await sync_plan(provider, plan)
    assert board(emulator, view.id) == DEFAULTS
    # The sync's batched update sends the three values as aliased fields of one request.
    assert emulator.stats.operations["UpdateItems"] == 1
    assert emulator.stats.mutation_fields_applied == 3
