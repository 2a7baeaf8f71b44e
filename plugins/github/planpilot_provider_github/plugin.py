"""Entry point of the GitHub plugin: registers the spec; imports no HTTP or GraphQL code."""

from collections.abc import Callable

from planpilot_providers_core.hookspecs import hookimpl
from planpilot_providers_core.registry import ProviderSpec


@hookimpl
def planpilot_register_providers(register: Callable[[ProviderSpec], None]) -> None:
    register(
        ProviderSpec(
            name="github",
            provider_class="planpilot_provider_github.provider:GitHubProvider",
            capabilities={
                "discovery.labels",
                "discovery.body-text",
                "discovery.complete",
                "relations.parent",
                "relations.blocked-by",
                "types.native",
                "types.label",
                "project.fields",
                "items.delete",
            },
            summary="GitHub Issues + Projects v2 over typed GraphQL",
        )
    )
