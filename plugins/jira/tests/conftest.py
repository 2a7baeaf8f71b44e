"""Fixtures for the Jira emulator's tests. Every emulator made here checks requests and answers against the
full published OpenAPI description (``plugins/jira/openapi/``), not the packaged subset, and a test fails if
the emulator sent an answer that does not conform (it counts as an internal error)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from planpilot_provider_jira.testing import APIS, Contract, JiraEmulator, ManualClock
from planpilot_provider_jira.testing.openapi import load_document

FULL_SPECS = Path(__file__).resolve().parents[1] / "openapi"


@pytest.fixture(scope="session")
def full_contract() -> Contract:
    return Contract({api: load_document(FULL_SPECS / name) for api, name in APIS.items()})


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def make_emulator(full_contract: Contract, clock: ManualClock) -> Iterator[Callable[..., JiraEmulator]]:
    made: list[JiraEmulator] = []

    def make(**kwargs: Any) -> JiraEmulator:
        kwargs.setdefault("clock", clock)
        emulator = JiraEmulator.with_default_scenario(contract=full_contract, **kwargs)
        made.append(emulator)
        return emulator

    yield make
    for emulator in made:
        assert emulator.stats.internal_errors == 0, "the emulator sent an answer the description does not allow"


@pytest.fixture
def emulator(make_emulator: Callable[..., JiraEmulator]) -> JiraEmulator:
    return make_emulator()


@pytest.fixture(scope="session")
def full_specs() -> Path:
    """The published descriptions vendored in the repository."""
    return FULL_SPECS
