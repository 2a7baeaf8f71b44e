"""``python -m planpilot_provider_linear.testing``: serve the default scenario on loopback until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from planpilot_providers_core.emulation import cli

from .emulator import API_PATH, LinearEmulator
from .faults import DEFAULT_PLAN_KINDS, FaultKind, fault_plan
from .limits import LinearLimits

DEFAULT_PORT = 8766


def _credential(text: str) -> str:
    if not text or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError("must be a non-empty credential without spaces")
    return text


_credential.__name__ = "credential"  # what argparse names in "invalid credential value"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m planpilot_provider_linear.testing",
        description="Serve the Linear GraphQL emulator (default scenario: workspace acme, team ENG with a "
        "workflow, t-shirt estimates, labels, project Roadmap and an active cycle).",
    )
    cli.add_server_arguments(parser, default_port=DEFAULT_PORT)
    parser.add_argument("--search-lag", type=cli.seconds, default=0.0, help="seconds before writes show in search")
    parser.add_argument(
        "--api-key",
        type=_credential,
        action="append",
        default=None,
        help="accepted personal API key, sent as 'Authorization: <key>' (repeatable; default: any credential)",
    )
    parser.add_argument(
        "--oauth-token",
        type=_credential,
        action="append",
        default=None,
        help="accepted OAuth token, sent as 'Authorization: Bearer <token>' (repeatable)",
    )
    parser.add_argument(
        "--requests-per-hour", type=cli.positive_int, default=2_500, help="API-key request budget (default 2500)"
    )
    parser.add_argument(
        "--complexity-per-hour",
        type=cli.positive_int,
        default=3_000_000,
        help="API-key complexity points per hour (default 3000000)",
    )
    parser.add_argument(
        "--max-complexity", type=cli.positive_int, default=10_000, help="per-request complexity cap (default 10000)"
    )
    parser.add_argument(
        "--fault-kinds",
        type=cli.fault_kinds(FaultKind),
        default=DEFAULT_PLAN_KINDS,
        help=f"comma-separated kinds to draw from: {', '.join(FaultKind)}",
    )
    parser.add_argument("--faults-writes-only", action="store_true", help="only mutation requests get faults")
    parser.add_argument(
        "--lenient-estimates", action="store_true", help="store estimates off the team's scale instead of refusing"
    )
    parser.add_argument(
        "--refuse-duplicate-relations",
        action="store_true",
        help="refuse a second identical relation instead of storing it",
    )
    return parser


def emulator_from_args(args: argparse.Namespace) -> LinearEmulator:
    """The emulator the command line describes (default scenario, wall clock)."""
    plan = None
    if args.fault_rate > 0:
        plan = fault_plan(args.fault_rate, args.fault_kinds, writes_only=args.faults_writes_only, seed=args.seed)
    limits = LinearLimits(
        requests=args.requests_per_hour, complexity=args.complexity_per_hour, max_complexity=args.max_complexity
    )
    oauth = LinearLimits.oauth()
    return LinearEmulator.with_default_scenario(
        seed=args.seed,
        latency=args.latency,
        jitter=args.jitter,
        search_lag=args.search_lag,
        limits=limits,
        oauth_limits=LinearLimits(oauth.requests, oauth.complexity, max_complexity=args.max_complexity),
        api_keys=args.api_key if args.api_key or args.oauth_token else None,
        oauth_tokens=args.oauth_token if args.api_key or args.oauth_token else None,
        fault_plan=plan,
        strict_estimates=not args.lenient_estimates,
        refuse_duplicate_relations=args.refuse_duplicate_relations,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return cli.serve(emulator_from_args(args), name="Linear emulator", host=args.host, port=args.port, path=API_PATH)


if __name__ == "__main__":
    raise SystemExit(main())
