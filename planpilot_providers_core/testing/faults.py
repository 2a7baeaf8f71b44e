"""Transport faults for any provider built on core's ``PooledClient``: a recording, fault-injecting httpx
transport, installed around every client the provider opens, and virtual time for the waits it causes.

The conformance suite uses it with no change to the author's test module; a plugin's own tests can too::

    plan = FaultPlan()
    with plan.installed(), virtual_system_time() as clock:
        async with make_provider() as provider:          # its PooledClient sends through the plan
            plan.fail(Fault.APPLIED_SERVER_ERROR)        # the next request is applied, then answered 503
            item = await provider.create_item(request)
    assert [r.fault for r in plan.requests] == [...]

A provider with an HTTP stack of its own opts in by passing the transport it builds through
:func:`planpilot_providers_core.reliability.wrap_transport`.

The faults: ``429`` with ``Retry-After``, ``503``, a dropped connection and a timeout (all before the
tracker saw the request), ``applied-503`` and ``applied-timeout`` (the tracker carried the request out, the
answer is lost), ``401`` and ``403``. Each is injected on the *n*-th request from now, once or on every
request until cleared.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import time
from collections.abc import Iterator

import attrs
import httpx

from planpilot_providers_core.reliability.clock import SystemClock
from planpilot_providers_core.reliability.http import wrapping_transports

__all__ = ["Fault", "FaultPlan", "FaultTransport", "SeenRequest", "VirtualTime", "virtual_system_time"]

_READS = frozenset({"GET", "HEAD", "OPTIONS"})


class Fault(enum.StrEnum):
    """What happens to a request instead of (or after) its normal answer."""

    RATE_LIMITED = "429"
    """Refused with 429 and ``Retry-After`` (:attr:`FaultPlan.retry_after` seconds); not applied."""
    SERVER_ERROR = "503"
    """Refused with 503 before the tracker acted on it."""
    DROPPED = "dropped"
    """The connection drops without an answer (the request never reached the tracker)."""
    TIMEOUT = "timeout"
    """No answer in time (the request never reached the tracker)."""
    APPLIED_SERVER_ERROR = "applied-503"
    """The tracker carried the request out; the answer is replaced by a 503."""
    APPLIED_TIMEOUT = "applied-timeout"
    """The tracker carried the request out; the answer is lost to a timeout."""
    UNAUTHORIZED = "401"
    FORBIDDEN = "403"
    """A 403 without any rate-limit header: a missing permission."""

    @property
    def applied(self) -> bool:
        return self in (Fault.APPLIED_SERVER_ERROR, Fault.APPLIED_TIMEOUT)


#: Faults worth injecting on every request, and those only a write can show (the request was carried out).
ANY_REQUEST_FAULTS = (Fault.RATE_LIMITED, Fault.SERVER_ERROR, Fault.DROPPED, Fault.TIMEOUT)
WRITE_FAULTS = (Fault.APPLIED_SERVER_ERROR, Fault.APPLIED_TIMEOUT)


@attrs.define
class SeenRequest:
    """One request as the transport saw it: when (on the system clock, virtual time included), what, and
    what was done to it (``status`` is ``None`` for an answer lost to a dropped connection or a timeout)."""

    method: str
    path: str
    at: float
    fault: Fault | None
    status: int | None = None
    content: bytes = b""

    @property
    def write(self) -> bool:
        """Whether it asks for a change: anything but GET/HEAD/OPTIONS, except a GraphQL query (a POST whose
        JSON body's ``query`` is not a ``mutation``)."""
        if self.method in _READS:
            return False
        if self.content[:1] == b"{":
            try:
                document = json.loads(self.content).get("query")
            except (ValueError, AttributeError):
                return True
            if isinstance(document, str):
                return document.lstrip().startswith("mutation")
        return True


@attrs.define
class _Rule:
    fault: Fault
    at: int
    """The number of the request (in :attr:`FaultPlan.requests`) it starts at."""
    persistent: bool


class FaultPlan:
    """Which requests fail and how, and every request seen; shared by every transport it wraps."""

    def __init__(self, *, retry_after: float = 3.0) -> None:
        self.retry_after = retry_after
        """The ``Retry-After`` a :attr:`Fault.RATE_LIMITED` answer carries, in seconds."""
        self.requests: list[SeenRequest] = []
        self._rules: list[_Rule] = []
        self._clock = SystemClock()

    def __repr__(self) -> str:
        return f"FaultPlan(requests={len(self.requests)}, rules={len(self._rules)})"

    def fail(self, fault: Fault, *, after: int = 0, persistent: bool = False) -> None:
        """Give the request ``after`` requests from now ``fault`` (``persistent``: it and every later one, until
        :meth:`clear`)."""
        self._rules.append(_Rule(Fault(fault), len(self.requests) + after, persistent))

    def clear(self) -> None:
        """No more faults (requests seen are kept)."""
        self._rules.clear()

    def mark(self) -> int:
        """The number of requests seen so far: ``plan.requests[mark:]`` are the ones since."""
        return len(self.requests)

    def _take(self, number: int) -> Fault | None:
        for rule in self._rules:
            if rule.at == number or (rule.persistent and rule.at <= number):
                if not rule.persistent:
                    self._rules.remove(rule)
                return rule.fault
        return None

    def wrap(self, transport: httpx.AsyncBaseTransport) -> FaultTransport:
        return FaultTransport(transport, self)

    @contextlib.contextmanager
    def installed(self) -> Iterator[FaultPlan]:
        """Wrap every ``PooledClient`` opened in this context (see ``reliability.wrap_transport``)."""
        with wrapping_transports(self.wrap):
            yield self

    def record(self, request: httpx.Request) -> tuple[SeenRequest, Fault | None]:
        fault = self._take(len(self.requests))
        content = request.content if isinstance(request.stream, httpx.ByteStream) else b""
        seen = SeenRequest(request.method, request.url.path, self._clock.monotonic(), fault, content=content)
        self.requests.append(seen)
        return seen, fault


def _answer(status: int, request: httpx.Request, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = json.dumps({"message": message, "errors": [{"message": message}]}).encode()
    return httpx.Response(
        status, headers={"content-type": "application/json", **(headers or {})}, content=body, request=request
    )


class FaultTransport(httpx.AsyncBaseTransport):
    """Sends through ``inner`` unless the plan says otherwise; records every request."""

    def __init__(self, inner: httpx.AsyncBaseTransport, plan: FaultPlan) -> None:
        self._inner = inner
        self._plan = plan

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        seen, fault = self._plan.record(request)
        if fault is None or fault.applied:
            response = await self._inner.handle_async_request(request)
            if fault is None:
                seen.status = response.status_code
                return response
            await response.aread()  # the tracker answered; the answer is what gets lost
            await response.aclose()
            if fault is Fault.APPLIED_TIMEOUT:
                raise httpx.ReadTimeout("timed out waiting for the answer (injected after the request was applied)")
            seen.status = 503
            return _answer(503, request, "Service Unavailable (injected after the request was applied)")
        if fault is Fault.DROPPED:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response (injected)")
        if fault is Fault.TIMEOUT:
            raise httpx.ReadTimeout("timed out (injected)")
        status = int(fault.value)
        seen.status = status
        if fault is Fault.RATE_LIMITED:
            headers = {"retry-after": f"{self._plan.retry_after:g}", "x-ratelimit-remaining": "0"}
            return _answer(429, request, "rate limit exceeded (injected)", headers)
        if fault is Fault.UNAUTHORIZED:
            return _answer(401, request, "Bad credentials (injected)")
        if fault is Fault.FORBIDDEN:
            return _answer(403, request, "Resource not accessible with this credential (injected)")
        return _answer(status, request, "Service Unavailable (injected)")

    async def aclose(self) -> None:
        await self._inner.aclose()


@attrs.define
class VirtualTime:
    """How far :func:`virtual_system_time` moved the system clock, and each sleep it skipped."""

    offset: float = 0.0
    sleeps: list[float] = attrs.field(factory=list)


@contextlib.contextmanager
def virtual_system_time() -> Iterator[VirtualTime]:
    """Make every :class:`~planpilot_providers_core.reliability.SystemClock` (the default clock of gates,
    pacers, budgets and retries) skip its sleeps: a sleep moves the clock forward instead of waiting. So a
    ``Retry-After`` of minutes is honoured, and observable on the clock, in no real time. A provider that
    sleeps with ``asyncio.sleep`` itself still really waits."""
    virtual = VirtualTime()
    originals = (SystemClock.monotonic, SystemClock.time, SystemClock.sleep)

    def monotonic(self: SystemClock) -> float:
        return time.monotonic() + virtual.offset

    def wall(self: SystemClock) -> float:
        return time.time() + virtual.offset

    async def sleep(self: SystemClock, seconds: float) -> None:
        virtual.sleeps.append(seconds)
        virtual.offset += max(0.0, seconds)
        await asyncio.sleep(0)

    SystemClock.monotonic, SystemClock.time, SystemClock.sleep = monotonic, wall, sleep  # type: ignore[method-assign]
    try:
        yield virtual
    finally:
        SystemClock.monotonic, SystemClock.time, SystemClock.sleep = originals  # type: ignore[method-assign]
