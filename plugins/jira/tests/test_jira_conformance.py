"""The Jira provider passes the core conformance suite against the emulator, transport faults included.

Two runs: one where the search index is current, so discovery's JQL path is exercised, and one where it lags
every write by far longer than a test lasts, so everything a test creates is found without the index (by key,
and by the ids the provider wrote). Both validate every request and answer against Atlassian's full OpenAPI
description, and fail if the emulator refused a request as not conforming.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from planpilot_provider_jira.provider import JiraProvider
from planpilot_provider_jira.testing import JiraEmulator
from planpilot_providers_core import FieldConfig
from planpilot_providers_core.testing import (
    ConformanceSettings,
    CreateFailureInjector,
    ProviderConformance,
    failing_after,
)

from .support import BOARD, provider_factory


class _JiraConformance(ProviderConformance):
    search_lag = 0.0
    field_config = FieldConfig()

    @pytest.fixture
    def jira(self, make_emulator: Callable[..., JiraEmulator]) -> Iterator[JiraEmulator]:
        emulator = make_emulator(search_lag=self.search_lag)
        yield emulator
        assert emulator.stats.refused_by_contract == 0, "the provider sent a request the OpenAPI description refuses"

    @pytest.fixture
    def make_provider(self, jira: JiraEmulator) -> Callable[[], JiraProvider]:
        return provider_factory(jira, board_url=BOARD, field_config=self.field_config)

    @pytest.fixture
    def inject_create_failure(self) -> CreateFailureInjector:
        return failing_after

    @pytest.fixture
    def missing_item_id(self) -> str:
        return "99999999"  # shaped like an issue id; the emulator never counts that high

    @pytest.fixture
    def conformance_settings(self) -> ConformanceSettings:
        return ConformanceSettings(page_size=100)


class TestJiraConformance(_JiraConformance):
    """The search index is current."""


class TestJiraConformanceWithIndexLag(_JiraConformance):
    """The search index lags every write by an hour: discovery must not depend on it."""

    search_lag = 3600.0


class TestJiraConformanceWithWorkflowDefaults(_JiraConformance):
    """New issues go to Done, two transitions away, at the High priority: every create has requests after the
    one that makes the issue, each of which the transport checks fail in turn (a partial failure, finished by the
    next update)."""

    field_config = FieldConfig(status="Done", priority="High")
