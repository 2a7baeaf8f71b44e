"""The entry-point cache: same answer as importlib.metadata, without importing it when nothing changed."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from planpilot_providers_core import entrypoints
from planpilot_providers_core.entrypoints import EntryPointRecord, entry_points

GROUP = "planpilot.providers"


def _dist(root: Path, name: str, version: str, module: str) -> None:
    info = root / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n{name} = {module}\n")
    (root / f"{module}.py").write_text("VALUE = 42\n")


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(entrypoints.CACHE_DIR_ENV, str(directory))
    monkeypatch.delenv(entrypoints.NO_CACHE_ENV, raising=False)
    return directory


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "site"
    directory.mkdir()
    monkeypatch.syspath_prepend(str(directory))
    return directory


def test_answers_like_importlib_metadata(cache_dir: Path) -> None:
    from importlib import metadata

    expected = {(ep.name, ep.value, ep.dist.name if ep.dist else None) for ep in metadata.entry_points(group=GROUP)}
    for _ in range(2):  # a scan, then a cache hit
        assert {(r.name, r.value, r.distribution) for r in entry_points(GROUP)} == expected
    assert ("dry-run", "planpilot_provider_dry_run.plugin", "planpilot-provider-dry-run") in expected


def test_second_lookup_is_served_from_the_cache(cache_dir: Path, site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _dist(site, "pp-cached", "1.0", "pp_cached_plugin")
    first = entry_points(GROUP)
    scans: list[str] = []
    monkeypatch.setattr(entrypoints, "_scan", lambda group: scans.append(group) or [])
    assert entry_points(GROUP) == first
    assert scans == []
    assert (
        EntryPointRecord(name="pp-cached", value="pp_cached_plugin", distribution="pp-cached", version="1.0") in first
    )


def test_installing_into_a_known_directory_invalidates_the_cache(cache_dir: Path, site: Path) -> None:
    before = {r.name for r in entry_points(GROUP)}
    os.utime(site, ns=(1, 1))  # make sure the next change moves the mtime even on coarse clocks
    _dist(site, "pp-late", "2.0", "pp_late_plugin")
    after = {r.name for r in entry_points(GROUP)}
    assert after - before == {"pp-late"}


def test_cache_can_be_turned_off(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(entrypoints.NO_CACHE_ENV, "1")
    entry_points(GROUP)
    assert not cache_dir.exists()


def test_corrupt_or_foreign_cache_is_ignored(cache_dir: Path) -> None:
    cache_dir.mkdir()
    (cache_dir / "entry-points-v1.json").write_text("{not json")
    assert entry_points(GROUP)
    data = json.loads((cache_dir / "entry-points-v1.json").read_text())
    key = next(iter(data))
    data[key] = [{"unexpected": "shape"}]
    (cache_dir / "entry-points-v1.json").write_text(json.dumps(data))
    assert {r.name for r in entry_points(GROUP)} >= {"dry-run"}


def test_unwritable_cache_directory_still_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(entrypoints.CACHE_DIR_ENV, str(blocker / "cache"))
    assert {r.name for r in entry_points(GROUP)} >= {"dry-run"}


def test_entry_point_load_resolves_module_and_attribute(site: Path) -> None:
    (site / "pp_loadable.py").write_text("THING = 'thing'\n")
    assert (
        EntryPointRecord(name="x", value="pp_loadable:THING [extra]", distribution=None, version=None).load() == "thing"
    )
    assert EntryPointRecord(name="x", value="pp_loadable", distribution=None, version=None).load().THING == "thing"


def test_listing_with_a_warm_cache_does_not_import_importlib_metadata(cache_dir: Path) -> None:
    script = textwrap.dedent(
        """
        import sys
        from planpilot_providers_core.cli import main
        main(["list", "--json"])
        print("METADATA-IMPORTED" if "importlib.metadata" in sys.modules else "METADATA-NOT-IMPORTED")
        """
    )
    env = {**os.environ, entrypoints.CACHE_DIR_ENV: str(cache_dir)}
    runs = [
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
        for _ in range(2)
    ]
    assert runs[0].stdout.strip().endswith("METADATA-IMPORTED")
    assert runs[1].stdout.strip().endswith("METADATA-NOT-IMPORTED")
    assert runs[0].stdout.rsplit("}", 1)[0] == runs[1].stdout.rsplit("}", 1)[0]  # same listing
