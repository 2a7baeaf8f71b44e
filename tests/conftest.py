"""Fixtures for discovery tests: fake plugin distributions built on the fly, and a clean registry.

Discovery reads real ``*.dist-info`` directories on ``sys.path``, so the fakes are real distributions
(metadata + entry points + modules) rather than mocks of ``importlib.metadata``.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from planpilot_providers_core.registry import (
    BLOCK_PLUGINS_ENV,
    DISABLE_AUTOLOAD_ENV,
    ENTRY_POINT_GROUP,
    get_registry,
)


class FakeDistributions:
    """Writes installed-looking distributions into one directory that is on ``sys.path``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def add(
        self,
        name: str,
        *,
        version: str = "1.0.0",
        entry_points: Mapping[str, str],
        modules: Mapping[str, str],
    ) -> None:
        """Install distribution ``name`` with ``entry_points`` (name -> module) and top-level ``modules``."""
        dist_info = self.root / f"{name.replace('-', '_')}-{version}.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        lines = "".join(f"{ep} = {target}\n" for ep, target in entry_points.items())
        (dist_info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{lines}")
        for module, source in modules.items():
            (self.root / f"{module}.py").write_text(textwrap.dedent(source))
        importlib.invalidate_caches()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No discovery switches from the caller's shell, and a process-wide registry rebuilt per test."""
    monkeypatch.delenv(DISABLE_AUTOLOAD_ENV, raising=False)
    monkeypatch.delenv(BLOCK_PLUGINS_ENV, raising=False)
    get_registry.cache_clear()
    yield
    get_registry.cache_clear()


@pytest.fixture
def fake_dists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None) -> Iterator[FakeDistributions]:
    """A directory of fake distributions on ``sys.path``; their imported modules are forgotten afterwards."""
    root = tmp_path / "site-packages"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    yield FakeDistributions(root)
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(root)):
            del sys.modules[name]
    importlib.invalidate_caches()
