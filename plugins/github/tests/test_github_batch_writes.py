"""Many items per request: ``update_items`` and ``reconcile_many`` as aliased mutations, 20 to a request.

Each item gets exactly the writes ``update_item`` or ``reconcile_relations`` would send it, a failed alias
fails its own item only, and "already linked"/"already absent" stay successes per alias.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from planpilot_provider_github.item import GitHubItem
from planpilot_provider_github.provider import GitHubProvider
from planpilot_provider_github.testing import GitHubEmulator
from planpilot_provider_github.testing.model import Issue
from planpilot_providers_core.contracts import CreateItemInput, RelationChange, UpdateItemInput
from planpilot_providers_core.errors import AuthenticationError, ItemNotFoundError, ProviderError
from planpilot_providers_core.plan import Plan, PlanItem
from planpilot_providers_core.sync.runner import sync_plan

REPO = "acme/roadmap"
MakeGitHub = Callable[..., GitHubProvider]


async def make_items(provider: GitHubProvider, count: int, prefix: str = "Item", **changes: Any) -> list[GitHubItem]:
    items = []
    for n in range(count):
        values: dict[str, Any] = {"title": f"{prefix} {n}", "body": f"PLAN_ID:b\nITEM_ID:{prefix}{n}"}
        values.update({"item_type": "TASK", "size": "M", **changes})
        items.append(await provider.create_item(CreateItemInput(**values)))
    return items


def view(emulator: GitHubEmulator, item_id: str) -> Any:
    found = emulator.state.node(item_id)
    assert isinstance(found, Issue)
    return emulator.state.issue_view(found)


def shown(emulator: GitHubEmulator, item_id: str) -> tuple[Any, ...]:
    """What a person sees of an issue (title, body, labels, type, board fields), as a comparable value."""
    v = view(emulator, item_id)
    return v.title, v.body, sorted(v.labels), v.issue_type, dict(v.project_fields.get("acme/1", {}))


# -- update_items -------------------------------------------------------------------------------------


async def test_updates_are_one_read_and_a_request_per_twenty_writes(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    async with make_github() as provider:
        items = await make_items(provider, 45)
        emulator.stats.reset()
        results = await provider.update_items([(i.id, UpdateItemInput(title=i.title + "!")) for i in items])

    assert [r.title if isinstance(r, GitHubItem) else r for r in results] == [i.title + "!" for i in items]
    assert emulator.stats.operations == {"GetIssues": 1, "UpdateItems": 3}
    assert emulator.stats.mutation_fields_applied == 45
    assert [view(emulator, i.id).title for i in items] == [i.title + "!" for i in items]


async def test_each_item_gets_what_update_item_would_write(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    updates = [
        UpdateItemInput(title="Item 0", body="PLAN_ID:b\nITEM_ID:unchanged", item_type="TASK", size="M"),
        UpdateItemInput(title="Renamed", body="New body"),
        UpdateItemInput(size="XL"),
        UpdateItemInput(labels=("team-x", "planpilot")),
        UpdateItemInput(item_type="EPIC"),
        UpdateItemInput(fields={"Priority": "P0", "Estimate": "5"}),
    ]
    emulator.state.add_label(REPO, "team-x")
    async with make_github() as provider:
        batched = await make_items(provider, len(updates), "A", body="PLAN_ID:b\nITEM_ID:unchanged")
        single = await make_items(provider, len(updates), "A", body="PLAN_ID:b\nITEM_ID:unchanged")
        emulator.stats.reset()
        results = await provider.update_items([(i.id, u) for i, u in zip(batched, updates, strict=True)])
        writes = emulator.stats.mutation_requests
        one_by_one = [await provider.update_item(i.id, u) for i, u in zip(single, updates, strict=True)]

    assert writes == 1  # every write of the six items in one request
    for result, alone, a, b in zip(results, one_by_one, batched, single, strict=True):
        assert isinstance(result, GitHubItem)
        assert shown(emulator, a.id) == shown(emulator, b.id)
        assert (result.title, result.item_type, result.labels, result.size, result.fields, result.complete) == (
            alone.title,
            alone.item_type,
            alone.labels,
            alone.size,
            alone.fields,
            alone.complete,
        )


async def test_a_failed_alias_fails_its_own_item_only(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        items = await make_items(provider, 3)
        size = emulator.state.project("acme", 1).field_named("Size")
        assert size is not None
        with emulator.state.lock:  # someone deletes the "L" option after we read the board
            size.options = [o for o in size.options if o.name != "L"]
        emulator.stats.reset()
        results = await provider.update_items(
            [
                (items[0].id, UpdateItemInput(title="First")),
                (items[1].id, UpdateItemInput(title="Second", size="L")),
                (items[2].id, UpdateItemInput(title="Third")),
            ]
        )

    assert [r.title for r in results if isinstance(r, GitHubItem)] == ["First", "Third"]
    assert isinstance(results[1], ProviderError)
    assert "UpdateItems" in str(results[1])
    assert emulator.stats.operations["UpdateItems"] == 1
    assert view(emulator, items[1].id).title == "Second"  # its other alias went through: the next sync finishes it


async def test_a_missing_issue_and_a_size_the_board_lacks_fail_alone(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    async with make_github() as provider:
        items = await make_items(provider, 3)
        emulator.state.remove_issue(emulator.state.node(items[0].id))  # type: ignore[arg-type]
        emulator.stats.reset()
        results = await provider.update_items(
            [
                (items[0].id, UpdateItemInput(title="Gone")),
                (items[1].id, UpdateItemInput(title="Too big", size="XXXL")),
                (items[2].id, UpdateItemInput(title="Fine")),
            ]
        )

    assert isinstance(results[0], ItemNotFoundError)
    assert isinstance(results[1], ProviderError)
    assert "XXXL" in str(results[1])
    assert isinstance(results[2], GitHubItem)
    assert results[2].title == "Fine"
    assert view(emulator, items[1].id).title == "Item 1"  # refused before anything was written
    assert emulator.stats.operations == {"GetIssues": 1, "UpdateItems": 1}


async def test_issues_off_the_board_are_added_then_given_their_fields(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    state = emulator.state
    issues = [state.add_issue(REPO, f"Off {n}", f"PLAN_ID:b\nITEM_ID:off{n}", labels=["planpilot"]) for n in range(2)]
    async with make_github() as provider:
        emulator.stats.reset()
        results = await provider.update_items([(i.id, UpdateItemInput(item_type="TASK", size="S")) for i in issues])

    assert all(isinstance(r, GitHubItem) and r.complete for r in results)
    assert emulator.stats.operations == {"GetIssues": 1, "UpdateItems": 2}  # add to the board, then the fields
    for issue in issues:
        fields = dict(view(emulator, issue.id).project_fields["acme/1"])
        assert fields == {"Status": "Backlog", "Priority": "P1", "Iteration": "Iteration 3", "Size": "S"}


class FailFirstAlias(httpx.AsyncBaseTransport):
    """GitHub refuses the first aliased field of the first UpdateItems request (its data is null)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.done = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.done or json.loads(request.content).get("operationName") != "UpdateItems":
            return response
        self.done = True
        body = json.loads(await response.aread())
        body["data"]["a0"] = None
        body["errors"] = [{"type": "UNPROCESSABLE", "path": ["a0"], "message": "The project is full"}]
        return httpx.Response(200, headers={"content-type": "application/json"}, json=body)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_an_issue_the_board_refuses_fails_alone(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    state = emulator.state
    issues = [state.add_issue(REPO, f"Off {n}", f"PLAN_ID:b\nITEM_ID:off{n}", labels=["planpilot"]) for n in range(2)]
    async with make_github(transport=FailFirstAlias(emulator.transport())) as provider:
        emulator.stats.reset()
        results = await provider.update_items([(i.id, UpdateItemInput(item_type="TASK")) for i in issues])

    assert isinstance(results[0], ProviderError)
    assert "The project is full" in str(results[0])
    assert isinstance(results[1], GitHubItem)
    assert results[1].complete
    assert emulator.stats.operations["UpdateItems"] == 2  # the second round: the other issue's fields only
    assert emulator.stats.mutation_fields_applied == 2 * 2 + 3  # type and board for both, fields for one


async def test_a_request_that_fails_as_a_whole_fails_each_of_its_items(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    async with make_github() as provider:
        items = await make_items(provider, 3)
        emulator.inject("forbidden_403", "UpdateItems")
        results = await provider.update_items([(i.id, UpdateItemInput(title="X")) for i in items])
    assert all(isinstance(r, AuthenticationError) for r in results)


# -- reconcile_many -----------------------------------------------------------------------------------


def change(item: GitHubItem, parent: GitHubItem | None, *blockers: GitHubItem) -> RelationChange:
    return RelationChange(item=item, parent=parent, blockers=blockers)


async def test_relations_of_many_issues_go_twenty_links_to_a_request(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    async with make_github() as provider:
        items = await make_items(provider, 30)
        root, rest = items[0], items[1:]
        changes = [change(item, root, *([rest[n - 1]] if n else [])) for n, item in enumerate(rest)]
        await provider.fetch_relations(rest)  # the sync's batched read: reconcile_many reads nothing more
        emulator.stats.reset()
        results = await provider.reconcile_many(changes)

    assert results == [None] * 29
    assert emulator.stats.operations == {"ReconcileRelations": 3}  # 29 parents + 28 blockers = 57 links
    assert emulator.stats.mutation_fields_applied == 57
    for n, item in enumerate(rest):
        v = view(emulator, item.id)
        assert v.parent == root.number
        assert list(v.blocked_by) == ([rest[n - 1].number] if n else [])


async def test_without_the_sync_s_read_the_relations_are_read_once(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    async with make_github() as provider:
        parent, *children = await make_items(provider, 4)
        emulator.stats.reset()
        results = await provider.reconcile_many([change(child, parent) for child in children])
    assert results == [None, None, None]
    assert emulator.stats.operations == {"IssueRelations": 1, "ReconcileRelations": 1}


async def test_moves_and_removals_and_links_someone_else_made_in_between(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    state = emulator.state
    async with make_github() as provider:
        old, new, a, b, c = await make_items(provider, 5)
        await provider.reconcile_many([change(a, old, b), change(b, old, c)])
        await provider.fetch_relations([a, b])
        with state.lock:  # after our read, someone links a to c and unlinks b from c
            state.add_blocked_by(issue_id=a.id, blocking_issue_id=c.id)
            state.remove_blocked_by(issue_id=b.id, blocking_issue_id=c.id)
        emulator.stats.reset()
        results = await provider.reconcile_many([change(a, new, b, c), change(b, None)])

    assert results == [None, None]  # "already linked" and "already absent" were what we wanted
    assert emulator.stats.operations == {"ReconcileRelations": 1}
    assert (view(emulator, a.id).parent, sorted(view(emulator, a.id).blocked_by)) == (new.number, [b.number, c.number])
    assert (view(emulator, b.id).parent, list(view(emulator, b.id).blocked_by)) == (None, [])


async def test_a_failed_link_fails_its_own_item_only(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        parent, a, b, gone = await make_items(provider, 4)
        await provider.fetch_relations([a, b])
        emulator.state.remove_issue(emulator.state.node(gone.id))  # type: ignore[arg-type]
        results = await provider.reconcile_many([change(a, parent, gone), change(b, parent)])

    assert isinstance(results[0], ProviderError)
    assert results[1] is None
    assert view(emulator, b.id).parent == parent.number
    assert view(emulator, a.id).parent == parent.number  # its other link went through


async def test_an_issue_deleted_before_the_read_fails_alone(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        parent, a, b = await make_items(provider, 3)
        emulator.state.remove_issue(emulator.state.node(a.id))  # type: ignore[arg-type]
        results = await provider.reconcile_many([change(a, parent), change(b, parent)])
    assert isinstance(results[0], ItemNotFoundError)
    assert results[1] is None


async def test_a_sync_links_a_plan_in_batches(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    plan = Plan(
        items=[
            PlanItem(id=f"T{n}", type="TASK", title=f"Task {n}", depends_on=[f"T{n - 1}"] if n else [])
            for n in range(45)
        ]
    )
    async with make_github() as provider:
        result = await sync_plan(provider, plan)
    assert result.ok
    ops = emulator.stats.operations
    assert (ops["IssueRelations"], ops["ReconcileRelations"]) == (1, 3)  # 44 links: one read of 45, 3 writes
    assert "AddBlockedBy" not in ops


@pytest.mark.parametrize("read_only", [True])
async def test_batched_writes_need_a_writable_provider(make_github: MakeGitHub, read_only: bool) -> None:
    async with make_github(read_only=read_only) as provider:
        with pytest.raises(ProviderError, match="read_only"):
            await provider.update_items([])
        with pytest.raises(ProviderError, match="read_only"):
            await provider.reconcile_many([])
