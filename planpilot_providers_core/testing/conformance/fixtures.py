"""The suite's fixtures: its settings, the missing id, failure injection and the entered provider."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio

from planpilot_providers_core.provider import Provider
from planpilot_providers_core.testing.conformance.checks import _expect, _show
from planpilot_providers_core.testing.conformance.settings import (
    ConformanceSettings,
    CreateFailureInjector,
    failing_after_or_skip,
)


class SuiteFixtures:
    """The fixtures every check uses; a ``Test...`` subclass overrides them to describe its provider."""

    @pytest.fixture
    def conformance_settings(self) -> ConformanceSettings:
        """Override to describe the provider under test (its page size, how much concurrency to try)."""
        return ConformanceSettings()

    @pytest.fixture
    def missing_item_id(self) -> str:
        """An id no item has ever had; override it with one shaped like your tracker's ids."""
        return f"ppc-missing-{uuid.uuid4().hex}"

    @pytest.fixture
    def inject_create_failure(self) -> CreateFailureInjector | None:
        """How the suite makes ``create_item`` fail right after a step (see the package docstring).

        The default is :func:`failing_after_or_skip`. Return :func:`failing_after` (providers that
        record steps with ``CreateProgress``) or your own ``step -> context manager`` to opt in, or
        ``None`` to say your provider cannot inject failures (the test is then skipped).
        """
        return failing_after_or_skip

    @pytest_asyncio.fixture
    async def provider(self, make_provider: Callable[[], Provider[Any]]) -> AsyncIterator[Provider[Any]]:
        """A fresh provider from ``make_provider``, entered for the test and exited after it."""
        fresh = make_provider()
        _expect(
            isinstance(fresh, Provider),
            "make_provider() must return a fresh, not entered Provider",
            call="make_provider()",
            expected="a Provider instance",
            got=_show(fresh),
        )
        async with fresh as entered:
            _expect(
                entered is fresh,
                "__aenter__ must return the provider itself",
                call="provider.__aenter__()",
                expected=_show(fresh),
                got=_show(entered),
            )
            yield entered
