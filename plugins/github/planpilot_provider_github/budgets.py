"""GitHub's documented GraphQL budgets, as the provider paces itself by them (GitHub's docs: "Rate limits
and query limits for the GraphQL API").

* primary: 5,000 points an hour, by the query-cost formula (the ``x-ratelimit-*`` headers are the truth);
* secondary: 2,000 points a minute, 1 per query and 5 per request with mutations;
* content creation: 80 a minute and 500 an hour, counted with the conservative reading the emulator
  uses too: every ``create*``/``add*`` mutation field of a request counts once;
* at most 100 requests in flight; requests with mutations one at a time.

Each budget keeps a small margin free, so a server that counts a little differently, or a few actions
of the user's in the web UI during a sync (they count against the same limits), do not trip it. The
names are what a user reads on the progress line ("bound by content creations per hour").
"""

from __future__ import annotations

import math
from typing import Any, Final

import attrs

from planpilot_providers_core.errors import ProviderConfigError
from planpilot_providers_core.reliability.budget import Budget

__all__ = [
    "CONTENT_PER_HOUR",
    "CONTENT_PER_MINUTE",
    "GITHUB_LIMITS",
    "PRIMARY",
    "SECONDARY",
    "GitHubLimits",
]

PRIMARY: Final = "primary points per hour"
SECONDARY: Final = "secondary points per minute"
CONTENT_PER_MINUTE: Final = "content creations per minute"
CONTENT_PER_HOUR: Final = "content creations per hour"


def _count(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ProviderConfigError(f"GitHubLimits.{attribute.name} must be a whole number >= 1, got {value!r}")


def _margin(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ProviderConfigError(f"GitHubLimits.{attribute.name} must be a number of units >= 0, got {value!r}")


@attrs.frozen(kw_only=True)
class GitHubLimits:
    """The budgets to pace by: GitHub's numbers for a user token, each with a margin kept free.

    Change one with ``attrs.evolve(GITHUB_LIMITS, content_per_hour=400)``; a token with another primary
    limit (a GitHub App, ``GITHUB_TOKEN`` in Actions) is read from ``x-ratelimit-limit`` anyway.
    """

    primary_per_hour: int = attrs.field(default=5000, validator=_count)
    primary_margin: float = attrs.field(default=100, validator=_margin)
    """2 %: the cost formula is "subject to change"; the headers block before the last points anyway."""
    secondary_per_minute: int = attrs.field(default=2000, validator=_count)
    secondary_margin: float = attrs.field(default=100, validator=_margin)
    """5 %: a sync spends about a tenth of this budget (content binds first), so the margin costs nothing."""
    content_per_minute: int = attrs.field(default=80, validator=_count)
    content_minute_margin: float = attrs.field(default=5, validator=_margin)
    content_per_hour: int = attrs.field(default=500, validator=_count)
    content_hour_margin: float = attrs.field(default=10, validator=_margin)
    """2 %: the budget that binds a large sync; each unit kept free costs 0.2 % of its duration."""
    max_in_flight: int = attrs.field(default=100, validator=_count)
    writes_in_flight: int = attrs.field(default=1, validator=_count)
    """Requests with mutations go one at a time, as GitHub asks ("make requests serially"): a write cannot
    outrun a content budget anyway, and a limit narrower than configured then refuses one request, not
    every write that was already under way. Reads are not held by it."""

    def __attrs_post_init__(self) -> None:
        for limit, margin in (
            ("primary_per_hour", "primary_margin"),
            ("secondary_per_minute", "secondary_margin"),
            ("content_per_minute", "content_minute_margin"),
            ("content_per_hour", "content_hour_margin"),
        ):
            kept, of = getattr(self, margin), getattr(self, limit)
            if kept >= of:
                raise ProviderConfigError(f"GitHubLimits.{margin} ({kept!r}) must be below {limit} ({of!r})")

    def budgets(self) -> tuple[Budget, ...]:
        """The sliding windows a :class:`~planpilot_providers_core.reliability.budget.BudgetTracker` keeps."""
        return (
            Budget(name=PRIMARY, limit=self.primary_per_hour, window=3600.0, margin=self.primary_margin),
            Budget(name=SECONDARY, limit=self.secondary_per_minute, window=60.0, margin=self.secondary_margin),
            Budget(
                name=CONTENT_PER_MINUTE, limit=self.content_per_minute, window=60.0, margin=self.content_minute_margin
            ),
            Budget(name=CONTENT_PER_HOUR, limit=self.content_per_hour, window=3600.0, margin=self.content_hour_margin),
        )


GITHUB_LIMITS: Final = GitHubLimits()
"""GitHub's documented budgets for a user token, with the margins above."""
