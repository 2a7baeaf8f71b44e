"""Jira Cloud's three rate limiters (Atlassian, "Rate limiting", notes §7): each answers HTTP 429 with
``Retry-After`` and says which one it was in ``RateLimit-Reason``.

* **Burst** (``jira-burst-based``): a token bucket per (method, path template), refilled at the steady-state rate
  (GET 100/s, POST 100/s, PUT 50/s, DELETE 50/s; GET issue 150/s, POST approximate-count 150/s). The bucket's size
  is not published; ``burst_seconds`` sizes it as that many seconds of refill.
* **Per-issue writes** (``jira-per-issue-on-write``): 20 writes to one issue per 2 s and 100 per 30 s.
* **Points quota** (``jira-quota-global-based``): points per hour, reset at the top of each UTC hour; a write costs
  1 point, a read 1 plus 1 per issue it returns. It applies to OAuth 2.0 (app) traffic only: "API token-based
  traffic is not affected" (``quota_applies_to_basic`` changes that).

A refused request applies nothing and spends nothing. Headers: ``X-RateLimit-Limit``/``X-RateLimit-Remaining``
for the endpoint's bucket on every answer, ``RateLimit-Policy``/``RateLimit`` and ``X-RateLimit-NearLimit`` for the
quota; on a 429 also ``X-RateLimit-Reset`` (ISO 8601) and ``RateLimit-Reason``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs
from attrs import field, frozen

from planpilot_providers_core.emulation import SlidingWindow, TokenBucket

__all__ = ["Admission", "JiraLimits", "LimitLedger", "Reason", "reset_text"]


class Reason:
    """The ``RateLimit-Reason`` values Jira sends (and the keys of ``stats.limited``)."""

    BURST = "jira-burst-based"
    PER_ISSUE = "jira-per-issue-on-write"
    QUOTA = "jira-quota-global-based"


def _positive(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"JiraLimits.{attribute.name} must be a positive number; got {value!r}")


def _rates(value: Mapping[str, float]) -> dict[str, float]:
    rates = dict(value)
    for key, rate in rates.items():
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
            raise ValueError(f"JiraLimits: the rate of {key!r} must be a positive number; got {rate!r}")
    return rates


def _windows(value: Iterable[tuple[int, float]]) -> tuple[tuple[int, float], ...]:
    windows = tuple((int(limit), float(seconds)) for limit, seconds in value)
    if any(limit < 1 or seconds <= 0 for limit, seconds in windows):
        raise ValueError(f"JiraLimits.per_issue_writes takes (writes >= 1, seconds > 0) pairs; got {windows!r}")
    return windows


@frozen(kw_only=True)
class JiraLimits:
    """Which limits the emulator enforces; ``JiraLimits()`` is Jira's published numbers for API-token traffic."""

    burst_rates: Mapping[str, float] = field(
        factory=lambda: {"GET": 100.0, "POST": 100.0, "PUT": 50.0, "DELETE": 50.0}, converter=_rates
    )
    """Requests per second per method, for every endpoint."""
    endpoint_rates: Mapping[str, float] = field(
        factory=lambda: {
            "GET /rest/api/3/issue/{issueIdOrKey}": 150.0,
            "POST /rest/api/3/search/approximate-count": 150.0,
        },
        converter=_rates,
    )
    """Overrides by ``"METHOD /path/template"``."""
    burst_seconds: float = field(default=1.0, validator=_positive)
    per_issue_writes: tuple[tuple[int, float], ...] = field(default=((20, 2.0), (100, 30.0)), converter=_windows)
    quota_points: int | None = None
    """Points per hour (Tier 1, the global app pool: 65,000); None: no quota."""
    quota_applies_to_basic: bool = False

    @classmethod
    def with_quota(cls, points: int = 65000, **changes: Any) -> JiraLimits:
        """Jira's limits plus the hourly points quota an OAuth 2.0 app gets (Tier 1 by default)."""
        return cls(quota_points=points, **changes)

    def replace(self, **changes: Any) -> JiraLimits:
        return attrs.evolve(self, **changes)

    def rate(self, method: str, template: str) -> float:
        return self.endpoint_rates.get(f"{method} {template}") or self.burst_rates.get(method, 100.0)


@frozen
class Admission:
    """The verdict: ``reason`` None when admitted; ``retry_after`` seconds; ``headers`` for the answer."""

    reason: str | None
    retry_after: float
    headers: Mapping[str, str]
    points: int = 0


def reset_text(epoch: float) -> str:
    """``X-RateLimit-Reset``'s form: ISO 8601 in UTC, to the second (``2026-03-26T16:00:05Z``)."""
    return datetime.fromtimestamp(math.ceil(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class LimitLedger:
    """The live limiters of one emulator; callers hold the emulator lock."""

    def __init__(self, limits: JiraLimits, time_source: Callable[[], float]) -> None:
        self.limits = limits
        self.time = time_source
        self._buckets: dict[str, TokenBucket] = {}
        self._issues: dict[str, list[SlidingWindow]] = {}
        self._quota_used = 0
        self._quota_hour = -1

    def admit(self, method: str, template: str, *, issues: Iterable[str], points: int, oauth: bool) -> Admission:
        """Check the burst bucket, then every written issue's windows, then the quota; charge all or nothing."""
        now = self.time()
        limits = self.limits
        route = f"{method} {template}"
        rate = limits.rate(method, template)
        bucket = self._buckets.get(route)
        if bucket is None:
            bucket = self._buckets[route] = TokenBucket(rate, max(1.0, rate * limits.burst_seconds))
        headers = {"X-RateLimit-Limit": str(int(rate))}
        wait = bucket.wait(now)
        if wait > 0:
            headers["X-RateLimit-Remaining"] = "0"
            return self._refuse(Reason.BURST, wait, now, headers)
        written = list(dict.fromkeys(issues))
        for key in written:
            for window in self._windows(key):
                wait = window.wait(now, 1)
                if wait > 0:
                    headers.update({"X-RateLimit-Limit": str(window.limit), "X-RateLimit-Remaining": "0"})
                    return self._refuse(Reason.PER_ISSUE, wait, now, headers)
        quota = limits.quota_points if (oauth or limits.quota_applies_to_basic) else None
        if quota is not None:
            self._roll_quota(now)
            if self._quota_used + points > quota:
                reset = self._next_hour(now)
                headers.update(self._quota_headers(quota, now))
                return self._refuse(Reason.QUOTA, reset - now, now, headers)
        bucket.take(now)
        for key in written:
            for window in self._windows(key):
                window.add(now, 1)
        if quota is not None:
            self._quota_used += points
            headers.update(self._quota_headers(quota, now))
        headers["X-RateLimit-Remaining"] = str(int(bucket.remaining(now)))
        return Admission(None, 0.0, headers, points if quota is not None else 0)

    def _windows(self, key: str) -> list[SlidingWindow]:
        windows = self._issues.get(key)
        if windows is None:
            windows = self._issues[key] = [SlidingWindow(n, s) for n, s in self.limits.per_issue_writes]
        return windows

    def _refuse(self, reason: str, wait: float, now: float, headers: dict[str, str]) -> Admission:
        seconds = max(1, math.ceil(wait))
        headers.update(
            {"Retry-After": str(seconds), "X-RateLimit-Reset": reset_text(now + wait), "RateLimit-Reason": reason}
        )
        return Admission(reason, float(seconds), headers)

    @staticmethod
    def _next_hour(now: float) -> float:
        return (math.floor(now / 3600) + 1) * 3600.0

    def _roll_quota(self, now: float) -> None:
        hour = math.floor(now / 3600)
        if hour != self._quota_hour:
            self._quota_hour, self._quota_used = hour, 0

    def _quota_headers(self, quota: int, now: float) -> dict[str, str]:
        remaining = max(0, quota - self._quota_used)
        to_reset = max(1, math.ceil(self._next_hour(now) - now))
        state = f'"global-app-quota";t={to_reset}'
        if self._quota_used >= 0.8 * quota:  # "r" appears past about 80 % use
            state = f'"global-app-quota";r={remaining};t={to_reset}'
        headers = {"RateLimit-Policy": f'"global-app-quota";q={quota};w=3600', "RateLimit": state}
        if remaining < 0.2 * quota:
            headers["X-RateLimit-NearLimit"] = "true"
        return headers

    def spend(self, points: int, *, oauth: bool) -> bool:
        """Charge the quota ``points`` more after the fact (a read's issues, known once it ran; never refused).
        True when the quota applies to this traffic."""
        if self.limits.quota_points is None or not (oauth or self.limits.quota_applies_to_basic):
            return False
        self._roll_quota(self.time())
        self._quota_used += points
        return True

    def exhaust_quota(self) -> None:
        """Spend the whole hour's quota now (the ``quota`` fault's lasting effect)."""
        if self.limits.quota_points is not None:
            self._roll_quota(self.time())
            self._quota_used = self.limits.quota_points

    def reset(self) -> None:
        self._buckets.clear()
        self._issues.clear()
        self._quota_used, self._quota_hour = 0, -1
