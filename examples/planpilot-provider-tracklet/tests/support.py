"""Shared test helpers (the tests directory is on sys.path: pytest's default import mode)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from planpilot_provider_tracklet.provider import TrackletProvider

from planpilot_providers_core import Credential
from planpilot_providers_core.reliability import RetryPolicy

API_KEY: Final = "tracklet-test-key"
ACCOUNT: Final = "ada@tracklet.example"
#: The two-part credential the fake service accepts (HTTP Basic), as core hands it to the provider.
CREDENTIAL: Final = Credential(name="Tracklet API key", parts={"account": ACCOUNT, "key": API_KEY}, sent_as="basic")
#: Retries as the default policy makes them, but with waits of milliseconds.
FAST_RETRIES: Final = RetryPolicy(attempts=4, wait_initial=0.01, wait_max=0.05, wait_jitter=0.01)

MakeProvider = Callable[..., TrackletProvider]
