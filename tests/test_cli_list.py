"""``planpilot-providers list`` and ``--version``: what is installed, from where, cheaply."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib import metadata
from typing import TYPE_CHECKING

import pytest

import planpilot_providers_core
from planpilot_providers_core.cache import NO_CACHE_ENV
from planpilot_providers_core.cli import main
from planpilot_providers_core.contract import CONTRACT_VERSION
from planpilot_providers_core.registry import BLOCK_PLUGINS_ENV, DISABLE_AUTOLOAD_ENV, get_registry

if TYPE_CHECKING:
    from conftest import FakeDistributions

DRY_RUN_DIST = "planpilot-provider-dry-run"


def test_list_prints_a_table_with_the_dry_run_row(clean_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    """The table is what a user reads first: one header, one row per provider, all five columns."""
    assert main(["list"]) == 0

    out = capsys.readouterr().out
    lines = out.split("\n\n")[0].splitlines()
    assert lines[0].split() == ["NAME", "DISTRIBUTION", "VERSION", "CAPABILITIES", "SUMMARY"]
    [row] = [line for line in lines[1:] if line.startswith("dry-run ")]
    spec = get_registry().get("dry-run").spec
    name, dist, version, capabilities, summary = row.split(maxsplit=4)
    assert (name, dist, version) == ("dry-run", DRY_RUN_DIST, metadata.version(DRY_RUN_DIST))
    assert capabilities.split(",") == sorted(spec.capabilities)
    assert summary == spec.summary
    # Columns line up: every cell starts where its header does.
    assert row.index(dist) == lines[0].index("DISTRIBUTION")
    assert row.index(summary) == lines[0].index("SUMMARY")


def test_list_shows_where_each_provider_looks_for_its_credential_never_the_value(
    clean_env: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_list_must_not_show_this_0123456789")
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    needs = out.split("\n\n")[1].splitlines()
    assert needs[0].split() == ["NAME", "TARGET", "CREDENTIAL"]
    rows = {line.split()[0]: line for line in needs[1:]}
    assert rows["dry-run"].endswith("none needed")
    assert rows["github"].split(maxsplit=2)[1] == "OWNER/REPO"
    assert rows["github"].endswith("GitHub token from GITHUB_TOKEN, GH_TOKEN, then `gh auth token`")
    assert "ghp_list_must_not_show_this" not in out

    assert main(["list", "--json"]) == 0
    by_name = {p["name"]: p for p in json.loads(capsys.readouterr().out)["providers"]}
    assert by_name["dry-run"]["credential"] is None
    assert by_name["github"]["credential"] == {
        "name": "GitHub token",
        "env": ["GITHUB_TOKEN", "GH_TOKEN"],
        "helper": "gh auth token",
        "sent_as": "bearer",
        "parts": [
            {"key": "token", "name": "GitHub token", "env": ["GITHUB_TOKEN", "GH_TOKEN"], "helper": "gh auth token"}
        ],
        "alternatives": [],
    }
    assert by_name["github"]["target"] == "OWNER/REPO"


def test_list_json_shape(clean_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    """Scripts (and the isolation check) parse this; its keys are an interface."""
    assert main(["list", "--json"]) == 0

    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"providers", "problems"}
    assert isinstance(data["problems"], list)
    [dry_run] = [p for p in data["providers"] if p["name"] == "dry-run"]
    assert {"name", "distribution", "version", "capabilities", "summary"} <= set(dry_run)
    assert dry_run["distribution"] == DRY_RUN_DIST
    assert dry_run["version"] == metadata.version(DRY_RUN_DIST)
    assert dry_run["capabilities"] == sorted(dry_run["capabilities"])
    assert {"discovery.labels", "discovery.body-text", "discovery.complete"} <= set(dry_run["capabilities"])
    assert dry_run["summary"] == get_registry().get("dry-run").spec.summary


def test_list_reports_plugin_problems_without_breaking_the_output(
    fake_dists: FakeDistributions, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken plugin shows up as a problem (JSON and a stderr warning); stdout stays parseable."""
    fake_dists.add(
        "fake-broken-dist",
        entry_points={"broken": "fake_broken_plugin"},
        modules={"fake_broken_plugin": "raise ImportError('needs libfoo')\n"},
    )

    assert main(["list", "--json"]) == 0

    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert "dry-run" in [p["name"] for p in data["providers"]]
    [problem] = [p for p in data["problems"] if "fake-broken-dist" in p]
    assert "needs libfoo" in problem
    assert "warning: plugin problem: fake-broken-dist" in captured.err


def test_version_lists_core_and_plugin_distributions(
    fake_dists: FakeDistributions, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bug reports need every distribution involved, not just the core's version."""
    fake_dists.add(
        "fake-versioned-dist",
        version="7.8.9",
        entry_points={"versioned": "fake_versioned_plugin"},
        modules={
            "fake_versioned_plugin": """
                from planpilot_providers_core.hookspecs import hookimpl
                from planpilot_providers_core.registry import ProviderSpec

                @hookimpl
                def planpilot_register_providers(register):
                    register(ProviderSpec(name="v", provider_class="m:C", capabilities=(), summary="v"))
                """
        },
    )

    with pytest.raises(SystemExit) as excinfo:
        main(["--version"])

    assert excinfo.value.code == 0
    lines = [line.strip() for line in capsys.readouterr().out.splitlines()]
    core = metadata.version("planpilot-providers-core")
    assert lines[0] == f"planpilot-providers-core {core} (provider contract {CONTRACT_VERSION})"
    assert f"{DRY_RUN_DIST} {metadata.version(DRY_RUN_DIST)}" in lines
    assert "fake-versioned-dist 7.8.9" in lines


def test_core_version_matches_its_distribution() -> None:
    """``__version__`` is printed by ``--version``; it must not drift from the packaged version."""
    assert planpilot_providers_core.__version__ == metadata.version("planpilot-providers-core")


def test_list_with_autoload_disabled_shows_the_install_hint(
    clean_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With nothing loaded the user is told what to install, rather than shown an empty table."""
    monkeypatch.setenv(DISABLE_AUTOLOAD_ENV, "1")

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "No providers installed" in out
    assert "pip install planpilot-provider-dry-run" in out

    assert main(["list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"providers": [], "problems": []}


def test_listing_is_import_light() -> None:
    """Listing runs discovery only: no HTTP stack, no retry library, no GraphQL code, no provider module."""
    code = textwrap.dedent(
        """
        import json, sys
        import planpilot_providers_core.cli as c
        c.main(["list"])
        heavy = ["httpx", "stamina", "sgqlc", "planpilot_provider_dry_run.provider"]
        print("IMPORTED=" + json.dumps(sorted(m for m in heavy if m in sys.modules)))
        print("DRY_RUN_PLUGIN=" + json.dumps("planpilot_provider_dry_run.plugin" in sys.modules))
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in (DISABLE_AUTOLOAD_ENV, BLOCK_PLUGINS_ENV)}
    env[NO_CACHE_ENV] = "1"  # discovery itself, not a remembered listing (tests/test_listing_cache.py)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, timeout=60
    )

    lines = result.stdout.splitlines()
    assert any(line.startswith("dry-run ") for line in lines), result.stdout
    assert "DRY_RUN_PLUGIN=true" in lines
    assert "IMPORTED=[]" in lines, result.stdout
