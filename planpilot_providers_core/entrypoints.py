"""The entry points of one group, remembered between runs so that listing providers starts fast.

Importing ``importlib.metadata`` costs about as much as the rest of ``planpilot-providers list``
together (it pulls in email, zipfile, csv and pathlib). Its answer only changes when distributions
are installed, removed or upgraded, and each of those changes the modification time of the
directory on ``sys.path`` they live in. So the answer is kept per fingerprint of the import path
(every ``sys.path`` entry with its mtime) in the user's cache directory, and read fresh from
``importlib.metadata`` whenever the fingerprint changes. ``PLANPILOT_PROVIDERS_NO_CACHE=1`` turns
the cache off; ``PLANPILOT_PROVIDERS_CACHE_DIR`` moves it.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import sys
from typing import Any, Final

NO_CACHE_ENV: Final = "PLANPILOT_PROVIDERS_NO_CACHE"
CACHE_DIR_ENV: Final = "PLANPILOT_PROVIDERS_CACHE_DIR"
_CACHE_FILE: Final = "entry-points-v1.json"
_KEEP: Final = 16
"""Fingerprints remembered at once (one per virtualenv and working directory in use)."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class EntryPointRecord:
    """One entry point and the distribution that declares it."""

    name: str
    value: str
    distribution: str | None
    version: str | None

    def load(self) -> Any:
        """Import what the entry point names (``module`` or ``module:attribute``; extras are ignored).

        A plain module is imported directly: resolving it by name would hide an import error inside it
        (``No module named ...``) behind an ``AttributeError`` about the package.
        """
        module, _, attribute = self.value.split("[", 1)[0].strip().partition(":")
        loaded = importlib.import_module(module)
        for name in filter(None, attribute.split(".")):
            loaded = getattr(loaded, name)
        return loaded


def entry_points(group: str) -> list[EntryPointRecord]:
    """Every entry point in ``group``, from the cache when nothing on ``sys.path`` changed."""
    if os.environ.get(NO_CACHE_ENV, "").strip() not in ("", "0"):
        return _scan(group)
    key = _fingerprint(group)
    path = os.path.join(_cache_dir(), _CACHE_FILE)
    cache = _read(path)
    if key in cache:
        try:
            return [EntryPointRecord(**record) for record in cache[key]]
        except TypeError:
            pass  # written by another version: rescan below
    records = _scan(group)
    cache.pop(key, None)
    cache[key] = [dataclasses.asdict(r) for r in records]
    _write(path, dict(list(cache.items())[-_KEEP:]))
    return records


def _scan(group: str) -> list[EntryPointRecord]:
    from importlib import metadata

    return [
        EntryPointRecord(
            name=ep.name,
            value=ep.value,
            distribution=ep.dist.name if ep.dist else None,
            version=ep.dist.version if ep.dist else None,
        )
        for ep in metadata.entry_points(group=group)
    ]


def _fingerprint(group: str) -> str:
    """The group, the interpreter and every ``sys.path`` entry with its mtime (the key is the text itself:
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


def _cache_dir() -> str:
    if configured := os.environ.get(CACHE_DIR_ENV):
        return configured
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "planpilot-providers")


def _read(path: str) -> dict[str, list[dict[str, Any]]]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: str, data: dict[str, list[dict[str, Any]]]) -> None:
    """Best effort and atomic: a read-only home or a concurrent writer only costs the next run a scan."""
    import tempfile

    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".entry-points-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(tmp, path)
    except OSError:
        pass
