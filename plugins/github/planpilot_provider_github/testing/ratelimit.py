"""GitHub's primary GraphQL point budget: a fixed window reported in the ``x-ratelimit-*`` headers.

``time_source`` gives epoch seconds; the emulator passes its clock's (:func:`~.clock.epoch_source`), so
``x-ratelimit-reset`` is on the same time line as the client that shares the clock.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from attrs import define, field, frozen

__all__ = ["RateLimitSnapshot", "RateLimiter"]


@frozen
class RateLimitSnapshot:
    limit: int
    remaining: int
    used: int
    reset_at: float  # epoch seconds

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-reset": str(math.ceil(self.reset_at)),
            "x-ratelimit-resource": "graphql",
        }


@define
class RateLimiter:
    """A fixed window of ``limit`` points; callers hold the emulator lock."""

    limit: int = 5000
    window: float = 3600.0
    time_source: Callable[[], float] = time.time
    used: int = field(default=0, init=False)
    reset_at: float = field(default=0.0, init=False)

    def _roll(self) -> None:
        now = self.time_source()
        if now >= self.reset_at:
            self.used = 0
            self.reset_at = now + self.window

    def snapshot(self) -> RateLimitSnapshot:
        self._roll()
        return RateLimitSnapshot(
            limit=self.limit, remaining=max(0, self.limit - self.used), used=self.used, reset_at=self.reset_at
        )

    def fits(self, cost: int = 1) -> bool:
        """Whether ``cost`` more points fit in the current window (nothing spent)."""
        self._roll()
        return self.used + cost <= self.limit

    def try_charge(self, cost: int = 1) -> bool:
        """Spend ``cost`` points; False (nothing spent) when the budget is exhausted."""
        self._roll()
        if self.used + cost > self.limit:
            return False
        self.used += cost
        return True

    def exhaust(self, reset_in: float) -> None:
        """Spend the whole budget now and let the window reset ``reset_in`` seconds from now."""
        self.used = self.limit
        self.reset_at = self.time_source() + reset_in

    def reset(self) -> None:
        self.used = 0
        self.reset_at = 0.0
