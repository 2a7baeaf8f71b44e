"""The dry-run provider passes the provider conformance suite, as a third-party provider would run it."""

from collections.abc import Callable

import pytest

from planpilot_provider_dry_run.provider import DryRunProvider
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.testing import ProviderConformance


class TestDryRunConformance(ProviderConformance):
    @pytest.fixture
    def make_provider(self) -> Callable[[], DryRunProvider]:
        return lambda: DryRunProvider(ProviderConfig.from_keywords("dry-run", target="acme/roadmap"))
