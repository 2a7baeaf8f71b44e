"""The versioned plugin contract: core states the version it implements, a registration the versions it was
written for, and a plugin that does not fit is listed with the reason and refused before any call."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from planpilot_providers_core.contract import CONTRACT_VERSION, contract_versions, fits, parse_version
from planpilot_providers_core.errors import PluginError
from planpilot_providers_core.registry import ENTRY_POINT_GROUP, ProviderSpec, create_provider, get_registry

if TYPE_CHECKING:
    from conftest import FakeDistributions

MAJOR, MINOR = parse_version(CONTRACT_VERSION)
NEXT_MAJOR = f"{MAJOR + 1}.0"
NEXT_MINOR = f"{MAJOR}.{MINOR + 1}"


def test_a_plugin_fits_the_same_major_version_at_or_below_the_core_minor() -> None:
    assert fits("1.0", "1.0")
    assert fits("1.0", "1.3")
    assert not fits("1.4", "1.3"), "a plugin may use what a newer minor added"
    assert not fits("2.0", "1.3")
    assert not fits("1.0", "2.0"), "a major version may remove or change what the plugin uses"


@pytest.mark.parametrize("bad", ["1", "v1.0", "1.0.0", "", "01.0", 1.0])
def test_a_contract_version_is_major_dot_minor(bad: object) -> None:
    with pytest.raises(ValueError, match=r"MAJOR\.MINOR"):
        contract_versions(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"MAJOR\.MINOR"):
        ProviderSpec(name="x", provider_class="m:C", capabilities=(), summary="x", contract=bad)  # type: ignore[arg-type]


def test_a_registration_without_a_version_was_written_for_1_0() -> None:
    spec = ProviderSpec(name="x", provider_class="m:C", capabilities=(), summary="x")
    assert spec.contract == ("1.0",)
    assert ProviderSpec(
        name="x", provider_class="m:C", capabilities=(), summary="x", contract=["1.0", "2.1"]
    ).contract == (
        "1.0",
        "2.1",
    )


def _future_plugin(fake_dists: FakeDistributions, contract: str) -> None:
    """An installed distribution whose provider was written for ``contract``; its class cannot even be imported,
    so a refusal that came after loading it would show as an import error instead."""
    fake_dists.add(
        "planpilot-provider-future",
        version="3.1.0",
        entry_points={"future": "future_plugin"},
        modules={
            "future_plugin": f"""
                from planpilot_providers_core.hookspecs import hookimpl
                from planpilot_providers_core.spec import ProviderSpec

                @hookimpl
                def planpilot_register_providers(register):
                    register(ProviderSpec(
                        name="future", provider_class="future_provider_missing:FutureProvider",
                        capabilities=["discovery.labels", "discovery.body-text", "discovery.complete"],
                        summary="written for another contract", contract={contract!r},
                    ))
            """
        },
    )


@pytest.mark.parametrize("contract", [NEXT_MAJOR, NEXT_MINOR])
def test_the_factory_refuses_a_plugin_for_another_contract_naming_both_versions(
    fake_dists: FakeDistributions, contract: str
) -> None:
    _future_plugin(fake_dists, contract)
    registry = get_registry()

    assert "future" not in registry.providers
    (problem,) = [p for p in registry.problems if p.plugin == "future"]
    assert contract in problem.error
    assert CONTRACT_VERSION in problem.error
    with pytest.raises(PluginError) as refused:
        create_provider("future", target="x", token="", board_url="")
    message = str(refused.value)
    assert f"written for provider contract {contract}" in message
    assert f"implements contract {CONTRACT_VERSION}" in message
    assert "planpilot-provider-future 3.1.0" in message
    assert "future_provider_missing" not in sys.modules


def test_a_plugin_that_supports_this_version_among_others_is_usable(fake_dists: FakeDistributions) -> None:
    _future_plugin(fake_dists, NEXT_MAJOR)
    fake_dists.add(
        "planpilot-provider-both",
        entry_points={"both": "both_plugin"},
        modules={
            "both_plugin": f"""
                from planpilot_providers_core.hookspecs import hookimpl
                from planpilot_providers_core.spec import ProviderSpec

                @hookimpl
                def planpilot_register_providers(register):
                    register(ProviderSpec(name="both", provider_class="m:C", capabilities=[], summary="both",
                                          contract=({CONTRACT_VERSION!r}, {NEXT_MAJOR!r})))
            """
        },
    )
    assert "both" in get_registry().providers


def test_an_installed_plugin_for_another_contract_is_listed_with_the_reason_and_refused(tmp_path: Path) -> None:
    """A distribution installed into a site directory of its own, used by the real command in a new process."""
    site = tmp_path / "site"
    package = site / "planpilot_provider_future"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "plugin.py").write_text(
        "from planpilot_providers_core import ProviderSpec, hookimpl\n\n"
        "@hookimpl\n"
        "def planpilot_register_providers(register):\n"
        "    register(ProviderSpec(name='future', provider_class='planpilot_provider_future.provider:Future',\n"
        "        capabilities=['discovery.labels', 'discovery.body-text', 'discovery.complete'],\n"
        f"        summary='a plugin for contract {NEXT_MAJOR}', contract={NEXT_MAJOR!r}))\n"
    )
    (package / "provider.py").write_text("raise SystemExit('the provider module was imported')\n")
    dist_info = site / "planpilot_provider_future-2.0.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: planpilot-provider-future\nVersion: 2.0.0\n")
    (dist_info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nfuture = planpilot_provider_future.plugin\n")
    (dist_info / "RECORD").write_text("")
    env = {**os.environ, "PYTHONPATH": str(site), "PLANPILOT_PROVIDERS_CACHE_DIR": str(tmp_path / "cache")}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "planpilot_providers_core.cli", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)

    listed = cli("list", "--json")
    assert listed.returncode == 0, listed.stderr
    report = json.loads(listed.stdout)
    assert "future" not in {row["name"] for row in report["providers"]}
    (problem,) = [p for p in report["problems"] if "future" in p]
    assert f"written for provider contract {NEXT_MAJOR}" in problem
    assert f"contract {CONTRACT_VERSION}" in problem

    plan = Path(__file__).resolve().parents[1] / "examples" / "roadmap.json"
    refused = cli("sync", str(plan), "--provider", "future", "--target", "x")
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert f"written for provider contract {NEXT_MAJOR}" in refused.stderr
    assert f"implements contract {CONTRACT_VERSION}" in refused.stderr
    assert "was imported" not in refused.stdout + refused.stderr
