"""Fixtures for the Linear plugin tests: an emulator with the default scenario on a manual clock, a way to send
the plugin's generated operations (what the provider will send) to it, and providers on an emulator."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from planpilot_provider_linear.provider import LinearProvider
from planpilot_provider_linear.testing import (
    DEFAULT_PROJECT,
    DEFAULT_PROJECT_SLUG,
    DEFAULT_TEAM,
    LinearEmulator,
    ManualClock,
    Team,
)
from planpilot_providers_core import Credential, create_provider
from planpilot_providers_core.reliability import RetryPolicy

API_KEY = "lin_api_test-key-0123456789"
OAUTH_TOKEN = "lin_oauth_test-token-0123456789"
PROJECT_URL = f"https://linear.app/acme/project/{DEFAULT_PROJECT.lower()}-{DEFAULT_PROJECT_SLUG}"
FAST = RetryPolicy(wait_initial=0.01, wait_max=0.05, wait_jitter=0.01)
"""Retries that wait milliseconds (on core's clock, which the transport-fault checks make virtual)."""


def api_key() -> Credential:
    """What core resolves from LINEAR_API_KEY: one value, sent as it is."""
    return Credential(name="Linear API key", parts={"token": API_KEY}, sent_as="header")


def oauth_token() -> Credential:
    """What core resolves from LINEAR_OAUTH_TOKEN: one value, sent as Bearer."""
    return Credential(name="Linear OAuth token", parts={"token": OAUTH_TOKEN}, sent_as="bearer")


MakeLinear = Callable[..., LinearProvider]


def linear_maker(emulator: LinearEmulator) -> MakeLinear:
    """``make(**overrides)``: a fresh, not entered provider on ``emulator`` (in-process), created by name."""

    def make(**overrides: Any) -> LinearProvider:
        keywords: dict[str, Any] = {
            "target": DEFAULT_TEAM,
            "token": "",
            "credential": api_key(),
            "board_url": "",
            "transport": emulator.transport(),
            "retry_policy": FAST,
        }
        keywords.update(overrides)
        provider = create_provider("linear", **keywords)
        assert isinstance(provider, LinearProvider)
        return provider

    return make


class Answer:
    """One emulator answer: status, headers and the JSON body (``data`` / ``errors`` shortcuts)."""

    def __init__(self, status: int, headers: Mapping[str, str], body: Any) -> None:
        self.status = status
        self.headers = {key.lower(): value for key, value in headers.items()}
        self.body = body

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.body.get("errors") or [])

    def error_messages(self) -> list[str]:
        return [e.get("extensions", {}).get("userPresentableMessage") or e["message"] for e in self.errors]


Send = Callable[..., Answer]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emulator(clock: ManualClock) -> LinearEmulator:
    return LinearEmulator.with_default_scenario(clock=clock)


@pytest.fixture
def team(emulator: LinearEmulator) -> Team:
    return emulator.state.team_by_key(DEFAULT_TEAM)


@pytest.fixture
def send(emulator: LinearEmulator) -> Send:
    """``send(op_or_query, variables=None, authorization=...)``: one synchronous request."""

    def run(operation: Any, variables: Mapping[str, Any] | None = None, **kwargs: Any) -> Answer:
        query = operation if isinstance(operation, str) else bytes(operation).decode()
        response = emulator.request(query, variables, **kwargs)
        return Answer(response.status, response.headers, response.json())

    return run


@pytest.fixture
def live_emulator() -> LinearEmulator:
    """An emulator on the system clock: its budgets refill as time passes (the conformance suite sends many)."""
    return LinearEmulator.with_default_scenario()


@pytest.fixture
def make_linear(live_emulator: LinearEmulator) -> MakeLinear:
    return linear_maker(live_emulator)


@pytest.fixture
def project_url() -> str:
    """The default scenario's project, as Linear shows its URL."""
    return PROJECT_URL
