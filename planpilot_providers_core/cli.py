"""``planpilot-providers`` command line: list providers, sync a plan, check a provider.

Start-up must stay fast: this module imports only the registry at top level; ``sync`` and
``check`` import their machinery (and the provider) only when they run.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from planpilot_providers_core import __version__

if TYPE_CHECKING:
    from planpilot_providers_core.registry import RegisteredProvider

EXIT_OK: Final = 0
EXIT_USAGE: Final = 2


def _provider_row(reg: RegisteredProvider) -> dict[str, object]:
    return {
        "name": reg.spec.name,
        "distribution": reg.distribution,
        "version": reg.version,
        "capabilities": sorted(reg.spec.capabilities),
        "summary": reg.spec.summary,
        "plugin": reg.plugin,
    }


def _format_table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def cmd_list(args: argparse.Namespace) -> int:
    from planpilot_providers_core.registry import get_registry  # discovery only when a command needs it

    registry = get_registry()
    registered = list(registry.providers.values())
    problems = [str(p) for p in registry.problems]
    if args.json:
        print(json.dumps({"providers": [_provider_row(r) for r in registered], "problems": problems}, indent=2))
    elif registered:
        header = ["NAME", "DISTRIBUTION", "VERSION", "CAPABILITIES", "SUMMARY"]
        body = [
            [
                r.spec.name,
                r.distribution or "-",
                r.version or "-",
                ",".join(sorted(r.spec.capabilities)),
                r.spec.summary,
            ]
            for r in registered
        ]
        print(_format_table([header, *body]))
    else:
        print("No providers installed. Install a provider plugin, e.g. 'pip install planpilot-provider-dry-run'.")
    for problem in problems:
        print(f"warning: plugin problem: {problem}", file=sys.stderr)
    return EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    from planpilot_providers_core.sync.commands import run_sync

    return run_sync(args)


def cmd_check(args: argparse.Namespace) -> int:
    from planpilot_providers_core.sync.commands import run_check

    return run_check(args)


MAX_CONCURRENT_LIMIT: Final = 64


def _concurrency(text: str) -> int:
    """``--max-concurrent``: a whole number from 1 to ``MAX_CONCURRENT_LIMIT``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_CONCURRENT_LIMIT:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_CONCURRENT_LIMIT}, got {value}")
    return value


def _add_provider_options(parser: argparse.ArgumentParser, *, provider_default: str | None) -> None:
    if provider_default is None:
        parser.add_argument("--provider", required=True, metavar="NAME", help="provider name (see 'list')")
    else:
        parser.add_argument(
            "--provider", default=provider_default, metavar="NAME", help=f"provider name (default: {provider_default})"
        )
    parser.add_argument("--target", metavar="OWNER/REPO", help="where items live (required except for dry-run)")
    parser.add_argument("--board-url", metavar="URL", help="the board (e.g. a GitHub Projects v2 URL)")
    parser.add_argument(
        "--api-url", metavar="URL", help="API endpoint, for GitHub Enterprise or the emulator (passed as api_url)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _version_text() -> str:
    from planpilot_providers_core.registry import get_registry  # discovery only when a command needs it

    registry = get_registry()
    lines = [f"planpilot-providers-core {__version__}"]
    for plugin, (distribution, version) in registry.plugins.items():
        lines.append(f"  {distribution or plugin} {version or ''}".rstrip())
    lines += [f"  problem: {problem}" for problem in registry.problems]
    return "\n".join(lines)


class _VersionAction(argparse.Action):
    """Prints core and plugin versions; resolved lazily so ``--help`` does not run discovery."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: object) -> None:
        super().__init__(
            option_strings, dest=dest, nargs=0, help="show versions of core and installed plugins and exit"
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        print(_version_text())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="planpilot-providers",
        description="Provider plugins for PlanPilot-style roadmap sync: list them, sync a plan, check a provider.",
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p_list = sub.add_parser("list", help="list installed providers with distribution, version and capabilities")
    p_list.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p_list.set_defaults(func=cmd_list)
    p_sync = sub.add_parser(
        "sync",
        help="sync a plan into a tracker (dry-run by default)",
        description="Create or update the plan's epics, stories and tasks in a tracker, then set their relations. "
        "Exit codes: 0 success, 2 bad plan or configuration, 3 provider or authentication error, "
        "4 some items failed (run again to converge).",
    )
    p_sync.add_argument(
        "plans", nargs="+", metavar="PLAN", help="one unified plan file, or the epics, stories and tasks files"
    )
    _add_provider_options(p_sync, provider_default="dry-run")
    p_sync.add_argument("--label", default="planpilot", help="discovery label put on every item (default: planpilot)")
    p_sync.add_argument(
        "--plan-id",
        metavar="ID",
        help="pin the plan id (default: PlanPilot's hash of the plan's content, so an edited plan is a new plan); "
        "a pinned id keeps updating the same items as the plan changes",
    )
    p_sync.add_argument(
        "--max-concurrent",
        type=_concurrency,
        default=4,
        metavar="N",
        help=f"provider calls in flight at once, 1-{MAX_CONCURRENT_LIMIT} (default: 4)",
    )
    p_sync.set_defaults(func=cmd_sync)
    p_check = sub.add_parser(
        "check",
        help="enter a provider and show what it resolved, writing nothing",
        description="Exit codes: 0 resolved, 2 bad configuration, 3 provider or authentication error.",
    )
    _add_provider_options(p_check, provider_default=None)
    p_check.add_argument("--label", default="planpilot", help="discovery label (default: planpilot)")
    p_check.set_defaults(func=cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
