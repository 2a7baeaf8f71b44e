"""Client CPU per request and CLI start-up, before and after, in one run.

Two installs are measured side by side, rounds alternating so that a machine that speeds up or slows
down mid-run hits both alike: the environment running this script ("current") and, with
``--baseline REV``, that git revision of this repository installed into a temporary virtualenv
("baseline": ``git archive`` of core and both plugins, plain installs through the same
``constraints.txt``, so only the code differs).

* **Client CPU per request**: a first sync of a ``--items``-item plan (``bench_sync.make_plan``) through
  ``planpilot-providers sync`` to a fresh GitHub emulator *process* on loopback (no latency, no
  budgets: the emulator is fast enough that the client's own work is what shows). The sync process's
  user + sys CPU (``wait4``) over the requests the emulator counted; the emulator's CPU is not counted.
  ``httpx floor`` is the same for a bare loop of ``httpx.AsyncHTTPTransport`` POSTs to the same
  emulator at the same concurrency, parsing only the JSON: what any httpx client pays per request.
* **Start-up**: ``planpilot-providers list`` and ``planpilot-providers --help`` (the installed console
  script), each paired with a bare ``python -c pass`` of the same interpreter, run by run; the figure is
  the median of the per-pair ratios. The entry-point cache lives in a temporary directory, warmed by a
  first run as a user's is by their first ``list``.

Prints a table and writes JSON.

    nox -s bench                                          # --baseline from the noxfile
    python benchmarks/bench_client.py --baseline c4f20e0 --items 2000 --rounds 2
    python benchmarks/bench_client.py --items 500          # the current install only
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import bench_sync

REPO = Path(__file__).resolve().parent.parent
PARTS = (".", "plugins/dry-run", "plugins/github")
"""What the sync needs installed: core and both plugins (the GitHub plugin without the emulator's extras)."""

FLOOR_SCRIPT = """
import asyncio, json, os, resource, sys
import httpx

URL, N, CONCURRENCY = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
BODY = json.dumps({"query": "query Q { viewer { login } }", "variables": {}, "operationName": "Q"}).encode()


async def main():
    transport = httpx.AsyncHTTPTransport()
    headers = httpx.Headers({"Authorization": "bearer bench-token", "Content-Type": "application/json"})
    url = httpx.URL(URL)
    slots = asyncio.Semaphore(CONCURRENCY)

    async def one():
        async with slots:
            request = httpx.Request("POST", url, content=BODY, headers=headers)
            response = await transport.handle_async_request(request)
            try:
                await response.aread()
            finally:
                await response.aclose()
            json.loads(response.content)

    async with transport:
        await asyncio.gather(*(one() for _ in range(50)))  # connections opened, code warm
        before = resource.getrusage(resource.RUSAGE_SELF)
        await asyncio.gather(*(one() for _ in range(N)))
        after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    print(json.dumps({"cpu_s": cpu, "requests": N}))


asyncio.run(main())
"""


class Install:
    """One installation of planpilot-providers: its interpreter and console script."""

    def __init__(self, name: str, bin_dir: Path) -> None:
        self.name = name
        self.python = str(bin_dir / "python")
        self.cli = str(bin_dir / "planpilot-providers")

    def __repr__(self) -> str:
        return f"Install({self.name!r}, {self.python!r})"


def current_install() -> Install:
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "planpilot-providers").exists():
        raise SystemExit(f"no planpilot-providers console script next to {sys.executable}: install core first")
    return Install("current", bin_dir)


def baseline_install(revision: str, workdir: Path) -> Install:
    """``revision`` of this repository in a fresh virtualenv under ``workdir`` (plain installs, the lock)."""
    source = workdir / "source"
    source.mkdir()
    archive = workdir / "source.tar"
    subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "-o", str(archive), revision], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(source, filter="data")
    venv = workdir / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {**os.environ, "PIP_CONSTRAINT": os.environ.get("PIP_CONSTRAINT") or str(REPO / "constraints.txt")}
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *(str(source / part) for part in PARTS)],
        check=True,
        env=env,
    )
    return Install(f"baseline {revision}", venv / "bin")


def cpu_of(cmd: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Run ``cmd`` to the end; its CPU seconds (user + sys, from wait4) and wall seconds. Fails on a non-zero exit."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{err.read().decode(errors='replace')[-2000:]}")
    return usage.ru_utime + usage.ru_stime, wall


def sync_cpu(install: Install, plan: Path, concurrency: int, env: dict[str, str]) -> dict[str, float]:
    """One first sync of ``plan`` to a fresh emulator process: the client's CPU per request."""
    with bench_sync.emulator(0.0) as base:
        cmd = [
            install.cli, "sync", str(plan), "--plan-id", "bench", "--provider", "github",
            "--target", "acme/roadmap", "--board-url", bench_sync.BOARD, "--api-url", f"{base}/graphql",
            "--max-concurrent", str(concurrency), "--json",
        ]  # fmt: skip
        cpu, wall = cpu_of(cmd, env)
        requests = int(bench_sync.emulator_stats(base)["requests"])
    return {"cpu_s": cpu, "wall_s": wall, "requests": requests, "ms_per_request": cpu * 1000 / requests}


def floor_cpu(requests: int, concurrency: int) -> float:
    """CPU milliseconds per request of a bare httpx transport loop against a fresh emulator process."""
    with bench_sync.emulator(0.0) as base:
        out = subprocess.run(
            [sys.executable, "-c", FLOOR_SCRIPT, f"{base}/graphql", str(requests), str(concurrency)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    figures = json.loads(out)
    return float(figures["cpu_s"]) * 1000 / int(figures["requests"])


def startup_pairs(install: Install, repeats: int, env: dict[str, str]) -> dict[str, dict[str, float]]:
    """Per-pair ratios of ``list`` and ``--help`` to ``python -c pass`` of the same interpreter, medians."""
    commands = {"list": [install.cli, "list"], "--help": [install.cli, "--help"]}
    bare = [install.python, "-c", "pass"]
    for cmd in commands.values():  # warm-up: byte code read, entry-point cache filled
        cpu_of(cmd, env)
    cpu_of(bare, env)
    ratios: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in commands}
    walls: dict[str, list[float]] = {name: [] for name in (*commands, "python -c pass")}
    for _ in range(repeats):
        for name, cmd in commands.items():
            bare_cpu, bare_wall = cpu_of(bare, env)
            cmd_cpu, cmd_wall = cpu_of(cmd, env)
            ratios[name]["wall"].append(cmd_wall / bare_wall)
            ratios[name]["cpu"].append(cmd_cpu / bare_cpu if bare_cpu > 0 else float("nan"))
            walls[name].append(cmd_wall)
            walls["python -c pass"].append(bare_wall)
    result: dict[str, dict[str, float]] = {
        name: {
            "ratio_wall": round(statistics.median(r["wall"]), 2),
            "ratio_cpu": round(statistics.median(r["cpu"]), 2),
            "median_ms": round(statistics.median(walls[name]) * 1000, 1),
        }
        for name, r in ratios.items()
    }
    result["python -c pass"] = {"median_ms": round(statistics.median(walls["python -c pass"]) * 1000, 1)}
    return result


@contextmanager
def installs(baseline: str | None) -> Iterator[list[Install]]:
    with tempfile.TemporaryDirectory(prefix="bench-client-") as tmp:
        found = [current_install()]
        if baseline:
            print(f"installing baseline {baseline} into a temporary virtualenv...", file=sys.stderr)
            try:
                found.insert(0, baseline_install(baseline, Path(tmp)))
            except subprocess.CalledProcessError as exc:  # e.g. a shallow clone without that revision
                print(f"no baseline: {exc}; measuring the current install only", file=sys.stderr)
        yield found


def median_run(runs: list[dict[str, float]]) -> dict[str, Any]:
    return {
        "ms_per_request": round(statistics.median(r["ms_per_request"] for r in runs), 3),
        "requests": runs[0]["requests"],
        "cpu_s": round(statistics.median(r["cpu_s"] for r in runs), 2),
        "wall_s": round(statistics.median(r["wall_s"] for r in runs), 1),
        "runs": runs,
    }


def print_table(results: dict[str, Any]) -> None:
    names = list(results["installs"])
    width = max(len(n) for n in names) + 2
    print(f"client CPU per request: {results['items']} items, first sync, concurrency {results['concurrency']}")
    print(f"{'':<{width}} {'ms/request':>10} {'requests':>8} {'CPU s':>7} {'wall s':>7} {'x floor':>7}")
    floor = results["httpx_floor_ms_per_request"]
    for name in names:
        r = results["installs"][name]["sync"]
        print(
            f"{name:<{width}} {r['ms_per_request']:>10.3f} {r['requests']:>8} {r['cpu_s']:>7} {r['wall_s']:>7} "
            f"{r['ms_per_request'] / floor:>7.2f}"
        )
    print(f"{'httpx floor':<{width}} {floor:>10.3f}")
    if "after_over_before" in results:
        print(f"current / baseline: {results['after_over_before']:.2f}")
    print()
    print(f"start-up, paired with python -c pass ({results['startup_repeats']} pairs; medians)")
    print(f"{'':<{width}} {'list x':>7} {'--help x':>8} {'list cpu x':>10} {'--help cpu x':>12} {'bare ms':>8}")
    for name in names:
        s = results["installs"][name]["startup"]
        print(
            f"{name:<{width}} {s['list']['ratio_wall']:>7} {s['--help']['ratio_wall']:>8} "
            f"{s['list']['ratio_cpu']:>10} {s['--help']['ratio_cpu']:>12} {s['python -c pass']['median_ms']:>8}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", metavar="REV", help="git revision to measure as 'before' (default: none)")
    parser.add_argument("--items", type=int, default=2000, help="plan size of the sync (default 2000)")
    parser.add_argument("--rounds", type=int, default=2, help="syncs per install, alternating (default 2)")
    parser.add_argument("--concurrency", type=int, default=4, help="sync --max-concurrent (default 4, the CLI's)")
    parser.add_argument("--startup-repeats", type=int, default=15, help="pairs per start-up figure (default 15)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/client.json"))
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-client-run-") as tmp:
        workdir = Path(tmp)
        plan = workdir / "plan.json"
        plan.write_text(json.dumps(bench_sync.make_plan(args.items)))
        env = {
            **os.environ,
            "GITHUB_TOKEN": bench_sync.TOKEN,
            "PLANPILOT_PROVIDERS_CACHE_DIR": str(workdir / "cache"),
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        with installs(args.baseline) as found:
            runs: dict[str, list[dict[str, float]]] = {i.name: [] for i in found}
            floors: list[float] = []
            for round_ in range(args.rounds):
                for install in found:
                    print(f"round {round_ + 1}: {install.name}: syncing {args.items} items...", file=sys.stderr)
                    runs[install.name].append(sync_cpu(install, plan, args.concurrency, env))
                floors.append(floor_cpu(2000, args.concurrency))
            startup = {i.name: startup_pairs(i, args.startup_repeats, env) for i in found}
    results: dict[str, Any] = {
        "items": args.items,
        "concurrency": args.concurrency,
        "startup_repeats": args.startup_repeats,
        "httpx_floor_ms_per_request": round(statistics.median(floors), 3),
        "installs": {name: {"sync": median_run(r), "startup": startup[name]} for name, r in runs.items()},
    }
    if len(results["installs"]) == 2:
        before, after = (results["installs"][n]["sync"]["ms_per_request"] for n in results["installs"])
        results["after_over_before"] = round(after / before, 3)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print_table(results)
    print(f"\nJSON written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
