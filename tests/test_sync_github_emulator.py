"""The reference sync driving the real GitHub provider against the in-process GitHub emulator."""

from __future__ import annotations

from pathlib import Path

from planpilot_provider_github.provider import GitHubProvider
from planpilot_provider_github.testing import FaultKind, GitHubEmulator
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.plan import load_plan
from planpilot_providers_core.sync.body import parse_metadata
from planpilot_providers_core.sync.results import ItemAction, SyncResult
from planpilot_providers_core.sync.runner import sync_plan

PLAN = load_plan([Path(__file__).resolve().parents[1] / "examples" / "roadmap.json"])
BOARD = "https://github.com/orgs/acme/projects/1"


async def _sync(emulator: GitHubEmulator) -> SyncResult:
    provider = GitHubProvider(
        ProviderConfig.from_keywords(
            "github",
            target="acme/roadmap",
            token="t",
            board_url=BOARD,
            transport=emulator.transport(),
            mutation_interval=0,
        )
    )
    async with provider:
        return await sync_plan(provider, PLAN, max_concurrent=8)


def _plan_issues(emulator: GitHubEmulator) -> dict[str, int]:
    counts: dict[str, int] = {}
    for issue in emulator.state.issues("acme/roadmap"):
        meta = parse_metadata(issue.body)
        if meta is not None and meta.plan_id == PLAN.plan_id:
            counts[meta.item_id] = counts.get(meta.item_id, 0) + 1
    return counts


async def test_github_sync_creates_the_plan_once_and_a_resync_sends_no_mutation() -> None:
    emulator = GitHubEmulator.with_default_scenario()

    first = await _sync(emulator)

    assert first.ok, first.problems
    assert {o.action for o in first.items} == {ItemAction.CREATED}
    assert _plan_issues(emulator) == {item.id: 1 for item in PLAN}
    mutations = emulator.stats.mutation_requests

    second = await _sync(emulator)

    assert second.ok
    assert second.writes == 0
    assert {o.action for o in second.items} == {ItemAction.UNCHANGED}
    assert emulator.stats.mutation_requests == mutations


async def test_github_partial_create_then_rerun_converges_without_duplicates() -> None:
    emulator = GitHubEmulator.with_default_scenario()
    emulator.inject(FaultKind.FORBIDDEN_403, operation="SetProjectFields4")

    first = await _sync(emulator)

    assert not first.ok
    (problem,) = first.problems
    assert problem.partial
    assert problem.completed_steps[0] == "issue_created"
    assert problem.created_item_key is not None
    assert first.outcome(problem.item_id).key == problem.created_item_key

    second = await _sync(emulator)

    assert second.ok, second.problems
    assert second.outcome(problem.item_id).key == problem.created_item_key
    assert second.outcome(problem.item_id).action is ItemAction.UPDATED
    assert _plan_issues(emulator) == {item.id: 1 for item in PLAN}
    assert (await _sync(emulator)).writes == 0
