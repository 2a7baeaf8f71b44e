"""Linear's rate limits: requests and complexity points per hour as leaky buckets, a per-endpoint limit on
``searchIssues``, the headers every answer carries, and the ``RATELIMITED`` refusal.

Facts (https://linear.app/developers/rate-limiting, notes/linear-api.md §6):

* budgets per user (all of a user's API keys share them): API key 2,500 requests and 3,000,000 complexity
  points an hour; OAuth app 5,000 and 2,000,000 (§6.1, [2nd] verified 2026-09-27). The emulator has one user,
  so every request with the same kind of credential spends the same buckets;
* "leaky bucket ... tokens are refilled with a constant rate of LIMIT_AMOUNT / LIMIT_PERIOD" (§6.1): room
  comes back continuously, not in one lump at a reset;
* ``searchIssues`` is limited to 30 requests a minute on its own [sdl], reported with the
  ``X-RateLimit-Endpoint-*`` headers (§6.1, §6.3);
* headers: ``X-RateLimit-Requests-Limit/-Remaining/-Reset``, ``X-Complexity`` (this query's cost),
  ``X-RateLimit-Complexity-Limit/-Remaining/-Reset``; resets are UTC epoch **milliseconds** (§6.3). A reset
  here is when the bucket would be full again [inferred: the docs only say "reset time"];
* a refused request is answered with HTTP 400 and ``extensions.code: "RATELIMITED"`` (``statusCode: 429``,
  as observed), nothing is applied and nothing is spent (§6.4).
"""

from __future__ import annotations

import enum
import math
import threading
from collections.abc import Callable
from typing import Any

from attrs import field, frozen, validators

from planpilot_providers_core.emulation import TokenBucket

__all__ = [
    "AuthKind",
    "LimitKind",
    "LinearLimits",
    "RateLimiter",
    "bucket_headers",
    "rate_limited_body",
]


class AuthKind(enum.StrEnum):
    """How a request authenticated: which budgets it spends."""

    API_KEY = "api_key"
    OAUTH = "oauth"


class LimitKind(enum.StrEnum):
    """Which budget refused a request."""

    REQUESTS = "requests"
    COMPLEXITY = "complexity"
    ENDPOINT = "endpoint"


@frozen
class LinearLimits:
    """The budgets of one kind of credential, per ``period`` seconds, and the per-request complexity cap."""

    requests: int = field(default=2_500, validator=validators.gt(0))
    complexity: int = field(default=3_000_000, validator=validators.gt(0))
    period: float = field(default=3600.0, validator=validators.gt(0.0))
    max_complexity: int = field(default=10_000, validator=validators.gt(0))
    search_requests: int = field(default=30, validator=validators.gt(0))
    search_period: float = field(default=60.0, validator=validators.gt(0.0))

    @classmethod
    def api_key(cls) -> LinearLimits:
        return cls()

    @classmethod
    def oauth(cls) -> LinearLimits:
        return cls(requests=5_000, complexity=2_000_000)


ENDPOINT_LIMITED = {"searchIssues": "searchIssues", "semanticSearch": "semanticSearch"}
"""Query fields with a limit of their own [sdl: "Rate-limited to 30 requests per minute"]."""


def bucket_headers(bucket: TokenBucket, prefix: str, now: float) -> dict[str, str]:
    """``<prefix>-Limit``, ``-Remaining`` (whole units) and ``-Reset``: epoch milliseconds at which the bucket is
    full again."""
    return {
        f"{prefix}-Limit": str(int(bucket.capacity)),
        f"{prefix}-Remaining": str(max(0, math.floor(bucket.remaining(now)))),
        f"{prefix}-Reset": str(math.ceil((now + bucket.full_in(now)) * 1000)),
    }


class RateLimiter:
    """The buckets of each kind of credential, created on first use; thread-safe."""

    def __init__(self, limits: Callable[[AuthKind], LinearLimits], time: Callable[[], float]) -> None:
        self._limits = limits
        self._time = time
        self._lock = threading.Lock()
        self._buckets: dict[tuple[AuthKind, str], TokenBucket] = {}

    def limits(self, kind: AuthKind) -> LinearLimits:
        return self._limits(kind)

    def _bucket(self, kind: AuthKind, name: str) -> TokenBucket:
        """Linear's leaky bucket: ``capacity`` refilled at ``capacity / period`` a second, full at first use."""
        key = (kind, name)
        if key not in self._buckets:
            limits = self._limits(kind)
            if name == LimitKind.REQUESTS:
                capacity, period = limits.requests, limits.period
            elif name == LimitKind.COMPLEXITY:
                capacity, period = limits.complexity, limits.period
            else:
                capacity, period = limits.search_requests, limits.search_period
            self._buckets[key] = TokenBucket(rate=capacity / period, capacity=float(capacity))
        return self._buckets[key]

    def admit(self, kind: AuthKind, points: int, endpoint: str | None) -> tuple[LimitKind | None, dict[str, str]]:
        """Spend one request, ``points`` complexity points and (for ``endpoint``) one endpoint request, or
        nothing when any budget lacks room; returns (the refusing budget or None, the headers to send)."""
        with self._lock:
            now = self._time()
            requests = self._bucket(kind, LimitKind.REQUESTS)
            points_bucket = self._bucket(kind, LimitKind.COMPLEXITY)
            own = self._bucket(kind, endpoint) if endpoint else None
            refused: LimitKind | None = None
            if requests.remaining(now) < 1:
                refused = LimitKind.REQUESTS
            elif points_bucket.remaining(now) < points:
                refused = LimitKind.COMPLEXITY
            elif own is not None and own.remaining(now) < 1:
                refused = LimitKind.ENDPOINT
            if refused is None:
                requests.take(now, 1)
                points_bucket.take(now, points)
                if own is not None:
                    own.take(now, 1)
            headers = {
                **bucket_headers(requests, "X-RateLimit-Requests", now),
                "X-Complexity": str(points),
                **bucket_headers(points_bucket, "X-RateLimit-Complexity", now),
            }
            if own is not None and endpoint is not None:
                headers.update(bucket_headers(own, "X-RateLimit-Endpoint-Requests", now))
                headers["X-RateLimit-Endpoint-Name"] = endpoint
            return refused, headers

    def headers(self, kind: AuthKind) -> dict[str, str]:
        """The current budget headers without spending anything (answers refused before admission)."""
        with self._lock:
            now = self._time()
            return {
                **bucket_headers(self._bucket(kind, LimitKind.REQUESTS), "X-RateLimit-Requests", now),
                **bucket_headers(self._bucket(kind, LimitKind.COMPLEXITY), "X-RateLimit-Complexity", now),
            }

    def exhaust(self, kind: AuthKind, budget: LimitKind) -> None:
        """Empty one budget now (an injected rate limit: later requests wait for the refill too)."""
        with self._lock:
            now = self._time()
            self._bucket(kind, budget if budget is not LimitKind.ENDPOINT else "searchIssues").drain(now)

    def status(self, kind: AuthKind) -> list[dict[str, Any]]:
        """``rateLimitStatus.limits``: each budget's amounts; ``period`` and ``reset`` in milliseconds [sdl]."""
        with self._lock:
            now = self._time()
            limits = self._limits(kind)
            rows = []
            for name, period in ((LimitKind.REQUESTS, limits.period), (LimitKind.COMPLEXITY, limits.period)):
                bucket = self._bucket(kind, name)
                rows.append(
                    {
                        "type": f"{name.value}Limit",
                        "allowedAmount": bucket.capacity,
                        "remainingAmount": float(max(0, math.floor(bucket.remaining(now)))),
                        "requestedAmount": 1.0 if name is LimitKind.REQUESTS else 0.0,
                        "period": period * 1000,
                        "reset": float(math.ceil((now + bucket.full_in(now)) * 1000)),
                    }
                )
            return rows


RATE_LIMIT_MESSAGE = "Rate limit exceeded"


def rate_limited_body() -> dict[str, Any]:
    """The body of the 400 answer to a request a budget refused: only what has been observed (§6.4), so a
    client keyed on the SDK's ``extensions.type`` (absent here) is caught out as it would be by Linear."""
    return {"errors": [{"message": RATE_LIMIT_MESSAGE, "extensions": {"code": "RATELIMITED", "statusCode": 429}}]}
