"""Entry point of the Tracklet plugin: registers the provider and imports nothing heavy.

Discovery imports this module for every ``planpilot-providers`` command, ``list`` included, so it names
the provider class by import path instead of importing it (that would pull in httpx).
"""

from typing import Final

from planpilot_providers_core import CredentialPart, CredentialSpec, ProviderSpec, Register, hookimpl

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

#: An account email and an API key, sent as HTTP Basic; or an OAuth token instead.
CREDENTIAL: Final = CredentialSpec(
    name="Tracklet API key",
    parts=(
        CredentialPart(key="account", name="account email", env=("TRACKLET_EMAIL",)),
        CredentialPart(key="key", name="API key", env=("TRACKLET_API_KEY",)),
    ),
    sent_as="basic",
    alternatives=(CredentialSpec(name="Tracklet OAuth token", env=("TRACKLET_OAUTH_TOKEN",)),),
)


@hookimpl
def planpilot_register_providers(register: Register) -> None:
    register(
        ProviderSpec(
            name="tracklet",
            provider_class="planpilot_provider_tracklet.provider:TrackletProvider",
            capabilities=CAPABILITIES,
            summary="Tracklet issues over Tracklet's HTTP API (example third-party plugin)",
            credential=CREDENTIAL,
            target_hint="TEAM-KEY, e.g. ENG",
            contract="1.0",  # the provider contract version it was written for
        )
    )
