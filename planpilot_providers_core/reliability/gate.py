"""A shared rate-limit pause: when one call is told to back off, every call backs off."""

from __future__ import annotations

import math

from planpilot_providers_core.reliability.clock import SYSTEM_CLOCK, Clock

_OPEN_ENOUGH = 1e-6
"""Seconds left of a pause that count as none (a microsecond: below any clock's useful resolution)."""


class RateLimitGate:
    """A monotonic "resume at" deadline that concurrent rate-limit hits can only push later.

    One gate is shared by every in-flight request of a provider (or process). A request awaits
    :meth:`wait` right before it is sent; a 429 calls :meth:`pause_for`. There is deliberately no
    ``Event``/``Condition``: a pause never shortens, so waking sleepers early is never needed, and
    holding no loop-bound primitive lets one gate outlive several event loops (``asyncio.run`` per
    CLI command).
    """

    def __init__(self, *, max_pause: float = 900.0, clock: Clock = SYSTEM_CLOCK) -> None:
        if not (isinstance(max_pause, int | float) and math.isfinite(max_pause) and max_pause > 0):
            raise ValueError(f"RateLimitGate max_pause must be a positive number of seconds, got {max_pause!r}")
        self._max_pause = float(max_pause)
        self._clock = clock
        self._resume_at = -math.inf

    def __repr__(self) -> str:
        return f"RateLimitGate(max_pause={self._max_pause}, remaining={self.remaining():.3f})"

    @property
    def max_pause(self) -> float:
        """The longest pause one call can impose, so a bogus header cannot stall everything for hours."""
        return self._max_pause

    def remaining(self) -> float:
        """Seconds left in the current pause (0.0 when open)."""
        return max(0.0, self._resume_at - self._clock.monotonic())

    def pause_for(self, seconds: float) -> float:
        """Pause every caller for ``seconds`` (capped at ``max_pause``), unless already paused longer.

        Returns the seconds now remaining. Read and write happen with no ``await`` in between, so
        concurrent callers on one event loop cannot lose an extension.
        """
        if math.isnan(seconds) or seconds < 0:
            seconds = 0.0
        resume_at = self._clock.monotonic() + min(seconds, self._max_pause)
        if resume_at > self._resume_at:
            self._resume_at = resume_at
        return self.remaining()

    def pause_until(self, epoch_seconds: float) -> float:
        """Pause until a wall-clock instant, as given by ``x-ratelimit-reset``-style headers."""
        return self.pause_for(epoch_seconds - self._clock.time())

    async def wait(self) -> None:
        """Return once the gate is open; a pause extended while sleeping is honoured.

        Cancellation simply propagates out of the sleep: nothing is held, so nothing leaks.
        """
        # Sleep-and-recheck on purpose (not an Event): see the class docstring. What a clock's rounding
        # leaves over (a virtual loop ticks in steps, floats drift) counts as open, or it could spin forever.
        while (delay := self.remaining()) > _OPEN_ENOUGH:
            await self._clock.sleep(delay)
