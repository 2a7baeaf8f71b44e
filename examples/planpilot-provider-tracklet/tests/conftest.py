"""Fixtures: a fake Tracklet service on loopback per test, and providers pointed at it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from planpilot_provider_tracklet.provider import TrackletProvider
from planpilot_provider_tracklet.testing import FakeTracklet
from support import ACCOUNT, API_KEY, CREDENTIAL, FAST_RETRIES, MakeProvider

from planpilot_providers_core import create_provider


@pytest.fixture(autouse=True, scope="session")
def _entry_point_cache_in_a_temporary_directory(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["PLANPILOT_PROVIDERS_CACHE_DIR"] = str(tmp_path_factory.mktemp("entry-point-cache"))


@pytest.fixture
def service() -> Iterator[FakeTracklet]:
    with FakeTracklet(api_key=API_KEY, account=ACCOUNT) as running:
        yield running


@pytest.fixture
def make_tracklet(service: FakeTracklet) -> MakeProvider:
    """``make_tracklet(**keywords)``: a provider for team ENG on the fake service, through the public factory."""

    def make(**keywords: Any) -> TrackletProvider:
        arguments: dict[str, Any] = {
            "target": "ENG",
            "token": "",
            "credential": CREDENTIAL,  # what core resolves from TRACKLET_EMAIL and TRACKLET_API_KEY
            "board_url": "",
            "api_url": service.api_url,
            "retry_policy": FAST_RETRIES,
        }
        arguments.update(keywords)
        provider = create_provider("tracklet", **arguments)
        assert isinstance(provider, TrackletProvider)
        return provider

    return make
