"""Jira's rate limits paced by core's budget tracker, on virtual time against the emulator enforcing them: bursts
and writes to one issue stay under the limits, a 429 of any limiter is waited out, and the work left has an ETA."""

from __future__ import annotations

import asyncio
from typing import Any

from planpilot_provider_jira.budgets import POINTS, budget_name
from planpilot_provider_jira.testing import JiraLimits, VirtualClock, run_virtual
from planpilot_providers_core import CreateItemInput, Workload
from planpilot_providers_core.testing.faults import virtual_system_time

from .support import provider_factory


def _item(title: str) -> CreateItemInput:
    return CreateItemInput(title=title, body=f"body of {title}\n", item_type="TASK", labels=("planpilot",))


def test_a_burst_and_many_writes_to_one_issue_stay_under_jira_s_limits(make_emulator: Any) -> None:
    clock = VirtualClock()
    emulator = make_emulator(clock=clock, limits=JiraLimits())
    make = provider_factory(emulator, budgets="jira", clock=clock)

    async def main() -> float:
        async with make() as provider:
            hub = await provider.create_item(_item("Hub"))
            others = [await provider.create_item(_item(f"Blocker {n}")) for n in range(40)]
            started = clock.monotonic()
            await asyncio.gather(*(provider.get_item(o.id) for o in others * 5))  # 200 reads at once
            await hub.reconcile_relations(parent=None, blockers=others)  # 40 link writes to one issue
            assert provider.budget_report() is not None
            return clock.monotonic() - started

    took = run_virtual(main, clock=clock)
    assert emulator.stats.limited == {}  # never refused: every request waited for room instead
    assert emulator.stats.operations["linkIssues"] == 40
    # 200 reads at 90 a second, then 40 writes to the hub at 18 per 2 seconds (Jira allows 20): over 6 s.
    assert took >= 6.0


def test_a_429_of_each_limiter_is_waited_out_and_counted(make_emulator: Any) -> None:
    emulator = make_emulator(retry_after=2.0)
    make = provider_factory(emulator, budgets="jira")

    async def main() -> None:
        async with make() as provider:
            blocked, blocker = await provider.create_item(_item("A")), await provider.create_item(_item("B"))
            for kind in ("rate_limit_per_issue", "rate_limit_burst", "rate_limit_no_retry_after"):
                emulator.inject(kind, operation="getIssue")
                await provider.get_item(blocked.id)
            emulator.inject("rate_limit_per_issue", operation="linkIssues")
            await blocked.add_dependency(blocker)
            report = provider.budget_report()
            assert report is not None
            assert report["limit responses"] == 4

    with virtual_system_time() as waited:
        asyncio.run(main())
    # Each Retry-After (2 s) was waited out, and the 429 without one paused everything for a minute.
    assert sorted(round(wait) for wait in waited.sleeps) == [2, 2, 2, 60]
    assert emulator.stats.faults == {"rate_limit_per_issue": 2, "rate_limit_burst": 1, "rate_limit_no_retry_after": 1}


async def test_the_work_left_has_an_estimate_at_jira_s_pace(emulator: Any) -> None:
    async with provider_factory(emulator)() as provider:
        estimate = provider.estimate(Workload(creates=43, updates=13, relation_writes=48, reads=2))
        assert estimate.units[budget_name("POST")] == 1 + 48  # 43 creates fit one bulk request; a link each
        assert estimate.units[budget_name("PUT")] == 13
        assert estimate.units[POINTS] == 43 + 26 + 48 + 4
        assert estimate.seconds >= 0
        assert provider.budget_report() is None  # the emulator is not paced unless budgets=jira


async def test_an_oauth_app_is_paced_by_its_hourly_points_quota(emulator: Any) -> None:
    from planpilot_providers_core import Credential

    oauth = Credential.token("oauth-access-token-0123456789", name="Jira OAuth token")
    async with provider_factory(emulator, credential=oauth, quota_points=1000, budgets="jira")() as provider:
        estimate = provider.estimate(Workload(creates=2000))
        assert estimate.binding == POINTS
        assert estimate.seconds > 3600  # 2,000 points of an hourly 990 (1 % kept free)


def test_an_oauth_app_near_its_quota_waits_for_the_next_hour_instead_of_being_refused(make_emulator: Any) -> None:
    """The provider declares Tier 1's 65,000 points, but the app has 1,000 left this hour: Jira's quota header
    (past 80 % use) narrows the budget, and the run waits for the top of the hour instead of meeting a 429."""
    from planpilot_providers_core import Credential

    clock = VirtualClock()
    token = "oauth-access-token-0123456789"
    emulator = make_emulator(clock=clock, limits=JiraLimits.with_quota(1000), bearer=[token])
    oauth = Credential.token(token, name="Jira OAuth token")
    make = provider_factory(emulator, credential=oauth, budgets="jira", clock=clock)

    async def main() -> float:
        async with make() as provider:
            item = await provider.create_item(_item("Read often"))
            started = clock.time()
            for _ in range(520):  # 2 points each: past the hour's 1,000
                await provider.get_item(item.id)
            return clock.time() - started

    took = run_virtual(main, clock=clock)
    assert emulator.stats.limited == {}
    assert emulator.stats.points_spent > 1000
    assert took > 60  # it waited for the quota's next hour
