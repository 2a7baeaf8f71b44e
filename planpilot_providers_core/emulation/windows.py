"""Rate-limit windows an emulator enforces its tracker's limits with: a rolling window of units
(:class:`SlidingWindow`, e.g. GitHub's 80 content creations per minute or Jira's 20 writes to one issue per
2 seconds) and a token bucket (:class:`TokenBucket`, e.g. Jira's per-endpoint burst limit, Linear's leaky buckets of
requests and complexity points). ``now`` is epoch
seconds from the emulator's clock, so both follow virtual time; callers hold the emulator's lock."""

from __future__ import annotations

import math
from collections import deque

from attrs import define, field

__all__ = ["SlidingWindow", "TokenBucket"]


@define
class SlidingWindow:
    """``limit`` units per rolling ``window`` seconds."""

    limit: int
    window: float
    _entries: deque[tuple[float, int]] = field(factory=deque, init=False)
    _total: int = field(default=0, init=False)

    def _expire(self, now: float) -> None:
        while self._entries and self._entries[0][0] + self.window <= now:
            self._total -= self._entries.popleft()[1]

    def used(self, now: float) -> int:
        self._expire(now)
        return self._total

    def wait(self, now: float, units: int) -> float:
        """Seconds until ``units`` more fit (0 when they fit now; the whole window if they never can)."""
        self._expire(now)
        excess = self._total + units - self.limit
        if excess <= 0:
            return 0.0
        if units > self.limit:
            return self.window
        for at, amount in self._entries:
            excess -= amount
            if excess <= 0:
                return at + self.window - now
        return self.window  # unreachable: the entries hold more than the excess

    def add(self, now: float, units: int) -> None:
        if units > 0:
            self._expire(now)
            self._entries.append((now, units))
            self._total += units

    def clear(self) -> None:
        self._entries.clear()
        self._total = 0


@define
class TokenBucket:
    """Refills at ``rate`` tokens per second up to ``capacity``; starts full. A request takes one token."""

    rate: float
    capacity: float
    _tokens: float = field(default=math.nan, init=False)
    _at: float = field(default=math.nan, init=False)

    def __attrs_post_init__(self) -> None:
        if not (self.rate > 0 and self.capacity >= 1):
            raise ValueError(f"a TokenBucket needs rate > 0 and capacity >= 1, got {self.rate} and {self.capacity}")

    def _refill(self, now: float) -> None:
        if math.isnan(self._at):
            self._tokens, self._at = self.capacity, now
            return
        if now > self._at:
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
            self._at = now

    def remaining(self, now: float) -> float:
        self._refill(now)
        return self._tokens

    def wait(self, now: float, tokens: float = 1.0) -> float:
        """Seconds until ``tokens`` are there (0 when they are now)."""
        self._refill(now)
        missing = tokens - self._tokens
        return 0.0 if missing <= 0 else missing / self.rate

    def take(self, now: float, tokens: float = 1.0) -> bool:
        """Take ``tokens`` if they are there; False (nothing taken) otherwise."""
        self._refill(now)
        if self._tokens < tokens:
            return False
        self._tokens -= tokens
        return True

    def drain(self, now: float) -> None:
        """Empty now (an injected exhaustion: later requests wait for the refill too)."""
        self._refill(now)
        self._tokens = 0.0

    def full_in(self, now: float) -> float:
        """Seconds until the bucket is full again (0 when it is): what a tracker may announce as its reset."""
        self._refill(now)
        return (self.capacity - self._tokens) / self.rate

    def clear(self) -> None:
        """Full again."""
        self._tokens, self._at = math.nan, math.nan
