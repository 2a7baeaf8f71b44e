"""What every emulator is to its transports: one ``handle`` per HTTP request, answered with an
:class:`EmulatorResponse`, plus the latency before it and the in-flight count around it.

The in-process transport (:mod:`.transport`) and the loopback server (:mod:`.server`) both drive a
:class:`Backend`, so an emulator is written once and reached either way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from attrs import frozen

__all__ = ["Backend", "EmulatorResponse", "InFlight", "json_response"]


@frozen
class EmulatorResponse:
    """One HTTP answer. ``drop``: the connection closes without any response; ``stall``: no answer comes
    in time (the in-process transport raises a read timeout, the loopback server holds the connection,
    then closes it). Either way the request may have been applied: the ambiguous failure a client must
    resolve."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    drop: bool = False
    stall: bool = False

    def json(self) -> Any:
        return json.loads(self.body)


def json_response(
    status: int, body: Any, headers: Mapping[str, str] | None = None, *, content_type: str = "application/json"
) -> EmulatorResponse:
    """A JSON answer (``body`` encoded compactly) with ``headers`` after the content type."""
    merged = {"content-type": f"{content_type}; charset=utf-8", **(headers or {})}
    return EmulatorResponse(status=status, headers=merged, body=json.dumps(body).encode())


class InFlight(Protocol):
    """Counts requests in flight (the concurrency a rate limit or a benchmark sees)."""

    def enter(self) -> int:
        """A request arrives; how many are in flight now, this one included."""
        ...

    def leave(self) -> None: ...


class Backend(Protocol):
    """An emulator as its transports see it."""

    @property
    def stats(self) -> InFlight: ...

    def next_delay(self) -> float:
        """Seconds the next request waits before it is handled (latency plus jitter)."""
        ...

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, *, concurrency: int | None = None
    ) -> EmulatorResponse:
        """Answer one request. ``path`` includes the query string; ``concurrency`` is what ``stats.enter()``
        returned for it (``None``: the caller did not count it)."""
        ...
