"""Answers kept between runs in the user's cache directory, each under the fingerprint of what it came from.

Discovery's answers (the entry points of a group, what ``planpilot-providers list`` shows) only change
when distributions are installed, removed or upgraded, or when the code that computed them changes. An
install changes the modification time of the ``sys.path`` directory it lands in, so a fingerprint of every
``sys.path`` entry with its mtime (and the interpreter) says when to compute afresh; a code change is seen
by :class:`FileStamps`. Stdlib only (``os``, ``sys``, ``json``): this is read on the CLI's start-up path.

``PLANPILOT_PROVIDERS_NO_CACHE=1`` turns every cache off; ``PLANPILOT_PROVIDERS_CACHE_DIR`` moves them.
"""

from __future__ import annotations

import json
import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the start-up path
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, Final

NO_CACHE_ENV: Final = "PLANPILOT_PROVIDERS_NO_CACHE"
"""Set to a non-empty value other than ``0`` to remember nothing between runs (entry points, ``list``, ``--help``)."""
CACHE_DIR_ENV: Final = "PLANPILOT_PROVIDERS_CACHE_DIR"
"""Where the remembered answers live (default: ``$XDG_CACHE_HOME/planpilot-providers``, else
``~/.cache/planpilot-providers``)."""
KEEP: Final = 16
"""Fingerprints remembered per file (one per virtualenv and working directory in use)."""


def enabled() -> bool:
    return os.environ.get(NO_CACHE_ENV, "").strip() in ("", "0")


def path_fingerprint(group: str) -> str:
    """``group``, the interpreter and every ``sys.path`` entry with its mtime (the key is the text itself:
    hashing it would cost an import for nothing)."""
    entries = []
    for entry in sys.path:
        location = os.path.abspath(entry or ".")
        try:
            mtime: int | None = os.stat(location).st_mtime_ns
        except OSError:
            mtime = None
        entries.append((location, mtime))
    return json.dumps([group, sys.version, entries])


def cache_path(name: str) -> str:
    """Where the cache file ``name`` lives."""
    if configured := os.environ.get(CACHE_DIR_ENV):
        return os.path.join(configured, name)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "planpilot-providers", name)


def read(path: str) -> dict[str, Any]:
    """The fingerprint -> answer mapping in ``path``; empty when missing, unreadable or not ours."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def remember(path: str, cache: dict[str, Any], key: str, value: Any) -> None:
    """Store ``value`` under ``key`` as the newest entry, keeping the :data:`KEEP` newest.

    Best effort and atomic: a read-only home or a concurrent writer only costs the next run a recomputation.
    """
    cache.pop(key, None)
    cache[key] = value
    kept = dict(list(cache.items())[-KEEP:])
    tmp = f"{path}.{os.getpid()}.tmp"  # this process's own: tempfile would import shutil and random
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(kept, handle)
        os.replace(tmp, path)
    except OSError:
        if os.path.exists(tmp):
            os.unlink(tmp)


class FileStamps:
    """Path, size and mtime of source files: the code an answer came from, to tell when it changed."""

    @staticmethod
    def of_modules(names: Iterable[str]) -> list[list[Any]]:
        """Stamps of the files the loaded modules ``names`` came from (built-in and frozen ones have none)."""
        stamps: list[list[Any]] = []
        for name in sorted(set(names)):
            filename = getattr(sys.modules.get(name), "__file__", None)
            if isinstance(filename, str):
                stamps.append([filename, *FileStamps._stat(filename)])
        return stamps

    @staticmethod
    def unchanged(stamps: object) -> bool:
        """Whether every stamped file is still there, the same size and mtime."""
        if not isinstance(stamps, list):
            return False
        for stamp in stamps:
            if not (isinstance(stamp, list) and len(stamp) == 3 and isinstance(stamp[0], str)):
                return False
            if FileStamps._stat(stamp[0]) != stamp[1:]:
                return False
        return True

    @staticmethod
    def _stat(filename: str) -> list[int | None]:
        try:
            found = os.stat(filename)
        except OSError:
            return [None, None]
        return [found.st_size, found.st_mtime_ns]
