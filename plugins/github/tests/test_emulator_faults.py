"""Fault injection through the in-process httpx transport: every kind, scripted and seeded random faults."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from planpilot_provider_github.testing import FaultKind, FaultPlan, GitHubEmulator, ManualClock, fault_plan

REPO = "acme/roadmap"
CREATE = """mutation CreateIssue($r: ID!, $t: String!) {
  createIssue(input: {repositoryId: $r, title: $t}) { issue { number } } }"""
VIEWER = "query Viewer { viewer { login } }"


@pytest.fixture
def emulator() -> GitHubEmulator:
    return GitHubEmulator.with_default_scenario(clock=ManualClock(), retry_after=0.05, reset_delay=0.3)


@pytest.fixture
async def client(emulator: GitHubEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=emulator.transport(),
        base_url="https://api.github.com",
        headers={"Authorization": "bearer test-token"},
    ) as http:
        yield http


async def create(client: httpx.AsyncClient, emulator: GitHubEmulator, title: str = "x") -> httpx.Response:
    variables = {"r": emulator.state.repository(REPO).id, "t": title}
    return await client.post("/graphql", json={"query": CREATE, "variables": variables})


def issue_count(emulator: GitHubEmulator) -> int:
    return len(emulator.state.issues(REPO))


@pytest.mark.parametrize(
    ("kind", "status", "message"),
    [
        (FaultKind.HTTP_500, 500, "Server Error"),
        (FaultKind.HTTP_502, 502, "We couldn't respond to your request in time"),
        (FaultKind.HTTP_504, 504, "We couldn't respond to your request in time"),
        (FaultKind.HTTP_429, 429, "Retry-After"),
        (FaultKind.SECONDARY_403, 403, "You have exceeded a secondary rate limit"),
        (FaultKind.SECONDARY_403_NO_RETRY_AFTER, 403, "You have exceeded a secondary rate limit"),
        (FaultKind.FORBIDDEN_403, 403, "SAML enforcement"),
    ],
)
async def test_http_faults_happen_before_the_operation(
    client: httpx.AsyncClient, emulator: GitHubEmulator, kind: FaultKind, status: int, message: str
) -> None:
    emulator.inject(kind)
    response = await create(client, emulator)
    assert response.status_code == status
    assert message in response.json()["message"]
    assert issue_count(emulator) == 0
    assert response.headers["x-ratelimit-resource"] == "graphql"
    expects_retry_after = kind in {FaultKind.HTTP_429, FaultKind.SECONDARY_403}
    assert ("retry-after" in response.headers) == expects_retry_after
    if expects_retry_after:
        assert response.headers["retry-after"] == "0.05"
    if kind is FaultKind.SECONDARY_403:
        assert response.headers["x-ratelimit-remaining"] != "0"
        assert "please include the request ID" in response.json()["message"]
    assert emulator.stats.faults[kind.value] == 1
    assert (await create(client, emulator)).status_code == 200  # one-shot
    assert issue_count(emulator) == 1


async def test_secondary_limit_in_a_200_body(client: httpx.AsyncClient, emulator: GitHubEmulator) -> None:
    emulator.inject("secondary_200")
    response = await create(client, emulator)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert "You have exceeded a secondary rate limit" in body["errors"][0]["message"]
    assert response.headers["retry-after"] == "0.05"
    assert issue_count(emulator) == 0


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (FaultKind.RATE_LIMITED_200, {"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}),
        (
            FaultKind.RATE_LIMIT_200,
            {
                "type": "RATE_LIMIT",
                "code": "graphql_rate_limit",
                "message": "API rate limit already exceeded for user ID 1.",
            },
        ),
    ],
)
async def test_rate_limit_bodies_with_remaining_not_zero(
    client: httpx.AsyncClient, emulator: GitHubEmulator, kind: FaultKind, expected: dict[str, Any]
) -> None:
    emulator.inject(kind)
    response = await create(client, emulator)
    assert response.status_code == 200
    assert response.json() == {"data": None, "errors": [expected]}
    assert response.headers["x-ratelimit-remaining"] != "0"
    assert int(response.headers["x-ratelimit-reset"]) <= time.time() + 2
    assert issue_count(emulator) == 0


async def test_primary_exhausted_blocks_until_reset(client: httpx.AsyncClient, emulator: GitHubEmulator) -> None:
    emulator.inject(FaultKind.PRIMARY_EXHAUSTED)
    first = await create(client, emulator)
    assert first.json()["errors"][0]["type"] == "RATE_LIMITED"
    assert first.headers["x-ratelimit-remaining"] == "0"
    reset = int(first.headers["x-ratelimit-reset"])
    assert time.time() < reset <= time.time() + 2
    second = await client.post("/graphql", json={"query": VIEWER})
    assert second.json()["errors"][0]["type"] == "RATE_LIMITED"
    assert second.headers["x-ratelimit-remaining"] == "0"
    await asyncio.sleep(0.35)
    third = await client.post("/graphql", json={"query": VIEWER})
    assert third.json() == {"data": {"viewer": {"login": "octo"}}}
    assert int(third.headers["x-ratelimit-remaining"]) == 4999
    assert emulator.stats.faults == {"primary_exhausted": 1}
    assert emulator.stats.rate_limited == 1


async def test_502_after_commit_applies_the_mutation(client: httpx.AsyncClient, emulator: GitHubEmulator) -> None:
    emulator.inject("http_502_after_commit")
    response = await create(client, emulator, "ambiguous")
    assert response.status_code == 502
    assert "We couldn't respond to your request in time" in response.json()["message"]
    assert [v.title for v in emulator.state.issues(REPO)] == ["ambiguous"]
    assert emulator.stats.mutation_fields_applied == 1


async def test_drop_after_commit_applies_then_disconnects(client: httpx.AsyncClient, emulator: GitHubEmulator) -> None:
    emulator.inject("drop_after_commit")
    with pytest.raises(httpx.RemoteProtocolError, match="Server disconnected without sending a response"):
        await create(client, emulator, "dropped")
    assert [v.title for v in emulator.state.issues(REPO)] == ["dropped"]


async def test_drop_before_commit_does_not_apply(client: httpx.AsyncClient, emulator: GitHubEmulator) -> None:
    emulator.inject("drop_before_commit")
    with pytest.raises(httpx.RemoteProtocolError):
        await create(client, emulator)
    assert issue_count(emulator) == 0


async def test_scripted_faults_match_operation_name_and_count(
    client: httpx.AsyncClient, emulator: GitHubEmulator
) -> None:
    emulator.inject("http_502", operation="CreateIssue", times=2)
    assert (await client.post("/graphql", json={"query": VIEWER})).status_code == 200
    assert (await create(client, emulator)).status_code == 502
    assert (await client.post("/graphql", json={"query": VIEWER, "operationName": "Viewer"})).status_code == 200
    assert (await create(client, emulator)).status_code == 502
    assert (await create(client, emulator)).status_code == 200
    assert emulator.stats.faults == {"http_502": 2}
    assert emulator.stats.operations == {"Viewer": 2, "CreateIssue": 3}


def statuses(plan: FaultPlan[FaultKind], requests: int = 60) -> list[int]:
    emulator = GitHubEmulator.with_default_scenario(clock=ManualClock(), fault_plan=plan, retry_after=0.01)
    repo_id = emulator.state.repository(REPO).id
    result = []
    for i in range(requests):
        query, variables = (CREATE, {"r": repo_id, "t": f"t{i}"}) if i % 2 else (VIEWER, {})
        response = emulator.request(query, variables)
        result.append(0 if response.drop else response.status)
    return result


def test_fault_plan_is_seeded_and_reproducible() -> None:
    plan = fault_plan(0.5, ("http_502", "http_500"), seed=7)
    first = statuses(plan)
    assert first == statuses(plan)
    assert {500, 502, 200} <= set(first)
    assert first != statuses(fault_plan(0.5, ("http_502", "http_500"), seed=8))


def test_fault_plan_can_target_mutations_only() -> None:
    result = statuses(fault_plan(1.0, ("http_504",), mutations_only=True))
    assert result[0::2] == [200] * 30  # queries
    assert result[1::2] == [504] * 30  # mutations


def test_fault_plan_validates_its_inputs() -> None:
    with pytest.raises(ValueError, match=r"1\.0"):
        fault_plan(1.5)
    with pytest.raises(ValueError, match="not_a_kind"):
        fault_plan(0.1, ("not_a_kind",))
