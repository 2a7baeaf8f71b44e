"""The GitHub provider passes the core conformance suite against the emulator, on both board kinds.

Both opt in to every check: failure injection through core's ``failing_after`` (the provider records its
create steps with ``CreateProgress``) and a missing id shaped like a GitHub issue node id.
"""

from collections.abc import Callable

import pytest

from planpilot_provider_github.provider import GitHubProvider
from planpilot_providers_core.testing import CreateFailureInjector, ProviderConformance, failing_after


class _GitHubConformance(ProviderConformance):
    @pytest.fixture
    def inject_create_failure(self) -> CreateFailureInjector:
        return failing_after

    @pytest.fixture
    def missing_item_id(self) -> str:
        return "I_kwDOgAAAAAAA"  # shaped like an issue node id; the emulator never counts that high


class TestGitHubOrgBoardConformance(_GitHubConformance):
    """Organisation board: native issue types."""

    @pytest.fixture
    def make_provider(self, make_github: Callable[..., GitHubProvider]) -> Callable[[], GitHubProvider]:
        return make_github


class TestGitHubUserBoardConformance(_GitHubConformance):
    """User board: no issue types, so type labels."""

    @pytest.fixture
    def make_provider(self, make_github: Callable[..., GitHubProvider]) -> Callable[[], GitHubProvider]:
        return lambda: make_github(target="octo/side", board_url="https://github.com/users/octo/projects/1")
