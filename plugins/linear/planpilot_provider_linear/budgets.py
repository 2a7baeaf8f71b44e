"""Linear's rate limits as core budgets: requests and complexity points per hour, paced before sending.

Facts (https://linear.app/developers/rate-limiting; notes/linear-api.md §6):

* per user, an hour: an API key 2,500 requests and 3,000,000 complexity points, an OAuth app 5,000 and
  2,000,000. The limits change: every answer says what is left (``X-RateLimit-Requests-*``,
  ``X-RateLimit-Complexity-*``, resets in epoch milliseconds), and the headers narrow the budgets;
* a leaky bucket "refilled with a constant rate of LIMIT_AMOUNT / LIMIT_PERIOD": room comes back unit by
  unit, so a low ``remaining`` caps a budget only until the next unit is back (``refill="steady"``);
* a refusal is HTTP 400 with ``extensions.code: "RATELIMITED"`` (:func:`.errors.is_rate_limited`), not 429;
* each request states its own complexity (:mod:`.complexity`) through core's ``COST_EXTENSION``.

:func:`workload_units` turns the work a sync still has into these units, for ``Provider.estimate``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

import httpx

from planpilot_providers_core.contracts import Workload
from planpilot_providers_core.reliability import Budget, Clock, RateLimitHeaders, RequestBudgets

__all__ = [
    "API_KEY_LIMITS",
    "COMPLEXITY",
    "HEADERS",
    "LIMIT_PERIOD",
    "OAUTH_LIMITS",
    "REQUESTS",
    "linear_budgets",
    "workload_units",
]

RefusalCheck = Callable[[httpx.Response], bool]

REQUESTS: Final = "requests per hour"
COMPLEXITY: Final = "complexity points per hour"
LIMIT_PERIOD: Final = 3600.0
"""Linear's budgets are per hour."""
API_KEY_LIMITS: Final = (2_500, 3_000_000)
OAUTH_LIMITS: Final = (5_000, 2_000_000)
"""(requests, complexity points) an hour, by kind of credential."""

HEADERS: Final = (
    RateLimitHeaders(
        budget=REQUESTS,
        limit="X-RateLimit-Requests-Limit",
        remaining="X-RateLimit-Requests-Remaining",
        reset="X-RateLimit-Requests-Reset",
        reset_format="epoch-ms",
        refill="steady",
    ),
    RateLimitHeaders(
        budget=COMPLEXITY,
        limit="X-RateLimit-Complexity-Limit",
        remaining="X-RateLimit-Complexity-Remaining",
        reset="X-RateLimit-Complexity-Reset",
        reset_format="epoch-ms",
        refill="steady",
    ),
)

# What the sync's remaining work costs, by kind of call (measured on the emulator; see the tests).
CREATE_POINTS: Final = 10
"""An ``issueCreate`` (or one issue of an ``issueBatchCreate``) with the issue's fields read back."""
READ_POINTS: Final = 8
"""One issue read (``IssueById``, or its share of ``IssuesByIds``)."""
RELATION_READ_POINTS: Final = 97
"""One issue's parent and relations (its share of ``IssueRelations`` at 20 relations of each kind)."""
UPDATE_POINTS: Final = 10
RELATION_WRITE_POINTS: Final = 5


def linear_budgets(
    *, requests: int, complexity: int, refusal: RefusalCheck, clock: Clock, margin: float = 0.01
) -> RequestBudgets:
    """Linear's two hourly budgets, ``margin`` of each kept free, narrowed by what its answers say is left."""
    return RequestBudgets(
        (
            Budget(name=REQUESTS, limit=requests, window=LIMIT_PERIOD, margin=math.ceil(requests * margin)),
            Budget(name=COMPLEXITY, limit=complexity, window=LIMIT_PERIOD, margin=math.ceil(complexity * margin)),
        ),
        headers=HEADERS,
        refusal=refusal,
        clock=clock,
    )


def workload_units(work: Workload, *, batch_size: int, creates_per_request: float = 1.0) -> dict[str, float]:
    """Requests and complexity points ``work`` costs: creates ``creates_per_request`` to a request (those that
    come together go as one ``issueBatchCreate``); updates ``batch_size`` to a request after one read per
    ``batch_size``; relation writes likewise, after their batched read."""
    batches = math.ceil(work.updates / batch_size) if work.updates else 0
    relation_batches = math.ceil(work.relation_writes / batch_size) if work.relation_writes else 0
    creates = math.ceil(work.creates / max(1.0, creates_per_request)) if work.creates else 0
    requests = creates + 2 * batches + 2 * relation_batches + work.reads
    points = (
        work.creates * CREATE_POINTS
        + work.updates * (READ_POINTS + UPDATE_POINTS)
        + work.relation_writes * (RELATION_READ_POINTS + RELATION_WRITE_POINTS)
        + work.reads * READ_POINTS
    )
    return {REQUESTS: float(requests), COMPLEXITY: float(points)}
