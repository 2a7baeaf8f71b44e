"""Shared test helpers (the tests directory is on sys.path: pytest's default import mode)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from planpilot_provider_tracklet.provider import TrackletProvider

from planpilot_providers_core.reliability import RetryPolicy

API_KEY: Final = "tracklet-test-key"
#: Retries as the default policy makes them, but with waits of milliseconds.
FAST_RETRIES: Final = RetryPolicy(attempts=4, wait_initial=0.01, wait_max=0.05, wait_jitter=0.01)

MakeProvider = Callable[..., TrackletProvider]
