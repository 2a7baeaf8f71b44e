"""The dry-run provider passes the provider conformance suite, as a third-party provider would run it.

It opts in to every check: failure injection through core's ``failing_after`` (the dry run records its
create steps with ``CreateProgress``) and a missing id shaped like the dry run's own ids.
"""

from collections.abc import Callable

import pytest

from planpilot_provider_dry_run.provider import DryRunProvider
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.testing import CreateFailureInjector, ProviderConformance, failing_after
from planpilot_providers_core.testing.faults import FaultPlan


class TestDryRunConformance(ProviderConformance):
    @pytest.fixture
    def make_provider(self) -> Callable[[], DryRunProvider]:
        return lambda: DryRunProvider(ProviderConfig.from_keywords("dry-run", target="acme/roadmap"))

    @pytest.fixture
    def inject_create_failure(self) -> CreateFailureInjector:
        return failing_after

    @pytest.fixture
    def missing_item_id(self) -> str:
        return "dry-run-999999"

    @pytest.fixture
    def fault_plan(self) -> FaultPlan | None:
        return None  # the dry run sends no HTTP request: nothing to inject transport faults into
