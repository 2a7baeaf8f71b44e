"""A single-flight cache: concurrent requests for one missing key share one load.

Providers keep mutable caches (labels, project items) next to their frozen context. Two concurrent
creates needing the same missing label must create it once, so the load runs as its own task that
every waiter shares; a waiter being cancelled does not cancel the load for the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlightCache(Generic[K, V]):
    """Values by key; a missing key is loaded once however many callers ask for it at the same time.

    A failed load is not cached: every waiter sees the error and the next call loads again.
    """

    def __init__(self, initial: Mapping[K, V] | None = None) -> None:
        self._values: dict[K, V] = dict(initial or {})
        self._loading: dict[K, asyncio.Task[V]] = {}

    def peek(self, key: K) -> V | None:
        """The cached value for ``key``, or ``None``; never loads."""
        return self._values.get(key)

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """The value for ``key``, running ``load`` only if no value is cached or being loaded."""
        if key in self._values:
            return self._values[key]
        task = self._loading.get(key)
        if task is None:
            task = asyncio.ensure_future(self._load(key, load))
            task.add_done_callback(_retrieve)  # waiters may all be gone; don't warn about an unread error
            self._loading[key] = task
        return await asyncio.shield(task)

    async def _load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        try:
            value = await load()
            self._values[key] = value
            return value
        finally:
            del self._loading[key]


def _retrieve(task: asyncio.Task[object]) -> None:
    if not task.cancelled():
        task.exception()
