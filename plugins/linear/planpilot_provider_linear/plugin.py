"""Entry point of the Linear plugin: registers the spec; imports no HTTP or GraphQL code.

Discovery imports this module for every ``planpilot-providers`` command, ``list`` included, so it names the
provider class by import path. ``CAPABILITIES`` is the one list of what the provider offers; entering resolves
all of it, whatever the team.
"""

from typing import Final

from planpilot_providers_core.hookspecs import Register, hookimpl
from planpilot_providers_core.spec import CredentialSpec, ProviderSpec

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

API_KEY_NAME: Final = "Linear API key"
OAUTH_TOKEN_NAME: Final = "Linear OAuth token"

#: A personal API key, sent bare in ``Authorization`` (Linear refuses it with ``Bearer``); or an OAuth access
#: token, sent as ``Authorization: Bearer <token>``.
CREDENTIAL: Final = CredentialSpec(
    name=API_KEY_NAME,
    env=("LINEAR_API_KEY",),
    sent_as="header",
    alternatives=(
        CredentialSpec(name=OAUTH_TOKEN_NAME, env=("LINEAR_OAUTH_TOKEN", "LINEAR_ACCESS_TOKEN"), sent_as="bearer"),
    ),
)


@hookimpl
def planpilot_register_providers(register: Register) -> None:
    register(
        ProviderSpec(
            name="linear",
            provider_class="planpilot_provider_linear.provider:LinearProvider",
            capabilities=CAPABILITIES,
            summary="Linear issues of one team over typed GraphQL (sgqlc), optionally in a project",
            credential=CREDENTIAL,
            target_hint="TEAM-KEY, e.g. ENG",
            contract="1.0",  # the provider contract version it was written for
        )
    )
