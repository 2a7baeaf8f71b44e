"""RateLimitGate and Pacer: extend-only shared pause, release together, spacing under concurrency.

Waits are measured on virtual time (a looptime loop, see ``VirtualClock``), so a loaded machine cannot make
them flaky; one test keeps the system clock to show a real pause really waits.
"""

from __future__ import annotations

import asyncio
import math
import time

import pytest

from planpilot_providers_core.emulation import VirtualClock
from planpilot_providers_core.reliability import Pacer, RateLimitGate


class FakeClock:
    """A ``Clock`` that moves only when told; its sleeps return at once."""

    def __init__(self, now: float = 100.0, epoch: float = 1_000_000.0) -> None:
        self.now = now
        self.epoch = epoch

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.epoch

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)


class MicrosecondClock(FakeClock):
    """A clock that counts whole microseconds, as a virtual-time loop does: a sleep moves it by the delay
    rounded to the microsecond (so a sleep of a rounding error does not move it at all)."""

    async def sleep(self, seconds: float) -> None:
        self.sleeps = getattr(self, "sleeps", 0) + 1
        if self.sleeps > 100:
            raise AssertionError("the gate keeps sleeping without the clock moving")
        self.now = round((self.now + seconds) * 1e6) / 1e6
        await asyncio.sleep(0)


# --- RateLimitGate -------------------------------------------------------------------------------


async def test_gate_opens_when_a_clock_that_counts_microseconds_reaches_the_deadline() -> None:
    clock = MicrosecondClock(now=152.456016)
    gate = RateLimitGate(clock=clock)
    gate.pause_for(0.0063)  # the deadline in floats, 152.46231600000002, lies a rounding error past 152.462316
    await gate.wait()
    assert clock.now == 152.462316


def test_gate_pause_only_extends() -> None:
    clock = FakeClock()
    gate = RateLimitGate(clock=clock)
    assert gate.remaining() == 0.0
    assert gate.pause_for(5) == 5.0
    assert gate.pause_for(2) == 5.0  # shorter request does not shorten the pause
    clock.now += 3
    assert gate.remaining() == 2.0
    assert gate.pause_for(4) == 4.0  # longer one extends
    clock.now += 10
    assert gate.remaining() == 0.0


@pytest.mark.parametrize("bogus", [-5.0, math.nan, 0.0])
def test_gate_ignores_non_positive_pauses(bogus: float) -> None:
    clock = FakeClock()
    gate = RateLimitGate(clock=clock)
    gate.pause_for(3)
    assert gate.pause_for(bogus) == 3.0


def test_gate_caps_pause_at_max_pause() -> None:
    gate = RateLimitGate(max_pause=900, clock=FakeClock())
    assert gate.pause_for(10_000) == 900.0
    assert gate.pause_for(math.inf) == 900.0
    assert gate.max_pause == 900.0


def test_gate_pause_until_uses_wall_time() -> None:
    gate = RateLimitGate(clock=FakeClock())
    assert gate.pause_until(1_000_030.0) == 30.0  # the clock's wall time is 1_000_000
    assert gate.pause_until(5.0) == 30.0  # reset in the past: no change


@pytest.mark.parametrize("bad", [0, -1, math.inf, math.nan])
def test_gate_rejects_bad_max_pause(bad: float) -> None:
    with pytest.raises(ValueError, match="max_pause must be a positive number"):
        RateLimitGate(max_pause=bad)


def test_gate_open_does_not_wait() -> None:
    clock = VirtualClock()
    clock.run(lambda: RateLimitGate(clock=clock).wait())
    assert clock.monotonic() == 0.0


def test_gate_releases_concurrent_waiters_together() -> None:
    clock = VirtualClock()
    gate = RateLimitGate(clock=clock)

    async def waiter() -> float:
        await gate.wait()
        return clock.monotonic()

    async def main() -> list[float]:
        gate.pause_for(0.08)
        return await asyncio.gather(*(waiter() for _ in range(50)))

    assert clock.run(main) == [pytest.approx(0.08)] * 50


def test_gate_extension_while_waiting_is_honoured() -> None:
    clock = VirtualClock()
    gate = RateLimitGate(clock=clock)

    async def main() -> float:
        gate.pause_for(0.05)
        waiter = asyncio.create_task(gate.wait())
        await clock.sleep(0.02)
        gate.pause_for(0.1)  # now ends at 0.12
        await waiter
        return clock.monotonic()

    assert clock.run(main) == pytest.approx(0.12)


async def test_gate_wait_can_be_cancelled() -> None:
    gate = RateLimitGate()
    gate.pause_for(10)
    waiter = asyncio.create_task(gate.wait())
    await asyncio.sleep(0.01)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert gate.remaining() > 9  # cancelling a waiter does not lift the pause


def test_gate_survives_several_event_loops() -> None:
    gate = RateLimitGate()
    for _ in range(2):
        gate.pause_for(0.02)
        started = time.monotonic()
        asyncio.run(gate.wait())
        assert time.monotonic() - started >= 0.02


# --- Pacer ---------------------------------------------------------------------------------------


def test_pacer_spaces_concurrent_callers() -> None:
    clock = VirtualClock()
    pacer = Pacer(0.03, clock=clock)
    starts: list[float] = []

    async def caller() -> None:
        await pacer.wait_turn()
        starts.append(clock.monotonic())

    async def main() -> None:
        await asyncio.gather(*(caller() for _ in range(5)))

    clock.run(main)
    assert sorted(starts) == [pytest.approx(0.03 * n) for n in range(5)]  # the first at once, then spaced


async def test_pacer_reserves_slots_synchronously() -> None:
    clock = FakeClock(50.0)
    pacer = Pacer(1.0, clock=clock)
    await pacer.wait_turn()  # slot at 50.0, no wait
    waits = [asyncio.create_task(pacer.wait_turn()) for _ in range(3)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert pacer._next_start == 54.0  # slots 51, 52, 53 were reserved before anyone slept
    for task in waits:
        task.cancel()
    await asyncio.gather(*waits, return_exceptions=True)


def test_pacer_zero_interval_never_waits() -> None:
    clock = VirtualClock()
    pacer = Pacer(0, clock=clock)

    async def main() -> None:
        for _ in range(200):
            await pacer.wait_turn()

    clock.run(main)
    assert clock.monotonic() == 0.0


def test_pacer_after_idle_period_does_not_wait() -> None:
    clock = VirtualClock()
    pacer = Pacer(0.02, clock=clock)

    async def main() -> float:
        await pacer.wait_turn()
        await clock.sleep(0.03)
        started = clock.monotonic()
        await pacer.wait_turn()
        return clock.monotonic() - started

    assert clock.run(main) == 0.0


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf])
def test_pacer_rejects_bad_interval(bad: float) -> None:
    with pytest.raises(ValueError, match="min_interval must be"):
        Pacer(bad)
