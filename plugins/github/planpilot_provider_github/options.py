"""``GitHubOptions``: the GitHub provider's own keywords, read from ``ProviderConfig.options``."""

from __future__ import annotations

import ipaddress
import math
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import attrs
import httpx

from planpilot_provider_github.budgets import GITHUB_LIMITS, GitHubLimits
from planpilot_providers_core.errors import ProviderConfigError
from planpilot_providers_core.reliability import DEFAULT_RETRY_POLICY, SYSTEM_CLOCK, Clock, RetryPolicy

__all__ = ["GITHUB_API_URL", "GitHubOptions", "is_loopback"]

GITHUB_API_URL: Final = "https://api.github.com/graphql"


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine (the emulator), where pacing is pointless."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _api_url(instance: Any, attribute: attrs.Attribute[str], value: object) -> None:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProviderConfigError(
            f"api_url {value!r} is not an http(s) URL; use {GITHUB_API_URL} (the default), "
            "https://HOST/api/graphql for GitHub Enterprise, or the emulator's http://127.0.0.1:PORT/graphql"
        )
    if not parts.path.rstrip("/").endswith("/graphql"):
        raise ProviderConfigError(
            f"api_url {value!r} does not end in /graphql, GitHub's GraphQL endpoint; did you mean "
            f"{str(value).rstrip('/')}/graphql (or https://HOST/api/graphql for GitHub Enterprise)?"
        )


def _budgets(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None or value in ("auto", "github") or isinstance(value, GitHubLimits):
        return
    raise ProviderConfigError(
        f"budgets must be 'auto' (the default), 'github', a GitHubLimits or None (no pacing), got {value!r}"
    )


MAX_SECONDS: Final = 86_400.0
"""The longest wait or window an option may set: a day (a larger one is a typo, and would hang the run)."""


def _seconds(*, positive: bool = False) -> Any:
    """Seconds from 0 (or above 0 when ``positive``) to a day."""
    low = "> 0" if positive else ">= 0"

    def check(instance: Any, attribute: attrs.Attribute[float], value: object) -> None:
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else math.nan
        if not (number > 0 if positive else number >= 0) or not number <= MAX_SECONDS:
            raise ProviderConfigError(
                f"option {attribute.name} must be a number of seconds {low}, at most {MAX_SECONDS:g}, got {value!r}"
            )

    return check


@attrs.frozen(kw_only=True)
class GitHubOptions:
    """What ``create_provider("github", ..., **options)`` accepts beyond the common configuration."""

    api_url: str = attrs.field(default=GITHUB_API_URL, validator=_api_url)
    """GitHub Enterprise: ``https://HOST/api/graphql``; the emulator's URL."""
    transport: httpx.AsyncBaseTransport | None = None
    """An httpx transport to use instead of the network (the in-process emulator)."""
    budgets: GitHubLimits | Literal["auto", "github"] | None = attrs.field(default="auto", validator=_budgets)
    """The budgets requests are paced by (:mod:`.budgets`). ``"auto"``: GitHub's documented numbers when talking
    to GitHub, none for the emulator (a loopback ``api_url`` or a ``transport``); ``"github"``: GitHub's
    numbers anywhere (the budgeted emulator); a :class:`GitHubLimits` of your own; ``None``: no budgets."""
    mutation_interval: float | None = attrs.field(default=None, validator=attrs.validators.optional(_seconds()))
    """Seconds between the starts of two mutations, on top of the budgets; default none (the budgets pace)."""
    max_connections: int = attrs.field(
        default=10, validator=[attrs.validators.instance_of(int), attrs.validators.ge(1)]
    )
    timeout: float = attrs.field(default=20.0, validator=_seconds(positive=True))
    """Seconds one request may take. GitHub itself ends a request after 10 s with a 502 or 504 ("We couldn't
    respond to your request in time", GitHub's GraphQL rate and query limits documentation), so 20 s is
    ample, and two unanswered attempts fit the retry policy's 60 s ``answer_timeout``: a server that never
    answers fails in about 40 s."""
    retry_policy: RetryPolicy = attrs.field(
        default=DEFAULT_RETRY_POLICY, validator=attrs.validators.instance_of(RetryPolicy)
    )
    search_lag_window: float = attrs.field(default=3600.0, validator=_seconds())
    """Seconds of recent updates listed without search, to see past the search index lag."""
    secondary_limit_wait: float = attrs.field(default=60.0, validator=_seconds())
    """The pause after a secondary rate limit that names no wait (GitHub says at least 60 s)."""
    clock: Clock = SYSTEM_CLOCK
    """The clock waits and windows follow (the emulator's virtual clock in tests and benchmarks)."""

    @property
    def paced_interval(self) -> float:
        return self.mutation_interval or 0.0

    @property
    def limits(self) -> GitHubLimits | None:
        """The budgets in force (see ``budgets``)."""
        if self.budgets == "auto":
            return None if self.transport is not None or is_loopback(self.api_url) else GITHUB_LIMITS
        if self.budgets == "github":
            return GITHUB_LIMITS
        return self.budgets

    @property
    def board_hosts(self) -> frozenset[str]:
        """Hosts a board URL may name: github.com, or the GitHub Enterprise host behind ``api_url``."""
        host = urlsplit(self.api_url).hostname or ""
        hosts = {"github.com", "www.github.com"}
        if host != "api.github.com" and not is_loopback(self.api_url):
            hosts.add(host)
        return frozenset(hosts)
