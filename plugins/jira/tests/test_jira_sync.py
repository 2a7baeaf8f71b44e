"""The reference sync driving the Jira provider against the in-process emulator: the example roadmap (43 items,
48 blocked-by links) created once with every field right, a re-sync that writes nothing, an edited plan updated
in place, and a run under 5 % injected faults that leaves no duplicate and no wrong field.

The figures (printed with ``-s``, and bounded by the assertions): requests per item of a first sync, writes of a
re-sync, and duplicates and wrong fields under faults.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest

from planpilot_provider_jira.testing import FaultKind, JiraEmulator, fault_plan
from planpilot_providers_core.plan import load_plan
from planpilot_providers_core.sync.results import ItemAction, SyncResult
from planpilot_providers_core.sync.runner import sync_plan
from planpilot_providers_core.testing.faults import virtual_system_time

from .support import BOARD, provider_factory
from .tracker_check import check_tracker

ROADMAP = Path(__file__).resolve().parents[3] / "examples" / "roadmap.json"
PLAN = load_plan([ROADMAP])


async def _sync(emulator: JiraEmulator, plan: Any = PLAN, **options: Any) -> SyncResult:
    provider = provider_factory(emulator, board_url=BOARD)(**options)
    async with provider:
        return await sync_plan(provider, plan, max_concurrent=8)


def _requests(emulator: JiraEmulator) -> tuple[int, int]:
    stats = emulator.stats.as_dict()
    return stats["requests"], stats["write_requests"]


async def test_first_sync_creates_the_roadmap_right_and_a_resync_writes_nothing(
    make_emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = make_emulator(search_lag=30.0)  # the index never catches up during the test

    first = await _sync(emulator)

    assert first.ok, first.problems
    assert {o.action for o in first.items} == {ItemAction.CREATED}
    check = check_tracker(emulator, PLAN, first.plan_id)
    assert (check.duplicates, check.missing, check.wrong) == (0, [], [])
    requests, writes = _requests(emulator)
    operations = dict(emulator.stats.operations)
    # Per item: a share of a bulk create, the enriching update (sub-items and blockers in its body), and the
    # 48 links; plus entering, discovery and batched reads. Creates went out in bulk.
    assert operations.get("createIssues", 0) >= 1
    assert operations.get("createIssue", 0) + operations.get("createIssues", 0) < len(PLAN) / 2
    assert operations["linkIssues"] == 48
    assert requests / len(PLAN) < 3.5

    second = await _sync(emulator)

    again, again_writes = _requests(emulator)
    assert second.ok, second.problems
    assert (second.writes, again_writes - writes) == (0, 0)
    assert {o.action for o in second.items} == {ItemAction.UNCHANGED}
    with capsys.disabled():
        print(
            f"\nJira first sync of {len(PLAN)} items: {requests} requests ({requests / len(PLAN):.2f} per item), "
            f"{writes} writes ({json.dumps(dict(sorted(operations.items())))}); "
            f"re-sync: {again - requests} requests, {again_writes - writes} writes"
        )


async def test_an_edited_plan_updates_the_same_issues(make_emulator: Any) -> None:
    emulator = make_emulator()
    first = await _sync(emulator)
    assert first.ok, first.problems
    keys = {o.item_id: o.key for o in first.items}
    raw = json.loads(ROADMAP.read_text())
    for entry in raw["items"]:
        if entry["id"] == "S1":
            entry["title"] += " (revised)"
            entry["goal"] = "A revised goal."
        if entry.get("depends_on"):
            entry["depends_on"] = entry["depends_on"][1:]  # the plan drops a dependency of every item
    edited = load_plan([_write(emulator, raw)])

    second = await _sync(emulator, edited)

    assert second.ok, second.problems
    assert second.plan_id == first.plan_id
    assert {o.item_id: o.key for o in second.items} == keys
    assert second.outcome("S1").action is ItemAction.UPDATED
    check = check_tracker(emulator, edited, second.plan_id, content_id=second.content_id)
    assert (check.duplicates, check.missing, check.wrong) == (0, [], [])
    assert (await _sync(emulator, edited)).writes == 0


def _write(emulator: JiraEmulator, raw: dict[str, Any]) -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "roadmap.json"
    path.write_text(json.dumps(raw))
    return path


@pytest.mark.parametrize(("seed", "writes_only"), [(1, False), (2, False), (3, True), (4, True)])
async def test_under_five_percent_faults_nothing_is_duplicated_or_wrong(
    make_emulator: Any, seed: int, writes_only: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every kind of fault the emulator injects, on 5 % of all requests, or of the writes alone (seeded): 429s
    of each limiter, 5xx, timeouts and dropped connections, before and after the request was applied. Syncs run
    until one succeeds; then the tracker holds each item once with every field right, and a clean re-sync writes
    nothing."""
    kinds = [k for k in FaultKind if k is not FaultKind.RATE_LIMIT_QUOTA]
    plan = fault_plan(0.05, kinds, writes_only=writes_only, seed=seed)
    emulator = make_emulator(search_lag=5.0, fault_plan=plan)
    runs: list[SyncResult] = []
    with virtual_system_time():  # Retry-After and backoff waits take no real time
        for _ in range(6):
            runs.append(await _sync(emulator))
            if runs[-1].ok:
                break
    faults = dict(emulator.stats.faults)
    emulator.fault_plan = None
    check = check_tracker(emulator, PLAN, runs[-1].plan_id)
    with capsys.disabled():
        print(
            f"\nseed {seed}{' (writes only)' if writes_only else ''}: {sum(faults.values())} faults injected in "
            f"{len(runs)} run(s) "
            f"({', '.join(f'{k} {v}' for k, v in sorted(faults.items()))}); "
            f"duplicates {check.duplicates}, wrong fields {len(check.wrong)}, missing {len(check.missing)}"
        )
    assert runs[-1].ok, [attrs.asdict(p) for p in runs[-1].problems]
    assert sum(faults.values()) >= 2  # about 5 % of some 90 requests (75 writes) a run
    assert check.duplicates == 0, check.copies
    assert check.wrong == []
    assert check.missing == []
    assert (await _sync(emulator)).writes == 0
