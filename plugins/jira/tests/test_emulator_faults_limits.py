"""Fault injection and Jira's rate limits, through the in-process httpx transport: 429s with Jira's headers,
5xx, applied-then-failed writes, timeouts and dropped connections; the burst, per-issue and quota limiters on
virtual time."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest

from planpilot_provider_jira.testing import (
    FaultKind,
    JiraEmulator,
    JiraLimits,
    Reason,
    VirtualClock,
    fault_plan,
    run_virtual,
)
from planpilot_provider_jira.testing.builders import create_body

SITE = "https://emulated.atlassian.net"
AUTH = ("me@example.com", "token")


def _client(emulator: JiraEmulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=emulator.transport(), base_url=SITE, auth=AUTH)


async def test_injected_rate_limit_carries_retry_after_and_jiras_headers(emulator: JiraEmulator) -> None:
    emulator.inject(FaultKind.RATE_LIMIT_BURST, operation="getIssue")
    async with _client(emulator) as client:
        response = await client.get("/rest/api/3/issue/PROJ-1")
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "1"
        assert response.headers["RateLimit-Reason"] == "jira-burst-based"
        assert response.headers["X-RateLimit-Remaining"] == "0"
        assert response.headers["X-RateLimit-Reset"].endswith("Z")
        assert (await client.get("/rest/api/3/myself")).status_code == 200
    assert emulator.stats.faults == {"rate_limit_burst": 1}


@pytest.mark.parametrize(
    ("kind", "status", "retry_after"),
    [
        (FaultKind.HTTP_500, 500, None),
        (FaultKind.HTTP_502, 502, None),
        (FaultKind.HTTP_503, 503, "1"),
        (FaultKind.HTTP_504, 504, None),
        (FaultKind.RATE_LIMIT_PER_ISSUE, 429, "1"),
        (FaultKind.RATE_LIMIT_NO_RETRY_AFTER, 429, None),
    ],
)
async def test_failures_before_commit_apply_nothing(
    emulator: JiraEmulator, kind: FaultKind, status: int, retry_after: str | None
) -> None:
    emulator.inject(kind, operation="createIssue")
    async with _client(emulator) as client:
        response = await client.post("/rest/api/3/issue", json=create_body("Lost"))
    assert response.status_code == status
    assert response.headers.get("Retry-After") == retry_after
    assert emulator.state.issues == {}


@pytest.mark.parametrize("kind", [FaultKind.HTTP_500_AFTER_COMMIT, FaultKind.HTTP_504_AFTER_COMMIT])
async def test_applied_then_5xx_leaves_the_issue_created(emulator: JiraEmulator, kind: FaultKind) -> None:
    emulator.inject(kind, operation="createIssue")
    async with _client(emulator) as client:
        response = await client.post("/rest/api/3/issue", json=create_body("Made anyway"))
    assert response.status_code >= 500
    assert [i.summary for i in emulator.state.issues.values()] == ["Made anyway"]


@pytest.mark.parametrize(
    ("kind", "error", "applied"),
    [
        (FaultKind.TIMEOUT, httpx.ReadTimeout, False),
        (FaultKind.TIMEOUT_AFTER_COMMIT, httpx.ReadTimeout, True),
        (FaultKind.DROP_BEFORE_COMMIT, httpx.RemoteProtocolError, False),
        (FaultKind.DROP_AFTER_COMMIT, httpx.RemoteProtocolError, True),
    ],
)
async def test_timeouts_and_dropped_connections(
    emulator: JiraEmulator, kind: FaultKind, error: type[Exception], applied: bool
) -> None:
    emulator.inject(kind, operation="createIssue")
    async with _client(emulator) as client:
        with pytest.raises(error):
            await client.post("/rest/api/3/issue", json=create_body("Maybe"))
    assert len(emulator.state.issues) == (1 if applied else 0)


def test_a_seeded_random_plan_is_deterministic(make_emulator: Any) -> None:
    outcomes = []
    for _ in range(2):
        emulator = make_emulator(fault_plan=fault_plan(0.5, [FaultKind.HTTP_502], seed=7))
        outcomes.append([emulator.request("GET", "/rest/api/3/myself").status for _ in range(12)])
    assert outcomes[0] == outcomes[1]
    assert set(outcomes[0]) == {200, 502}
    with pytest.raises(ValueError, match="unknown fault kind 'bogus'"):
        fault_plan(0.1, ["bogus"])


def test_writes_only_plans_spare_reads(make_emulator: Any) -> None:
    emulator = make_emulator(fault_plan=fault_plan(1.0, [FaultKind.HTTP_500], writes_only=True))
    assert emulator.request("GET", "/rest/api/3/myself").status == 200
    assert emulator.request("POST", "/rest/api/3/search/jql", {"jql": "project = PROJ"}).status == 200  # a read
    assert emulator.request("POST", "/rest/api/3/issue", create_body("x")).status == 500


def test_inject_names_operations_by_operation_id(emulator: JiraEmulator) -> None:
    with pytest.raises(ValueError, match="operationId"):
        emulator.inject(FaultKind.HTTP_500, operation="POST /rest/api/3/issue")


def test_burst_limit_refuses_past_the_bucket_and_refills_at_the_rate(make_emulator: Any) -> None:
    clock = VirtualClock()
    limits = JiraLimits(burst_rates={"GET": 10.0, "POST": 10.0, "PUT": 5.0, "DELETE": 5.0}, endpoint_rates={})
    emulator = make_emulator(clock=clock, limits=limits)

    async def main() -> list[int]:
        statuses = []
        async with _client(emulator) as client:
            for _ in range(12):
                response = await client.get("/rest/api/3/myself")
                statuses.append(response.status_code)
                if response.status_code == 429:
                    assert response.headers["RateLimit-Reason"] == Reason.BURST
                    assert int(response.headers["Retry-After"]) >= 1
            await clock.sleep(0.5)
            ok = await client.get("/rest/api/3/myself")
            assert ok.status_code == 200
            assert ok.headers["X-RateLimit-Limit"] == "10"
            assert int(ok.headers["X-RateLimit-Remaining"]) == 4  # 0.5 s refilled 5, this request took 1
            # Another endpoint has its own bucket.
            assert (await client.get("/rest/api/3/field")).status_code == 200
        return statuses

    statuses = run_virtual(main, clock=clock)
    assert statuses == [200] * 10 + [429, 429]
    assert emulator.stats.limited == {Reason.BURST: 2}


def test_per_issue_writes_are_limited_per_issue(make_emulator: Any) -> None:
    clock = VirtualClock()
    emulator = make_emulator(clock=clock, limits=JiraLimits())
    first = emulator.request("POST", "/rest/api/3/issue", create_body("hot")).json()["key"]
    second = emulator.request("POST", "/rest/api/3/issue", create_body("cold")).json()["key"]
    statuses = [
        emulator.request("PUT", f"/rest/api/3/issue/{first}", {"fields": {"summary": f"v{n}"}}).status
        for n in range(21)
    ]
    assert statuses == [204] * 20 + [429]
    refused = emulator.request("PUT", f"/rest/api/3/issue/{first}", {"fields": {"summary": "late"}})
    assert refused.headers["RateLimit-Reason"] == Reason.PER_ISSUE
    assert refused.headers["Retry-After"] == "2"
    assert emulator.state.issue(first).summary == "v19"
    assert emulator.request("PUT", f"/rest/api/3/issue/{second}", {"fields": {"summary": "fine"}}).status == 204
    clock.advance(2.0)
    assert emulator.request("PUT", f"/rest/api/3/issue/{first}", {"fields": {"summary": "again"}}).status == 204


def test_the_points_quota_applies_to_oauth_traffic_and_resets_at_the_hour(make_emulator: Any) -> None:
    clock = VirtualClock()
    emulator = make_emulator(clock=clock, limits=JiraLimits.with_quota(5))
    cloud = emulator.state.cloud_id
    for summary in ("a", "b"):
        emulator.state.add_issue("PROJ", summary)
    gateway = f"/ex/jira/{cloud}/rest/api/3"
    search = emulator.request("POST", f"{gateway}/search/jql", {"jql": "project = PROJ"}, auth="oauth")
    assert search.status == 200  # 1 point + 2 issues read
    assert search.headers["RateLimit-Policy"] == '"global-app-quota";q=5;w=3600'
    assert emulator.stats.points_spent == 3
    assert emulator.request("GET", f"{gateway}/myself", auth="oauth").status == 200
    last = emulator.request("GET", f"{gateway}/myself", auth="oauth")
    assert last.headers["X-RateLimit-NearLimit"] == "true"
    refused = emulator.request("GET", f"{gateway}/myself", auth="oauth")
    assert refused.status == 429
    assert refused.headers["RateLimit-Reason"] == Reason.QUOTA
    to_hour = math.ceil(3600 - clock.time() % 3600)
    assert int(refused.headers["Retry-After"]) == to_hour
    assert emulator.request("GET", "/rest/api/3/myself").status == 200  # API-token traffic is not affected
    clock.advance(to_hour)
    assert emulator.request("GET", f"{gateway}/myself", auth="oauth").status == 200


def test_limits_refuse_bad_numbers() -> None:
    with pytest.raises(ValueError, match="burst_seconds"):
        JiraLimits(burst_seconds=0)
    with pytest.raises(ValueError, match="rate of 'GET'"):
        JiraLimits(burst_rates={"GET": -1})
    with pytest.raises(ValueError, match="per_issue_writes"):
        JiraLimits(per_issue_writes=((0, 2.0),))
