"""``python -m planpilot_provider_github.testing``: serve the default scenario on loopback until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from planpilot_providers_core.emulation import cli

from .budgets import GitHubBudgets
from .emulator import GitHubEmulator
from .faults import DEFAULT_PLAN_KINDS, FaultKind, fault_plan
from .server import API_PATH


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m planpilot_provider_github.testing",
        description="Serve the GitHub GraphQL emulator (default scenario: org acme, repo acme/roadmap, project 1).",
    )
    cli.add_server_arguments(parser, default_port=8765)
    parser.add_argument("--search-lag", type=cli.seconds, default=0.0, help="search index lag in seconds")
    parser.add_argument("--rate-limit", type=cli.positive_int, default=5000, help="primary points per hour")
    parser.add_argument(
        "--github-budgets",
        action="store_true",
        help="enforce GitHub's budgets (cost formula, 2,000 secondary points/min, 80/min and 500/h content "
        "creations, 100 in flight); --rate-limit sets the primary points",
    )
    parser.add_argument("--token", action="append", default=None, help="accepted token (repeatable; default: any)")
    parser.add_argument(
        "--fault-kinds",
        type=cli.fault_kinds(FaultKind),
        default=DEFAULT_PLAN_KINDS,
        help=f"comma-separated kinds to draw from: {', '.join(FaultKind)}",
    )
    parser.add_argument("--faults-mutations-only", action="store_true", help="only mutation requests get faults")
    parser.add_argument("--retry-after", type=cli.seconds, default=1.0, help="Retry-After seconds used by faults")
    parser.add_argument(
        "--reset-delay", type=cli.seconds, default=2.0, help="seconds until reset after primary_exhausted"
    )
    return parser


def emulator_from_args(args: argparse.Namespace) -> GitHubEmulator:
    """The emulator the command line describes (default scenario, wall clock)."""
    plan = None
    if args.fault_rate > 0:
        plan = fault_plan(args.fault_rate, args.fault_kinds, mutations_only=args.faults_mutations_only, seed=args.seed)
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
    return cli.serve(emulator_from_args(args), name="GitHub emulator", host=args.host, port=args.port, path=API_PATH)


if __name__ == "__main__":
    raise SystemExit(main())
