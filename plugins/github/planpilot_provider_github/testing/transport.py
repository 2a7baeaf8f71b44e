"""In-process access: an httpx async transport, so a provider's own httpx client talks to the emulator
without sockets while latency, concurrency and dropped connections still behave like the network.

Latency is an ``asyncio.sleep``: on a virtual-time loop (:func:`~.virtual.run_virtual`) it takes virtual time
only. A request counts as in flight from its arrival (before the latency) until its answer, which is what
the concurrency budget sees.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Protocol

import httpx

from .stats import EmulatorStats

__all__ = ["EmulatorTransport"]


class _Answer(Protocol):
    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def body(self) -> bytes: ...
    @property
    def drop(self) -> bool: ...


class _Emulator(Protocol):
    """What the transport needs of :class:`~.emulator.GitHubEmulator` (which creates it)."""

    @property
    def stats(self) -> EmulatorStats: ...
    def next_delay(self) -> float: ...
    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, *, concurrency: int | None = None
    ) -> _Answer: ...


class EmulatorTransport(httpx.AsyncBaseTransport):
    """Answers every request (any host) from one :class:`~.emulator.GitHubEmulator`."""

    def __init__(self, emulator: _Emulator) -> None:
        self.emulator = emulator

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        stats = self.emulator.stats
        concurrency = stats.enter()
        try:
            delay = self.emulator.next_delay()
            if delay > 0:
                await asyncio.sleep(delay)
            answer = self.emulator.handle(
                request.method, request.url.raw_path.decode(), dict(request.headers), body, concurrency=concurrency
            )
        finally:
            stats.leave()
        if answer.drop:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return httpx.Response(answer.status, headers=dict(answer.headers), content=answer.body, request=request)
