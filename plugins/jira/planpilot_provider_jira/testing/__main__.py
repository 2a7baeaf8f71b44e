"""``python -m planpilot_provider_jira.testing``: serve the default scenario on loopback until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from planpilot_providers_core.emulation import cli

from .emulator import JiraEmulator
from .faults import DEFAULT_PLAN_KINDS, FaultKind, fault_plan
from .limits import JiraLimits

DEFAULT_PORT = 8766


def basic_credential(text: str) -> tuple[str, str]:
    """``EMAIL:TOKEN`` (the token may contain colons; the email may not)."""
    email, sep, token = text.partition(":")
    if not sep or not email.strip() or not token.strip():
        raise argparse.ArgumentTypeError("must be EMAIL:TOKEN, both parts non-empty (e.g. me@example.com:secret)")
    return email, token


def bearer_token(text: str) -> str:
    if not text.strip() or any(ch.isspace() for ch in text):
        raise argparse.ArgumentTypeError("must be a token without spaces")
    return text


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of 1 or more, got {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m planpilot_provider_jira.testing",
        description="Serve the Jira Cloud emulator (default scenario: project PROJ, board 1 with an active sprint). "
        "Basic auth at the site URL; OAuth 2.0 Bearer tokens at /ex/jira/<cloudId>/ (GET /_edge/tenant_info).",
    )
    cli.add_server_arguments(parser, default_port=DEFAULT_PORT)
    parser.add_argument(
        "--basic",
        type=basic_credential,
        action="append",
        metavar="EMAIL:TOKEN",
        help="accepted email and API token (repeatable; with --basic or --bearer only those work, else any)",
    )
    parser.add_argument("--bearer", type=bearer_token, action="append", metavar="TOKEN", help="accepted OAuth token")
    parser.add_argument("--search-lag", type=cli.seconds, default=0.0, help="search index lag in seconds")
    parser.add_argument(
        "--jira-limits",
        action="store_true",
        help="enforce Jira's rate limits (per-endpoint burst, 20 writes/2 s and 100/30 s per issue)",
    )
    parser.add_argument(
        "--quota-points",
        type=positive_int,
        default=None,
        help="hourly points quota for OAuth traffic (with --jira-limits)",
    )
    parser.add_argument(
        "--fault-kinds",
        type=cli.fault_kinds(FaultKind),
        default=DEFAULT_PLAN_KINDS,
        help=f"comma-separated kinds to draw from: {', '.join(FaultKind)}",
    )
    parser.add_argument("--faults-writes-only", action="store_true", help="only write requests get faults")
    parser.add_argument("--retry-after", type=cli.seconds, default=1.0, help="Retry-After seconds of injected faults")
    parser.add_argument(
        "--no-validate",
        action="store_true",
        help="skip checking requests and answers against the OpenAPI description (faster; routing still uses it)",
    )
    return parser


def emulator_from_args(args: argparse.Namespace) -> JiraEmulator:
    """The emulator the command line describes (default scenario, wall clock)."""
    plan = None
    if args.fault_rate > 0:
        plan = fault_plan(args.fault_rate, args.fault_kinds, writes_only=args.faults_writes_only, seed=args.seed)
    limits = JiraLimits(quota_points=args.quota_points) if args.jira_limits else None
    return JiraEmulator.with_default_scenario(
        validate=not args.no_validate,
        latency=args.latency,
        jitter=args.jitter,
        seed=args.seed,
        search_lag=args.search_lag,
        limits=limits,
        basic=args.basic,
        bearer=args.bearer,
        fault_plan=plan,
        retry_after=args.retry_after,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.quota_points is not None and not args.jira_limits:
        parser().error("argument --quota-points: needs --jira-limits")
    return cli.serve(emulator_from_args(args), name="Jira emulator", host=args.host, port=args.port)


if __name__ == "__main__":
    raise SystemExit(main())
