"""Entry point of the Tracklet plugin: registers the provider and imports nothing heavy.

Discovery imports this module for every ``planpilot-providers`` command, ``list`` included, so it names
the provider class by import path instead of importing it (that would pull in httpx).
"""

from typing import Final

from planpilot_providers_core import CredentialSpec, ProviderSpec, Register, hookimpl

#: What the provider offers; it resolves exactly these on enter.
CAPABILITIES: Final = frozenset(
    {
        "discovery.labels",
        "discovery.body-text",
        "discovery.complete",
        "relations.parent",
        "relations.blocked-by",
        "types.label",
        "items.delete",
        "items.close-duplicate",
    }
)


@hookimpl
def planpilot_register_providers(register: Register) -> None:
    register(
        ProviderSpec(
            name="tracklet",
            provider_class="planpilot_provider_tracklet.provider:TrackletProvider",
            capabilities=CAPABILITIES,
            summary="Tracklet issues over Tracklet's HTTP API (example third-party plugin)",
            credential=CredentialSpec(name="Tracklet API key", env=["TRACKLET_API_KEY"]),
            target_hint="TEAM-KEY, e.g. ENG",
        )
    )
