"""The entry points of one group, remembered between runs so that listing providers starts fast.

Importing ``importlib.metadata`` costs about as much as the rest of ``planpilot-providers list``
together (it pulls in email, zipfile, csv and pathlib). Its answer only changes when distributions
are installed, removed or upgraded, and each of those changes the modification time of the
directory on ``sys.path`` they live in. So the answer is kept per fingerprint of the import path
(every ``sys.path`` entry with its mtime) in the user's cache directory (:mod:`.cache`), and read fresh
from ``importlib.metadata`` whenever the fingerprint changes. ``PLANPILOT_PROVIDERS_NO_CACHE=1`` turns
the cache off; ``PLANPILOT_PROVIDERS_CACHE_DIR`` moves it.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any, Final

from planpilot_providers_core import cache
from planpilot_providers_core.cache import CACHE_DIR_ENV, NO_CACHE_ENV

__all__ = ["CACHE_DIR_ENV", "NO_CACHE_ENV", "EntryPointRecord", "entry_points"]

_CACHE_FILE: Final = "entry-points-v1.json"


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
    if not cache.enabled():
        return _scan(group)
    key = cache.path_fingerprint(group)
    path = cache.cache_path(_CACHE_FILE)
    known = cache.read(path)
    if key in known:
        try:
            return [EntryPointRecord(**record) for record in known[key]]
        except TypeError:
            pass  # written by another version: rescan below
    records = _scan(group)
    cache.remember(path, known, key, [dataclasses.asdict(r) for r in records])
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
