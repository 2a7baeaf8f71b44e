"""Shared by the provider's tests: the credential they use and a provider factory bound to an emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from planpilot_provider_jira.provider import JiraProvider
from planpilot_provider_jira.testing import JiraEmulator
from planpilot_providers_core import Credential, ProviderConfig
from planpilot_providers_core.reliability import RetryPolicy

EMAIL: Final = "ada@acme.test"
API_TOKEN: Final = "jira-api-token-0123456789"
CREDENTIAL: Final = Credential(name="Jira API token", parts={"email": EMAIL, "token": API_TOKEN}, sent_as="basic")
SITE: Final = "https://acme.atlassian.net"
BOARD: Final = f"{SITE}/jira/software/c/projects/PROJ/boards/1"
FAST_RETRY: Final = RetryPolicy(attempts=4, wait_initial=0.001, wait_max=0.01, wait_jitter=0.0, max_retry_after=5.0)

MakeJira = Callable[..., JiraProvider]


def provider_factory(emulator: JiraEmulator, **defaults: Any) -> MakeJira:
    """``make(**overrides)``: an un-entered provider of project PROJ on ``emulator`` (in-process)."""

    def make(**overrides: Any) -> JiraProvider:
        keywords: dict[str, Any] = {
            "target": "PROJ",
            "credential": CREDENTIAL,
            "board_url": "",
            "api_url": SITE,
            "transport": emulator.transport(),
            "retry_policy": FAST_RETRY,
            **defaults,
        }
        keywords.update(overrides)
        return JiraProvider(ProviderConfig.from_keywords("jira", **keywords))

    return make
