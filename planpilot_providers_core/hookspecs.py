"""Pluggy markers and the hooks a provider plugin implements.

A plugin is a small module named by an entry point in the ``planpilot.providers`` group. It must
stay cheap to import (no HTTP client, no generated schema): discovery imports every plugin module
just to list providers. The provider class itself is named by an import path and loaded on first use::

    from planpilot_providers_core.hookspecs import Register, hookimpl
    from planpilot_providers_core.spec import CredentialPart, CredentialSpec, ProviderSpec

    @hookimpl
    def planpilot_register_providers(register: Register) -> None:
        register(ProviderSpec(
            name="jira",
            provider_class="planpilot_provider_jira.provider:JiraProvider",
            capabilities={"discovery.labels", "discovery.body-text", "discovery.complete"},
            summary="Jira Cloud issues and boards",
            credential=CredentialSpec(
                name="Jira API token",
                parts=(CredentialPart(key="email", name="account email", env=["JIRA_EMAIL"]),
                       CredentialPart(key="token", name="API token", env=["JIRA_API_TOKEN"])),
                sent_as="basic",
                alternatives=(CredentialSpec(name="Jira OAuth token", env=["JIRA_OAUTH_TOKEN"]),),
            ),
            target_hint="PROJECT-KEY",
            contract="1.0",
        ))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, TypeAlias

import pluggy

from planpilot_providers_core.spec import ProviderSpec

__all__ = ["PROJECT_NAME", "Register", "hookimpl", "hookspec", "planpilot_register_providers"]

PROJECT_NAME: Final = "planpilot"

Register: TypeAlias = Callable[[ProviderSpec], None]
"""The ``register`` callback the hook receives: call it with one ``ProviderSpec`` per provider."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def planpilot_register_providers(register: Register) -> None:
    """Register the providers this plugin offers by calling ``register(spec)`` once per provider.

    Called once per discovery, for every plugin. ``register`` validates nothing beyond the spec's own
    validation; a name another distribution also registers makes that name unusable until one of
    them is removed or blocked (the error names both distributions). Do not import the provider
    module here: name it in ``ProviderSpec.provider_class`` instead. What it registers must follow from
    its code alone (not the time, the network or the environment): ``list`` remembers it until a module
    file discovery loaded, or an installed distribution, changes.
    """
