"""The clock every reliability piece reads and sleeps on, so a whole run can move to virtual time.

Providers take a ``clock`` and pass it to their gate, pacer, budgets and retries. The default is the
system clock; the GitHub emulator's virtual clock runs a sync that would take hours in minutes, with
the provider's waits and the emulator's budget windows on the same time line.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Final, Protocol

__all__ = ["SYSTEM_CLOCK", "Clock", "SystemClock"]


class Clock(Protocol):
    """Time as the reliability toolkit needs it."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back: durations, deadlines, windows."""
        ...

    def time(self) -> float:
        """Seconds since the epoch: to compare with server timestamps such as ``x-ratelimit-reset``."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic``, ``time.time`` and ``asyncio.sleep`` (and ``now()`` for emulators)."""

    def __repr__(self) -> str:
        return "SystemClock()"

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM_CLOCK: Final = SystemClock()
