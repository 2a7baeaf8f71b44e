"""Tracklet-specific behaviour: faults (429, 503, applied-then-503), partial creates, errors, configuration."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from planpilot_provider_tracklet.provider import TrackletProvider
from planpilot_provider_tracklet.testing import FakeTracklet
from support import API_KEY, CREDENTIAL, MakeProvider

from planpilot_providers_core import (
    AuthenticationError,
    CreateItemInput,
    CreateItemPartialFailureError,
    CreateStep,
    Credential,
    ItemNotFoundError,
    ItemSearchFilters,
    PlanItemType,
    ProjectURLError,
    ProviderConfigError,
    ProviderError,
    TransientProviderError,
    UpdateItemInput,
)
from planpilot_providers_core.reliability import RETRY_LOGGER_NAME
from planpilot_providers_core.testing import failing_after

CREATE = r"/v1/teams/ENG/issues"
ISSUE = r"/v1/issues/[^/]+"
BOARD = "https://tracklet.example/acme/projects/roadmap"


def task(title: str, *, size: str | None = None, parent_id: str | None = None) -> CreateItemInput:
    body = f"body of {title}\nmarker: m1\n"
    return CreateItemInput(
        title=title, body=body, item_type=PlanItemType.TASK, labels=("planpilot",), size=size, parent_id=parent_id
    )


def issues_titled(service: FakeTracklet, title: str) -> list[str]:
    return [issue["id"] for issue in service.issues.values() if issue["title"] == title]


def requests(service: FakeTracklet, method: str, path_start: str) -> list[int]:
    """Statuses of the requests with this method whose path starts so."""
    return [r.status for r in service.requests if r.method == method and r.path.startswith(path_start)]


@pytest.fixture
async def tracklet(make_tracklet: MakeProvider) -> AsyncIterator[TrackletProvider]:
    async with make_tracklet() as provider:
        yield provider


# -- 429 / 503 / applied-then-503 ---------------------------------------------------------------------


async def test_429_waits_retry_after_then_sends_again(tracklet: TrackletProvider, service: FakeTracklet) -> None:
    created = await tracklet.create_item(task("rate limited"))
    service.inject("GET", ISSUE, "429", retry_after="0.2")

    assert (await tracklet.get_item(created.id)).title == "rate limited"

    refused, answered = [r for r in service.requests if r.method == "GET" and r.path == f"/v1/issues/{created.id}"]
    assert (refused.status, answered.status) == (429, 200)
    assert answered.at - refused.at >= 0.2, "the retry did not wait for Retry-After"


async def test_429_on_create_sends_it_again_once(tracklet: TrackletProvider, service: FakeTracklet) -> None:
    service.inject("POST", CREATE, "429", times=2, retry_after="0")

    created = await tracklet.create_item(task("created after 429s"))

    assert issues_titled(service, "created after 429s") == [created.id]
    assert requests(service, "POST", "/v1/teams/ENG/issues") == [429, 429, 201]


async def test_503_on_reads_and_updates_is_retried(
    tracklet: TrackletProvider, service: FakeTracklet, caplog: pytest.LogCaptureFixture
) -> None:
    created = await tracklet.create_item(task("retried"))
    service.inject("GET", ISSUE, "503", times=2)
    service.inject("PATCH", ISSUE, "503")

    with caplog.at_level(logging.WARNING, logger=RETRY_LOGGER_NAME):
        updated = await tracklet.update_item(created.id, UpdateItemInput(title="retried v2"))

    assert updated.title == service.issues[created.id]["title"] == "retried v2"
    assert requests(service, "PATCH", "/v1/issues/") == [503, 200]
    retries = [r.getMessage() for r in caplog.records if r.name == RETRY_LOGGER_NAME]
    assert len(retries) == 3, retries  # one line per retry: two of "get issue", one of "update issue"
    assert sum("retrying get issue" in line for line in retries) == 2
    assert API_KEY not in caplog.text


async def test_503_that_never_ends_fails_after_the_policy_attempts(
    tracklet: TrackletProvider, service: FakeTracklet
) -> None:
    created = await tracklet.create_item(task("unreachable"))
    service.inject("GET", ISSUE, "503", times=100)

    with pytest.raises(TransientProviderError, match="get issue"):
        await tracklet.get_item(created.id)
    assert requests(service, "GET", f"/v1/issues/{created.id}") == [503] * 4  # FAST_RETRIES.attempts


async def test_503_on_create_is_checked_then_sent_again(tracklet: TrackletProvider, service: FakeTracklet) -> None:
    service.inject("POST", CREATE, "503")

    created = await tracklet.create_item(task("not applied"))

    assert issues_titled(service, "not applied") == [created.id]
    assert requests(service, "POST", "/v1/teams/ENG/issues") == [503, 201]
    # Between the two: the id chosen for the create was looked up and not found.
    assert requests(service, "GET", f"/v1/issues/{created.id}") == [404]


async def test_applied_then_503_on_create_makes_no_duplicate(tracklet: TrackletProvider, service: FakeTracklet) -> None:
    service.inject("POST", CREATE, "applied-503")

    created = await tracklet.create_item(task("applied once", size="M"))

    assert issues_titled(service, "applied once") == [created.id]
    assert requests(service, "POST", "/v1/teams/ENG/issues") == [503], "the create was sent again"
    assert (created.key, created.size, created.item_type) == (service.issues[created.id]["key"], "M", PlanItemType.TASK)
    assert await tracklet.get_item(created.id) == created


async def test_applied_then_503_on_add_dependency_links_once(tracklet: TrackletProvider, service: FakeTracklet) -> None:
    child, blocker = [await tracklet.create_item(task(name)) for name in ("child", "blocker")]
    service.inject("POST", rf"/v1/issues/{child.id}/blockers", "applied-503")

    await child.add_dependency(blocker)
    await child.add_dependency(blocker)  # already blocked counts as success

    assert service.issues[child.id]["blocked_by"] == [blocker.id]
    assert requests(service, "POST", f"/v1/issues/{child.id}/blockers") == [503]


async def test_applied_then_503_on_delete_counts_as_deleted(tracklet: TrackletProvider, service: FakeTracklet) -> None:
    created = await tracklet.create_item(task("deleted once"))
    service.inject("DELETE", ISSUE, "applied-503")

    await tracklet.delete_item(created.id)

    assert created.id not in service.issues
    with pytest.raises(ItemNotFoundError):
        await tracklet.get_item(created.id)


async def test_faults_during_many_concurrent_creates_leave_no_duplicates(
    tracklet: TrackletProvider, service: FakeTracklet
) -> None:
    service.inject("POST", CREATE, "applied-503", times=3)
    service.inject("POST", CREATE, "503", times=3)
    service.inject("POST", CREATE, "429", times=3, retry_after="0.01")

    created = [await tracklet.create_item(task(f"burst {n}")) for n in range(12)]

    assert sorted(issue["title"] for issue in service.issues.values()) == sorted(f"burst {n}" for n in range(12))
    found = await tracklet.search_items(ItemSearchFilters(labels=("planpilot",), body_contains="marker: m1"))
    assert sorted(item.id for item in found) == sorted(item.id for item in created)


# -- partial creates ----------------------------------------------------------------------------------


async def test_a_create_is_one_request_and_reports_its_steps(
    make_tracklet: MakeProvider, service: FakeTracklet
) -> None:
    project_id = service.add_project("ENG", "roadmap")
    async with make_tracklet(board_url=BOARD) as provider:
        parent = await provider.create_item(task("parent"))
        with failing_after(CreateStep.ISSUE_CREATED), pytest.raises(CreateItemPartialFailureError) as failure:
            await provider.create_item(task("child", parent_id=parent.id))

    (child_id,) = issues_titled(service, "child")
    child = service.issues[child_id]
    assert (child["parent"], child["project"], service.issues[parent.id]["project"]) == (
        parent.id,
        project_id,
        project_id,
    )
    assert requests(service, "POST", "/v1/") == [201, 201], "a create took more than one request"
    error = failure.value
    assert (error.created_item_id, error.created_item_key, error.created_item_url) == (
        child_id,
        child["key"],
        child["url"],
    )
    assert error.completed_steps == (
        CreateStep.ISSUE_CREATED,
        CreateStep.ISSUE_TYPE_SET,
        CreateStep.LABELS_SET,
        CreateStep.PARENT_SET,
        CreateStep.PROJECT_ITEM_ADDED,
    )


# -- items --------------------------------------------------------------------------------------------


async def test_type_change_swaps_only_the_type_label(tracklet: TrackletProvider, service: FakeTracklet) -> None:
    created = await tracklet.create_item(task("typed"))
    service.issues[created.id]["labels"].append("someone-elses")

    updated = await tracklet.update_item(created.id, UpdateItemInput(item_type=PlanItemType.EPIC, labels=("extra",)))

    assert updated.item_type is PlanItemType.EPIC
    assert service.issues[created.id]["labels"] == ["planpilot", "someone-elses", "extra", "Epic"]


async def test_estimate_is_the_size(tracklet: TrackletProvider, service: FakeTracklet) -> None:
    created = await tracklet.create_item(task("sized", size="S"))
    assert (await tracklet.get_item(created.id)).size == "S"
    updated = await tracklet.update_item(created.id, UpdateItemInput(size="XL", title="sized"))
    assert updated.size == service.issues[created.id]["estimate"] == "XL"
    assert requests(service, "PATCH", f"/v1/issues/{created.id}") == [200]
    await tracklet.update_item(created.id, UpdateItemInput(size="XL", title="sized"))
    assert requests(service, "PATCH", f"/v1/issues/{created.id}") == [200], "an unchanged update wrote"


@pytest.mark.parametrize("item_id", ["0b5a3c39-0000-4000-8000-000000000000", "../teams/ENG", "a?b#c", "x/y"])
async def test_get_and_delete_of_a_missing_id_raise_item_not_found(tracklet: TrackletProvider, item_id: str) -> None:
    with pytest.raises(ItemNotFoundError):
        await tracklet.get_item(item_id)
    with pytest.raises(ItemNotFoundError):
        await tracklet.delete_item(item_id)


async def test_an_issue_of_another_team_is_not_found(make_tracklet: MakeProvider, service: FakeTracklet) -> None:
    service.teams["OPS"] = "Operations"
    async with make_tracklet(target="OPS") as ops:
        theirs = await ops.create_item(task("ops issue"))
    async with make_tracklet() as eng:
        with pytest.raises(ItemNotFoundError):
            await eng.get_item(theirs.id)
        with pytest.raises(ItemNotFoundError):
            await eng.delete_item(theirs.id)
    assert theirs.id in service.issues


async def test_reconcile_repairs_a_blocker_linked_twice_elsewhere(
    tracklet: TrackletProvider, service: FakeTracklet
) -> None:
    child, blocker, stale = [await tracklet.create_item(task(name)) for name in ("child", "blocker", "stale")]
    service.issues[child.id]["blocked_by"] = [blocker.id, stale.id, blocker.id]

    await child.reconcile_relations(parent=None, blockers=[blocker])

    assert service.issues[child.id]["blocked_by"] == [blocker.id]
    assert (await child.get_relations()).blocker_ids == (blocker.id,)


# -- enter, credentials, configuration -------------------------------------------------------------------


async def test_a_refused_key_fails_on_enter_without_showing_it(
    make_tracklet: MakeProvider, service: FakeTracklet
) -> None:
    wrong = Credential(name="Tracklet API key", parts={**CREDENTIAL.parts, "key": "wrong-key-123"}, sent_as="basic")
    provider = make_tracklet(credential=wrong)
    with pytest.raises(AuthenticationError) as failure:
        await provider.__aenter__()
    for form in wrong.secret_forms():
        assert form not in str(failure.value)
    assert service.authorizations == [wrong.authorization()]  # refused once, never retried
    with pytest.raises(ProviderError):
        _ = provider.context


async def test_no_key_fails_on_enter_naming_the_variable(make_tracklet: MakeProvider, service: FakeTracklet) -> None:
    with pytest.raises(AuthenticationError, match="TRACKLET_API_KEY"):
        await make_tracklet(credential=Credential.token("")).__aenter__()
    assert service.requests == []


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"target": "NOPE"}, "no team 'NOPE'"),
        ({"board_url": "https://tracklet.example/acme/projects/missing"}, "with project"),
    ],
)
async def test_an_unknown_team_or_project_fails_on_enter(
    make_tracklet: MakeProvider, keywords: dict[str, str], message: str
) -> None:
    with pytest.raises(ProviderError, match=message):
        await make_tracklet(**keywords).__aenter__()


@pytest.mark.parametrize(
    ("keywords", "error", "message"),
    [
        ({"target": "acme/roadmap"}, ProviderConfigError, "team key such as ENG"),
        ({"board_url": "https://github.com/orgs/acme/projects/1"}, ProjectURLError, "not a Tracklet project URL"),
        ({"board_url": "roadmap"}, ProjectURLError, "not a Tracklet project URL"),
        ({"api_url": "127.0.0.1:8080"}, ProviderConfigError, "api_url must be an absolute http"),
        ({"page_size": 500}, ProviderConfigError, "page_size"),
        ({"colour": "red"}, ProviderConfigError, "does not accept option"),
    ],
)
def test_configuration_is_checked_before_anything_is_sent(
    make_tracklet: MakeProvider,
    service: FakeTracklet,
    keywords: dict[str, object],
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        make_tracklet(**keywords)
    assert service.requests == []
