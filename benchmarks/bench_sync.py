"""Sync benchmark: plans of N items through the CLI to the GitHub emulator on loopback.

For each size and concurrency: a first sync, an unchanged re-sync and a re-sync after changing one
item's title (the plan id is pinned, so the edit updates the same items), each as a fresh
``planpilot-providers sync`` process against a fresh emulator with a fixed per-request latency.
Reports requests and mutations per item (from the emulator's own accounting), wall time and the sync
process's peak RSS; plus the start-up time of ``list`` and ``--help`` against a bare ``python -c pass``.
Prints a table and writes JSON.

    nox -s bench                       # N = 50, 500; concurrency 1, 10; latency 20 ms
    python benchmarks/bench_sync.py --sizes 50 --concurrency 10 --out results.json
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TOKEN = "bench-token"
BOARD = "https://github.com/orgs/acme/projects/1"
SIZES = ("XS", "S", "M", "L", "XL")


def make_plan(n: int) -> dict[str, Any]:
    """A plan of ``n`` items: 1 epic per 10 items, 3 stories per epic, the rest tasks; tasks depend on
    the previous task of their story, as real plans chain work."""
    epics = max(1, n // 10)
    stories = min(3 * epics, n - epics)
    tasks = n - epics - stories
    items: list[dict[str, Any]] = []

    def details(n: str) -> dict[str, Any]:
        return {"requirements": [f"Requirement of {n}"], "acceptance_criteria": [f"{n} is done when verified"]}

    for e in range(epics):
        items.append({"id": f"E{e}", "type": "EPIC", "title": f"Epic {e}", "goal": f"Outcome {e}", **details(f"E{e}")})
    for s in range(stories):
        items.append(
            {
                "id": f"S{s}",
                "type": "STORY",
                "title": f"Story {s}",
                "goal": f"Story goal {s}",
                "parent_id": f"E{s % epics}",
                **details(f"S{s}"),
            }
        )
    for t in range(tasks):
        story = t % stories
        task: dict[str, Any] = {
            "id": f"T{t}",
            "type": "TASK",
            "title": f"Task {t}",
            "goal": f"Task goal {t}",
            "parent_id": f"S{story}",
            "estimate": {"tshirt": SIZES[t % len(SIZES)]},
            **details(f"T{t}"),
        }
        if t >= stories:
            task["depends_on"] = [f"T{t - stories}"]
        items.append(task)
    return {"items": items}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def emulator(latency: float) -> Iterator[str]:
    """A fresh emulator server process on loopback; yields its base URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "planpilot_provider_github.testing", "--port", str(port), "--latency", str(latency)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/_emulator/stats", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"emulator did not start: {proc.stdout.read() if proc.stdout else ''}") from None
                time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def emulator_stats(base: str, *, reset: bool = False) -> dict[str, Any]:
    stats: dict[str, Any] = json.loads(urllib.request.urlopen(f"{base}/_emulator/stats").read())
    if reset:
        urllib.request.urlopen(urllib.request.Request(f"{base}/_emulator/reset-stats", method="POST")).read()
    return stats


def run_measured(cmd: Sequence[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run a command; return wall seconds, its peak RSS in KiB (from wait4) and its stdout."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout = out.read()
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {code}:\n{err.read()[-2000:]}")
        return wall, int(usage.ru_maxrss), stdout


def sync_once(plan: Path, base: str, concurrency: int, env: dict[str, str]) -> dict[str, Any]:
    cmd = [
        sys.executable, "-m", "planpilot_providers_core.cli", "sync", str(plan), "--plan-id", "bench",
        "--provider", "github", "--target", "acme/roadmap", "--board-url", BOARD,
        "--api-url", f"{base}/graphql", "--max-concurrent", str(concurrency), "--json",
    ]  # fmt: skip
    emulator_stats(base, reset=True)
    wall, rss, _ = run_measured(cmd, env)
    stats = emulator_stats(base)
    return {
        "wall_s": round(wall, 3),
        "peak_rss_mib": round(rss / 1024, 1),
        "requests": stats["requests"],
        "mutations": stats["mutation_requests"],
        "operations": stats["operations"],
    }


def bench_sync(n: int, concurrency: int, latency: float, workdir: Path) -> dict[str, Any]:
    plan = make_plan(n)
    first = workdir / f"plan-{n}.json"
    first.write_text(json.dumps(plan))
    changed = json.loads(json.dumps(plan))
    changed["items"][-1]["title"] += " (renamed)"
    second = workdir / f"plan-{n}-changed.json"
    second.write_text(json.dumps(changed))
    env = {**os.environ, "GITHUB_TOKEN": TOKEN}
    with emulator(latency) as base:
        runs = {
            "first_sync": sync_once(first, base, concurrency, env),
            "unchanged_resync": sync_once(first, base, concurrency, env),
            "one_field_change": sync_once(second, base, concurrency, env),
        }
    for run in runs.values():
        run["requests_per_item"] = round(run["requests"] / n, 2)
        run["mutations_per_item"] = round(run["mutations"] / n, 2)
    return {"items": n, "concurrency": concurrency, "latency_s": latency, **runs}


def startup(repeats: int) -> dict[str, Any]:
    """Median wall time of ``list`` and ``--help`` next to a bare interpreter, in one run."""
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "planpilot-providers list": [sys.executable, "-m", "planpilot_providers_core.cli", "list"],
        "planpilot-providers --help": [sys.executable, "-m", "planpilot_providers_core.cli", "--help"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):  # interleaved, so machine noise hits all three alike
        for name, cmd in commands.items():
            started = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            times[name].append(time.perf_counter() - started)
    medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
    bare = medians["python -c pass"]
    return {
        name: {"median_ms": round(ms, 1), "over_bare_ms": round(ms - bare, 1), "ratio_to_bare": round(ms / bare, 2)}
        for name, ms in medians.items()
    }


def print_table(results: dict[str, Any]) -> None:
    header = (
        f"{'items':>5} {'conc':>4} {'run':<17} {'req/item':>8} {'mut/item':>8} {'requests':>8} "
        f"{'wall s':>7} {'rss MiB':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in results["sync"]:
        for run in ("first_sync", "unchanged_resync", "one_field_change"):
            r = row[run]
            print(
                f"{row['items']:>5} {row['concurrency']:>4} {run:<17} {r['requests_per_item']:>8} "
                f"{r['mutations_per_item']:>8} {r['requests']:>8} {r['wall_s']:>7} {r['peak_rss_mib']:>7}"
            )
    print()
    print(f"{'start-up':<28} {'median ms':>9} {'over bare':>9} {'x bare':>6}")
    for name, s in results["startup"].items():
        print(f"{name:<28} {s['median_ms']:>9} {s['over_bare_ms']:>9} {s['ratio_to_bare']:>6}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 500])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--latency", type=float, default=0.02, help="emulator latency per request, seconds")
    parser.add_argument("--startup-repeats", type=int, default=15)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/sync.json"))
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"sync": [], "startup": startup(args.startup_repeats)}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            for concurrency in args.concurrency:
                print(f"syncing {n} items at concurrency {concurrency}...", file=sys.stderr)
                results["sync"].append(bench_sync(n, concurrency, args.latency, Path(tmp)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print_table(results)
    print(f"\nJSON written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
