"""``list`` remembers what it showed while nothing it came from changed, and only then.

Each listing runs in a fresh interpreter, as the command does: a plugin module already imported by the test
process would hide a change to its file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from planpilot_providers_core.cache import CACHE_DIR_ENV, NO_CACHE_ENV
from planpilot_providers_core.cli import main
from planpilot_providers_core.defaults import BLOCK_PLUGINS_ENV, DISABLE_AUTOLOAD_ENV, ENTRY_POINT_GROUP
from planpilot_providers_core.registry import get_registry

PLUGIN = """
from planpilot_providers_core.hookspecs import hookimpl
from planpilot_providers_core.spec import ProviderSpec


@hookimpl
def planpilot_register_providers(register):
    register(ProviderSpec(name="cached", provider_class="m:C", capabilities=(), summary={summary!r}))
"""

PROBE = textwrap.dedent(
    """
    import json, sys
    from planpilot_providers_core.cli import main
    main(sys.argv[1:])
    loaded = ["pluggy", "planpilot_providers_core.registry", "fake_cached_plugin"]
    print("LOADED=" + json.dumps([name for name in loaded if name in sys.modules]), file=sys.stderr)
    """
)


class Site:
    """A directory of installed-looking distributions, and listings run in fresh interpreters over it."""

    def __init__(self, root: Path, cache: Path) -> None:
        self.root = root
        self.cache = cache
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PLANPILOT_PROVIDERS_")}
        self.env.update({"PYTHONPATH": str(root), CACHE_DIR_ENV: str(cache)})

    def install(self, summary: str) -> None:
        info = self.root / "fake_cached-1.0.dist-info"
        info.mkdir(exist_ok=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-cached\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\ncached = fake_cached_plugin\n")
        self.edit(summary)

    def edit(self, summary: str) -> None:
        module = self.root / "fake_cached_plugin.py"
        existed = module.exists()
        module.write_text(PLUGIN.format(summary=summary))
        if existed:  # a later mtime even on a coarse clock; the directory's own mtime does not move
            stat = module.stat()
            os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000_000))

    def list(self, *args: str, **env: str) -> tuple[dict[str, object], list[str]]:
        """The ``list --json`` answer, and which of the discovery modules the run imported."""
        result = subprocess.run(
            [sys.executable, "-c", PROBE, "list", "--json", *args],
            capture_output=True,
            text=True,
            check=True,
            env={**self.env, **env},
            cwd=self.root,
            timeout=60,
        )
        [line] = [line for line in result.stderr.splitlines() if line.startswith("LOADED=")]
        loaded: list[str] = json.loads(line.removeprefix("LOADED="))
        return json.loads(result.stdout), loaded

    def summary(self, listing: dict[str, object]) -> str | None:
        rows = listing["providers"]
        assert isinstance(rows, list)
        return next((row["summary"] for row in rows if row["name"] == "cached"), None)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    root = tmp_path / "site"
    root.mkdir()
    made = Site(root, tmp_path / "cache")
    made.install("first")
    return made


def test_a_second_listing_is_remembered_and_says_the_same(site: Site) -> None:
    cold, cold_loaded = site.list()
    warm, warm_loaded = site.list()
    assert site.summary(cold) == "first"
    assert warm == cold
    assert cold_loaded == ["pluggy", "planpilot_providers_core.registry", "fake_cached_plugin"]
    assert warm_loaded == []  # neither pluggy nor any plugin module: the listing came from the cache


def test_an_edited_plugin_module_is_listed_afresh(site: Site) -> None:
    site.list()
    site.edit("second")
    listing, loaded = site.list()
    assert site.summary(listing) == "second"
    assert "fake_cached_plugin" in loaded


def test_an_uninstalled_plugin_is_gone(site: Site) -> None:
    site.list()
    for path in (site.root / "fake_cached-1.0.dist-info").iterdir():
        path.unlink()
    (site.root / "fake_cached-1.0.dist-info").rmdir()
    listing, _ = site.list()
    assert site.summary(listing) is None


def test_the_discovery_switches_are_part_of_what_is_remembered(site: Site) -> None:
    site.list()
    blocked, loaded = site.list(**{BLOCK_PLUGINS_ENV: "fake-cached"})
    assert site.summary(blocked) is None
    assert loaded  # not served from the unblocked listing
    nothing, _ = site.list(**{DISABLE_AUTOLOAD_ENV: "1"})
    assert nothing["providers"] == []
    again, loaded = site.list()
    assert site.summary(again) == "first"
    assert loaded == []


def test_the_cache_can_be_turned_off(site: Site) -> None:
    site.list(**{NO_CACHE_ENV: "1"})
    _, loaded = site.list(**{NO_CACHE_ENV: "1"})
    assert "fake_cached_plugin" in loaded
    assert not (site.cache / "listing-v1.json").exists()


def test_a_corrupt_cache_is_listed_afresh(site: Site) -> None:
    expected, _ = site.list()
    (site.cache / "listing-v1.json").write_text("{not json")
    listing, loaded = site.list()
    assert listing == expected
    assert loaded


def test_a_listing_of_another_shape_is_listed_afresh(site: Site) -> None:
    """What another version wrote under the same fingerprint is not trusted."""
    expected, _ = site.list()
    path = site.cache / "listing-v1.json"
    written = json.loads(path.read_text())
    for entry in written.values():
        entry["listing"]["providers"] = [{"name": "stale"}]
    path.write_text(json.dumps(written))
    listing, loaded = site.list()
    assert listing == expected
    assert loaded


def test_a_registry_built_in_this_process_is_listed_as_it_is(
    clean_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """An application (or a test) that registered a plugin by hand sees it listed, whatever is cached."""
    assert main(["list", "--json"]) == 0
    capsys.readouterr()

    class Plugin:
        from planpilot_providers_core.hookspecs import hookimpl

        @hookimpl
        def planpilot_register_providers(self, register):  # type: ignore[no-untyped-def]
            from planpilot_providers_core.spec import ProviderSpec

            register(ProviderSpec(name="by-hand", provider_class="m:C", capabilities=(), summary="by hand"))

    get_registry().register_plugin(Plugin(), name="by-hand")
    assert main(["list", "--json"]) == 0
    assert "by-hand" in [row["name"] for row in json.loads(capsys.readouterr().out)["providers"]]
