"""The Jira provider's own behaviour on the emulator, beyond the conformance suite: types and hierarchy in both
project kinds, OAuth through the gateway, creation defaults by workflow, board fields, half-made creates, bulk
creates and their lost answers, discovery despite the index lag, truncation refused, links and labels."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from planpilot_provider_jira.testing import JiraEmulator
from planpilot_provider_jira.testing.model import CustomField, IssueType
from planpilot_provider_jira.testing.scenario import DONE, IN_PROGRESS, TO_DO, WORKFLOW
from planpilot_providers_core import (
    AuthenticationError,
    CreateItemInput,
    CreateItemPartialFailureError,
    Credential,
    FieldConfig,
    ItemSearchFilters,
    ProviderCapabilityError,
    ProviderError,
    UpdateItemInput,
)

from .support import BOARD, provider_factory

META = "PLANPILOT_META_V1\nPLAN_ID:p1\nITEM_ID:{}\nEND_PLANPILOT_META\n"


def _item(title: str, item_type: str = "TASK", **kwargs: Any) -> CreateItemInput:
    kwargs.setdefault("labels", ("planpilot",))
    return CreateItemInput(title=title, body=META.format(title), item_type=item_type, **kwargs)


def _issue(emulator: JiraEmulator, issue_id: str) -> Any:
    return emulator.state.issues[int(issue_id)]


async def test_a_project_without_a_mapped_type_fails_on_enter(emulator: JiraEmulator) -> None:
    emulator.state.add_project(
        "NOEP", "No epics", issue_types=(IssueType("20000", "Task", 0),), statuses=(TO_DO,), transitions=()
    )
    with pytest.raises(ProviderCapabilityError, match="no issue type 'Epic' for plan EPICs \\(its types: Task\\)"):
        async with provider_factory(emulator, target="NOEP")():
            pass


async def test_a_team_managed_project_with_its_own_names(emulator: JiraEmulator) -> None:
    points = emulator.state.add_custom_field(
        CustomField(
            "customfield_10200", "Story point estimate", "number", "com.atlassian.jpo:jpo-custom-field-estimate"
        )
    )
    emulator.state.add_project(
        "TEAM",
        "Team",
        issue_types=(
            IssueType("30000", "Epic", 1),
            IssueType("30001", "Story", 0),
            IssueType("30002", "Task", 0),
            IssueType("30003", "Subtask", -1),
        ),
        statuses=(TO_DO, IN_PROGRESS, DONE),
        transitions=WORKFLOW,
        fields=(points.id,),
        style="next-gen",
    )
    async with provider_factory(emulator, target="TEAM")() as provider:
        epic = await provider.create_item(_item("Epic", "EPIC", size="L"))
        story = await provider.create_item(_item("Story", "STORY", parent_id=epic.id, size="S"))
        task = await provider.create_item(_item("Task", parent_id=story.id))
        assert provider.context.project_style == "next-gen"
        assert (_issue(emulator, task.id).issue_type.name, _issue(emulator, task.id).parent.key) == (
            "Subtask",
            story.key,
        )
        assert _issue(emulator, story.id).custom == {points.id: 2}
        read = await provider.get_item(task.id)
        assert (read.item_type.value, (await provider.get_item(epic.id)).size) == ("TASK", "L")


async def test_an_oauth_token_goes_through_the_gateway_as_bearer(make_emulator: Any) -> None:
    token = "oauth-access-token-0123456789"
    emulator = make_emulator(bearer=[token], site_url="https://acme.atlassian.net")
    oauth = Credential.token(token, name="Jira OAuth token")
    async with provider_factory(emulator, credential=oauth)() as provider:
        created = await provider.create_item(_item("Over OAuth"))
        assert (await provider.get_item(created.id)).title == "Over OAuth"
        assert created.url == f"https://acme.atlassian.net/browse/{created.key}"
    cloud = emulator.state.cloud_id
    gateway = provider_factory(emulator, credential=oauth, api_url=f"https://api.atlassian.com/ex/jira/{cloud}")
    async with gateway() as provider:  # the gateway form given: the token's sites tell the browse links' site
        assert (await provider.get_item(created.id)).url == f"https://acme.atlassian.net/browse/{created.key}"
    basic_only = provider_factory(emulator)()  # the site accepts only that bearer token now
    with pytest.raises(AuthenticationError, match="401"):
        async with basic_only:
            pass


async def test_creation_defaults_walk_the_workflow_and_a_later_create_carries_the_first_transition(
    emulator: JiraEmulator,
) -> None:
    config = FieldConfig(status="In Progress", priority="High", iteration="active")
    async with provider_factory(emulator, board_url=BOARD, field_config=config)() as provider:
        first = await provider.create_item(_item("First", "STORY"))
        second = await provider.create_item(_item("Second", "STORY"))
        for item in (first, second):
            issue = _issue(emulator, item.id)
            assert (issue.status.name, issue.priority.name, issue.sprint.id) == ("In Progress", "High", 2)
            assert item.complete
        assert dict(second.fields) | {"Status": "In Progress"} == dict(second.fields)
    assert emulator.stats.operations["doTransition"] == 1  # the second create carried its transition
    assert emulator.stats.operations["getTransitions"] == 1


async def test_creation_defaults_the_project_lacks_fail_on_enter_unless_they_are_core_s(emulator: JiraEmulator) -> None:
    for config, message in (
        (FieldConfig(status="Review"), "has no status 'Review'"),
        (FieldConfig(priority="Urgent"), "has no priority 'Urgent'"),
        (FieldConfig(iteration="Sprint 99"), "no open sprint 'Sprint 99'"),
    ):
        with pytest.raises(ProviderError, match=message):
            async with provider_factory(emulator, board_url=BOARD, field_config=config)():
                pass


async def test_plan_fields_are_checked_then_set_on_create_and_update(emulator: JiraEmulator) -> None:
    async with provider_factory(emulator, board_url=BOARD)() as provider:
        problems = provider.field_problems({"Colour": "red", "T-Shirt Size": "XXXL", "Status": "Review"})
        assert len(problems) == 3
        assert "fields: Status, Priority, Sprint" in problems[0]
        assert "T-Shirt Size" in problems[1] and "XXXL" in problems[1]  # noqa: PT018 - one message, two facts
        fields = {"Status": "Done", "Priority": "Low", "T-Shirt Size": "M", "Sprint": "PROJ Sprint 3"}
        created = await provider.create_item(_item("With fields", fields=fields))
        read = await provider.get_item(created.id)
        assert {name: read.fields[name] for name in fields} == fields
        updated = await provider.update_item(created.id, UpdateItemInput(fields={"Status": "To Do", "Priority": "Low"}))
        assert (updated.fields["Status"], _issue(emulator, created.id).status.name) == ("To Do", "To Do")


async def test_a_create_that_fails_after_its_first_request_is_finished_by_the_next_update(
    emulator: JiraEmulator,
) -> None:
    async with provider_factory(emulator, field_config=FieldConfig(status="Done"))() as provider:
        emulator.inject("http_500", operation="doTransition", times=10)
        with pytest.raises(CreateItemPartialFailureError) as raised:
            await provider.create_item(_item("Half made"))
        emulator.clear_faults()
        item_id = raised.value.created_item_id
        assert item_id is not None
        assert raised.value.completed_steps[:3] == ("issue_created", "issue_type_set", "labels_set")
        half = await provider.get_item(item_id)
        assert not half.complete
        finished = await provider.update_item(item_id, UpdateItemInput(title="Half made"))
        assert finished.complete
        assert (await provider.get_item(item_id)).complete
        assert _issue(emulator, item_id).status.name == "Done"


async def test_concurrent_creates_go_out_in_one_bulk_request_and_fail_one_by_one(emulator: JiraEmulator) -> None:
    async with provider_factory(emulator)() as provider:
        epic = await provider.create_item(_item("Epic", "EPIC"))
        gone = await provider.create_item(_item("Gone", "EPIC"))
        with emulator.state.lock:
            emulator.state.delete_issue(_issue(emulator, gone.id), delete_subtasks=True)
        before = emulator.stats.operations.get("createIssues", 0)
        results = await asyncio.gather(
            *(provider.create_item(_item(f"S{n}", "STORY", parent_id=epic.id)) for n in range(5)),
            provider.create_item(_item("Orphan", "STORY", parent_id=gone.id)),
            return_exceptions=True,
        )
        assert emulator.stats.operations["createIssues"] == before + 1
        *made, orphan = results
        assert all(not isinstance(r, BaseException) for r in made)
        assert isinstance(orphan, ProviderError)
        assert "Jira refused to create it (status 400): parent:" in str(orphan)
        assert len({r.id for r in made if not isinstance(r, BaseException)}) == 5


@pytest.mark.parametrize(
    ("kind", "operation", "bulk"),
    [
        ("timeout_after_commit", "createIssue", False),
        ("drop_after_commit", "createIssue", False),
        ("http_504_after_commit", "createIssues", True),
        ("drop_after_commit", "createIssues", True),
    ],
)
async def test_a_create_whose_answer_is_lost_is_found_by_its_token_not_sent_again(
    make_emulator: Any, kind: str, operation: str, bulk: bool
) -> None:
    emulator = make_emulator(search_lag=3600.0)  # the search index never shows it: only the token can
    async with provider_factory(emulator, bulk_create=bulk)() as provider:
        emulator.inject(kind, operation=operation)
        created = await asyncio.gather(*(provider.create_item(_item(f"Lost {n}")) for n in range(4 if bulk else 1)))
    assert len(emulator.state.issues) == len(created)
    assert sorted(c.id for c in created) == sorted(str(i) for i in emulator.state.issues)
    assert emulator.stats.faults == {kind: 1}


async def test_issues_created_a_moment_ago_by_another_run_are_found_despite_the_index_lag(make_emulator: Any) -> None:
    emulator = make_emulator(search_lag=3600.0)
    make = provider_factory(emulator)
    async with make() as writer:
        created = [await writer.create_item(_item(f"Fresh {n}")) for n in range(3)]
    filters = ItemSearchFilters(labels=("planpilot",), body_contains="PLAN_ID:p1")
    async with make() as reader:  # knows nothing of what was written
        assert sorted(i.id for i in await reader.search_items(filters)) == sorted(c.id for c in created)
    async with make(index_lag=0.0) as trusting:  # the index alone has not seen them yet
        assert await trusting.search_items(filters) == []


class _Rewriting(httpx.AsyncBaseTransport):
    """The emulator, with every search page rewritten by ``rewrite``."""

    def __init__(self, inner: httpx.AsyncBaseTransport, rewrite: Any) -> None:
        self.inner, self.rewrite = inner, rewrite

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if not request.url.path.endswith("/search/jql") or response.status_code != 200:
            return response
        body = self.rewrite(json.loads(await response.aread()))
        return httpx.Response(200, json=body, request=request)


class _SameToken:
    """Every page after the first names the first page's token again."""

    def __init__(self) -> None:
        self.first: str | None = None

    def __call__(self, page: dict[str, Any]) -> dict[str, Any]:
        self.first = self.first or page.get("nextPageToken")
        return {**page, "nextPageToken": self.first, "isLast": False}


@pytest.mark.parametrize(
    ("rewrite", "message"),
    [
        (lambda page: {**page, "nextPageToken": None, "isLast": False}, "gave no page token"),
        (_SameToken(), "same page token twice"),
    ],
)
async def test_a_search_that_would_be_truncated_fails_loudly(
    emulator: JiraEmulator, rewrite: Any, message: str
) -> None:
    transport = _Rewriting(emulator.transport(), rewrite)
    async with provider_factory(emulator, transport=transport, page_size=1)() as provider:
        for n in range(3):
            await provider.create_item(_item(f"One {n}"))
        with pytest.raises(ProviderError, match=message):
            await provider.search_items(ItemSearchFilters(labels=("planpilot",)))


async def test_search_is_exact_where_jira_s_text_match_is_fuzzy(emulator: JiraEmulator) -> None:
    async with provider_factory(emulator)() as provider:
        exact = await provider.create_item(_item("Exact"))
        await provider.create_item(CreateItemInput(title="PLAN_ID p1", body="plans p1 planned", item_type="TASK"))
        found = await provider.search_items(ItemSearchFilters(labels=("planpilot",), body_contains="PLAN_ID:p1\n"))
        assert [i.id for i in found] == [exact.id]


async def test_labels_with_spaces_reach_jira_encoded_and_read_back_as_written(emulator: JiraEmulator) -> None:
    async with provider_factory(emulator)() as provider:
        created = await provider.create_item(_item("Labelled", labels=("planpilot", "needs review")))
        assert _issue(emulator, created.id).labels == ["planpilot", "needs%20review"]
        assert set((await provider.get_item(created.id)).labels) == {"planpilot", "needs review"}
        found = await provider.search_items(ItemSearchFilters(labels=("needs review",)))
        assert [i.id for i in found] == [created.id]


async def test_a_blocker_is_the_inward_side_of_one_blocks_link_and_relations_are_read_in_batches(
    emulator: JiraEmulator,
) -> None:
    async with provider_factory(emulator)() as provider:
        blocked, blocker = await provider.create_item(_item("Blocked")), await provider.create_item(_item("Blocker"))
        for _ in range(2):
            await blocked.add_dependency(blocker)
        (link,) = emulator.state.links.values()
        assert (link.type.name, link.inward.key, link.outward.key) == ("Blocks", blocker.key, blocked.key)
        many = [await provider.create_item(_item(f"Many {n}")) for n in range(3)] * 50  # 150 lookups
        before = emulator.stats.operations["bulkFetchIssues"]
        relations = await provider.fetch_relations([blocked, *many])
        assert relations[blocked.id].blocker_ids == (blocker.id,)
        assert emulator.stats.operations["bulkFetchIssues"] - before == 2  # 151 ids, 100 a request


async def test_a_closed_duplicate_is_linked_done_and_out_of_discovery(emulator: JiraEmulator) -> None:
    async with provider_factory(emulator)() as provider:
        kept, copy = await provider.create_item(_item("Kept")), await provider.create_item(_item("Copy"))
        await provider.close_duplicate(copy.id, kept, label="planpilot")
        await provider.close_duplicate(copy.id, kept, label="planpilot")  # already closed: no change
        issue = _issue(emulator, copy.id)
        (link,) = emulator.state.links.values()
        assert (link.type.name, link.inward.key, link.outward.key) == ("Duplicate", copy.key, kept.key)
        assert (issue.status.name, issue.labels) == ("Done", [])
        assert [i.id for i in await provider.search_items(ItemSearchFilters(labels=("planpilot",)))] == [kept.id]
