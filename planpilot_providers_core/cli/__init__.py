"""``planpilot-providers`` command line: list providers, sync a plan, check a provider.

The call path, one module each: the parser and the one place that turns any failure into a message
and an exit code (here) -> a command (``list_command``, ``sync_command``, ``check_command``) ->
``provider_setup`` (registry, configuration, credential) -> the sync runner -> the provider. All
printing goes through :class:`~.output.Output` (secrets masked, untrusted text made terminal-safe).

Start-up must stay fast: this package imports nothing heavy at top level; a command imports its
machinery (and the provider) only when it runs.
"""

from __future__ import annotations

import functools
import os
import sys

from planpilot_providers_core.defaults import DEFAULT_LABEL, DEFAULT_PROVIDER

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the start-up path
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Collection, Sequence
    from typing import Final, NoReturn

    from planpilot_providers_core.cli.output import Output
    from planpilot_providers_core.cli.signals import Interrupted

__all__ = ["build_parser", "main"]

MAX_CONCURRENT_LIMIT: Final = 64


def _concurrency(text: str) -> int:
    """``--max-concurrent``: a whole number from 1 to ``MAX_CONCURRENT_LIMIT``."""
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_CONCURRENT_LIMIT:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_CONCURRENT_LIMIT}, got {value}")
    return value


class UsageError(Exception):
    """A command line argparse refused: reported by :func:`main`, as JSON too with ``--json``."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.usage = parser.format_usage()
        self.prog = parser.prog


def _parser_class() -> type[argparse.ArgumentParser]:
    """argparse's parser, but a usage error is raised for :func:`main` to report instead of exiting on the spot
    (a class made here so that argparse is imported only when a parser is built)."""
    import argparse

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            raise UsageError(self, message)

    return Parser


def _help_formatter(width: int) -> Callable[..., argparse.HelpFormatter]:
    """argparse's own help formatter, told the terminal's width: left to look it up itself, argparse imports
    shutil, and with it zlib, bz2 and lzma, for a tenth of ``--help``'s start-up, and asks again for every
    option added."""
    import argparse

    return functools.partial(argparse.HelpFormatter, width=width)


def _terminal_columns() -> int:
    """What ``shutil.get_terminal_size().columns`` answers: ``COLUMNS``, else the terminal's, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="debug logs on stderr, credentials masked: -v the project's own, -vv also the HTTP transport's",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _provider_options(parser: argparse.ArgumentParser, *, provider_default: str | None) -> None:
    if provider_default is None:
        parser.add_argument("--provider", required=True, metavar="NAME", help="provider name (see 'list')")
    else:
        parser.add_argument(
            "--provider", default=provider_default, metavar="NAME", help=f"provider name (default: {provider_default})"
        )
    parser.add_argument(
        "--target",
        metavar="TARGET",
        help="where items live, in the provider's own form: see the TARGET column of 'planpilot-providers list'",
    )
    parser.add_argument(
        "--board-url", metavar="URL", help="the board or project the items go on, if the provider has one"
    )
    parser.add_argument(
        "--api-url", metavar="URL", help="the API endpoint the provider calls (a self-hosted tracker, or an emulator)"
    )
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="one of the provider's own options (its documentation lists them), repeatable; "
        "VALUE is read as JSON when it is (1.5, true, null), else as text",
    )
    parser.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="let the credential go over plain http:// to a host that is not loopback (refused by default)",
    )
    parser.add_argument(
        "--label", default=DEFAULT_LABEL, help=f"discovery label put on every item (default: {DEFAULT_LABEL})"
    )
    _common(parser)


def _keep_copy(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--keep-copy",
        metavar="ID",
        help="when the tracker holds two copies of the plan (the sync names them), keep the copy with this id and "
        "close each item of the others as a duplicate of the kept one (linked, never deleted); once is enough",
    )


def _version_action() -> type[argparse.Action]:
    """The ``--version`` action (a class, as argparse wants; made here so that argparse is imported only
    when a parser is built)."""
    import argparse

    class VersionAction(argparse.Action):
        """Prints core and plugin versions; resolved lazily so ``--help`` does not run discovery."""

        def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: object) -> None:
            super().__init__(
                option_strings, dest=dest, nargs=0, help="show versions of core and installed plugins and exit"
            )

        def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
            from planpilot_providers_core.cli.list_command import version_text
            from planpilot_providers_core.cli.output import Output

            Output().out(version_text())
            parser.exit()

    return VersionAction


COMMANDS: Final = ("list", "sync", "check")


def build_parser(commands: Collection[str] = COMMANDS) -> argparse.ArgumentParser:
    """The command line. Only the ``commands`` named get their options (the others are still listed, by name
    and summary, as ``--help`` shows them): ``main`` builds those of the command it runs, or none for ``--help``.
    """
    formatter = _help_formatter(_terminal_columns() - 2)
    parser = _parser_class()(
        prog="planpilot-providers",
        formatter_class=formatter,
        description="Provider plugins for PlanPilot-style roadmap sync: list them, sync a plan, check a provider.",
    )
    parser.add_argument("--version", action=_version_action())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p_list = sub.add_parser(
        "list", help="list installed providers, what each needs and can do", formatter_class=formatter
    )
    if "list" in commands:
        _common(p_list)
    p_list.set_defaults(command_name="list")
    p_sync = sub.add_parser(
        "sync",
        formatter_class=formatter,
        help="sync a plan into a tracker (dry-run by default)",
        description="Create or update the plan's epics, stories and tasks in a tracker, then set their relations. "
        "Exit codes: 0 success, 1 unexpected error (a bug), 2 bad plan or configuration, 3 provider or "
        "credential error, 4 some items failed (run again to converge), 5 changes pending (--dry-run), "
        "130 interrupted (run again to finish), 143 terminated by SIGTERM (likewise).",
    )
    if "sync" in commands:
        _sync_options(p_sync)
    p_sync.set_defaults(command_name="sync")
    p_check = sub.add_parser(
        "check",
        formatter_class=formatter,
        help="enter a provider and show what it resolved, writing nothing",
        description="Enter a provider read-only and show what it resolved; given a plan, also estimate what syncing "
        "it would cost and how long it would take. Exit codes: 0 resolved, 1 unexpected error, 2 bad plan or "
        "configuration, 3 provider or credential error.",
    )
    if "check" in commands:
        _check_options(p_check)
    p_check.set_defaults(command_name="check")
    return parser


def _sync_options(p_sync: argparse.ArgumentParser) -> None:
    p_sync.add_argument(
        "plans", nargs="+", metavar="PLAN", help="one unified plan file, or the epics, stories and tasks files"
    )
    _provider_options(p_sync, provider_default=DEFAULT_PROVIDER)
    p_sync.add_argument(
        "--dry-run",
        action="store_true",
        help="show what the sync would create, update, link and unlink, writing nothing "
        "(exit 0: nothing to change, 5: changes pending)",
    )
    p_sync.add_argument(
        "--plan-id",
        metavar="ID",
        help="use this plan id as the plan's identity (by default an edited plan keeps the id its items already "
        "carry in the tracker, and a new plan gets its content hash)",
    )
    _keep_copy(p_sync)
    p_sync.add_argument(
        "--validation",
        choices=("strict", "partial"),
        default="strict",
        help="partial: the plan is one part of a bigger one; parents and dependencies outside it are allowed "
        "and left out of the sync (PlanPilot's partial validation mode; default: strict)",
    )
    p_sync.add_argument(
        "--max-concurrent",
        type=_concurrency,
        default=4,
        metavar="N",
        help=f"provider calls in flight at once, 1-{MAX_CONCURRENT_LIMIT} (default: 4)",
    )


def _check_options(p_check: argparse.ArgumentParser) -> None:
    p_check.add_argument(
        "plans",
        nargs="*",
        metavar="PLAN",
        help="a plan (its file or split files) to estimate: what syncing it would create, update and link, the "
        "budget units that costs and how long it takes at the tracker's pace; still writes nothing",
    )
    p_check.add_argument("--plan-id", metavar="ID", help="as for sync")
    _keep_copy(p_check)
    p_check.add_argument("--validation", choices=("strict", "partial"), default="strict", help="as for sync")
    _provider_options(p_check, provider_default=None)


def _command_in(argv: Sequence[str]) -> tuple[str, ...]:
    """The command ``argv`` runs, if it names one: its first word that is not an option (the top level has
    only ``--help`` and ``--version``, which take no value)."""
    first = next((word for word in argv if not word.startswith("-")), None)
    return (first,) if first in COMMANDS else ()


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code; never ends in a traceback.

    Every failure a command foresees ends with its own message and code; Ctrl-C outside a sync ends
    with 130 and SIGTERM with 143 (a sync reports what it wrote, see ``cli/signals.py``); anything else
    is reported as an unexpected error (exit 1), its traceback shown with -v. With ``--json`` every
    outcome, a usage error included, is one JSON object on stdout.
    """
    words = sys.argv[1:] if argv is None else list(argv)
    if words in (["-h"], ["--help"]):  # argparse's own text, remembered: see help_cache
        from planpilot_providers_core.cli.help_cache import top_level_help

        text = top_level_help(_terminal_columns() - 2, lambda: build_parser(()).format_help())
        try:  # noqa: SIM105 -- contextlib is not imported on this path
            sys.stdout.write(text)
        except (AttributeError, OSError):
            pass  # as argparse's print_help: no stdout to write to
        raise SystemExit(0)
    from planpilot_providers_core.cli import signals

    restore = signals.install()
    try:
        return _main(words)
    except signals.Interrupted as stop:  # SIGTERM before a command began
        return _stopped(stop, as_json="--json" in words)
    finally:
        restore()


def _main(words: list[str]) -> int:
    from planpilot_providers_core.cli.exits import EXIT_BAD_INPUT, EXIT_INTERNAL
    from planpilot_providers_core.cli.signals import Interrupted

    parser = build_parser(_command_in(words))  # a command's start-up pays for its own options only
    try:
        args = parser.parse_args(words)
    except UsageError as exc:
        from planpilot_providers_core.cli.output import Output

        usage = Output()
        usage.err(f"{exc.usage}{exc.prog}: error: {exc}")
        if "--json" in words:
            usage.json({"ok": False, "exit_code": EXIT_BAD_INPUT, "error": {"kind": "usage", "message": str(exc)}})
        return EXIT_BAD_INPUT
    command = getattr(args, "command_name", None)
    if command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    # Only now: ``--help`` and usage errors need neither the output nor logging, and ``list`` (which
    # logs nothing, only prints) needs logging only for -v.
    from planpilot_providers_core.cli.output import Output

    output = Output()
    handler = None
    if command != "list" or args.verbose:
        from planpilot_providers_core.cli.logs import log_to

        handler = log_to(output, verbose=args.verbose)
    try:
        if command == "list":
            from planpilot_providers_core.cli.list_command import run_list

            return run_list(args, output=output)
        if command == "sync":
            from planpilot_providers_core.cli.sync_command import run_sync

            return run_sync(args, output=output)
        from planpilot_providers_core.cli.check_command import run_check

        return run_check(args, output=output)
    except KeyboardInterrupt:
        return _stopped(Interrupted(), as_json=args.json, output=output)
    except Interrupted as stop:
        return _stopped(stop, as_json=args.json, output=output)
    except Exception as exc:
        if args.verbose:
            import traceback

            output.err("".join(traceback.format_exception(exc)))
        message = (
            f"unexpected {type(exc).__name__}: {exc}. This is a bug in planpilot-providers or in a "
            "plugin; run the command again with -v to see where, and report it."
        )
        output.err(f"error: {message}")
        if args.json:
            output.json({"ok": False, "exit_code": EXIT_INTERNAL, "error": {"kind": "internal", "message": message}})
        return EXIT_INTERNAL
    finally:
        if handler is not None:
            handler.close()


def _stopped(stop: Interrupted, *, as_json: bool, output: Output | None = None) -> int:
    """A command stopped by Ctrl-C or SIGTERM before it had anything to report."""
    if output is None:
        from planpilot_providers_core.cli.output import Output

        output = Output()
    output.err(stop.what)
    if as_json:
        signal_name = "SIGTERM" if stop.terminated else "SIGINT"
        output.json({"ok": False, "exit_code": stop.code, "interrupted": True, "signal": signal_name})
    return stop.code
