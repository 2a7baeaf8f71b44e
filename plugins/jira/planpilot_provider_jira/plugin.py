"""Entry point of the Jira plugin: registers the provider and imports nothing heavy.

Discovery imports this module for every ``planpilot-providers`` command, ``list`` included, so it names the
provider class by import path (importing it would pull in httpx and markdown-it).
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
        "types.native",
        "project.fields",
        "items.delete",
        "items.close-duplicate",
    }
)

#: An account email and an API token, sent as HTTP Basic to the site; or an OAuth 2.0 access token instead,
#: sent as Bearer to the site's gateway (``https://api.atlassian.com/ex/jira/{cloudId}``).
CREDENTIAL: Final = CredentialSpec(
    name="Jira API token",
    parts=(
        CredentialPart(key="email", name="account email", env=("JIRA_EMAIL",)),
        CredentialPart(key="token", name="API token", env=("JIRA_API_TOKEN",)),
    ),
    sent_as="basic",
    alternatives=(CredentialSpec(name="Jira OAuth token", env=("JIRA_OAUTH_TOKEN",)),),
)


@hookimpl
def planpilot_register_providers(register: Register) -> None:
    register(
        ProviderSpec(
            name="jira",
            provider_class="planpilot_provider_jira.provider:JiraProvider",
            capabilities=CAPABILITIES,
            summary="Jira Cloud issues over REST v3 and the Jira Software agile API",
            credential=CREDENTIAL,
            target_hint="PROJECT-KEY, e.g. PROJ (with --api-url https://SITE.atlassian.net)",
            contract="1.0",  # the provider contract version it was written for
        )
    )
