"""``planpilot-providers`` command line: list providers, sync a plan, check a provider.

Start-up must stay fast: this module imports only the registry at top level; ``sync`` and
``check`` import their machinery (and the provider) only when they run.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Final

from planpilot_providers_core import __version__
from planpilot_providers_core.registry import RegisteredProvider, get_registry

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
    registry = get_registry()
    providers = [_provider_row(reg) for reg in registry.providers.values()]
    problems = [str(p) for p in registry.problems]
    if args.json:
        print(json.dumps({"providers": providers, "problems": problems}, indent=2))
    elif providers:
        header = ["NAME", "DISTRIBUTION", "VERSION", "CAPABILITIES", "SUMMARY"]
        body = [
            [str(p["name"]), str(p["distribution"] or "-"), str(p["version"] or "-"), ",".join(p["capabilities"]), str(p["summary"])]  # type: ignore[arg-type]
            for p in providers
        ]
        print(_format_table([header, *body]))
    else:
        print("No providers installed. Install a provider plugin, e.g. 'pip install planpilot-provider-dry-run'.")
    for problem in problems:
        print(f"warning: plugin problem: {problem}", file=sys.stderr)
    return EXIT_OK


def _version_text() -> str:
    lines = [f"planpilot-providers-core {__version__}"]
    seen: set[tuple[str | None, str | None]] = set()
    for reg in get_registry().providers.values():
        if (reg.distribution, reg.version) not in seen:
            seen.add((reg.distribution, reg.version))
            lines.append(f"  {reg.distribution or reg.plugin} {reg.version or ''}".rstrip())
    return "\n".join(lines)


class _VersionAction(argparse.Action):
    """Prints core and plugin versions; resolved lazily so ``--help`` does not run discovery."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: object) -> None:
        super().__init__(option_strings, dest=dest, nargs=0, help="show versions of core and installed plugins and exit")

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
