"""Virtual time for an emulator and its client: a sync that would wait hours on a tracker's budgets runs in
seconds, with every wait (budget windows, ``Retry-After``, latency, the client's own pacing) on one time line.

:class:`VirtualClock` follows the loop time of a `looptime <https://pypi.org/project/looptime/>`_ event loop
while :meth:`VirtualClock.run` (or :func:`run_virtual`) drives a coroutine on it. That loop fast-forwards
whenever every task is waiting on a timer, so ``await asyncio.sleep(3600)`` returns at once while
``loop.time()`` (and this clock) moves by an hour. CPU work takes no virtual time.

Only the in-process transport (:class:`~.transport.EmulatorTransport`) runs on the loop; the loopback
server answers from threads on wall time, so serve it with a :class:`~.clock.SystemClock` instead.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

__all__ = ["DEFAULT_START", "VirtualClock", "run_virtual"]

T = TypeVar("T")
DEFAULT_START = datetime(2025, 6, 2, 12, 0, 0, tzinfo=UTC)


class VirtualClock:
    """Virtual time: ``now()``/``time()``/``monotonic()`` and ``async sleep()`` on one time line.

    Outside :meth:`run` the clock stands still (seed the world, assert on results) and :meth:`advance` moves it;
    inside, it follows the virtual loop. Several runs continue the same time line.
    """

    def __init__(self, start: datetime | None = None) -> None:
        start = start or DEFAULT_START
        if start.tzinfo is None:
            raise ValueError("VirtualClock needs a timezone-aware start time, e.g. datetime(..., tzinfo=UTC)")
        self._start = start.astimezone(UTC)
        self._epoch_start = self._start.timestamp()
        self._elapsed = 0.0  # virtual seconds passed before the current run
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_origin = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"VirtualClock(now={self.now().isoformat()}, running={self.running})"

    @property
    def start(self) -> datetime:
        return self._start

    @property
    def running(self) -> bool:
        """True while :meth:`run` drives a coroutine on this clock."""
        return self._loop is not None

    def monotonic(self) -> float:
        """Virtual seconds since the clock was made (for durations and deadlines)."""
        with self._lock:
            if self._loop is None:
                return self._elapsed
            return self._elapsed + (self._loop.time() - self._loop_origin)

    def time(self) -> float:
        """Virtual epoch seconds, consistent with :meth:`now` (compare with ``x-ratelimit-reset``)."""
        return self._epoch_start + self.monotonic()

    def now(self) -> datetime:
        """The virtual instant, timezone-aware UTC."""
        return datetime.fromtimestamp(self.time(), UTC)

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of virtual time (instant in wall time); only inside :meth:`run`."""
        if asyncio.get_running_loop() is not self._loop:
            raise RuntimeError(
                "VirtualClock.sleep() only works in a coroutine driven by clock.run(...) or run_virtual(..., "
                "clock=clock): other loops do not follow virtual time"
            )
        await asyncio.sleep(max(0.0, seconds))

    def advance(self, seconds: float) -> datetime:
        """Move a stopped clock forward by ``seconds`` (inside :meth:`run`, ``await clock.sleep()`` instead)."""
        if seconds < 0:
            raise ValueError("a VirtualClock only moves forward")
        with self._lock:
            if self._loop is not None:
                raise RuntimeError("the clock is running: await clock.sleep(seconds) inside the coroutine instead")
            self._elapsed += seconds
        return self.now()

    def run(self, main: Callable[[], Awaitable[T]], *, idle_timeout: float | None = None) -> T:
        """Run ``main()`` to completion on a fresh virtual-time event loop, then close the loop.

        Like :func:`asyncio.run` (tasks left over are cancelled, async generators closed); call it from
        synchronous code, e.g. a plain ``def test_...``. ``idle_timeout`` (seconds) fails a coroutine that
        waits on nothing the loop can fast-forward (a deadlock) instead of hanging.
        """
        import looptime  # the testing extra; imported here so the clock itself needs nothing

        def new_loop() -> asyncio.AbstractEventLoop:
            return looptime.new_event_loop(start=0.0, idle_timeout=idle_timeout)

        with self._lock:
            if self._loop is not None:
                raise RuntimeError("this VirtualClock is already running a coroutine")
        with asyncio.Runner(loop_factory=new_loop) as runner:
            loop = runner.get_loop()
            with self._lock:
                self._loop, self._loop_origin = loop, loop.time()
            try:
                return runner.run(_call(main))
            finally:
                with self._lock:
                    self._elapsed += loop.time() - self._loop_origin
                    self._loop = None


async def _call(main: Callable[[], Awaitable[T]]) -> T:
    return await main()


def run_virtual(
    main: Callable[[], Awaitable[T]],
    *,
    clock: VirtualClock | None = None,
    start: datetime | None = None,
    idle_timeout: float | None = None,
) -> T:
    """Run ``main()`` in virtual time on ``clock`` (or a new clock starting at ``start``); see :meth:`VirtualClock.run`.

    Give the emulator the same clock (e.g. ``GitHubEmulator(clock=clock, ...)``) so its budgets, timestamps
    and latency follow the run, and let the client sleep and read time through it too.
    """
    if clock is not None and start is not None:
        raise ValueError("pass either clock= or start=, not both (the clock already has its start)")
    return (clock or VirtualClock(start)).run(main, idle_timeout=idle_timeout)
