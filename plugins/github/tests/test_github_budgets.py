"""Pacing by GitHub's budgets, on the emulator's virtual clock (never real time).

Every budget stays under its limit without a single limit response; reads go concurrently and writes one
at a time, with no spacing unless asked; waiting for a budget is never one of a call's attempts; GitHub's
headers and refusals tighten the budgets, and a limit narrower than configured costs one refusal.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import attrs
import httpx
import pytest

from planpilot_provider_github.budgets import (
    CONTENT_PER_HOUR,
    CONTENT_PER_MINUTE,
    GITHUB_LIMITS,
    PRIMARY,
    SECONDARY,
    GitHubLimits,
)
from planpilot_provider_github.errors import refused_budget
from planpilot_provider_github.options import GitHubOptions
from planpilot_provider_github.provider import GitHubProvider
from planpilot_provider_github.testing import GitHubBudgets, GitHubEmulator, VirtualClock, run_virtual
from planpilot_provider_github.testing.budgets import CONTENT_CREATION_MESSAGE
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.contracts import CreateItemInput, UpdateItemInput
from planpilot_providers_core.errors import ProviderConfigError, RateLimitExhaustedError
from planpilot_providers_core.plan import Plan, PlanItem
from planpilot_providers_core.reliability import RetryPolicy
from planpilot_providers_core.sync.runner import sync_plan

REPO = "acme/roadmap"
BOARD = "https://github.com/orgs/acme/projects/1"
POLICY = RetryPolicy(attempts=2, wait_initial=0.01, wait_max=0.01, wait_jitter=0.0)


class Recorder(httpx.AsyncBaseTransport):
    """Notes, on the virtual clock, when each request starts and ends, its operation and whether it mutates."""

    def __init__(self, inner: httpx.AsyncBaseTransport, clock: VirtualClock) -> None:
        self.inner = inner
        self.clock = clock
        self.requests: list[tuple[float, float, str, bool]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        started = self.clock.monotonic()
        response = await self.inner.handle_async_request(request)
        mutation = payload["query"].startswith("mutation")
        self.requests.append((started, self.clock.monotonic(), payload.get("operationName", ""), mutation))
        return response

    def peak(self, *, mutations: bool | None = None) -> int:
        """The most requests (of that kind) in flight at once."""
        spans = [(a, b) for a, b, _, m in self.requests if mutations is None or m is mutations]
        return max((sum(1 for a, b in spans if a <= t < b) for t, _ in spans), default=0)

    async def aclose(self) -> None:
        await self.inner.aclose()


def emulator_for(clock: VirtualClock, **budget_changes: Any) -> GitHubEmulator:
    budgets = GitHubBudgets.github_defaults().replace(**budget_changes)
    return GitHubEmulator.with_default_scenario(clock=clock, budgets=budgets, latency=0.05, jitter=0.1)


def provider_for(
    emulator: GitHubEmulator, clock: VirtualClock, *, transport: httpx.AsyncBaseTransport | None = None, **options: Any
) -> GitHubProvider:
    settings: dict[str, Any] = {"budgets": "github", "retry_policy": POLICY}
    settings.update(options)
    return GitHubProvider(
        ProviderConfig.from_keywords(
            "github",
            target=REPO,
            token="t",
            board_url=BOARD,
            transport=transport or emulator.transport(),
            clock=clock,
            **settings,
        )
    )


def item(n: int, **changes: Any) -> CreateItemInput:
    values: dict[str, Any] = {"title": f"Item {n}", "body": f"PLAN_ID:budgets\nITEM_ID:{n}", "item_type": "TASK"}
    values.update(changes)
    return CreateItemInput(**values)


def limited(emulator: GitHubEmulator) -> dict[str, int]:
    return {kind: n for kind, n in emulator.stats.as_dict()["budgets"]["limited"].items() if n}


def chain(n: int) -> Plan:
    """``n`` tasks, each blocked by the one before."""
    return Plan(
        items=[
            PlanItem(id=f"T{i}", type="TASK", title=f"Task {i}", depends_on=[f"T{i - 1}"] if i else [])
            for i in range(n)
        ]
    )


# -- the option ---------------------------------------------------------------------------------------


def test_budgets_are_githubs_numbers_talking_to_github_and_off_for_the_emulator() -> None:
    assert GitHubOptions().limits == GITHUB_LIMITS
    assert GitHubOptions(api_url="https://ghe.example.com/api/graphql").limits == GITHUB_LIMITS
    assert GitHubOptions(api_url="http://127.0.0.1:8080/graphql").limits is None
    assert GitHubOptions(transport=httpx.MockTransport(lambda r: httpx.Response(200))).limits is None
    assert GitHubOptions(api_url="http://127.0.0.1:8080/graphql", budgets="github").limits == GITHUB_LIMITS
    assert GitHubOptions(budgets=None).limits is None
    mine = GitHubLimits(content_per_hour=300)
    assert GitHubOptions(budgets=mine).limits is mine
    assert {b.name: (b.limit, b.window, b.usable) for b in GITHUB_LIMITS.budgets()} == {
        PRIMARY: (5000, 3600.0, 4900),
        SECONDARY: (2000, 60.0, 1900),
        CONTENT_PER_MINUTE: (80, 60.0, 75),
        CONTENT_PER_HOUR: (500, 3600.0, 490),
    }
    assert (GITHUB_LIMITS.max_in_flight, GITHUB_LIMITS.writes_in_flight) == (100, 1)
    with pytest.raises(ProviderConfigError, match="budgets must be 'auto'"):
        GitHubOptions(budgets="fast")  # type: ignore[arg-type]
    with pytest.raises(ProviderConfigError, match=r"content_hour_margin \(500\) must be below content_per_hour"):
        GitHubLimits(content_hour_margin=500)
    with pytest.raises(ProviderConfigError, match="max_in_flight must be a whole number >= 1"):
        GitHubLimits(max_in_flight=0)


def test_mutations_are_not_spaced_unless_asked() -> None:
    clock = VirtualClock()
    emulator = emulator_for(clock)

    async def starts(interval: float | None) -> list[float]:
        recorder = Recorder(emulator.transport(), clock)
        async with provider_for(emulator, clock, transport=recorder, mutation_interval=interval) as provider:
            created = [await provider.create_item(item(n)) for n in range(4)]
            recorder.requests.clear()
            await asyncio.gather(*(provider.update_item(c.id, UpdateItemInput(title=f"R{c.id}")) for c in created))
        return sorted(start for start, _, _, mutation in recorder.requests if mutation)

    unspaced = run_virtual(lambda: starts(None), clock=clock)
    spaced = run_virtual(lambda: starts(1.0), clock=clock)
    assert len(unspaced) == len(spaced) == 4
    assert unspaced[-1] - unspaced[0] < 1.0  # one after the other, each as soon as the last one answered
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(spaced))


def test_reads_go_concurrently_and_writes_one_at_a_time() -> None:
    clock = VirtualClock()
    emulator = GitHubEmulator.with_default_scenario(clock=clock, budgets=GitHubBudgets.github_defaults(), latency=1.0)
    recorder = Recorder(emulator.transport(), clock)

    async def main() -> tuple[float, float]:
        async with provider_for(emulator, clock, transport=recorder) as provider:
            created = await asyncio.gather(*(provider.create_item(item(n)) for n in range(5)))
            started = clock.monotonic()
            await asyncio.gather(*(provider.get_item(c.id) for c in created for _ in range(2)))
            reads = clock.monotonic() - started
            started = clock.monotonic()
            await asyncio.gather(*(provider.update_item(c.id, UpdateItemInput(title="Renamed")) for c in created))
            return reads, clock.monotonic() - started

    reads, updates = run_virtual(main, clock=clock)
    assert reads < 1.5  # ten reads of 1 s each, side by side (10 connections)
    assert recorder.peak(mutations=False) == 10
    assert recorder.peak(mutations=True) == 1  # GitHub asks for serial writes
    assert updates >= 5.0  # five reads side by side, then five writes one after another
    assert limited(emulator) == {}


# -- every budget stays under its limit --------------------------------------------------------------


def test_a_sync_paced_by_content_creation_meets_no_limit() -> None:
    """560 creates and 559 blocked-by links: beyond an hour's 500 content creations, in bursts of 80 a minute."""
    clock = VirtualClock()
    emulator = emulator_for(clock)

    async def main() -> Any:
        async with provider_for(emulator, clock) as provider:
            return await sync_plan(provider, chain(560))

    result = run_virtual(main, clock=clock)
    assert result.ok
    assert limited(emulator) == {}
    assert emulator.stats.as_dict()["budgets"]["content_units_spent"] == 1 + 560 + 559  # the label, issues, links
    assert 2 * 3600 < clock.monotonic() < 3 * 3600  # 1,120 units at 490 an hour: the third hour


def test_reads_paced_by_secondary_points_meet_no_limit() -> None:
    clock = VirtualClock()
    emulator = emulator_for(clock, secondary_points=200)
    limits = GitHubLimits(secondary_per_minute=200, secondary_margin=10)

    async def main() -> float:
        async with provider_for(emulator, clock, budgets=limits) as provider:
            created = await provider.create_item(item(0))
            started = clock.monotonic()
            await asyncio.gather(*(provider.get_item(created.id) for _ in range(500)))
            return clock.monotonic() - started

    took = run_virtual(main, clock=clock)
    assert limited(emulator) == {}
    assert 2 * 60 < took < 3 * 60  # 500 points at 190 a minute


def test_the_primary_limit_from_the_headers_is_kept_and_a_low_remainder_waits_for_the_reset() -> None:
    clock = VirtualClock()
    emulator = emulator_for(clock, primary_points=300)

    async def main() -> tuple[float, float]:
        async with provider_for(emulator, clock) as provider:  # configured for 5,000: the headers say 300
            created = await provider.create_item(item(0))
            await asyncio.gather(*(provider.get_item(created.id) for _ in range(250)))
            learned = clock.monotonic()
            assert provider._gql.pacing.tracker is not None
            assert provider._gql.pacing.tracker.budgets[PRIMARY].limit == 300
            with emulator.lock:  # the same token spends elsewhere: 5 points are left in this hour
                primary = emulator.ledger.primary
                assert primary is not None
                primary.try_charge(primary.snapshot().remaining - 5)
            await provider.get_item(created.id)  # its answer says 4 are left: fewer than 10 reads in flight need
            await asyncio.gather(*(provider.get_item(created.id) for _ in range(20)))
            return learned, clock.monotonic()

    learned, done = run_virtual(main, clock=clock)
    assert limited(emulator) == {}
    assert learned > 3600  # 250 reads on top of enter and the create: past the 200 usable of the first hour
    assert done > 2 * 3600  # the rest waited for the reset GitHub announced


# -- waiting is not failing ---------------------------------------------------------------------------


def test_a_budget_wait_uses_up_no_attempt() -> None:
    """Two attempts allowed: the first fails with a 502, the second waits a minute for room, then succeeds."""
    clock = VirtualClock()
    emulator = GitHubEmulator.with_default_scenario(clock=clock, budgets=GitHubBudgets.unlimited())
    limits = GitHubLimits(secondary_per_minute=3, secondary_margin=0)

    async def main() -> tuple[str, float]:
        async with provider_for(emulator, clock, budgets=None) as setup:
            created = await setup.create_item(item(0))
        async with provider_for(emulator, clock, budgets=limits) as provider:  # enter: 2 reads; one more fits
            started = clock.monotonic()
            emulator.inject("http_502", "GetIssues")
            read = await provider.get_item(created.id)
            return read.id, clock.monotonic() - started

    read_id, took = run_virtual(main, clock=clock)
    assert read_id
    assert took >= 60
    assert emulator.stats.operations["GetIssues"] == 2


def test_refusals_are_waited_out_on_their_budget_not_as_attempts() -> None:
    clock = VirtualClock()
    emulator = GitHubEmulator.with_default_scenario(clock=clock, retry_after=30.0)

    async def main() -> tuple[str, dict[str, float] | None, float]:
        async with provider_for(emulator, clock, retry_policy=RetryPolicy(attempts=1)) as provider:
            created = await provider.create_item(item(0))
            started = clock.monotonic()
            emulator.inject("secondary_403", "GetIssues", times=3)
            read = await provider.get_item(created.id)
            return read.id, dict(provider.budget_report() or {}), clock.monotonic() - started

    read_id, report, took = run_virtual(main, clock=clock)
    assert read_id
    assert report is not None
    assert report["limit responses"] == 3
    assert took >= 90
    assert emulator.stats.operations["GetIssues"] == 4


def test_a_refusal_asking_for_more_than_a_window_is_a_clear_error() -> None:
    clock = VirtualClock()
    emulator = GitHubEmulator.with_default_scenario(clock=clock, retry_after=7200.0)

    async def main() -> None:
        async with provider_for(emulator, clock) as provider:
            created = await provider.create_item(item(0))
            emulator.inject("secondary_403", "GetIssues")
            with pytest.raises(RateLimitExhaustedError, match=r"GetIssues: GitHub keeps refusing .*7200s wait"):
                await provider.get_item(created.id)

    run_virtual(main, clock=clock)


# -- a limit narrower than configured -------------------------------------------------------------------


def test_a_limit_narrower_than_configured_costs_one_refusal_and_the_run_finishes() -> None:
    clock = VirtualClock()
    emulator = emulator_for(clock, content_per_minute=40)  # GitHub says 80 "in general"; this one is lower

    async def main() -> tuple[Any, dict[str, float] | None, float]:
        async with provider_for(emulator, clock) as provider:
            result = await sync_plan(provider, chain(200))
            tracker = provider._gql.pacing.tracker
            assert tracker is not None
            return result, provider.budget_report(), tracker.budgets[CONTENT_PER_MINUTE].limit

    result, report, learned = run_virtual(main, clock=clock)
    assert result.ok
    assert len(emulator.state.issues(REPO)) == 200
    assert limited(emulator) == {"content_per_minute": 1}
    assert report is not None
    assert report["limit responses"] == 1
    assert learned == 40


@pytest.mark.parametrize(
    ("body", "headers", "kind"),
    [
        (
            {"message": CONTENT_CREATION_MESSAGE},
            {},
            "content",
        ),
        ({"message": "You have exceeded a secondary rate limit. Please wait a few minutes."}, {}, "secondary"),
        ({"data": None, "errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]}, {}, "primary"),
        ({"data": None, "errors": [{"type": "RATE_LIMIT", "message": "already exceeded"}]}, {}, "primary"),
        ({"message": "API rate limit exceeded"}, {"x-ratelimit-remaining": "0"}, "primary"),
        ({"message": "Too many requests"}, {}, "secondary"),
    ],
)
def test_a_refusal_names_the_budget_it_speaks_of(body: dict[str, Any], headers: dict[str, str], kind: str) -> None:
    response = httpx.Response(403, headers=headers, json=body)
    assert refused_budget(response, body) == kind


def test_limits_are_attrs_values() -> None:
    assert attrs.evolve(GITHUB_LIMITS, content_per_hour=400).content_per_hour == 400
