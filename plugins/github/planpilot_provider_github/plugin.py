"""Entry point of the GitHub plugin: registers the spec; imports no HTTP or GraphQL code.

``CAPABILITIES`` is the one list of what the provider can offer; entering resolves all of it but one
of the two type capabilities (native issue types in an organization, type labels elsewhere).
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
        "types.native",
        "types.label",
        "project.fields",
        "items.delete",
        "items.close-duplicate",
    }
)

CREDENTIAL: Final = CredentialSpec(
    name="GitHub token",
    env=("GITHUB_TOKEN", "GH_TOKEN"),
    helper="planpilot_provider_github.credentials:gh_auth_token",
    helper_command="gh auth token",
)


@hookimpl
def planpilot_register_providers(register: Register) -> None:
    register(
        ProviderSpec(
            name="github",
            provider_class="planpilot_provider_github.provider:GitHubProvider",
            capabilities=CAPABILITIES,
            summary="GitHub Issues + Projects v2 over typed GraphQL",
            credential=CREDENTIAL,
            target_hint="OWNER/REPO",
            contract="1.0",  # the provider contract version it was written for
        )
    )
