"""The GitHub provider passes the core conformance suite against the emulator, on both board kinds."""

from collections.abc import Callable

import pytest

from planpilot_provider_github.provider import GitHubProvider
from planpilot_providers_core.testing import ProviderConformance


class TestGitHubOrgBoardConformance(ProviderConformance):
    """Organisation board: native issue types."""

    @pytest.fixture
    def make_provider(self, make_github: Callable[..., GitHubProvider]) -> Callable[[], GitHubProvider]:
        return make_github


class TestGitHubUserBoardConformance(ProviderConformance):
    """User board: no issue types, so type labels."""

    @pytest.fixture
    def make_provider(self, make_github: Callable[..., GitHubProvider]) -> Callable[[], GitHubProvider]:
        return lambda: make_github(target="octo/side", board_url="https://github.com/users/octo/projects/1")
