"""``planpilot-providers --help``, remembered: the text argparse printed for the same code, width and language.

Importing argparse (with gettext, locale and textwrap) and building the parser is most of ``--help``'s
start-up, and the text changes only when one of those does. So it is kept in the user's cache
(:mod:`planpilot_providers_core.cache`) under the width, the interpreter and the language variables
gettext reads, with the path, size and mtime of every file it came from (argparse's and the CLI's), and
printed from there while they are unchanged. ``PLANPILOT_PROVIDERS_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import json
import os
import sys

from planpilot_providers_core import cache

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the start-up path
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Final

_CACHE_FILE: Final = "help-v1.json"
_LANGUAGE: Final = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
_SOURCES: Final = (
    "argparse",
    "gettext",
    "planpilot_providers_core",
    "planpilot_providers_core.cli",
    "planpilot_providers_core.defaults",
)
"""The modules the text comes from (the parser's code and argparse's), stamped when it is made."""


def top_level_help(width: int, make: Callable[[], str]) -> str:
    """The top-level help at ``width`` columns: remembered, or ``make()`` (argparse's ``format_help``)."""
    if not cache.enabled():
        return make()
    key = json.dumps([width, sys.version, [os.environ.get(name, "") for name in _LANGUAGE]])
    path = cache.cache_path(_CACHE_FILE)
    known = cache.read(path)
    entry = known.get(key)
    if not isinstance(entry, dict):
        entry = {}
    text = entry.get("text")
    if isinstance(text, str) and cache.FileStamps.unchanged(entry.get("stamps")):
        return text
    text = make()
    cache.remember(path, known, key, {"text": text, "stamps": cache.FileStamps.of_modules(_SOURCES)})
    return text
