"""MkDocs hooks of the docs site (``mkdocs.yml``: ``hooks:``): the parts of a page that the code says, so the
site never disagrees with it.

A page asks for one with an HTML comment on a line of its own (invisible where the Markdown is read as it
is, on GitHub; the sentence before it says what the site shows there):

- ``<!-- generated: cli-help -->``: ``planpilot-providers --help``; ``<!-- generated: cli-help sync -->``:
  one command's help, as argparse prints it from ``planpilot_providers_core.cli.build_parser()`` at a
  width of 100 columns;
- ``<!-- generated: exit-codes -->``: the table of ``planpilot_providers_core/cli/exits.py``'s ``EXIT_*``
  constants, with their docstrings;
- ``<!-- generated: error-tree -->``: the table of the error classes of ``planpilot_providers_core.errors``,
  each with its bases and the first paragraph of its docstring;
- ``<!-- generated: environment -->``: the ``*_ENV`` constants of core (the environment switches), with
  their values and docstrings.

Constants and docstrings are read with griffe (which mkdocstrings brings), from the source, without
importing it; the parser is built by importing the CLI, as ``--help`` does. A marker naming nothing known
fails the build.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import griffe

MARKER = re.compile(r"^<!-- generated: ([a-z-]+)(?: ([a-z]+))? -->$", re.M)
HELP_WIDTH = 100
CORE = "planpilot_providers_core"


@cache
def _core() -> griffe.Module:
    return griffe.load(CORE, search_paths=["."], docstring_parser=None, resolve_aliases=False)  # type: ignore[return-value]


def _one_line(text: str) -> str:
    """A docstring (or its first paragraph) as one table cell: joined lines, ``|`` escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def _first_paragraph(text: str) -> str:
    return _one_line(text.strip().split("\n\n", 1)[0])


def cli_help(command: str | None) -> str:
    """The help text of the top-level command or of one command, as a fenced block."""
    from planpilot_providers_core.cli import COMMANDS, build_parser

    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(HELP_WIDTH + 2)  # build_parser formats for the terminal's width less 2
    try:
        parser = build_parser(COMMANDS)
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous
    if command is None:
        text = parser.format_help()
    else:
        subparsers = next(a for a in parser._actions if a.dest == "command")
        choices: dict[str, Any] = subparsers.choices  # type: ignore[assignment]
        if command not in choices:
            raise ValueError(f"cli-help: no command {command!r}; the CLI has {sorted(choices)}")
        text = choices[command].format_help()
    return f"```text\n{text.rstrip()}\n```"


def _constants(module: griffe.Module, suffix: str = "", prefix: str = "") -> Iterator[griffe.Attribute]:
    for name, member in module.members.items():
        if name.startswith(prefix) and name.endswith(suffix) and isinstance(member, griffe.Attribute):
            yield member


def _value(attribute: griffe.Attribute) -> str:
    return str(attribute.value).strip("'\"")


def exit_codes() -> str:
    """The exit codes, in order, from ``cli/exits.py``."""
    module = _core()["cli.exits"]
    rows = sorted(_constants(module, prefix="EXIT_"), key=lambda a: int(_value(a)))
    missing = [a.name for a in rows if a.docstring is None]
    if missing:
        raise ValueError(f"exit-codes: {', '.join(missing)} in cli/exits.py need a docstring (the page shows it)")
    lines = ["| code | name | meaning |", "|---|---|---|"]
    lines += [f"| {_value(a)} | `{a.name}` | {_one_line(a.docstring.value)} |" for a in rows if a.docstring]
    return "\n".join(lines)


def error_tree() -> str:
    """Every class of the errors module, in source order, with its bases and what it means."""
    module = _core()["errors"]
    lines = ["| error | is a | meaning |", "|---|---|---|"]
    for member in module.members.values():
        if not isinstance(member, griffe.Class) or member.docstring is None:
            continue
        bases = ", ".join(f"`{str(base).rsplit('.', 1)[-1]}`" for base in member.bases)
        lines.append(f"| `{member.name}` | {bases} | {_first_paragraph(member.docstring.value)} |")
    return "\n".join(lines)


def environment() -> str:
    """Every ``*_ENV`` constant of core: the environment switches the command line reads."""
    core = _core()
    found: list[griffe.Attribute] = []

    def walk(module: griffe.Module) -> None:
        found.extend(_constants(module, suffix="_ENV"))
        for sub in module.modules.values():
            walk(sub)

    walk(core)
    lines = ["| variable | effect | defined in |", "|---|---|---|"]
    for attribute in sorted(found, key=_value):
        if attribute.docstring is None:
            raise ValueError(f"environment: {attribute.path} needs a docstring (the page shows it)")
        where = attribute.parent.path if attribute.parent else CORE
        lines.append(f"| `{_value(attribute)}` | {_one_line(attribute.docstring.value)} | `{where}` |")
    return "\n".join(lines)


GENERATORS: dict[str, Callable[[str | None], str]] = {
    "cli-help": cli_help,
    "exit-codes": lambda _: exit_codes(),
    "error-tree": lambda _: error_tree(),
    "environment": lambda _: environment(),
}


def render(markdown: str) -> str:
    """``markdown`` with every marker replaced by what it asks for."""

    def replace(match: re.Match[str]) -> str:
        kind, argument = match.groups()
        generator = GENERATORS.get(kind)
        if generator is None:
            raise ValueError(f"unknown docs marker {match.group(0)!r}; known: {sorted(GENERATORS)}")
        return generator(argument)

    return MARKER.sub(replace, markdown)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """MkDocs' hook: runs on each page's Markdown before it is rendered."""
    return render(markdown)
