"""The installed dry-run plugin is found through its entry point and created by name."""

from __future__ import annotations

import subprocess
import sys

import pytest

from planpilot_provider_dry_run.plugin import CAPABILITIES
from planpilot_provider_dry_run.provider import DryRunProvider
from planpilot_providers_core.contracts import CreateItemInput, ItemSearchFilters
from planpilot_providers_core.errors import ProviderCapabilityError, ProviderConfigError, ProviderError
from planpilot_providers_core.registry import create_provider, list_providers


def test_listed_with_its_distribution_and_the_capabilities_the_provider_resolves() -> None:
    registered = {r.spec.name: r for r in list_providers()}["dry-run"]
    assert registered.distribution == "planpilot-provider-dry-run"
    assert registered.spec.provider_class == "planpilot_provider_dry_run.provider:DryRunProvider"
    # The plugin advertises exactly what the provider offers once entered.
    assert registered.spec.capabilities == CAPABILITIES
    assert registered.spec.credential is None, "a dry run needs no credential"
    assert registered.spec.default_target == "example/roadmap"


async def test_create_provider_by_name_gives_a_working_unentered_provider() -> None:
    provider = create_provider("dry-run", target="acme/roadmap", token="", board_url="")
    assert type(provider) is DryRunProvider
    with pytest.raises(ProviderError, match="not entered"):
        _ = provider.context
    async with provider:
        item = await provider.create_item(CreateItemInput(title="t", body="b", item_type="TASK"))
        assert item.url == "dry-run://acme/roadmap/items/1"
        assert await provider.search_items(ItemSearchFilters(labels=("planpilot",))) == [item]


def test_create_provider_passes_unknown_options_to_the_provider_which_names_them() -> None:
    with pytest.raises(ProviderConfigError, match=r"does not accept option\(s\) retries"):
        create_provider("dry-run", target="acme/roadmap", token="", board_url="", retries=3)


def test_create_provider_refuses_capabilities_the_plugin_does_not_declare() -> None:
    with pytest.raises(ProviderCapabilityError, match=r"types\.native"):
        create_provider(
            "dry-run", target="acme/roadmap", token="", board_url="", required_capabilities={"types.native"}
        )


def test_discovery_does_not_import_the_provider_module() -> None:
    code = (
        "import sys\n"
        "from planpilot_providers_core.registry import ProviderRegistry\n"
        "assert 'dry-run' in ProviderRegistry(autoload=True).providers\n"
        "assert 'planpilot_provider_dry_run.provider' not in sys.modules, 'plugin.py imported the provider'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


async def test_the_resolved_capabilities_are_the_declared_ones() -> None:
    """One list: the registration declares what the entered provider resolves, no more and no less."""
    async with create_provider("dry-run", target="acme/roadmap", token="", board_url="") as provider:
        assert provider.capabilities == CAPABILITIES
