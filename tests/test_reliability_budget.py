"""Budgets: the sliding windows never go over their usable units, waits happen before anything is sent,
the server's word tightens them, and the ETA is the time the work really takes at that pace.

Every test runs on virtual time (a looptime loop; ``clock`` reads and sleeps on it), never on the real clock.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import looptime
import pytest

from planpilot_providers_core.reliability.budget import SETTLE, Budget, BudgetTracker, Eta

T = TypeVar("T")

MINUTE = Budget(name="per minute", limit=80, window=60, margin=5)
HOUR = Budget(name="per hour", limit=500, window=3600, margin=10)


class LoopClock:
    """The running (virtual) loop's time, on both time lines; sleeps on it, and fails a wait that never ends
    (sleeps too short to move the loop's clock, round and round) instead of hanging."""

    def __init__(self) -> None:
        self.sleeps = 0

    def monotonic(self) -> float:
        return asyncio.get_running_loop().time()

    def time(self) -> float:
        return 1_700_000_000.0 + self.monotonic()

    async def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        assert self.sleeps < 20_000, f"still waiting after {self.sleeps} sleeps, the last {seconds!r}s"
        await asyncio.sleep(seconds)


def virtual(main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main()`` on a virtual-time loop starting at 0: sleeps take no real time."""
    with asyncio.Runner(loop_factory=lambda: looptime.new_event_loop(start=0.0, idle_timeout=5.0)) as runner:
        return runner.run(_call(main))


async def _call(main: Callable[[], Awaitable[T]]) -> T:
    return await main()


def now() -> float:
    return asyncio.get_running_loop().time()


# -- the value type ------------------------------------------------------------------------------------


def test_a_budget_keeps_its_margin_free() -> None:
    assert MINUTE.usable == 75
    for bad in ({"limit": 0}, {"limit": float("inf")}, {"window": -1}, {"limit": True}):
        with pytest.raises(ValueError, match=f"Budget.{next(iter(bad))} must be a finite number > 0"):
            Budget(**{"name": "b", "limit": 10, "window": 1, **bad})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"Budget.margin must be a finite number of units >= 0, got -1"):
        Budget(name="b", limit=10, window=1, margin=-1)
    with pytest.raises(ValueError, match=r"margin must be below the limit \(10\), got 10"):
        Budget(name="b", limit=10, window=1, margin=10)


# -- acquire: wait for room, then record ----------------------------------------------------------------


def test_what_fits_goes_at_once_and_the_next_unit_waits_for_the_oldest_to_leave() -> None:
    async def main() -> tuple[list[float], float]:
        tracker = BudgetTracker([MINUTE], clock=LoopClock())
        starts = []
        await asyncio.sleep(10)
        for _ in range(75):
            await tracker.acquire({"per minute": 1})
            starts.append(now())
        waited = await tracker.acquire({"per minute": 1})
        starts.append(now())
        assert tracker.spent == {"per minute": 76}
        assert tracker.waited == waited
        return starts, waited

    starts, waited = virtual(main)
    assert starts[:75] == [10.0] * 75
    assert starts[75] == pytest.approx(70 + SETTLE)
    assert waited == pytest.approx(60 + SETTLE)


def test_a_request_needs_room_in_every_budget_it_touches_and_unknown_ones_are_ignored() -> None:
    async def main() -> list[float]:
        tracker = BudgetTracker([MINUTE, HOUR], clock=LoopClock())
        starts = []
        for _ in range(600):
            await tracker.acquire({"per minute": 1, "per hour": 1, "not a budget": 99})
            starts.append(now())
        return starts

    starts = virtual(main)
    assert starts[489] < 600  # the hour's 490 usable units, 75 a minute
    assert starts[490] >= 3600  # the 491st waits for the hour's first unit to leave
    per_minute = [sum(1 for t in starts if s <= t < s + 60) for s in starts]
    assert max(per_minute) == 75


def test_concurrent_requests_never_go_over_any_window() -> None:
    rng = random.Random(7)
    costs = [rng.choice([1, 1, 1, 5, 20]) for _ in range(400)]

    async def main() -> list[tuple[float, int]]:
        tracker = BudgetTracker([MINUTE], clock=LoopClock())
        spends: list[tuple[float, int]] = []

        async def one(cost: int) -> None:
            await asyncio.sleep(rng.uniform(0, 600))
            await tracker.acquire({"per minute": cost})
            spends.append((now(), cost))

        await asyncio.gather(*(one(c) for c in costs))
        return spends

    spends = virtual(main)
    assert len(spends) == 400
    for start, _ in spends:
        in_window = sum(cost for when, cost in spends if start - 60 < when <= start)
        assert in_window <= 75


def test_waiting_for_room_takes_nothing() -> None:
    async def main() -> tuple[float, float, float]:
        tracker = BudgetTracker([MINUTE], clock=LoopClock())
        await tracker.acquire({"per minute": 75})
        waited = await tracker.wait_for({"per minute": 10})
        return waited, tracker.used("per minute"), tracker.waited

    waited, used, total = virtual(main)
    assert waited == pytest.approx(60 + SETTLE)
    assert used == 0  # the 75 left the window; nothing was taken
    assert total == waited


def test_a_spend_restamped_when_its_answer_came_stays_until_a_window_after_that() -> None:
    async def main() -> tuple[float, float, float]:
        tracker = BudgetTracker([MINUTE], clock=LoopClock())
        stamp = tracker.spend({"per minute": 75})
        await asyncio.sleep(2)  # the request was in flight for 2 s
        assert tracker.restamp({"per minute": 75}, stamp) == 2
        assert tracker.used("per minute") == 75
        await tracker.acquire({"per minute": 1})
        return now(), tracker.used("per minute"), tracker.spent["per minute"]

    at, used, spent = virtual(main)
    assert at == pytest.approx(62 + SETTLE)
    assert (used, spent) == (1, 76)


def test_a_refused_request_is_refunded() -> None:
    async def main() -> tuple[float, float, float]:
        tracker = BudgetTracker([MINUTE], clock=LoopClock())
        tracker.spend({"per minute": 70})
        await asyncio.sleep(1)
        refused = tracker.spend({"per minute": 5})
        tracker.refund({"per minute": 5, "unknown": 1}, refused)
        tracker.refund({"per minute": 5}, 12345.0)  # no such spend: nothing happens
        waited = await tracker.acquire({"per minute": 5})
        return waited, tracker.used("per minute"), tracker.spent["per minute"]

    assert virtual(main) == (0.0, 75, 75)


def test_a_cost_above_the_usable_units_goes_once_the_window_is_empty() -> None:
    async def main() -> float:
        tracker = BudgetTracker([MINUTE], clock=LoopClock())
        await tracker.acquire({"per minute": 10})
        await tracker.acquire({"per minute": 200})
        return now()

    assert virtual(main) == pytest.approx(60 + SETTLE)


def test_a_cancelled_wait_records_nothing() -> None:
    async def main() -> float:
        tracker = BudgetTracker([MINUTE], clock=LoopClock())
        await tracker.acquire({"per minute": 75})
        waiting = asyncio.create_task(tracker.acquire({"per minute": 5}))
        await asyncio.sleep(1)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        return tracker.used("per minute")

    assert virtual(main) == 75


def test_costs_must_be_finite_units() -> None:
    async def main() -> None:
        tracker = BudgetTracker([MINUTE], clock=LoopClock())
        for bad in (float("nan"), -1, float("inf"), True):
            with pytest.raises(ValueError, match="'per minute' must be a finite number of units"):
                tracker.spend({"per minute": bad})
            with pytest.raises(ValueError, match="'per minute' must be a finite number of units"):
                tracker.wait_needed({"per minute": bad})
        assert tracker.spent == {"per minute": 0}

    virtual(main)


# -- the server's word ------------------------------------------------------------------------------------


def test_a_block_holds_every_request_of_that_budget_and_only_grows() -> None:
    async def main() -> tuple[float, float, float]:
        clock = LoopClock()
        tracker = BudgetTracker([MINUTE, HOUR], clock=clock)
        tracker.block("per hour", 300)
        tracker.block("per hour", 100)  # a shorter block does not shorten it
        tracker.block("unknown", 100)
        blocked = tracker.blocked_for("per hour")
        await tracker.acquire({"per minute": 1})  # another budget: not held
        free = now()
        await tracker.acquire({"per minute": 1, "per hour": 1})
        return blocked, free, now()

    blocked, free, held = virtual(main)
    assert blocked == 300
    assert free == 0
    assert held == pytest.approx(300 + SETTLE)


def test_a_cap_lets_only_what_the_server_says_is_left_through_until_it_ends() -> None:
    async def main() -> list[float]:
        tracker = BudgetTracker([HOUR], clock=LoopClock())
        tracker.cap("per hour", 3, 100)
        tracker.cap("per hour", 5, 50)  # an older, looser word does not loosen it
        starts = []
        for _ in range(4):
            await tracker.acquire({"per hour": 1})
            starts.append(now())
        tracker.cap("per hour", 0, 1000)
        tracker.cap("per hour", 2, 10, fresh=True)  # a renewed server window replaces it
        await tracker.acquire({"per hour": 2})
        starts.append(now())
        return starts

    assert virtual(main) == [0, 0, 0, pytest.approx(100 + SETTLE), pytest.approx(100 + SETTLE)]


def test_a_limit_the_server_reveals_replaces_ours_and_keeps_a_margin() -> None:
    async def main() -> list[float]:
        tracker = BudgetTracker([MINUTE], clock=LoopClock())
        tracker.set_limit("per minute", 40)
        assert tracker.budgets["per minute"].usable == 35
        tracker.set_limit("per minute", 6)
        assert tracker.budgets["per minute"].margin == 3  # at most half the limit
        tracker.set_limit("unknown", 6)
        starts = []
        for _ in range(4):
            await tracker.acquire({"per minute": 1})
            starts.append(now())
        return starts

    assert virtual(main) == [0, 0, 0, pytest.approx(60 + SETTLE)]


# -- ETA -----------------------------------------------------------------------------------------------


def test_eta_of_nothing_or_of_what_fits_now_is_zero() -> None:
    async def main() -> None:
        tracker = BudgetTracker([MINUTE, HOUR], clock=LoopClock())
        assert tracker.eta({}) == Eta(0.0, None)
        assert tracker.eta({"per minute": 75, "unknown": 10**6}) == Eta(0.0, None)
        assert tracker.eta({"per minute": 76}) == Eta(60.0, "per minute")
        assert tracker.eta({"per minute": 151, "per hour": 491}) == Eta(3600.0, "per hour")

    virtual(main)


@pytest.mark.parametrize(("spent", "work"), [(0, 1000), (300, 1000), (490, 1), (100, 2000), (489, 490)])
def test_eta_is_when_the_last_unit_really_goes_out(spent: int, work: int) -> None:
    """Spend ``spent`` units over a while, ask the ETA of ``work`` more, then spend them at full pace."""

    async def main() -> tuple[Eta, float]:
        tracker = BudgetTracker([HOUR], clock=LoopClock())
        for _ in range(spent):
            await tracker.acquire({"per hour": 1})
            await asyncio.sleep(3)
        eta = tracker.eta({"per hour": work})
        started = now()
        for _ in range(work):
            await tracker.acquire({"per hour": 1})
        return eta, now() - started

    eta, took = virtual(main)
    assert eta.binding == "per hour"
    assert took == pytest.approx(eta.seconds, abs=1.0)


def test_eta_after_a_block_or_a_cap_starts_from_its_end() -> None:
    async def main() -> tuple[Eta, Eta, Eta, Eta]:
        tracker = BudgetTracker([HOUR], clock=LoopClock())
        capped = BudgetTracker([HOUR], clock=LoopClock())
        tracker.block("per hour", 1000)
        capped.cap("per hour", 20, 1000)
        return (
            tracker.eta({"per hour": 10}),
            tracker.eta({"per hour": 491}),
            capped.eta({"per hour": 20}),
            capped.eta({"per hour": 21}),
        )

    short, long, fits, spills = virtual(main)
    assert short == Eta(1000.0, "per hour")
    assert long == Eta(4600.0, "per hour")
    assert fits == Eta(0.0, None)
    assert spills == Eta(1000.0, "per hour")
