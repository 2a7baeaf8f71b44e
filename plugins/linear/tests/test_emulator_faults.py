"""Fault injection through the in-process httpx transport: each kind, before or after the write is applied,
scripted one-shot faults by operation, and seeded random plans."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from planpilot_provider_linear.graphql.generated import issue_mutations, issues
from planpilot_provider_linear.testing import (
    FaultKind,
    FaultPlan,
    LinearEmulator,
    ManualClock,
    VirtualClock,
    fault_plan,
)

CREATE = bytes(issue_mutations.Operations.mutation.issue_create).decode()
BY_ID = bytes(issues.Operations.query.issue_by_id).decode()


@pytest.fixture
def emulator() -> LinearEmulator:
    return LinearEmulator.with_default_scenario(clock=ManualClock())


@pytest.fixture
async def client(emulator: LinearEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=emulator.transport(), base_url="https://api.linear.app", headers={"Authorization": "lin_api_x"}
    ) as http:
        yield http


async def create(client: httpx.AsyncClient, emulator: LinearEmulator, issue_id: str | None = None) -> httpx.Response:
    team = emulator.state.team_by_key("ENG")
    fields = {"teamId": team.id, "title": "x", **({"id": issue_id} if issue_id else {})}
    return await client.post("https://api.linear.app/graphql", json={"query": CREATE, "variables": {"input": fields}})


def count(emulator: LinearEmulator) -> int:
    return len(emulator.state.team_issues("ENG"))


@pytest.mark.parametrize(
    ("kind", "status", "content_type"),
    [
        (FaultKind.HTTP_500, 500, "application/json"),
        (FaultKind.HTTP_502, 502, "text/html"),
        (FaultKind.HTTP_503, 503, "text/html"),
        (FaultKind.HTTP_504, 504, "text/html"),
    ],
)
async def test_server_errors_happen_before_the_write(
    client: httpx.AsyncClient, emulator: LinearEmulator, kind: FaultKind, status: int, content_type: str
) -> None:
    emulator.inject(kind)
    response = await create(client, emulator)
    assert response.status_code == status
    assert response.headers["content-type"].startswith(content_type)
    if status == 500:
        assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
        assert "x-ratelimit-requests-remaining" in response.headers
    assert count(emulator) == 0
    assert emulator.stats.faults[kind.value] == 1
    assert (await create(client, emulator)).status_code == 200  # one-shot
    assert count(emulator) == 1


async def test_applied_then_500_leaves_a_create_the_client_can_find_by_its_id(
    client: httpx.AsyncClient, emulator: LinearEmulator
) -> None:
    emulator.inject("http_500_after_commit", operation="IssueCreate")
    issue_id = str(uuid.uuid4())
    assert (await create(client, emulator, issue_id)).status_code == 500
    assert count(emulator) == 1  # applied
    found = await client.post("/graphql", json={"query": BY_ID, "variables": {"id": issue_id}})
    assert found.json()["data"]["issue"]["id"] == issue_id
    retried = await create(client, emulator, issue_id)
    assert "already exists" in retried.json()["errors"][0]["extensions"]["userPresentableMessage"]
    assert count(emulator) == 1  # a blind retry with the same id makes no duplicate


@pytest.mark.parametrize(
    ("kind", "error", "applied"),
    [
        (FaultKind.TIMEOUT, httpx.ReadTimeout, 0),
        (FaultKind.TIMEOUT_AFTER_COMMIT, httpx.ReadTimeout, 1),
        (FaultKind.DROP_BEFORE_COMMIT, httpx.RemoteProtocolError, 0),
        (FaultKind.DROP_AFTER_COMMIT, httpx.RemoteProtocolError, 1),
    ],
)
async def test_lost_answers_before_or_after_the_write(
    client: httpx.AsyncClient, emulator: LinearEmulator, kind: FaultKind, error: type[Exception], applied: int
) -> None:
    emulator.inject(kind)
    with pytest.raises(error):
        await create(client, emulator)
    assert count(emulator) == applied
    assert emulator.stats.faults == {kind.value: 1}


@pytest.mark.parametrize(
    ("kind", "budget", "header"),
    [
        (FaultKind.RATELIMITED, "requests", "x-ratelimit-requests-remaining"),
        (FaultKind.COMPLEXITY_RATELIMITED, "complexity", "x-ratelimit-complexity-remaining"),
    ],
)
async def test_injected_rate_limits_empty_the_budget_as_linear_answers(
    kind: FaultKind, budget: str, header: str
) -> None:
    clock = VirtualClock()  # stands still outside clock.run(): the emptied bucket cannot refill meanwhile
    emulator = LinearEmulator.with_default_scenario(clock=clock)
    client = httpx.AsyncClient(transport=emulator.transport(), headers={"Authorization": "lin_api_x"})
    emulator.inject(kind)
    response = await create(client, emulator)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "RATELIMITED", "statusCode": 429}
    assert response.headers[header] == "0"
    assert count(emulator) == 0
    assert emulator.stats.limited == {budget: 1}
    later = await create(client, emulator)  # the bucket is still empty: refused by the budget itself
    assert later.status_code == 400
    assert emulator.stats.limited[budget] == 2
    clock.advance(3600)
    assert (await create(client, emulator)).status_code == 200
    await client.aclose()


async def test_faults_can_target_one_operation(client: httpx.AsyncClient, emulator: LinearEmulator) -> None:
    emulator.inject("http_502", operation="IssueCreate", times=2)
    viewer = await client.post("/graphql", json={"query": "query Viewer { viewer { id } }"})
    assert viewer.status_code == 200
    assert [(await create(client, emulator)).status_code for _ in range(3)] == [502, 502, 200]


async def test_a_seeded_plan_repeats_and_can_spare_reads() -> None:
    def outcomes(plan: FaultPlan[FaultKind]) -> list[int]:
        emulator = LinearEmulator.with_default_scenario(fault_plan=plan)
        team = emulator.state.team_by_key("ENG").id
        return [emulator.request(CREATE, {"input": {"teamId": team, "title": str(n)}}).status for n in range(40)]

    plan = fault_plan(0.3, ["http_503", "http_500"], seed=7)
    assert outcomes(plan) == outcomes(plan)
    assert {200, 500, 503} <= set(outcomes(plan))
    reads_spared = LinearEmulator.with_default_scenario(fault_plan=fault_plan(1.0, ["http_503"], writes_only=True))
    assert reads_spared.request("query { viewer { id } }").status == 200
    emulator = LinearEmulator.with_default_scenario()
    emulator.fault_plan = fault_plan(1.0, ["http_504"])
    assert emulator.request("query { viewer { id } }").status == 504
    emulator.clear_faults()
    assert emulator.request("query { viewer { id } }").status == 200


def test_fault_plans_refuse_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="unknown fault kind 'meteor'; choose from ratelimited, "):
        fault_plan(0.1, ["meteor"])
    with pytest.raises(ValueError, match="meteor"):
        LinearEmulator.with_default_scenario().inject("meteor")
