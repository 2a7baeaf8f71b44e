"""``SingleFlightCache``: concurrent requests for one missing key share one load; ``peek`` never loads."""

from __future__ import annotations

import asyncio

import pytest

from planpilot_providers_core.singleflight import SingleFlightCache


async def test_concurrent_gets_of_a_missing_key_load_it_once() -> None:
    loads = 0

    async def load() -> str:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0)
        return "label-id"

    cache: SingleFlightCache[str, str] = SingleFlightCache()
    assert cache.peek("bug") is None
    values = await asyncio.gather(*(cache.get("bug", load) for _ in range(5)))
    assert values == ["label-id"] * 5
    assert loads == 1
    assert cache.peek("bug") == "label-id"
    assert await cache.get("bug", load) == "label-id"
    assert loads == 1


async def test_a_failed_load_is_not_cached() -> None:
    async def fail() -> str:
        raise RuntimeError("no answer")

    async def succeed() -> str:
        return "made"

    cache: SingleFlightCache[str, str] = SingleFlightCache({"known": "k"})
    with pytest.raises(RuntimeError, match="no answer"):
        await cache.get("new", fail)
    assert cache.peek("new") is None
    assert await cache.get("new", succeed) == "made"
    assert cache.peek("known") == "k"
