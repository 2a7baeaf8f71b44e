"""``python -m planpilot_provider_github.testing``: serve the default scenario on loopback until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Any

from .budgets import GitHubBudgets
from .emulator import GitHubEmulator
from .faults import DEFAULT_PLAN_KINDS, FaultKind, FaultPlan
from .server import EmulatorServer


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m planpilot_provider_github.testing",
        description="Serve the GitHub GraphQL emulator (default scenario: org acme, repo acme/roadmap, project 1).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (0 picks a free one; default 8765)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every GraphQL request")
    parser.add_argument("--jitter", type=float, default=0.0, help="extra random seconds (0..jitter) per request")
    parser.add_argument("--search-lag", type=float, default=0.0, help="search index lag in seconds")
    parser.add_argument("--seed", type=int, default=1, help="seed for jitter and random faults")
    parser.add_argument("--rate-limit", type=int, default=5000, help="primary points per hour")
    parser.add_argument(
        "--github-budgets",
        action="store_true",
        help="enforce GitHub's budgets (cost formula, 2,000 secondary points/min, 80/min and 500/h content "
        "creations, 100 in flight); --rate-limit sets the primary points",
    )
    parser.add_argument("--token", action="append", default=None, help="accepted token (repeatable; default: any)")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="probability that a request gets a fault")
    parser.add_argument(
        "--fault-kinds",
        default=",".join(DEFAULT_PLAN_KINDS),
        help=f"comma-separated kinds to draw from: {', '.join(FaultKind)}",
    )
    parser.add_argument("--faults-mutations-only", action="store_true", help="only mutation requests get faults")
    parser.add_argument("--retry-after", type=float, default=1.0, help="Retry-After seconds used by faults")
    parser.add_argument("--reset-delay", type=float, default=2.0, help="seconds until reset after primary_exhausted")
    return parser


def emulator_from_args(args: argparse.Namespace) -> GitHubEmulator:
    """The emulator the command line describes (default scenario, wall clock)."""
    plan = None
    if args.fault_rate > 0:
        kinds = tuple(FaultKind(kind.strip()) for kind in args.fault_kinds.split(",") if kind.strip())
        plan = FaultPlan(args.fault_rate, kinds, args.faults_mutations_only, args.seed)
    limits: dict[str, Any] = {"rate_limit": args.rate_limit}
    if args.github_budgets:
        limits = {"budgets": GitHubBudgets.github_defaults().replace(primary_points=args.rate_limit)}
    return GitHubEmulator.with_default_scenario(
        latency=args.latency,
        jitter=args.jitter,
        search_lag=args.search_lag,
        seed=args.seed,
        **limits,
        accepted_tokens=args.token,
        fault_plan=plan,
        retry_after=args.retry_after,
        reset_delay=args.reset_delay,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    server = EmulatorServer(emulator_from_args(args), args.host, args.port)
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    print(f"GitHub emulator serving {server.url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        print("GitHub emulator stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
