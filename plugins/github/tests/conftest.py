"""Fixtures for the GitHub provider tests: an in-process emulator and a provider factory bound to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from planpilot_provider_github.provider import GitHubProvider
from planpilot_provider_github.testing import GitHubEmulator
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.reliability import RetryPolicy

ORG_BOARD = "https://github.com/orgs/acme/projects/1"
USER_BOARD = "https://github.com/users/octo/projects/1"
TOKEN = "ghp_test_token_do_not_log_0123456789"
FAST_RETRY = RetryPolicy(attempts=4, wait_initial=0.001, wait_max=0.01, wait_jitter=0.0, max_retry_after=5.0)


@pytest.fixture
def github_token() -> str:
    """The token every provider made by ``make_github`` sends (tests check it never leaks)."""
    return TOKEN


@pytest.fixture
def emulator() -> GitHubEmulator:
    return GitHubEmulator.with_default_scenario(retry_after=0.01, reset_delay=0.05)


MakeGitHub = Callable[..., GitHubProvider]


@pytest.fixture
def make_github(emulator: GitHubEmulator) -> MakeGitHub:
    """``make_github(**overrides)``: an un-entered provider on the emulator's ``acme/roadmap`` org board."""

    def make(**overrides: Any) -> GitHubProvider:
        options: dict[str, Any] = {
            "target": "acme/roadmap",
            "token": TOKEN,
            "board_url": ORG_BOARD,
            "transport": emulator.transport(),
            "mutation_interval": 0.0,
            "retry_policy": FAST_RETRY,
        }
        options.update(overrides)
        return GitHubProvider(ProviderConfig.from_keywords("github", **options))

    return make
