"""Entry point of the dry-run plugin: registers the spec and imports nothing else.

``CAPABILITIES`` is the one list of what the dry run offers: the provider resolves exactly this. Its
board accepts any field (sizes and per-item fields are recorded), since there is no board to check.
"""

from typing import Final

from planpilot_providers_core.hookspecs import Register, hookimpl
from planpilot_providers_core.spec import ProviderSpec

CAPABILITIES: Final = frozenset(
    {
        "discovery.labels",
        "discovery.body-text",
        "discovery.complete",
        "relations.parent",
        "relations.blocked-by",
        "types.label",
        "project.fields",
        "items.delete",
        "items.close-duplicate",
    }
)


@hookimpl
def planpilot_register_providers(register: Register) -> None:
    register(
        ProviderSpec(
            name="dry-run",
            provider_class="planpilot_provider_dry_run.provider:DryRunProvider",
            capabilities=CAPABILITIES,
            summary="In-memory provider for previews: no credential, no network, deterministic ids",
            credential=None,
            target_hint="any name, e.g. OWNER/REPO",
            contract="1.0",  # the provider contract version it was written for
            default_target="example/roadmap",
        )
    )
