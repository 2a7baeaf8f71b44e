"""Checks of the capabilities a provider resolves on enter against those it must offer and declares."""

from __future__ import annotations

from typing import Any

import pytest

from planpilot_providers_core.capabilities import DISCOVERY_CAPABILITIES, undeclared, unresolved
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.testing.conformance.calls import _declared_capabilities
from planpilot_providers_core.testing.conformance.checks import _expect, _names


class CapabilityChecks:
    """The capabilities a provider resolves: the discovery ones, and exactly those declared."""

    @pytest.mark.asyncio
    async def test_declares_discovery_capabilities(self, provider: Provider[Any]) -> None:
        missing = sorted(DISCOVERY_CAPABILITIES - provider.capabilities)
        _expect(
            not missing,
            "every provider must offer the discovery capabilities",
            call="provider.__aenter__(), then provider.capabilities",
            expected=f"at least {_names(DISCOVERY_CAPABILITIES)}",
            got=f"{_names(provider.capabilities)} (lacking {_names(missing)})",
        )

    @pytest.mark.asyncio
    async def test_resolves_exactly_the_declared_capabilities(self, provider: Provider[Any]) -> None:
        declared, source = _declared_capabilities(provider)
        resolved = provider.capabilities
        call = "provider.__aenter__(), then provider.capabilities"
        extra = undeclared(declared, resolved)
        _expect(
            not extra,
            "every capability a provider resolves must be declared by its registration "
            "(the factory and `planpilot-providers check` trust the declaration)",
            call=call,
            expected=f"a subset of {_names(declared)} ({source})",
            got=f"{_names(resolved)}, of which {_names(extra)} are not declared",
        )
        missing = unresolved(declared, resolved)
        _expect(
            not missing,
            "every capability a registration declares must be resolved on enter "
            "(one of types.native / types.label stands for both)",
            call=call,
            expected=f"all of {_names(declared)} ({source})",
            got=f"{_names(resolved)}, lacking {_names(missing)}",
        )
