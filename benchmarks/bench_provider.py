"""GitHub provider request costs, measured by the in-process emulator's accounting.

Creates N items, then updates each with identical values (nothing differs) and with one changed
title, and reads relations of all of them; reports requests and mutation requests per call.

    nox -s bench
    python benchmarks/bench_provider.py --items 100 --out results.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from planpilot_provider_github.provider import GitHubProvider
from planpilot_provider_github.testing import GitHubEmulator
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.contracts import CreateItemInput, UpdateItemInput


async def measure(emulator: GitHubEmulator, calls: int, run: Callable[[], Awaitable[object]]) -> dict[str, float]:
    emulator.stats.reset()
    await run()
    stats = emulator.stats.as_dict()
    return {
        "calls": calls,
        "requests_per_call": round(stats["requests"] / calls, 3),
        "mutations_per_call": round(stats["mutation_requests"] / calls, 3),
    }


async def bench(n: int) -> dict[str, Any]:
    emulator = GitHubEmulator.with_default_scenario()
    provider = GitHubProvider(
        ProviderConfig.from_keywords(
            "github",
            target="acme/roadmap",
            token="bench-token",
            board_url="https://github.com/orgs/acme/projects/1",
            transport=emulator.transport(),
            mutation_interval=0,
        )
    )
    inputs = [
        CreateItemInput(title=f"Item {i}", body=f"PLAN_ID:bench\nITEM_ID:{i}", item_type="TASK", size="M")
        for i in range(n)
    ]
    created: list[Any] = []

    async def create_all() -> None:
        for item in inputs:
            created.append(await provider.create_item(item))

    async def update_all(title_suffix: str) -> None:
        for item, source in zip(created, inputs, strict=True):
            await provider.update_item(
                item.id,
                UpdateItemInput(title=source.title + title_suffix, body=source.body, item_type="TASK", size="M"),
            )

    async with provider:
        await provider.create_item(CreateItemInput(title="warm-up", body="labels exist", item_type="TASK"))
        results = {
            "create_item": await measure(emulator, n, create_all),
            "update_item_unchanged": await measure(emulator, n, lambda: update_all("")),
            "update_item_one_field": await measure(emulator, n, lambda: update_all(" (renamed)")),
            "fetch_relations": await measure(emulator, 1, lambda: provider.fetch_relations(created)),
        }
    return {"items": n, **results}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/provider.json"))
    args = parser.parse_args(argv)
    results = asyncio.run(bench(args.items))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"{'call':<24} {'calls':>5} {'requests/call':>13} {'mutations/call':>14}")
    for name, row in results.items():
        if isinstance(row, dict):
            print(f"{name:<24} {row['calls']:>5} {row['requests_per_call']:>13} {row['mutations_per_call']:>14}")
    print(f"\nJSON written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
