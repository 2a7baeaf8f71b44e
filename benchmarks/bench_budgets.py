"""Budget benchmark: plans of 500 and 5,000 items synced to the GitHub emulator enforcing GitHub's budgets,
on its virtual clock (hours of GitHub pacing in a minute or so of real time).

Three ways of syncing:

* ``1s-spacing``: the behaviour before: 1 s between mutation starts, no budget tracker, one item per call;
* ``budgets-1/call``: paced by GitHub's budgets, but still one item per call (what batching saves);
* ``budgets``: the provider as it is: paced by GitHub's budgets (``budgets="github"``), writes of many items
  per request (``update_items``, ``reconcile_many``).

For each: the virtual wall time, requests, secondary points and content units per item (the emulator's
accounting), the limit responses the run provoked, the items that failed (not created, skipped because
their parent failed, or their links refused), and for the budgets the ETA the sync showed at 10 % of the
items against the time the rest took. Prints a table and writes JSON.

    nox -s bench
    python benchmarks/bench_budgets.py --sizes 500 --out results.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from planpilot_provider_github.provider import GitHubProvider
from planpilot_provider_github.testing import GitHubBudgets, GitHubEmulator, VirtualClock, run_virtual
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.plan.synthetic import layered_plan
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.sync.results import ItemAction, RelationsAction
from planpilot_providers_core.sync.runner import SyncRun

BOARD = "https://github.com/orgs/acme/projects/1"
MODES = ("1s-spacing", "budgets-1/call", "budgets")


class OneItemPerCall(GitHubProvider):
    """The provider as it was: every update and every relation change its own calls."""

    update_items = Provider.update_items
    reconcile_many = Provider.reconcile_many


def run(mode: str, items: int) -> dict[str, Any]:
    plan = layered_plan(items // 100)  # the shape of the 5,000-item test
    clock = VirtualClock()
    emulator = GitHubEmulator.with_default_scenario(
        clock=clock, budgets=GitHubBudgets.github_defaults(), latency=0.1, jitter=0.1
    )
    old = mode == "1s-spacing"
    options: dict[str, Any] = {"budgets": None, "mutation_interval": 1.0} if old else {"budgets": "github"}
    provider_class = GitHubProvider if mode == "budgets" else OneItemPerCall
    provider = provider_class(
        ProviderConfig.from_keywords(
            "github",
            target="acme/roadmap",
            token="t",
            board_url=BOARD,
            transport=emulator.transport(),
            clock=clock,
            **options,
        )
    )
    seen: dict[str, Any] = {}

    async def main() -> Any:
        async with provider:

            def progress(phase: str, done: int, total: int) -> None:
                if phase == "upsert" and done == total // 10 and "eta" not in seen:
                    seen["eta"], seen["at"] = sync.estimate(), clock.monotonic()

            sync = SyncRun(provider, plan, progress=progress)
            return await sync.execute()

    started = time.perf_counter()
    result = run_virtual(main, clock=clock)
    real = time.perf_counter() - started
    took = clock.monotonic()
    stats = emulator.stats.as_dict()
    budgets = stats["budgets"]
    eta = seen.get("eta")
    return {
        "mode": mode,
        "items": len(plan),
        "virtual_hours": round(took / 3600, 2),
        "real_seconds": round(real, 1),
        "requests": stats["requests"],
        "secondary_points_per_item": round(budgets["secondary_points_spent"] / len(plan), 2),
        "content_units_per_item": round(budgets["content_units_spent"] / len(plan), 2),
        "primary_points_per_item": round(budgets["primary_points_spent"] / len(plan), 2),
        "limit_responses": sum(budgets["limited"].values()),
        "limit_responses_by_kind": {kind: n for kind, n in budgets["limited"].items() if n},
        "items_failed": sum(
            1
            for outcome in result.items
            if outcome.action in (ItemAction.FAILED, ItemAction.SKIPPED) or outcome.relations is RelationsAction.FAILED
        ),
        "eta_at_10pct_hours": round(eta.seconds / 3600, 2) if eta is not None else None,
        "rest_took_hours": round((took - seen["at"]) / 3600, 2) if "at" in seen else None,
        "eta_binding": eta.binding if eta is not None else None,
    }


COLUMNS = (
    ("items", "items", 6),
    ("mode", "pacing", 15),
    ("virtual_hours", "virtual h", 10),
    ("requests", "requests", 9),
    ("secondary_points_per_item", "sec.pts/item", 13),
    ("content_units_per_item", "content/item", 13),
    ("limit_responses", "limit resp.", 12),
    ("items_failed", "failed", 7),
    ("eta_at_10pct_hours", "ETA@10% h", 10),
    ("rest_took_hours", "rest took h", 12),
    ("real_seconds", "real s", 7),
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/budgets.json"))
    args = parser.parse_args(argv)
    rows = []
    print(" ".join(f"{title:>{width}}" for _, title, width in COLUMNS))
    for items in args.sizes:
        for mode in MODES:
            row = run(mode, items)
            rows.append(row)
            print(
                " ".join(f"{'-' if row[key] is None else row[key]!s:>{width}}" for key, _, width in COLUMNS), flush=True
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"\nJSON written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
