"""Provider calls the suite makes: ones that must succeed, bounded ones, and the registration lookup."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

from planpilot_providers_core.capabilities import Capability
from planpilot_providers_core.contracts import CreateItemInput, Item, ItemSearchFilters, UpdateItemInput
from planpilot_providers_core.errors import PluginError
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.testing.conformance.checks import (
    _call,
    _create_call,
    _fail,
    _raised,
    _search_call,
    _update_call,
)
from planpilot_providers_core.testing.conformance.settings import ConformanceSettings

_T = TypeVar("_T")


async def _ok(awaitable: Awaitable[_T], call: str) -> _T:
    """Await a call the contract says must succeed here."""
    __tracebackhide__ = True
    return await _call(
        awaitable, "a valid call on an entered provider must succeed", call=call, expected="success, no exception"
    )


async def _search(provider: Provider[Any], filters: ItemSearchFilters) -> Sequence[Item]:
    return await _ok(provider.search_items(filters), _search_call(filters))


async def _update(provider: Provider[Any], item_id: str, change: UpdateItemInput) -> Item:
    return await _ok(provider.update_item(item_id, change), _update_call(item_id, change))


async def _create(provider: Provider[Any], request: CreateItemInput) -> Item:
    """``create_item`` that must succeed."""
    return await _call(
        provider.create_item(request),
        "create_item must create the item",
        call=_create_call(request),
        expected="the created item",
    )


async def _get(provider: Provider[Any], item_id: str, why: str) -> Item:
    """``get_item`` of an item that exists."""
    return await _call(
        provider.get_item(item_id),
        f"get_item must return an existing item ({why})",
        call=f"get_item({item_id!r})",
        expected="the item",
    )


async def _create_all(provider: Provider[Any], inputs: Sequence[CreateItemInput], limit: int) -> list[Item]:
    """Create concurrently, at most ``limit`` at a time, keeping the input order in the result."""
    gate = asyncio.Semaphore(limit)

    async def one(item: CreateItemInput) -> Item:
        async with gate:
            return await _create(provider, item)

    return list(await asyncio.gather(*(one(item) for item in inputs)))


async def _bounded(call: Awaitable[_T], settings: ConformanceSettings, what: str) -> _T:
    """Await ``call`` but turn a hang into a clear test failure."""
    __tracebackhide__ = True
    try:
        async with asyncio.timeout(settings.call_timeout):
            return await call
    except TimeoutError:
        _fail(
            "a provider must fail fast instead of hanging",
            call=what,
            expected=f"an answer within {settings.call_timeout}s",
            got=f"no answer: did not return within {settings.call_timeout}s",
        )


def _declared_capabilities(provider: Provider[Any]) -> tuple[frozenset[Capability], str]:
    """What the provider's registration declares, and where that came from."""
    declared = provider.config.declared_capabilities
    if declared is not None:
        return declared, "config.declared_capabilities, set by the factory from the registration"
    from planpilot_providers_core.registry import get_registry

    try:
        registered = get_registry().get(provider.name)
    except (ValueError, PluginError) as exc:
        _fail(
            "the suite compares the capabilities a provider resolves with those its registration declares",
            call=f"get_registry().get({provider.name!r})",
            expected=f"the ProviderSpec registered as {provider.name!r} (install the plugin, e.g. pip install -e .)",
            got=_raised(exc),
        )
    return registered.spec.capabilities, f"the ProviderSpec registered as {provider.name!r}"
