"""Linear's limits on virtual time: a refusal (HTTP 400 RATELIMITED) waited out for as long as the bucket needs
and counted, the headers narrowing the budgets, a sync paced under a small budget without one refusal, and the
estimate that ``check`` and the progress line show."""

from __future__ import annotations

from typing import Any

import pytest

from planpilot_provider_linear.budgets import COMPLEXITY, REQUESTS, workload_units
from planpilot_provider_linear.provider import LinearProvider
from planpilot_provider_linear.testing import LinearEmulator, LinearLimits, VirtualClock, run_virtual
from planpilot_providers_core import CreateItemInput, Credential, ItemSearchFilters, Workload, create_provider
from planpilot_providers_core.plan.synthetic import layered_plan
from planpilot_providers_core.sync.runner import sync_plan

KEY = Credential(name="Linear API key", parts={"token": "lin_api_budget-test-0123"}, sent_as="header")
OAUTH = Credential(name="Linear OAuth token", parts={"token": "lin_oauth_budget-test-0123"}, sent_as="bearer")


def provider(emulator: LinearEmulator, clock: VirtualClock, **options: Any) -> LinearProvider:
    made = create_provider(
        "linear",
        target="ENG",
        token="",
        credential=options.pop("credential", KEY),
        board_url="",
        transport=emulator.transport(),
        clock=clock,
        **options,
    )
    assert isinstance(made, LinearProvider)
    return made


@pytest.mark.parametrize(("kind", "wait"), [("ratelimited", 3600 / 2500), ("complexity_ratelimited", 0.01)])
def test_a_refusal_is_waited_out_as_long_as_the_bucket_needs_and_counted(kind: str, wait: float) -> None:
    clock = VirtualClock()
    emulator = LinearEmulator.with_default_scenario(clock=clock)
    issue = emulator.state.add_issue("ENG", "Seeded", description="marker: m")

    async def main() -> tuple[float, Any, dict[str, float]]:
        async with provider(emulator, clock) as linear:
            emulator.inject(kind, operation="IssueById")  # the bucket runs dry: Linear answers 400 RATELIMITED
            started = clock.monotonic()
            item = await linear.get_item(issue.id)
            report = linear.budget_report()
            assert report is not None
            return clock.monotonic() - started, item, dict(report)

    took, item, report = run_virtual(main, clock=clock)
    assert item.id == issue.id
    assert wait <= took < wait + 1  # one unit's refill (a request: 1.44 s; 8 points: 0.01 s), not the hour to full
    assert report["limit responses"] == 1
    assert emulator.stats.as_dict()["limited"] == {
        kind.removesuffix("_ratelimited").replace("ratelimited", "requests"): 1
    }


def test_the_headers_narrow_the_budgets_to_what_linear_says() -> None:
    clock = VirtualClock()
    emulator = LinearEmulator.with_default_scenario(clock=clock, limits=LinearLimits(requests=300, complexity=40_000))

    async def main() -> dict[str, float]:
        async with provider(emulator, clock) as linear:
            budgets = linear._gql.budgets
            assert budgets is not None
            return {name: budget.limit for name, budget in budgets.tracker.budgets.items()}

    assert run_virtual(main, clock=clock) == {REQUESTS: 300, COMPLEXITY: 40_000}


def test_the_budgets_are_the_documented_ones_for_each_kind_of_credential() -> None:
    clock = VirtualClock()
    emulator = LinearEmulator.with_default_scenario(clock=clock)
    limits = {}
    for credential in (KEY, OAUTH):
        budgets = provider(emulator, clock, credential=credential)._gql.budgets
        assert budgets is not None
        limits[credential.name] = (budgets.tracker.budgets[REQUESTS].limit, budgets.tracker.budgets[COMPLEXITY].limit)
    assert limits == {"Linear API key": (2_500, 3_000_000), "Linear OAuth token": (5_000, 2_000_000)}
    assert provider(emulator, clock, budgets=False).estimate(Workload(creates=10)) is None


def test_a_sync_under_a_small_budget_is_paced_without_a_refusal_and_its_estimate_holds() -> None:
    """100 items against 40 requests an hour (Linear's headers say so): the provider paces itself under it from
    the first answer on, never meets a refusal, and the estimate it gives up front binds on requests."""
    plan = layered_plan(1)  # 100 items
    clock = VirtualClock()
    emulator = LinearEmulator.with_default_scenario(clock=clock, limits=LinearLimits(requests=40))
    seen: dict[str, Any] = {}

    async def main() -> Any:
        async with provider(emulator, clock) as linear:
            await linear.search_items(ItemSearchFilters(labels=("planpilot",)))  # one answer: the budget is 40
            seen["estimate"] = linear.estimate(Workload(creates=100, updates=10, relation_writes=58))
            seen["started"] = clock.monotonic()
            return await sync_plan(linear, plan)

    result = run_virtual(main, clock=clock)
    took = clock.monotonic() - seen["started"]
    assert result.ok, result.problems[:3]
    assert emulator.stats.as_dict()["limited"] == {}  # paced under the limit, never tripped it
    estimate = seen["estimate"]
    assert estimate.binding == REQUESTS
    assert took > 3000  # the requests did not fit one hour's 40
    assert abs(estimate.seconds - took) <= 0.25 * took, (estimate, took)


def test_workload_units_count_batched_writes() -> None:
    units = workload_units(Workload(creates=10, updates=30, relation_writes=26, reads=2), batch_size=25)
    # creates one each; updates: 2 batches of a read and a write; relations likewise; reads one each
    assert units == {REQUESTS: 10 + 4 + 4 + 2, COMPLEXITY: 10 * 10 + 30 * 18 + 26 * 102 + 2 * 8}


async def test_each_request_states_its_complexity_for_the_budget(make_linear: Any) -> None:
    async with make_linear() as linear:
        before = dict(linear.budget_report())
        await linear.create_item(CreateItemInput(title="t", body="b", item_type="TASK"))
        after = dict(linear.budget_report())
    assert after[REQUESTS] - before[REQUESTS] == 1  # the labels exist since entering: one issueCreate
    assert after[COMPLEXITY] - before[COMPLEXITY] == 10  # its complexity, as Linear counts it
