"""planpilot-providers core: the provider contract, plugin discovery, capability check and reliability toolkit.

Everything a provider plugin needs is importable from here (HTTP helpers from
:mod:`planpilot_providers_core.reliability`, the conformance suite from
:mod:`planpilot_providers_core.testing`). Names are imported lazily so that
``planpilot-providers list`` and plugin modules stay cheap to import.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: the CLI's start-up imports this package, and typing costs a fifth of it
if TYPE_CHECKING:
    from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "ALTERNATIVES": "capabilities",
    "DISCOVERY_CAPABILITIES": "capabilities",
    "Capability": "capabilities",
    "check_capabilities": "capabilities",
    "DEFAULT_LABEL": "defaults",
    "ProviderConfig": "config",
    "parse_options": "config",
    "ProviderContext": "context",
    "frozen_mapping": "context",
    "TSHIRT_POINTS": "contracts",
    "CreateItemInput": "contracts",
    "FieldConfig": "contracts",
    "Workload": "contracts",
    "RelationChange": "contracts",
    "Estimate": "contracts",
    "Item": "contracts",
    "ItemRelations": "contracts",
    "ItemSearchFilters": "contracts",
    "PlanItemType": "contracts",
    "UpdateItemInput": "contracts",
    "merge_labels": "contracts",
    "AuthenticationError": "errors",
    "CreateItemPartialFailureError": "errors",
    "InvalidCredentialError": "errors",
    "InsecureTransportError": "errors",
    "Credential": "credentials",
    "CredentialPart": "spec",
    "ItemLimits": "contracts",
    "ItemNotFoundError": "errors",
    "PlanPilotError": "errors",
    "PluginError": "errors",
    "ProjectURLError": "errors",
    "ProviderCapabilityError": "errors",
    "ProviderConfigError": "errors",
    "ProviderError": "errors",
    "RateLimitError": "errors",
    "RateLimitExhaustedError": "errors",
    "TransientProviderError": "errors",
    "CreateProgress": "progress",
    "Register": "hookspecs",
    "hookimpl": "hookspecs",
    "Provider": "provider",
    "create_provider": "registry",
    "list_providers": "registry",
    "CredentialRequest": "spec",
    "CredentialSpec": "spec",
    "ProviderSpec": "spec",
    "CANONICAL_STEPS": "steps",
    "CreateStep": "steps",
}

__all__ = [
    "ALTERNATIVES",
    "CANONICAL_STEPS",
    "DEFAULT_LABEL",
    "DISCOVERY_CAPABILITIES",
    "TSHIRT_POINTS",
    "AuthenticationError",
    "Capability",
    "CreateItemInput",
    "CreateItemPartialFailureError",
    "CreateProgress",
    "CreateStep",
    "Credential",
    "CredentialPart",
    "CredentialRequest",
    "CredentialSpec",
    "Estimate",
    "FieldConfig",
    "InsecureTransportError",
    "InvalidCredentialError",
    "Item",
    "ItemLimits",
    "ItemNotFoundError",
    "ItemRelations",
    "ItemSearchFilters",
    "PlanItemType",
    "PlanPilotError",
    "PluginError",
    "ProjectURLError",
    "Provider",
    "ProviderCapabilityError",
    "ProviderConfig",
    "ProviderConfigError",
    "ProviderContext",
    "ProviderError",
    "ProviderSpec",
    "RateLimitError",
    "RateLimitExhaustedError",
    "Register",
    "RelationChange",
    "TransientProviderError",
    "UpdateItemInput",
    "Workload",
    "check_capabilities",
    "create_provider",
    "frozen_mapping",
    "hookimpl",
    "list_providers",
    "merge_labels",
    "parse_options",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'planpilot_providers_core' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"planpilot_providers_core.{module}"), name)


if TYPE_CHECKING:
    from planpilot_providers_core.capabilities import (
        ALTERNATIVES,
        DISCOVERY_CAPABILITIES,
        Capability,
        check_capabilities,
    )
    from planpilot_providers_core.config import ProviderConfig, parse_options
    from planpilot_providers_core.context import ProviderContext, frozen_mapping
    from planpilot_providers_core.contracts import (
        TSHIRT_POINTS,
        CreateItemInput,
        Estimate,
        FieldConfig,
        Item,
        ItemLimits,
        ItemRelations,
        ItemSearchFilters,
        PlanItemType,
        RelationChange,
        UpdateItemInput,
        Workload,
        merge_labels,
    )
    from planpilot_providers_core.credentials import Credential
    from planpilot_providers_core.defaults import DEFAULT_LABEL
    from planpilot_providers_core.errors import (
        AuthenticationError,
        CreateItemPartialFailureError,
        InsecureTransportError,
        InvalidCredentialError,
        ItemNotFoundError,
        PlanPilotError,
        PluginError,
        ProjectURLError,
        ProviderCapabilityError,
        ProviderConfigError,
        ProviderError,
        RateLimitError,
        RateLimitExhaustedError,
        TransientProviderError,
    )
    from planpilot_providers_core.hookspecs import Register, hookimpl
    from planpilot_providers_core.progress import CreateProgress
    from planpilot_providers_core.provider import Provider
    from planpilot_providers_core.registry import create_provider, list_providers
    from planpilot_providers_core.spec import CredentialPart, CredentialRequest, CredentialSpec, ProviderSpec
    from planpilot_providers_core.steps import CANONICAL_STEPS, CreateStep
