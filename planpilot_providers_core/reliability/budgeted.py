"""Pacing any HTTP provider by its tracker's published limits: declare the budgets, name the rate-limit
headers, and every request waits for room before it goes, so the run stays under the limits and can say how
long it will take.

A plugin declares what its tracker publishes (Jira: requests per second per endpoint and points per hour;
Linear: 2,500 requests and 3,000,000 complexity points an hour) as :class:`Budget` windows, says what one
request costs (default: one unit of each budget), and names the headers that tell what is left
(:class:`RateLimitHeaders`). :class:`RequestBudgets` then, for every request of the provider's
``PooledClient`` (``PooledClient(config, budgets=...)``):

* waits until the request's units fit every budget (on the provider's clock, holding no connection slot),
  records them when it goes and again when its answer comes (the server counted it in between);
* reads the headers: a limit lower than declared narrows the budget, ``remaining`` until ``reset`` caps it
  (what the same credential spent elsewhere is not spent twice);
* on a 429 (or a 403 that says it is a rate limit, or what ``refusal`` recognises: Linear's HTTP 400
  ``RATELIMITED``) refunds the request's units, counts a limit response and blocks the budgets for the
  ``Retry-After`` wait; the retry (``retry_call``) sends it again after the wait.

With it, ``Provider.estimate`` is :meth:`RequestBudgets.estimate` of the work's units (the sync's progress
line shows the ETA, ``check PLAN`` the estimate) and ``Provider.budget_report`` is :meth:`RequestBudgets.report`
(``--json``'s ``"budget"``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Final, Literal

import attrs
import httpx

from planpilot_providers_core.contracts import Estimate
from planpilot_providers_core.reliability.budget import Budget, BudgetTracker
from planpilot_providers_core.reliability.clock import SYSTEM_CLOCK, Clock
from planpilot_providers_core.reliability.headers import parse_retry_after

__all__ = [
    "COST_EXTENSION",
    "BudgetedTransport",
    "RateLimitHeaders",
    "Refill",
    "RequestBudgets",
    "ResetFormat",
    "budget_report",
]

ResetFormat = Literal["epoch", "epoch-ms", "iso8601", "seconds"]
"""How a reset header is written: Unix seconds (GitHub), Unix milliseconds (Linear), an ISO 8601 instant
(Jira's ``X-RateLimit-Reset``), or seconds from now."""

Refill = Literal["reset", "steady"]
"""How a tracker's budget comes back: all at once at the reset (a fixed window: GitHub, Jira), or steadily at
``limit / window`` a second (a leaky bucket: Linear, whose reset is when the bucket is full again)."""

RESET_SLACK: Final = 1.0
"""Seconds added to a reset instant, which servers round down to a whole second (or minute)."""
_LONGEST_CAP: Final = 86_400.0


def _header(name: str | None) -> str | None:
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ValueError(f"a rate-limit header name must be non-empty text, got {name!r}")
    return None if name is None else name.strip().lower()


@attrs.frozen(kw_only=True)
class RateLimitHeaders:
    """Where a tracker's answers say how much of one budget is left.

    ``limit`` names the header with the budget's size (a smaller one than declared narrows it), ``remaining``
    the units left until the instant in ``reset`` (``reset_format``). Any of them may be absent.
    """

    budget: str = attrs.field(validator=attrs.validators.instance_of(str))
    limit: str | None = attrs.field(default=None, converter=_header)
    remaining: str | None = attrs.field(default=None, converter=_header)
    reset: str | None = attrs.field(default=None, converter=_header)
    reset_format: ResetFormat = attrs.field(
        default="epoch", validator=attrs.validators.in_(("epoch", "epoch-ms", "iso8601", "seconds"))
    )
    refill: Refill = attrs.field(default="reset", validator=attrs.validators.in_(("reset", "steady")))
    """``"reset"``: ``remaining`` holds until the reset. ``"steady"``: a leaky bucket, where ``remaining`` grows by
    one unit every ``window / limit`` seconds: it caps the budget only that long (each answer says it again),
    so a bucket that is nearly empty until it is full again an hour later is not taken for an hour's block."""

    def seconds_to_reset(self, headers: httpx.Headers, now: float) -> float | None:
        """Seconds from ``now`` (epoch seconds) until the reset the headers announce; ``None`` if unreadable."""
        text = headers.get(self.reset) if self.reset else None
        if text is None:
            return None
        text = text.strip()
        try:
            if self.reset_format == "iso8601":
                when = datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
            else:
                number = float(text)
                if self.reset_format == "seconds":
                    return number if math.isfinite(number) and number >= 0 else None
                when = number / 1000 if self.reset_format == "epoch-ms" else number
        except ValueError:
            return None
        return when - now if math.isfinite(when) else None

    def narrow(
        self,
        tracker: BudgetTracker,
        headers: httpx.Headers,
        now: float,
        *,
        last_reset: float | None,
        in_flight: float = 0.0,
        longest: float = _LONGEST_CAP,
    ) -> float | None:
        """Narrow ``tracker``'s budget by one answer's headers; returns the latest reset instant seen (epoch
        seconds), to pass back as ``last_reset`` with the next answer.

        A limit below the declared one lowers the budget; ``remaining`` (less ``in_flight`` units the server
        has not counted yet) caps it until the reset. A cap tightens the one in force unless the reset moved
        on (a new window); while a refusal blocks the budget, the headers wait (the block's end rules). With
        ``refill="steady"`` the cap lasts until one more unit has come back, and each answer replaces it.
        """
        limit = _number(headers.get(self.limit)) if self.limit else None
        if limit is not None and 0 < limit < tracker.budgets[self.budget].limit:
            tracker.set_limit(self.budget, limit)
        remaining = _number(headers.get(self.remaining)) if self.remaining else None
        seconds = self.seconds_to_reset(headers, now)
        if remaining is None or seconds is None or tracker.blocked_for(self.budget) > 0:
            return last_reset
        reset = now + seconds
        if self.refill == "steady":
            budget = tracker.budgets[self.budget]
            tracker.cap(self.budget, remaining - in_flight, budget.window / budget.limit, fresh=True)
            return reset
        fresh = last_reset is None or reset > last_reset + 0.5  # a new window: the old cap is void
        tracker.cap(self.budget, remaining - in_flight, min(seconds, longest) + RESET_SLACK, fresh=fresh)
        return reset if last_reset is None else max(reset, last_reset)


def budget_report(tracker: BudgetTracker, *, requests: int, limit_responses: int) -> dict[str, float]:
    """What a run spent, for its summary and ``--json``'s ``"budget"``: units per budget, requests, limit
    responses met and seconds waited for budgets."""
    report: dict[str, float] = dict(tracker.spent)
    report["requests"] = requests
    report["limit responses"] = limit_responses
    report["seconds waited for budgets"] = round(tracker.waited, 3)
    return report


def _number(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        return None
    return value if math.isfinite(value) else None


COST_EXTENSION: Final = "planpilot.budget_cost"
"""The httpx request extension that carries a request's cost per budget, for the default cost function:
``client.request(op, "POST", url, json=..., extensions={COST_EXTENSION: {"complexity points per hour": 120}})``
(Linear's query complexity, Jira's points): budgets it does not name cost one unit."""


def _one_each(budgets: Mapping[str, Budget]) -> Callable[[httpx.Request], Mapping[str, float]]:
    units = dict.fromkeys(budgets, 1.0)

    def cost(request: httpx.Request) -> Mapping[str, float]:
        told = request.extensions.get(COST_EXTENSION)
        return {**units, **told} if isinstance(told, Mapping) else units

    return cost


class RequestBudgets:
    """The budgets one provider spends, per request: pass it to ``PooledClient(config, budgets=...)``."""

    def __init__(
        self,
        budgets: Iterable[Budget],
        *,
        cost: Callable[[httpx.Request], Mapping[str, float]] | None = None,
        headers: Iterable[RateLimitHeaders] = (),
        refusal: Callable[[httpx.Response], bool] | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.tracker = BudgetTracker(budgets, clock=clock)
        self.clock = clock
        self.cost = cost or _one_each(self.tracker.budgets)
        """Units a request spends, per budget name (default: what the request's :data:`COST_EXTENSION` says,
        one unit of every other budget)."""
        self.headers = tuple(headers)
        unknown = [h.budget for h in self.headers if h.budget not in self.tracker.budgets]
        if unknown:
            raise ValueError(f"RateLimitHeaders name budgets that are not declared: {', '.join(unknown)}")
        self.refusal = refusal
        """Tells a rate-limit refusal answered otherwise than 429 (Linear: HTTP 400 with ``RATELIMITED`` in the
        body, read before it is asked); a 429, or a 403 that says it is a rate limit, always is one."""
        self.requests = 0
        """Requests sent (refused ones included)."""
        self.limit_responses = 0
        """Refusals met (429, or a 403 that says it is a rate limit)."""
        self._resets: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"RequestBudgets({', '.join(self.tracker.budgets)})"

    def wrap(self, transport: httpx.AsyncBaseTransport) -> BudgetedTransport:
        """``transport`` with every request paced by these budgets (``PooledClient`` does this)."""
        return BudgetedTransport(transport, self)

    def observe(self, response: httpx.Response) -> None:
        """Narrow the budgets by what the answer's rate-limit headers say."""
        now = self.clock.time()
        for spec in self.headers:
            last = self._resets.get(spec.budget)
            reset = spec.narrow(self.tracker, response.headers, now, last_reset=last)
            if reset is not None:
                self._resets[spec.budget] = reset

    def refused(self, response: httpx.Response, costs: Mapping[str, float], stamp: float) -> None:
        """A rate-limit refusal: not counted by the server, and no room until its wait is over."""
        self.limit_responses += 1
        self.tracker.refund(costs, stamp)
        wait = parse_retry_after(response.headers.get("retry-after"), now=self.clock.time)
        if wait is None or wait <= 0:
            return
        for name, units in costs.items():
            if name in self.tracker.budgets and units > 0:
                # Replaces a cap from the headers: the server's Retry-After, not the window's reset, says when.
                self.tracker.cap(name, 0.0, wait, fresh=True)

    def estimate(self, units: Mapping[str, float]) -> Estimate:
        """How long work costing ``units`` (per budget) takes at the budgets' pace, from the windows as now."""
        known = {name: float(value) for name, value in units.items() if name in self.tracker.budgets}
        eta = self.tracker.eta(known)
        return Estimate(seconds=eta.seconds, binding=eta.binding, units={k: round(v, 2) for k, v in known.items()})

    def report(self) -> dict[str, float]:
        """Units spent per budget, requests, limit responses met and seconds waited for budgets."""
        return budget_report(self.tracker, requests=self.requests, limit_responses=self.limit_responses)


def _rate_limited(response: httpx.Response) -> bool:
    if response.status_code == 429:
        return True
    headers = response.headers
    return response.status_code == 403 and (
        "retry-after" in headers or headers.get("x-ratelimit-remaining", "").strip() == "0"
    )


async def _refused(response: httpx.Response, refusal: Callable[[httpx.Response], bool] | None) -> bool:
    if _rate_limited(response):
        return True
    if refusal is None or 200 <= response.status_code < 300:
        return False
    await response.aread()  # an error answer is small; the client reads the same bytes again
    return refusal(response)


class BudgetedTransport(httpx.AsyncBaseTransport):
    """Waits for room in every budget a request costs, then sends it; learns from the answer."""

    def __init__(self, inner: httpx.AsyncBaseTransport, budgets: RequestBudgets) -> None:
        self._inner = inner
        self._budgets = budgets

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        budgets = self._budgets
        tracker = budgets.tracker
        costs = budgets.cost(request)
        await tracker.wait_for(costs)
        stamp = tracker.spend(costs)  # no await since the room was there: nobody took it in between
        budgets.requests += 1
        try:
            response = await self._inner.handle_async_request(request)
        except BaseException:
            tracker.restamp(costs, stamp)  # it may have been counted: keep it a whole window
            raise
        stamp = tracker.restamp(costs, stamp)
        budgets.observe(response)
        if await _refused(response, budgets.refusal):
            budgets.refused(response, costs, stamp)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
