"""The core's conformance suite, run on the Tracklet provider against the fake service."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from planpilot_provider_tracklet.provider import TrackletProvider
from planpilot_provider_tracklet.testing import FakeTracklet
from support import MakeProvider

from planpilot_providers_core.testing import (
    ConformanceSettings,
    CreateFailureInjector,
    ProviderConformance,
    failing_after,
)


class TestTrackletConformance(ProviderConformance):
    @pytest.fixture
    def make_provider(self, make_tracklet: MakeProvider) -> Callable[[], TrackletProvider]:
        return make_tracklet  # create_provider("tracklet", ...) on the fake service: see conftest.py

    @pytest.fixture
    def inject_create_failure(self) -> CreateFailureInjector:
        return failing_after  # create_item records its steps with CreateProgress, so core's injector works

    @pytest.fixture
    def missing_item_id(self) -> str:
        return str(uuid.uuid4())  # Tracklet ids are UUIDs

    @pytest.fixture
    def conformance_settings(self) -> ConformanceSettings:
        return ConformanceSettings(page_size=50, concurrency=50)


class TestTrackletConformanceInAProject(TestTrackletConformance):
    """Again with a board: every issue is created in a project (one more step, in the same request)."""

    @pytest.fixture
    def make_provider(self, make_tracklet: MakeProvider, service: FakeTracklet) -> Callable[[], TrackletProvider]:
        service.add_project("ENG", "roadmap")
        return lambda: make_tracklet(board_url="https://tracklet.example/acme/projects/roadmap")
