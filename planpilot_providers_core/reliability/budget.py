"""Rate budgets a provider spends deliberately: wait for room before sending, never trip the limit.

A tracker's limits are budgets of units per window (GitHub: 2,000 secondary points a minute, 80
content creations a minute and 500 an hour, 5,000 primary points an hour). A :class:`BudgetTracker`
keeps a sliding window of what was spent per budget; :meth:`BudgetTracker.acquire` waits (on the
provider's clock) until a request's cost fits every budget, then records it. Waiting here is not a
failure: it happens before the request is sent, so it never uses up a retry attempt. What the server
says (``x-ratelimit-remaining`` and ``-reset``, a ``retry-after``) tightens a budget further:
:meth:`BudgetTracker.block` (no room until then) and :meth:`BudgetTracker.set_limit` (the limit is
not what we thought).

:meth:`BudgetTracker.eta` turns remaining work (units per budget) into the time it needs at the
budgets' pace and names the budget that binds, which is what a progress line's ETA is made of.
"""

from __future__ import annotations

import collections
import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

from planpilot_providers_core.reliability.clock import SYSTEM_CLOCK, Clock

__all__ = ["LONG_WAIT", "SETTLE", "Budget", "BudgetTracker", "Eta"]

_log = logging.getLogger("planpilot.providers.budget")

LONG_WAIT: Final = 10.0
"""A wait for room at least this long (seconds) is announced on the log, with what it waits for."""

SETTLE: Final = 0.001
"""Seconds a wait goes past the instant the window has room. A server deciding on the very same
instant (another float representation of it, a clock a hair apart) may still count the spend that is
just leaving; a millisecond later it cannot."""


def _positive(instance: Any, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"Budget.{attribute.name} must be a finite number > 0, got {value!r}")


def _units(instance: Any, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"Budget.{attribute.name} must be a finite number of units >= 0, got {value!r}")


@attrs.frozen(kw_only=True)
class Budget:
    """``limit`` units per sliding ``window`` seconds; ``margin`` units are never used (stay just under)."""

    name: str = attrs.field(validator=attrs.validators.instance_of(str))
    limit: float = attrs.field(validator=_positive)
    window: float = attrs.field(validator=_positive)
    margin: float = attrs.field(default=0.0, validator=_units)
    """Units kept free, so a server that counts slightly differently (latency, clock skew) is not tripped."""

    @margin.validator
    def _margin_below_limit(self, attribute: attrs.Attribute[float], value: float) -> None:
        if value >= self.limit:
            raise ValueError(f"Budget.margin must be below the limit ({self.limit!r}), got {value!r}")

    @property
    def usable(self) -> float:
        return self.limit - self.margin


@attrs.frozen
class Eta:
    """How long some work takes at the budgets' pace, and which budget sets it (``None``: none binds)."""

    seconds: float
    binding: str | None


def _cost(name: str, cost: float) -> float:
    if isinstance(cost, bool) or not isinstance(cost, int | float) or not math.isfinite(cost) or cost < 0:
        raise ValueError(f"the cost for budget {name!r} must be a finite number of units >= 0, got {cost!r}")
    return float(cost)


class BudgetTracker:
    """Sliding-window accounting of several budgets, shared by every request of one provider.

    Reading the windows and recording a spend happen with no ``await`` in between, so concurrent
    requests on one event loop can never both take the last unit. Costs for budgets the tracker does
    not know are ignored, so callers can name every budget a request touches.
    """

    def __init__(self, budgets: Iterable[Budget], *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.budgets = {budget.name: budget for budget in budgets}
        self._clock = clock
        self._spends: dict[str, collections.deque[tuple[float, float]]] = {n: collections.deque() for n in self.budgets}
        self._in_window: dict[str, float] = dict.fromkeys(self.budgets, 0.0)
        self._caps: dict[str, tuple[float, float]] = {}
        """Budget name -> (until, units left): what the server says is left of it until then."""
        self.spent: dict[str, float] = dict.fromkeys(self.budgets, 0.0)
        """Units spent per budget over the tracker's life (for reports)."""
        self.waited = 0.0
        """Seconds requests spent waiting for room, in total (concurrent waits add up)."""
        self._noticed_until: dict[str, float] = {}
        """Budget name -> when the wait last announced for it ends."""

    def __repr__(self) -> str:
        return f"BudgetTracker({', '.join(self.budgets)})"

    def _expire(self, name: str, now: float) -> None:
        spends = self._spends[name]
        window = self.budgets[name].window
        while spends and spends[0][0] + window <= now:
            self._in_window[name] -= spends.popleft()[1]
        if not spends:
            self._in_window[name] = 0.0  # no float drift survives an empty window

    def used(self, name: str) -> float:
        """Units of budget ``name`` spent within its window, as of now."""
        self._expire(name, self._clock.monotonic())
        return self._in_window[name]

    def _cap(self, name: str, now: float) -> tuple[float, float] | None:
        cap = self._caps.get(name)
        if cap is not None and cap[0] <= now:
            del self._caps[name]
            return None
        return cap

    def blocked_for(self, name: str) -> float:
        """Seconds budget ``name`` stays blocked by the server (0.0 when it is not)."""
        now = self._clock.monotonic()
        cap = self._cap(name, now)
        return cap[0] - now if cap is not None and cap[1] <= 0 else 0.0

    def wait_needed(self, costs: Mapping[str, float]) -> float:
        """Seconds until ``costs`` fit every budget (0.0 when they fit now).

        A cost above a budget's usable units fits once its window is empty (it could never fit
        otherwise); a wait always ends :data:`SETTLE` past the instant the room appears.
        """
        return self._wait(costs)[0]

    def _wait(self, costs: Mapping[str, float]) -> tuple[float, str | None]:
        """:meth:`wait_needed`, and the budget that sets the wait."""
        now = self._clock.monotonic()
        wait = 0.0
        binding: str | None = None
        for name, raw in costs.items():
            cost = _cost(name, raw)
            budget = self.budgets.get(name)
            if budget is None or cost == 0:
                continue
            needed = 0.0
            cap = self._cap(name, now)
            if cap is not None and cost > cap[1] + 1e-9:
                needed = cap[0] - now
            self._expire(name, now)
            excess = self._in_window[name] + min(cost, budget.usable) - budget.usable
            if excess > 1e-9:  # wait until enough of the oldest spends leave the window
                freed = 0.0
                for when, spent in self._spends[name]:
                    freed += spent
                    if freed >= excess - 1e-9:
                        needed = max(needed, when + budget.window - now)
                        break
            if needed > wait:
                wait, binding = needed, name
        return (wait + SETTLE, binding) if wait > 0 else (0.0, None)

    def spend(self, costs: Mapping[str, float]) -> float:
        """Record ``costs`` as spent now, without waiting; returns the time stamp, for :meth:`restamp`."""
        now = self._clock.monotonic()
        for name, raw in costs.items():
            cost = _cost(name, raw)
            if name in self._spends and cost > 0:
                self._expire(name, now)
                self._spends[name].append((now, cost))
                self._in_window[name] += cost
                self.spent[name] += cost
                if (cap := self._cap(name, now)) is not None:
                    self._caps[name] = (cap[0], max(0.0, cap[1] - cost))
        return now

    def _remove(self, name: str, stamp: float, cost: float) -> bool:
        spends = self._spends[name]
        for index in range(len(spends) - 1, -1, -1):  # recent spends are at the end
            when, spent = spends[index]
            if when == stamp and spent == cost:
                del spends[index]
                self._in_window[name] -= cost
                return True
            if when < stamp:
                break
        return False  # it had left the window already

    def restamp(self, costs: Mapping[str, float], stamp: float) -> float:
        """Move the spend stamped ``stamp`` to now; returns the new stamp.

        Spend when a request is sent (it counts while in flight), restamp when its answer arrives: the
        server counted it in between, so the spend then stays in our window at least as long as in the
        server's, whatever the latency did.
        """
        now = self._clock.monotonic()
        for name, raw in costs.items():
            cost = _cost(name, raw)
            if name in self._spends and cost > 0:
                self._remove(name, stamp, cost)
                self._expire(name, now)
                self._spends[name].append((now, cost))
                self._in_window[name] += cost
        return now

    def refund(self, costs: Mapping[str, float], stamp: float) -> None:
        """Forget the spend stamped ``stamp``: the server refused the request without counting it."""
        for name, raw in costs.items():
            cost = _cost(name, raw)
            if name in self._spends and cost > 0 and self._remove(name, stamp, cost):
                self.spent[name] -= cost
                if (cap := self._cap(name, self._clock.monotonic())) is not None and cap[1] > 0:
                    self._caps[name] = (cap[0], cap[1] + cost)

    async def wait_for(self, costs: Mapping[str, float]) -> float:
        """Wait until ``costs`` fit every budget, without taking them; return the seconds waited.

        For waiting before the clock of something else starts (a call's retry time budget); the
        room can be gone again by the time it is taken, so :meth:`acquire` still follows.
        """
        waited = 0.0
        while True:
            wait, binding = self._wait(costs)
            if wait <= 0:
                break
            self._notice(wait, binding)
            await self._clock.sleep(wait)
            waited += wait
        self.waited += waited
        return waited

    def _notice(self, wait: float, binding: str | None) -> None:
        """A wait longer than :data:`LONG_WAIT` says what it waits for and how long: once per stretch, not
        once per request waiting in it."""
        if wait < LONG_WAIT or binding is None:
            return
        until = self._clock.monotonic() + wait
        if until - self._noticed_until.get(binding, -math.inf) < LONG_WAIT:
            return
        self._noticed_until[binding] = until
        _log.warning("waiting %.0fs for room in the %r budget (the tracker's rate limit), then going on", wait, binding)

    async def acquire(self, costs: Mapping[str, float]) -> float:
        """Wait until ``costs`` fit every budget, record them, and return the seconds waited.

        Cancelled while waiting, it records nothing. (:meth:`wait_for` then :meth:`spend` does the same
        and gives the spend's stamp, for :meth:`restamp` or :meth:`refund`.)
        """
        waited = await self.wait_for(costs)
        self.spend(costs)  # no await since the last check: nobody took the room in between
        return waited

    def block(self, name: str, seconds: float) -> None:
        """The server says budget ``name`` has no room for ``seconds`` (exhausted until its reset)."""
        self.cap(name, 0.0, seconds)

    def cap(self, name: str, room: float, seconds: float, *, fresh: bool = False) -> None:
        """The server says at most ``room`` more units of budget ``name`` fit in the next ``seconds`` (e.g.
        ``x-ratelimit-remaining`` until ``x-ratelimit-reset``). It tightens a cap in force, taking the
        later end and the smaller room, unless ``fresh`` (the server's window was renewed) replaces it."""
        if name not in self.budgets or not seconds > 0:
            return
        now = self._clock.monotonic()
        until, room = now + seconds, max(0.0, room)
        cap = self._cap(name, now)
        if cap is not None and not fresh:
            until, room = max(until, cap[0]), min(room, cap[1])
        self._caps[name] = (until, room)

    def set_limit(self, name: str, limit: float) -> None:
        """The server says budget ``name`` holds ``limit`` units (a token's own limit, or one found narrower).

        The margin is kept, but never more than half the new limit.
        """
        budget = self.budgets.get(name)
        if budget is None or limit == budget.limit:
            return
        margin = min(budget.margin, limit / 2)
        self.budgets[name] = attrs.evolve(budget, limit=limit, margin=margin)

    def eta(self, work: Mapping[str, float]) -> Eta:
        """The time ``work`` (units per budget) needs at the budgets' pace, from the windows as they are now.

        Spending at full pace in a sliding window, unit number ``j`` (counting the units still in the
        window first) can go out one window after unit ``j - usable``; so the last unit of the work goes
        out ``m`` windows after the unit ``m * usable`` places before it. What a server's cap leaves over
        starts afresh when the cap ends. Each budget is timed on its own; the slowest one binds.
        """
        now = self._clock.monotonic()
        best = Eta(0.0, None)
        for name, raw in work.items():
            units = _cost(name, raw)
            budget = self.budgets.get(name)
            if budget is None or units == 0:
                continue
            self._expire(name, now)
            usable = budget.usable
            last = self._in_window[name] + units  # the position of the work's last unit
            rounds = max(0, math.ceil(last / usable - 1e-9) - 1)
            base = last - rounds * usable  # in (0, usable]: the unit ``rounds`` windows before the last
            start = 0.0
            cumulative = 0.0
            for when, cost in self._spends[name]:
                cumulative += cost
                if cumulative >= base - 1e-9:
                    start = when - now
                    break
            seconds = start + rounds * budget.window
            cap = self._cap(name, now)
            if cap is not None and units > cap[1] + 1e-9:  # the rest waits for the cap to end
                after = max(0, math.ceil((units - cap[1]) / usable - 1e-9) - 1)
                seconds = max(seconds, cap[0] - now + after * budget.window)
            seconds = max(0.0, seconds)
            if seconds > best.seconds:
                best = Eta(seconds, name)
        return best
