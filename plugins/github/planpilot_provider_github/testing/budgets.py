"""GitHub's GraphQL budgets as a value type (:class:`GitHubBudgets`) and their accounting (:class:`BudgetLedger`).

Defaults are GitHub's documented numbers (GitHub's docs: "Rate limits and query limits for the GraphQL API"):

* primary: 5,000 points per hour, charged by the query-cost formula (:mod:`.cost`); a fixed window that starts
  with the first request and resets at ``x-ratelimit-reset``. Exhausted: HTTP 200 ``RATE_LIMITED``.
* secondary: 2,000 points per rolling minute; a request costs 1, or 5 when it has mutations. Exceeded: HTTP 403.
* content creation: 80 per rolling minute and 500 per rolling hour; by default every ``create*``/``add*``
  mutation field of the schema counts, once per field. Exceeded: HTTP 403 (content-creation wording).
* concurrency: at most 100 requests in flight. Exceeded: the secondary-limit 403.

Checks run in that order, before anything executes: concurrency, secondary points, content per minute,
content per hour, primary. A request is charged only when every check passes, so a refused request applies
nothing and (by default, ``refusals_spend=False``) spends nothing; GitHub's docs do not say whether a refused
request counts, and "nothing" keeps "spent" equal to "accepted".

``retry-after`` on a 403 is the whole seconds until the window has room for the refused request (at least 1);
``send_retry_after=False`` omits it, as GitHub sometimes does (clients then wait 60 s).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterable
from enum import StrEnum
from typing import Any, Literal

import attrs
from attrs import field, frozen, validators

from planpilot_providers_core.emulation.windows import SlidingWindow

from .cost import RequestCost
from .faults import PRIMARY_RATE_LIMIT_MESSAGE, SECONDARY_RATE_LIMIT_MESSAGE
from .ratelimit import RateLimiter, RateLimitSnapshot

__all__ = [
    "CONTENT_CREATION_MESSAGE",
    "CONTENT_MUTATION_PATTERN",
    "SECONDARY_LIMIT_DOCS_URL",
    "Admission",
    "BudgetLedger",
    "GitHubBudgets",
    "LimitKind",
    "Refusal",
    "SlidingWindow",
    "refusal_response",
]

CONTENT_MUTATION_PATTERN = re.compile(r"^(create|add)[A-Z]")
"""The default content-creating mutations: ``createIssue``, ``addSubIssue``, ``addBlockedBy`` ... (conservative)."""
CONTENT_CREATION_MESSAGE = (
    "You have exceeded a secondary rate limit and have been temporarily blocked from content creation. "
    "Please retry your request again later."
)
SECONDARY_LIMIT_DOCS_URL = (
    "https://docs.github.com/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api#secondary-rate-limits"
)


class LimitKind(StrEnum):
    """Which limit refused a request (the keys of ``stats.limited``)."""

    PRIMARY = "primary"
    SECONDARY_POINTS = "secondary_points"
    CONTENT_PER_MINUTE = "content_per_minute"
    CONTENT_PER_HOUR = "content_per_hour"
    CONCURRENCY = "concurrency"


def _limit(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(
            f"GitHubBudgets.{attribute.name} must be a whole number >= 0, or None to turn the limit off; got {value!r}"
        )


def _seconds(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"GitHubBudgets.{attribute.name} must be a positive number of seconds; got {value!r}")


def _cost(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"GitHubBudgets.{attribute.name} must be a whole number >= 0; got {value!r}")


def _names(value: Iterable[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise TypeError(f"GitHubBudgets.content_mutations takes mutation field names, not one string: {value!r}")
    names = frozenset(value)
    bad = sorted(repr(n) for n in names if not isinstance(n, str) or not n)
    if bad:
        raise ValueError(f"GitHubBudgets.content_mutations must be mutation field names; got {', '.join(bad)}")
    return names


@frozen(kw_only=True)
class GitHubBudgets:
    """Which of GitHub's budgets the emulator enforces, and how big they are. ``None`` turns a limit off.

    ``GitHubBudgets()`` (= :meth:`github_defaults`) is GitHub's documented numbers; narrow or widen with
    :meth:`replace`, e.g. ``GitHubBudgets().replace(content_per_minute=5, send_retry_after=False)``.
    """

    primary_points: int | None = field(default=5000, validator=_limit)
    primary_window: float = field(default=3600.0, validator=_seconds)
    primary_cost: Literal["formula", "one_per_request"] = field(
        default="formula", validator=validators.in_(("formula", "one_per_request"))
    )
    secondary_points: int | None = field(default=2000, validator=_limit)
    secondary_window: float = field(default=60.0, validator=_seconds)
    secondary_query_cost: int = field(default=1, validator=_cost)
    secondary_mutation_cost: int = field(default=5, validator=_cost)
    content_per_minute: int | None = field(default=80, validator=_limit)
    content_minute_window: float = field(default=60.0, validator=_seconds)
    content_per_hour: int | None = field(default=500, validator=_limit)
    content_hour_window: float = field(default=3600.0, validator=_seconds)
    content_mutations: frozenset[str] | None = field(default=None, converter=_names)
    """Mutation field names that create content; None = every ``create*``/``add*`` mutation in the schema."""
    content_counting: Literal["field", "request"] = field(
        default="field", validator=validators.in_(("field", "request"))
    )
    """``field``: each content mutation field counts (4 aliased ``addBlockedBy`` = 4); ``request``: 1 per request."""
    max_concurrency: int | None = field(default=100, validator=_limit)
    concurrency_retry_after: float = field(default=1.0, validator=_seconds)
    send_retry_after: bool = field(default=True, validator=validators.instance_of(bool))
    refusals_spend: bool = field(default=False, validator=validators.instance_of(bool))
    """True: a request refused by any limit still spends its secondary points (hammering prolongs a block)."""

    @classmethod
    def github_defaults(cls) -> GitHubBudgets:
        """GitHub's documented budgets for a user token (5,000/h, 2,000/min, 80 and 500 creations, 100 in flight)."""
        return cls()

    @classmethod
    def unlimited(cls) -> GitHubBudgets:
        """Accounting only: every limit off, nothing is ever refused (and no ``x-ratelimit-*`` headers)."""
        return cls(
            primary_points=None,
            secondary_points=None,
            content_per_minute=None,
            content_per_hour=None,
            max_concurrency=None,
        )

    @classmethod
    def primary_only(cls, points: int = 5000, window: float = 3600.0) -> GitHubBudgets:
        """The emulator's behaviour without ``budgets=``: a primary window charging 1 point per request."""
        return cls(
            primary_points=points,
            primary_window=window,
            primary_cost="one_per_request",
            secondary_points=None,
            content_per_minute=None,
            content_per_hour=None,
            max_concurrency=None,
        )

    def replace(self, **changes: Any) -> GitHubBudgets:
        """A copy with ``changes`` applied and validated (``attrs.evolve``)."""
        unknown = sorted(set(changes) - {a.name for a in attrs.fields(GitHubBudgets)})
        if unknown:
            raise TypeError(f"GitHubBudgets has no setting {', '.join(unknown)}")
        return attrs.evolve(self, **changes)

    def content_mutation_names(self, schema_mutations: Collection[str]) -> frozenset[str]:
        """The configured names (all must exist in the schema), or the default set drawn from it."""
        if self.content_mutations is None:
            return frozenset(name for name in schema_mutations if CONTENT_MUTATION_PATTERN.match(name))
        unknown = sorted(self.content_mutations - set(schema_mutations))
        if unknown:
            raise ValueError(f"GitHubBudgets.content_mutations names no mutation of the schema: {', '.join(unknown)}")
        return self.content_mutations


@frozen
class Refusal:
    kind: LimitKind
    retry_after: float  # seconds; for the primary limit, until x-ratelimit-reset


@frozen
class Admission:
    """The verdict on one request and what it spent (all zero unless admitted or ``refusals_spend``)."""

    refusal: Refusal | None
    primary: int = 0
    secondary: int = 0
    content: int = 0


class BudgetLedger:
    """The live windows of one emulator; callers hold the emulator lock."""

    def __init__(self, budgets: GitHubBudgets, time_source: Callable[[], float]) -> None:
        self.budgets = budgets
        self.time_source = time_source
        self.primary = (
            RateLimiter(limit=budgets.primary_points, window=budgets.primary_window, time_source=time_source)
            if budgets.primary_points is not None
            else None
        )
        self.secondary = self._window(budgets.secondary_points, budgets.secondary_window)
        self.content_minute = self._window(budgets.content_per_minute, budgets.content_minute_window)
        self.content_hour = self._window(budgets.content_per_hour, budgets.content_hour_window)

    @staticmethod
    def _window(limit: int | None, window: float) -> SlidingWindow | None:
        return SlidingWindow(limit, window) if limit is not None else None

    def snapshot(self) -> RateLimitSnapshot | None:
        """The primary budget as the headers report it (None when the primary limit is off)."""
        return self.primary.snapshot() if self.primary is not None else None

    def primary_cost(self, cost: RequestCost) -> int:
        return cost.points if self.budgets.primary_cost == "formula" else 1

    def secondary_cost(self, cost: RequestCost) -> int:
        budgets = self.budgets
        return budgets.secondary_mutation_cost if cost.is_mutation else budgets.secondary_query_cost

    def content_units(self, cost: RequestCost) -> int:
        if self.budgets.content_counting == "request":
            return min(1, cost.content_fields)
        return cost.content_fields

    def admit(self, cost: RequestCost, *, concurrency: int) -> Admission:
        """Check every limit in order; charge them all only if the request passes every one.

        Spent units are reported whether or not a limit is on (``secondary_points=None`` still counts the
        points a request would have cost), so accounting works with :meth:`GitHubBudgets.unlimited`.
        """
        now = self.time_source()
        primary, secondary, content = self.primary_cost(cost), self.secondary_cost(cost), self.content_units(cost)
        refusal = self._check(now, primary, concurrency, secondary, content)
        if refusal is not None:
            if not self.budgets.refusals_spend:
                return Admission(refusal)
            if self.secondary is not None:
                self.secondary.add(now, secondary)
            return Admission(refusal, secondary=secondary)
        if self.secondary is not None:
            self.secondary.add(now, secondary)
        for window in (self.content_minute, self.content_hour):
            if window is not None:
                window.add(now, content)
        if self.primary is not None:
            self.primary.try_charge(primary)
        return Admission(None, primary=primary, secondary=secondary, content=content)

    def _check(self, now: float, primary: int, concurrency: int, secondary: int, content: int) -> Refusal | None:
        budgets = self.budgets
        if budgets.max_concurrency is not None and concurrency > budgets.max_concurrency:
            return Refusal(LimitKind.CONCURRENCY, budgets.concurrency_retry_after)
        if self.secondary is not None and (wait := self.secondary.wait(now, secondary)) > 0:
            return Refusal(LimitKind.SECONDARY_POINTS, wait)
        if content:
            if self.content_minute is not None and (wait := self.content_minute.wait(now, content)) > 0:
                return Refusal(LimitKind.CONTENT_PER_MINUTE, wait)
            if self.content_hour is not None and (wait := self.content_hour.wait(now, content)) > 0:
                return Refusal(LimitKind.CONTENT_PER_HOUR, wait)
        if self.primary is not None and not self.primary.fits(primary):
            return Refusal(LimitKind.PRIMARY, max(0.0, self.primary.snapshot().reset_at - now))
        return None

    def reset(self) -> None:
        """Forget every window (a fresh hour everywhere)."""
        if self.primary is not None:
            self.primary.reset()
        for window in (self.secondary, self.content_minute, self.content_hour):
            if window is not None:
                window.clear()


def refusal_response(
    refusal: Refusal, *, request_id: str, send_retry_after: bool
) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Status, extra headers and JSON body GitHub answers a refused request with."""
    if refusal.kind is LimitKind.PRIMARY:
        error = {"type": "RATE_LIMITED", "message": PRIMARY_RATE_LIMIT_MESSAGE}
        return 200, {}, {"data": None, "errors": [error]}
    headers = {"retry-after": str(max(1, math.ceil(refusal.retry_after)))} if send_retry_after else {}
    if refusal.kind in {LimitKind.CONTENT_PER_MINUTE, LimitKind.CONTENT_PER_HOUR}:
        message = CONTENT_CREATION_MESSAGE
    else:
        message = SECONDARY_RATE_LIMIT_MESSAGE.format(request_id=request_id)
    return 403, headers, {"message": message, "documentation_url": SECONDARY_LIMIT_DOCS_URL}
