"""Rate budgets a provider spends deliberately: wait for room before sending, never trip the limit.

A tracker's limits are budgets of units per window (GitHub: 2,000 secondary points a minute, 80
content creations a minute and 500 an hour, 5,000 primary points an hour). A :class:`BudgetTracker`
keeps a sliding window of what was spent per budget; :meth:`BudgetTracker.acquire` waits (on the
provider's clock) until a request's cost fits every budget, then records it. Waiting here is not a
failure: it happens before the request is sent, so it never uses up a retry attempt. What the server
says (``x-ratelimit-remaining`` and ``-reset``, a ``retry-after``) tightens a budget further.

:meth:`BudgetTracker.eta` turns remaining work (units per budget) into the time it needs at the
budgets' pace and names the budget that binds, which is what a progress line's ETA is made of.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from planpilot_providers_core.reliability._validation import seconds
from planpilot_providers_core.reliability.clock import SYSTEM_CLOCK, Clock

__all__ = ["Budget", "BudgetTracker", "Eta"]


def _positive(instance: Any, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"Budget.{attribute.name} must be a finite number > 0, got {value!r}")


@attrs.frozen(kw_only=True)
class Budget:
    """``limit`` units per sliding ``window`` seconds; ``margin`` units are never used (stay just under)."""

    name: str = attrs.field(validator=attrs.validators.instance_of(str))
    limit: float = attrs.field(validator=_positive)
    window: float = attrs.field(validator=_positive)
    margin: float = attrs.field(default=0.0, validator=seconds())
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


class BudgetTracker:
    """Sliding-window accounting of several budgets, shared by every request of one provider.

    Reading the windows and recording a spend happen with no ``await`` in between, so concurrent
    requests on one event loop can never both take the last unit.
    """

    def __init__(self, budgets: Iterable[Budget], *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.budgets = {budget.name: budget for budget in budgets}
        self._clock = clock
        self._spends: dict[str, collections.deque[tuple[float, float]]] = {n: collections.deque() for n in self.budgets}
        self._blocked_until: dict[str, float] = {}
        self.spent: dict[str, float] = dict.fromkeys(self.budgets, 0.0)
        """Units spent per budget over the tracker's life (for reports)."""
        self.waited = 0.0
        """Seconds requests spent waiting for room, in total."""

    def __repr__(self) -> str:
        return f"BudgetTracker({', '.join(self.budgets)})"

    def _used(self, name: str, now: float) -> float:
        spends = self._spends[name]
        window = self.budgets[name].window
        while spends and spends[0][0] <= now - window:
            spends.popleft()
        return sum(cost for _, cost in spends)

    def wait_needed(self, costs: Mapping[str, float]) -> float:
        """Seconds until ``costs`` fit every budget (0.0 when they fit now)."""
        now = self._clock.monotonic()
        wait = 0.0
        for name, cost in costs.items():
            budget = self.budgets.get(name)
            if budget is None or cost <= 0:
                continue
            wait = max(wait, self._blocked_until.get(name, -math.inf) - now)
            excess = self._used(name, now) + min(cost, budget.usable) - budget.usable
            if excess > 0:  # wait until enough of the oldest spends leave the window
                freed = 0.0
                for when, spent in self._spends[name]:
                    freed += spent
                    if freed >= excess:
                        wait = max(wait, when + budget.window - now)
                        break
        return max(0.0, wait)

    def spend(self, costs: Mapping[str, float]) -> None:
        """Record ``costs`` as spent now, without waiting."""
        now = self._clock.monotonic()
        for name, cost in costs.items():
            if name in self._spends and cost > 0:
                self._spends[name].append((now, cost))
                self.spent[name] += cost

    async def acquire(self, costs: Mapping[str, float]) -> float:
        """Wait until ``costs`` fit every budget, record them, and return the seconds waited."""
        waited = 0.0
        while (wait := self.wait_needed(costs)) > 0:
            await self._clock.sleep(wait)
            waited += wait
        self.spend(costs)
        self.waited += waited
        return waited

    def block(self, name: str, seconds: float) -> None:
        """The server says budget ``name`` has no room for ``seconds`` (exhausted until its reset)."""
        if name in self.budgets and seconds > 0:
            until = self._clock.monotonic() + seconds
            self._blocked_until[name] = max(self._blocked_until.get(name, -math.inf), until)

    def eta(self, work: Mapping[str, float]) -> Eta:
        """The time ``work`` (units per budget) needs at the budgets' pace, from the windows as they are now.

        Spending at full pace in a sliding window, unit number ``j`` (counting the units still in the
        window) can go out one window after unit ``j - limit``; so the last unit of the work goes out
        ``m`` windows after the unit ``m * limit`` places before it.
        """
        now = self._clock.monotonic()
        best = Eta(0.0, None)
        for name, units in work.items():
            budget = self.budgets.get(name)
            if budget is None or units <= 0:
                continue
            self._used(name, now)  # drops what left the window
            # When each unit still in the window was spent (seconds before now), oldest first.
            per_unit = [when - now for when, cost in self._spends[name] for _ in range(max(1, round(cost)))]
            usable = max(1, int(budget.usable))
            last = len(per_unit) + math.ceil(units)
            rounds = (last - 1) // usable
            base = last - rounds * usable
            start = per_unit[base - 1] if base <= len(per_unit) else 0.0
            seconds = max(0.0, start + rounds * budget.window, self._blocked_until.get(name, -math.inf) - now)
            if seconds > best.seconds:
                best = Eta(seconds, name)
        return best
