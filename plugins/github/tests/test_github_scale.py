"""5,000 items through the reference sync to the budgeted emulator, on virtual time (issue 10's "done when").

GitHub's budgets make such a sync take about 16 hours (500 content creations an hour bind: 5,000 issues
and ~2,900 blocked-by links); on the virtual clock each test runs in about a minute of real time. The sync
runs unattended within every budget, the ETA it shows at 10 % of the items holds to within 20 %, and a
run stopped part-way, twice, resumes to the same end state: every item exactly once, with its parent, its
blockers and its board fields. (A fresh provider cannot know what the stopped one spent in the last hour,
GitHub has no way to ask, so a resumed run may meet a limit response or two: each is waited out.)
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from planpilot_provider_github.budgets import CONTENT_PER_HOUR
from planpilot_provider_github.provider import GitHubProvider
from planpilot_provider_github.testing import GitHubBudgets, GitHubEmulator, VirtualClock, run_virtual
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.contracts import Estimate
from planpilot_providers_core.plan import Plan
from planpilot_providers_core.plan.synthetic import layered_plan
from planpilot_providers_core.sync.body import parse_metadata
from planpilot_providers_core.sync.results import SyncResult
from planpilot_providers_core.sync.runner import SyncRun

REPO = "acme/roadmap"
BOARD = "https://github.com/orgs/acme/projects/1"
DEFAULTS = {"Status": "Backlog", "Priority": "P1", "Iteration": "Iteration 3"}


def budgeted(clock: VirtualClock, latency: float = 0.0) -> GitHubEmulator:
    """GitHub's documented budgets, on the virtual clock; answers take ``latency`` to 2 x ``latency``."""
    budgets = GitHubBudgets.github_defaults()
    return GitHubEmulator.with_default_scenario(clock=clock, budgets=budgets, latency=latency, jitter=latency)


def provider_for(emulator: GitHubEmulator, clock: VirtualClock) -> GitHubProvider:
    return GitHubProvider(
        ProviderConfig.from_keywords(
            "github",
            target=REPO,
            token="t",
            board_url=BOARD,
            transport=emulator.transport(),
            budgets="github",
            clock=clock,
        )
    )


def wrong_end_state(emulator: GitHubEmulator, plan: Plan, plan_id: str) -> list[str]:
    """Everything that differs from the plan: missing or duplicate issues, parents, blockers, board fields."""
    found: dict[str, list[Any]] = defaultdict(list)
    for view in emulator.state.issues(REPO):
        meta = parse_metadata(view.body)
        if meta is not None and meta.plan_id == plan_id:
            found[meta.item_id].append(view)
    problems = [f"{item_id}: {len(views)} issues" for item_id, views in found.items() if len(views) != 1]
    problems += [f"{item.id}: no issue" for item in plan if item.id not in found]
    if problems:
        return problems
    number = {item_id: views[0].number for item_id, views in found.items()}
    blockers = plan.blockers()
    for item in plan:
        view = found[item.id][0]
        if view.parent != (number[item.parent_id] if item.parent_id else None):
            problems.append(f"{item.id}: parent #{view.parent}")
        if set(view.blocked_by) != {number[b] for b in blockers[item.id]}:
            problems.append(f"{item.id}: blocked by {sorted(view.blocked_by)}")
        wanted = {**DEFAULTS, **({"Size": item.size} if item.size else {})}
        if dict(view.project_fields.get("acme/1", {})) != wanted:
            problems.append(f"{item.id}: board fields {dict(view.project_fields.get('acme/1', {}))}")
    return problems


def limit_responses(emulator: GitHubEmulator) -> int:
    return sum(emulator.stats.as_dict()["budgets"]["limited"].values())


def test_a_5000_item_plan_syncs_unattended_within_the_budgets_and_its_eta_holds() -> None:
    plan = layered_plan(50)  # 5,000 items, ~2,900 blocked-by links
    assert len(plan) == 5000
    clock = VirtualClock()
    emulator = budgeted(clock, latency=0.1)
    seen: dict[str, Any] = {}

    async def main() -> SyncResult:
        async with provider_for(emulator, clock) as provider:

            def progress(phase: str, done: int, total: int) -> None:
                if phase == "upsert" and done == total // 10 and "eta" not in seen:
                    seen["eta"], seen["at"] = run.estimate(), clock.monotonic()

            run = SyncRun(provider, plan, progress=progress)
            result = await run.execute()
            seen["report"] = provider.budget_report()
            return result

    result = run_virtual(main, clock=clock)
    took = clock.monotonic()

    assert result.ok, result.problems[:5]
    assert wrong_end_state(emulator, plan, result.plan_id) == []
    assert limit_responses(emulator) <= 1
    eta: Estimate = seen["eta"]
    actual = took - seen["at"]
    assert eta.binding == CONTENT_PER_HOUR
    assert abs(eta.seconds - actual) <= 0.2 * actual, (eta.seconds, actual)
    assert 14 * 3600 < took < 18 * 3600  # paced by ~490 content creations an hour, not faster, not idle
    budgets = emulator.stats.as_dict()["budgets"]
    report = seen["report"]
    assert report["content creations per hour"] == budgets["content_units_spent"]
    assert report["secondary points per minute"] == budgets["secondary_points_spent"]
    assert report["limit responses"] == limit_responses(emulator)


async def _interrupted(provider: GitHubProvider, plan: Plan, phase: str, at: int) -> None:
    """Run a sync and cancel it once ``phase`` has done ``at`` items, as Ctrl-C would."""
    reached = asyncio.Event()

    def progress(current: str, done: int, total: int) -> None:
        if current == phase and done >= at:
            reached.set()

    sync = asyncio.create_task(SyncRun(provider, plan, progress=progress).execute())
    stop = asyncio.create_task(reached.wait())
    done, _ = await asyncio.wait({sync, stop}, return_when=asyncio.FIRST_COMPLETED)
    assert sync not in done, "the run finished before it could be interrupted"
    sync.cancel()
    await asyncio.gather(sync, return_exceptions=True)


def test_an_interrupted_5000_item_run_resumes_to_the_same_end_state() -> None:
    plan = layered_plan(50)  # 5,000 items, ~2,900 blocked-by links
    clock = VirtualClock()
    emulator = budgeted(clock)
    counts: dict[str, Any] = {}

    async def main() -> SyncResult:
        async with provider_for(emulator, clock) as provider:  # stopped while creating
            await _interrupted(provider, plan, "upsert", 2000)
        counts["after upsert stop"] = len(emulator.state.issues(REPO))
        async with provider_for(emulator, clock) as provider:  # stopped while linking
            await _interrupted(provider, plan, "relations", 2500)
        counts["links after relations stop"] = sum(len(v.blocked_by) for v in emulator.state.issues(REPO))
        async with provider_for(emulator, clock) as provider:  # a fresh provider finishes
            return await SyncRun(provider, plan).execute()

    result = run_virtual(main, clock=clock)

    assert 2000 <= counts["after upsert stop"] < 2100
    assert 0 < counts["links after relations stop"] < sum(len(b) for b in plan.blockers().values())
    assert result.ok, result.problems[:5]
    assert wrong_end_state(emulator, plan, result.plan_id) == []
