"""In-process access: an httpx async transport, so a provider's own httpx client talks to an emulator
without sockets while latency, concurrency and dropped connections still behave like the network.

Latency is an ``asyncio.sleep``: on a virtual-time loop (:func:`~.virtual.run_virtual`) it takes virtual time
only. A request counts as in flight from its arrival (before the latency) until its answer, which is what
a concurrency limit sees.
"""

from __future__ import annotations

import asyncio

import httpx

from planpilot_providers_core.emulation.backend import Backend

__all__ = ["EmulatorTransport"]


class EmulatorTransport(httpx.AsyncBaseTransport):
    """Answers every request (any host) from one emulator (:class:`~.backend.Backend`)."""

    def __init__(self, emulator: Backend) -> None:
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
                request.method,
                request.url.raw_path.decode("ascii"),
                dict(request.headers),
                body,
                concurrency=concurrency,
            )
        finally:
            stats.leave()
        if answer.stall:
            raise httpx.ReadTimeout("The read operation timed out", request=request)
        if answer.drop:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return httpx.Response(answer.status, headers=dict(answer.headers), content=answer.body, request=request)
