"""planpilot-providers core: the provider contract, plugin discovery, capability check and reliability toolkit."""

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

__version__ = "0.1.0"

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
