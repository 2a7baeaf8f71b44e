"""Proactive spacing of requests, for APIs that ask for a minimum gap between mutations."""

from __future__ import annotations

import logging
import math
from typing import Final

from planpilot_providers_core.reliability.clock import SYSTEM_CLOCK, Clock

_log = logging.getLogger("planpilot.providers.pacing")

LONG_WAIT: Final = 10.0
"""A turn this far off (seconds) is announced on the log: what it waits for and how long."""


class Pacer:
    """Start successive callers at least ``min_interval`` seconds apart.

    Each caller reserves its start slot synchronously (no ``await`` between reading and advancing
    the schedule), then sleeps until it; so concurrent callers can never pick the same slot. A
    cancelled waiter leaves its slot unused, which only ever makes the spacing more conservative.
    Like :class:`RateLimitGate` it holds no loop-bound primitive.
    """

    def __init__(self, min_interval: float, *, clock: Clock = SYSTEM_CLOCK) -> None:
        if not (isinstance(min_interval, int | float) and math.isfinite(min_interval) and min_interval >= 0):
            raise ValueError(f"Pacer min_interval must be a number of seconds >= 0, got {min_interval!r}")
        self._min_interval = float(min_interval)
        self._clock = clock
        self._next_start = -math.inf

    def __repr__(self) -> str:
        return f"Pacer(min_interval={self._min_interval})"

    @property
    def min_interval(self) -> float:
        """The minimum gap between two starts, in seconds."""
        return self._min_interval

    async def wait_turn(self) -> None:
        """Wait until this caller may start; ``min_interval == 0`` never waits."""
        if self._min_interval == 0:
            return
        now = self._clock.monotonic()
        start = max(now, self._next_start)
        self._next_start = start + self._min_interval
        if start > now:
            if start - now >= LONG_WAIT:
                _log.warning(
                    "waiting %.0fs for the next turn: writes are spaced %gs apart (min_interval)",
                    start - now,
                    self._min_interval,
                )
            await self._clock.sleep(start - now)
