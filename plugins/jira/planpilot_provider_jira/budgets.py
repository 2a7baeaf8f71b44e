"""Jira Cloud's rate limits as budgets core's tracker paces every request by (Atlassian, "Rate limiting").

* **Burst**: requests per second per method and endpoint (GET 100, POST 100, PUT 50, DELETE 50). Declared per
  method, which is stricter than per endpoint: the provider never needs the whole of any endpoint's rate.
* **Per-issue writes**: 20 writes to one issue per 2 s and 100 per 30 s: :class:`IssueWritePacer`, one small
  budget tracker per issue written.
* **Points quota** (OAuth 2.0 apps only; API-token traffic is not affected): points per hour, a write 1, a read
  1 plus 1 per issue it returns, which a request states as its cost (``COST_EXTENSION``). Once an app has used
  most of it, Jira's answers say what is left (``RateLimit: "global-app-quota";r=<points>;t=<seconds>``): the
  budget is capped by that until the window resets, so points spent elsewhere with the same app count too.

Every 429 (whatever its ``RateLimit-Reason``) is refunded and blocks the budgets it cost for its ``Retry-After``
(core's ``RequestBudgets``); the retry sends it again after the wait.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

import httpx

from planpilot_providers_core import Estimate, Workload
from planpilot_providers_core.reliability import (
    COST_EXTENSION,
    SYSTEM_CLOCK,
    Budget,
    BudgetTracker,
    Clock,
    RequestBudgets,
)

__all__ = [
    "BURST_RATES",
    "POINTS",
    "IssueWritePacer",
    "JiraRequestBudgets",
    "budget_name",
    "estimate_workload",
    "jira_budgets",
    "read_cost",
]

BURST_RATES: Final = {"GET": 100.0, "POST": 100.0, "PUT": 50.0, "DELETE": 50.0}
"""Jira's steady-state requests per second per method (each endpoint has its own bucket at least this large)."""
POINTS: Final = "points per hour"
PER_ISSUE: Final = ((20, 2.0), (100, 30.0))
"""Writes to one issue: at most 20 per 2 seconds and 100 per 30 seconds."""
_WRITES: Final = frozenset({"POST", "PUT", "DELETE", "PATCH"})


def budget_name(method: str) -> str:
    return f"{method} requests per second"


def read_cost(issues: int) -> dict[str, float]:
    """The cost a read states: 1 point plus 1 per issue it may return (``COST_EXTENSION``)."""
    return {POINTS: 1.0 + max(0, issues)}


def _cost(request: httpx.Request) -> Mapping[str, float]:
    method = request.method.upper()
    costs = {budget_name(method): 1.0} if method in BURST_RATES else {}
    told = request.extensions.get(COST_EXTENSION)
    points = told.get(POINTS) if isinstance(told, Mapping) else None
    costs[POINTS] = float(points) if isinstance(points, int | float) else (1.0 if method in _WRITES else 2.0)
    return costs


_QUOTA_STATE: Final = re.compile(r'"(?:global|tenant)-app-quota"\s*;([^,]*)')
"""The quota's entry in a ``RateLimit`` header (several policies may be listed, in any order)."""


class JiraRequestBudgets(RequestBudgets):
    """Core's request budgets, also narrowed by Jira's structured quota header (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._quota_reset: float | None = None

    def observe(self, response: httpx.Response) -> None:
        super().observe(response)
        entry = _QUOTA_STATE.search(response.headers.get("ratelimit", ""))
        if entry is None:
            return
        values = dict(part.strip().split("=", 1) for part in entry.group(1).split(";") if "=" in part)
        try:
            remaining, seconds = float(values["r"]), float(values["t"])
        except (KeyError, ValueError):
            return  # no "r": "your app is well within its limits"
        reset = self.clock.time() + seconds
        fresh = self._quota_reset is None or reset > self._quota_reset + 0.5  # a new hour: the old cap is void
        self.tracker.cap(POINTS, remaining, seconds + 1.0, fresh=fresh)
        self._quota_reset = reset if self._quota_reset is None else max(reset, self._quota_reset)


def jira_budgets(*, quota_points: int | None, clock: Clock = SYSTEM_CLOCK) -> RequestBudgets:
    """Jira's published limits, each kept 10 % under; the points quota only when ``quota_points`` is given."""
    budgets = [
        Budget(name=budget_name(method), limit=rate, window=1.0, margin=rate / 10)
        for method, rate in BURST_RATES.items()
    ]
    # Without a quota the points are still counted (for the report), against a budget that never binds.
    points = float(quota_points) if quota_points is not None else 1e12
    budgets.append(Budget(name=POINTS, limit=points, window=3600.0, margin=points / 100))
    return JiraRequestBudgets(budgets, cost=_cost, clock=clock)


def estimate_workload(budgets: RequestBudgets, work: Workload, *, bulk: int) -> Estimate:
    """How long ``work`` takes at Jira's pace: a create is a share of a bulk create (``bulk`` per request),
    an update a PUT and its share of a batched read, a relation write one POST or DELETE."""
    creates = -(-work.creates // max(1, bulk)) if work.creates else 0
    updates_read = -(-work.updates // 100) if work.updates else 0
    units = {
        budget_name("POST"): float(creates + work.relation_writes),
        budget_name("PUT"): float(work.updates),
        budget_name("GET"): float(updates_read + work.reads),
        POINTS: float(work.creates + work.updates * 2 + work.relation_writes + work.reads * 2),
    }
    return budgets.estimate(units)


class IssueWritePacer:
    """Keeps the writes to each issue under Jira's per-issue limits (20 per 2 s, 100 per 30 s)."""

    def __init__(self, *, clock: Clock = SYSTEM_CLOCK, limits: Iterable[tuple[int, float]] = PER_ISSUE) -> None:
        self._clock = clock
        self._limits = tuple(limits)
        self._trackers: dict[str, BudgetTracker] = {}

    def _tracker(self, key: str) -> BudgetTracker:
        tracker = self._trackers.get(key)
        if tracker is None:
            budgets = [
                Budget(
                    name=f"writes per {seconds:g} s", limit=float(limit), window=seconds, margin=max(1.0, limit / 10)
                )
                for limit, seconds in self._limits
            ]
            tracker = self._trackers[key] = BudgetTracker(budgets, clock=self._clock)
        return tracker

    async def turn(self, issues: Iterable[str]) -> None:
        """Wait until one more write to each of ``issues`` fits its limits, and count it."""
        for key in dict.fromkeys(issues):
            tracker = self._tracker(key)
            await tracker.acquire(dict.fromkeys(tracker.budgets, 1.0))
