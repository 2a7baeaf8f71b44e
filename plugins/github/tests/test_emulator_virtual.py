"""The virtual clock: the emulator and its client on one virtual time line, so hours of GitHub pacing run in
seconds; plus the clocks the emulator already had (SystemClock, ManualClock)."""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime, timedelta

import httpx
import looptime
import pytest

from planpilot_provider_github.testing import (
    GitHubBudgets,
    GitHubEmulator,
    ManualClock,
    SystemClock,
    Timeline,
    VirtualClock,
    run_virtual,
)
from planpilot_providers_core.emulation import epoch_source

REPO = "acme/roadmap"
START = datetime(2025, 6, 2, 12, 0, 0, tzinfo=UTC)
VIEWER = "query Viewer { viewer { login } }"
CREATE = """mutation CreateIssue($r: ID!, $t: String!) {
  createIssue(input: {repositoryId: $r, title: $t}) { issue { number } } }"""


def client_for(emulator: GitHubEmulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=emulator.transport(), base_url="https://api.github.com", headers={"Authorization": "bearer t"}
    )


def test_virtual_clock_reads_one_instant_three_ways_and_stands_still_outside_a_run() -> None:
    clock = VirtualClock(START)
    assert isinstance(clock, Timeline)
    assert (clock.now(), clock.time(), clock.monotonic()) == (START, START.timestamp(), 0.0)
    assert clock.advance(90.5) == START + timedelta(seconds=90.5)
    assert clock.time() == START.timestamp() + 90.5
    assert clock.monotonic() == 90.5
    assert clock.now().tzinfo is UTC
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="timezone-aware"):
        VirtualClock(datetime(2025, 1, 1))


def test_a_run_follows_loop_time_and_the_next_run_continues_it() -> None:
    clock = VirtualClock(START)

    async def wait_an_hour() -> tuple[float, float, datetime]:
        loop = asyncio.get_running_loop()
        before = loop.time()
        await clock.sleep(3600)
        with pytest.raises(RuntimeError, match="running"):
            clock.advance(1)
        return loop.time() - before, clock.monotonic(), clock.now()

    started = time.perf_counter()
    loop_elapsed, monotonic, now = clock.run(wait_an_hour)
    assert time.perf_counter() - started < 5
    assert (loop_elapsed, monotonic, now) == (3600, 3600, START + timedelta(hours=1))
    assert not clock.running
    assert clock.monotonic() == 3600  # stands still again
    run_virtual(lambda: clock.sleep(60), clock=clock)
    assert clock.now() == START + timedelta(hours=1, minutes=1)


def test_run_virtual_makes_its_own_clock_and_refuses_two_starts() -> None:
    async def now_after_a_day() -> float:
        await asyncio.sleep(86_400)
        return asyncio.get_running_loop().time()

    assert run_virtual(now_after_a_day, start=START) == 86_400
    with pytest.raises(ValueError, match="either clock= or start="):
        run_virtual(now_after_a_day, clock=VirtualClock(), start=START)


def test_sleeping_on_a_virtual_clock_outside_its_run_is_an_error() -> None:
    clock = VirtualClock(START)
    with pytest.raises(RuntimeError, match=r"clock\.run"):
        asyncio.run(clock.sleep(1))


def test_an_idle_timeout_turns_a_deadlock_into_an_error() -> None:
    async def deadlock() -> None:
        await asyncio.Event().wait()

    with pytest.raises(looptime.IdleTimeoutError):
        run_virtual(deadlock, idle_timeout=0.01)


def test_transport_latency_and_in_flight_accounting_run_on_virtual_time() -> None:
    clock = VirtualClock(START)
    emulator = GitHubEmulator.with_default_scenario(clock=clock, latency=0.25)

    async def ten_at_once() -> list[int]:
        async with client_for(emulator) as client:
            responses = await asyncio.gather(*(client.post("/graphql", json={"query": VIEWER}) for _ in range(10)))
        return [r.status_code for r in responses]

    started = time.perf_counter()
    assert run_virtual(ten_at_once, clock=clock) == [200] * 10
    assert time.perf_counter() - started < 5
    assert clock.monotonic() == pytest.approx(0.25)  # concurrent, and the latency was virtual
    assert (emulator.stats.peak_in_flight, emulator.stats.in_flight) == (10, 0)


def test_issue_timestamps_and_search_lag_follow_the_virtual_clock() -> None:
    clock = VirtualClock(START)
    emulator = GitHubEmulator.with_default_scenario(clock=clock, search_lag=30)
    search = 'query S { search(query: "repo:acme/roadmap lagged", type: ISSUE, first: 10) { issueCount } }'

    async def create_then_search() -> list[int]:
        counts = []
        emulator.request(CREATE, {"r": emulator.state.repository(REPO).id, "t": "lagged"})
        counts.append(emulator.request(search).json()["data"]["search"]["issueCount"])
        await clock.sleep(29)
        counts.append(emulator.request(search).json()["data"]["search"]["issueCount"])
        await clock.sleep(1)
        counts.append(emulator.request(search).json()["data"]["search"]["issueCount"])
        return counts

    clock.advance(5)
    assert run_virtual(create_then_search, clock=clock) == [0, 0, 1]
    assert emulator.state.issue(REPO, 1).created_at == START + timedelta(seconds=5)


def test_a_client_waiting_until_x_ratelimit_reset_on_the_shared_clock_gets_through() -> None:
    clock = VirtualClock(START)
    budgets = GitHubBudgets().replace(primary_points=3)
    emulator = GitHubEmulator.with_default_scenario(clock=clock, budgets=budgets)

    async def client() -> list[str]:
        seen = []
        async with client_for(emulator) as http:
            for _ in range(5):
                response = await http.post("/graphql", json={"query": VIEWER})
                body = response.json()
                if body.get("errors", [{}])[0].get("type") == "RATE_LIMITED":
                    seen.append("limited")
                    await clock.sleep(int(response.headers["x-ratelimit-reset"]) - clock.time())
                    continue
                seen.append(response.headers["x-ratelimit-remaining"])
        return seen

    clock.advance(0.5)
    assert run_virtual(client, clock=clock) == ["2", "1", "0", "limited", "2"]
    assert clock.monotonic() == pytest.approx(3601)  # the window of t = 0.5 reset at ceil(...) = t = 3601


def test_2000_creates_paced_at_one_per_second_take_three_virtual_hours_in_seconds() -> None:
    """500 creations per hour is what bounds a naive 1/s client: it is refused three times, each time told to
    come back when the oldest creation of the hour leaves the window."""
    clock = VirtualClock(START)
    emulator = GitHubEmulator.with_default_scenario(clock=clock, budgets=GitHubBudgets.github_defaults())
    repo_id = emulator.state.repository(REPO).id

    async def naive_client() -> list[str]:
        refusals = []
        created = 0
        async with client_for(emulator) as client:
            while created < 2000:
                response = await client.post("/graphql", json={"query": CREATE, "variables": {"r": repo_id, "t": "x"}})
                if response.status_code == 403:
                    refusals.append(response.headers["retry-after"])
                    await clock.sleep(float(response.headers.get("retry-after", 60)))
                    continue
                assert response.status_code == 200
                assert "errors" not in response.json()
                created += 1
                await clock.sleep(1.0)
        return refusals

    started = time.perf_counter()
    refusals = run_virtual(naive_client, clock=clock)
    wall = time.perf_counter() - started
    assert refusals == ["3100", "3100", "3100"]  # at t = 500, 4100 and 7700
    assert clock.monotonic() == 3 * 3600 + 500  # creation k at t = 3600 * (k // 500) + k % 500, then 1 s
    assert wall < 30  # three virtual hours; measured about 2-3 s
    assert len(emulator.state.issues(REPO)) == 2000
    assert emulator.state.issue(REPO, 2000).created_at == START + timedelta(seconds=3 * 3600 + 499)
    assert emulator.stats.limited == {"content_per_hour": 3}
    assert emulator.stats.content_units_spent == 2000
    assert emulator.stats.secondary_points_spent == 5 * 2000
    assert emulator.stats.primary_points_spent == 2000


def test_system_and_manual_clocks_keep_their_roles() -> None:
    system = SystemClock()
    assert isinstance(system, Timeline)
    assert abs(system.time() - time.time()) < 1
    assert abs(system.now().timestamp() - time.time()) < 1
    assert epoch_source(system) == system.time
    manual = ManualClock(START)
    assert not isinstance(manual, Timeline)
    assert epoch_source(manual) is time.time  # a ManualClock moves issues, not budgets
    emulator = GitHubEmulator.with_default_scenario(clock=manual)
    reset = int(emulator.request(VIEWER).headers["x-ratelimit-reset"])
    assert math.isclose(reset, time.time() + 3600, abs_tol=5)
    assert emulator.time() == pytest.approx(time.time(), abs=5)
    virtual = VirtualClock(START)
    assert GitHubEmulator(clock=virtual).time() == START.timestamp()
