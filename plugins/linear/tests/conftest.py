"""Fixtures for the Linear plugin tests: an emulator with the default scenario on a manual clock, and a way to
send the plugin's generated operations (what the provider will send) to it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from planpilot_provider_linear.testing import DEFAULT_TEAM, LinearEmulator, ManualClock, Team


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
