"""The core's conformance suite, run on the Tracklet provider against the fake service."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from planpilot_provider_tracklet.provider import TrackletProvider
from planpilot_provider_tracklet.testing import FakeTracklet
from support import MakeProvider

from planpilot_providers_core.testing import ConformanceSettings, ProviderConformance


class TestTrackletConformance(ProviderConformance):
    @pytest.fixture
    def make_provider(self, make_tracklet: MakeProvider) -> Callable[[], TrackletProvider]:
        return make_tracklet

    @pytest.fixture
    def conformance_settings(self) -> ConformanceSettings:
        return ConformanceSettings(page_size=50, concurrency=50)


class TestTrackletConformanceInAProject(TestTrackletConformance):
    """Again with a board: every create also puts the issue in a project (a second step)."""

    @pytest.fixture
    def make_provider(self, make_tracklet: MakeProvider, service: FakeTracklet) -> Callable[[], TrackletProvider]:
        service.add_project("ENG", "roadmap")
        return lambda: make_tracklet(board_url="https://tracklet.example/acme/projects/roadmap")
