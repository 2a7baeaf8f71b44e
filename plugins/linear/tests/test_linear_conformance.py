"""The core conformance suite, transport faults included, on the Linear provider against the emulator: in a
team, and in a team's project (one more step, in the same create request)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from planpilot_provider_linear.provider import LinearProvider
from planpilot_providers_core.testing import (
    ConformanceSettings,
    CreateFailureInjector,
    ProviderConformance,
    failing_after,
)


class TestLinearConformance(ProviderConformance):
    @pytest.fixture
    def make_provider(self, make_linear: Callable[..., LinearProvider]) -> Callable[[], LinearProvider]:
        return make_linear  # create_provider("linear", ...) on the in-process emulator: see conftest.py

    @pytest.fixture
    def inject_create_failure(self) -> CreateFailureInjector:
        return failing_after  # create_item records its steps with CreateProgress

    @pytest.fixture
    def missing_item_id(self) -> str:
        return str(uuid.uuid4())  # Linear issue ids are UUIDs

    @pytest.fixture
    def conformance_settings(self) -> ConformanceSettings:
        return ConformanceSettings(page_size=50, concurrency=50)


class TestLinearConformanceInAProject(TestLinearConformance):
    @pytest.fixture
    def make_provider(self, make_linear: Callable[..., Any], project_url: str) -> Callable[[], LinearProvider]:
        return lambda: make_linear(board_url=project_url)
