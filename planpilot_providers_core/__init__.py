"""planpilot-providers core: the provider contract, plugin discovery, capability check and reliability toolkit.

Names are imported lazily so that ``planpilot-providers list`` and plugin modules stay cheap to import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "DISCOVERY_CAPABILITIES": "capabilities",
    "Capability": "capabilities",
    "check_capabilities": "capabilities",
    "ProviderContext": "context",
    "CreateItemInput": "contracts",
    "FieldConfig": "contracts",
    "Item": "contracts",
    "ItemRelations": "contracts",
    "ItemSearchFilters": "contracts",
    "PlanItemType": "contracts",
    "Provider": "contracts",
    "UpdateItemInput": "contracts",
    "AuthenticationError": "errors",
    "CreateItemPartialFailureError": "errors",
    "ItemNotFoundError": "errors",
    "PlanPilotError": "errors",
    "PluginError": "errors",
    "ProjectURLError": "errors",
    "ProviderCapabilityError": "errors",
    "ProviderError": "errors",
    "ProviderSpec": "registry",
    "create_provider": "registry",
    "list_providers": "registry",
}

__all__ = [
    "DISCOVERY_CAPABILITIES",
    "AuthenticationError",
    "Capability",
    "CreateItemInput",
    "CreateItemPartialFailureError",
    "FieldConfig",
    "Item",
    "ItemNotFoundError",
    "ItemRelations",
    "ItemSearchFilters",
    "PlanItemType",
    "PlanPilotError",
    "PluginError",
    "ProjectURLError",
    "Provider",
    "ProviderCapabilityError",
    "ProviderContext",
    "ProviderError",
    "ProviderSpec",
    "UpdateItemInput",
    "check_capabilities",
    "create_provider",
    "list_providers",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'planpilot_providers_core' has no attribute {name!r}")
    return getattr(importlib.import_module(f"planpilot_providers_core.{module}"), name)


if TYPE_CHECKING:
    from planpilot_providers_core.capabilities import DISCOVERY_CAPABILITIES, Capability, check_capabilities
    from planpilot_providers_core.context import ProviderContext
    from planpilot_providers_core.contracts import (
        CreateItemInput,
        FieldConfig,
        Item,
        ItemRelations,
        ItemSearchFilters,
        PlanItemType,
        Provider,
        UpdateItemInput,
    )
    from planpilot_providers_core.errors import (
        AuthenticationError,
        CreateItemPartialFailureError,
        ItemNotFoundError,
        PlanPilotError,
        PluginError,
        ProjectURLError,
        ProviderCapabilityError,
        ProviderError,
    )
    from planpilot_providers_core.registry import ProviderSpec, create_provider, list_providers
