"""Injectable clocks for emulators. Item timestamps and a search index lag read :meth:`Clock.now`; rate-limit
windows (reset headers, ``Retry-After``) read the clock's epoch seconds when it has them (:func:`epoch_source`).

* :class:`SystemClock` (the default): wall time for everything.
* :class:`~.virtual.VirtualClock`: virtual time for everything, shared with the client (``run_virtual``).
* :class:`ManualClock`: steps item timestamps and search lag only; rate limits stay on wall time, because tests
  written against it compare reset headers with ``time.time()``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from planpilot_providers_core.reliability.clock import SystemClock

__all__ = ["Clock", "ManualClock", "SystemClock", "Timeline", "epoch_source"]


class Clock(Protocol):
    """Anything that tells an emulator what time it is (timezone-aware, UTC)."""

    def now(self) -> datetime: ...


@runtime_checkable
class Timeline(Protocol):
    """A clock a client can share with the emulator: the same instant as a datetime, as epoch seconds, as
    monotonic seconds, and a sleep on that time line. :class:`SystemClock` and ``VirtualClock`` are one
    (and so a ``planpilot_providers_core.reliability.Clock`` a provider can pace itself by)."""

    def now(self) -> datetime: ...

    def time(self) -> float: ...

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class ManualClock:
    """A clock that only moves when told to, so tests can step over the search index lag."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2025, 6, 2, 12, 0, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        """Move forward by ``seconds`` and return the new time."""
        if seconds < 0:
            raise ValueError("a ManualClock only moves forward")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (timezone-aware)."""
        if when.tzinfo is None:
            raise ValueError("ManualClock.set needs a timezone-aware time")
        with self._lock:
            self._now = when.astimezone(UTC)


def epoch_source(clock: Clock) -> Callable[[], float]:
    """Where budget windows read epoch seconds: the clock's own ``time()`` when it is a :class:`Timeline`,
    else the wall clock (a :class:`ManualClock` moves issue timestamps, not budgets)."""
    return clock.time if isinstance(clock, Timeline) else time.time
