"""Entry point of the dry-run plugin: registers the spec and imports nothing else."""

from collections.abc import Callable

from planpilot_providers_core.hookspecs import hookimpl
from planpilot_providers_core.registry import ProviderSpec


@hookimpl
def planpilot_register_providers(register: Callable[[ProviderSpec], None]) -> None:
    register(
        ProviderSpec(
            name="dry-run",
            provider_class="planpilot_provider_dry_run.provider:DryRunProvider",
            capabilities={
                "discovery.labels",
                "discovery.body-text",
                "discovery.complete",
                "relations.parent",
                "relations.blocked-by",
                "types.label",
                "items.delete",
            },
            summary="In-memory provider for dry runs: no token, no network, deterministic ids",
        )
    )
