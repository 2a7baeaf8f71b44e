"""``LinearOptions``: the Linear provider's own keywords, read from ``ProviderConfig.options``.

On the command line ``--api-url`` sets ``api_url`` and ``--option KEY=VALUE`` the others (``--option
page_size=25``); ``transport``, ``retry_policy`` and ``clock`` are objects only Python code can give.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlsplit

import attrs
import httpx

from planpilot_providers_core.errors import ProviderConfigError
from planpilot_providers_core.reliability import DEFAULT_RETRY_POLICY, SYSTEM_CLOCK, Clock, RetryPolicy

__all__ = ["LINEAR_API_URL", "MAX_ALIASES", "MAX_PAGE_SIZE", "LinearOptions"]

LINEAR_API_URL: Final = "https://api.linear.app/graphql"
MAX_PAGE_SIZE: Final = 100
"""The largest search page: 100 issues cost about 800 of the 10,000 points a query may cost."""
MAX_ALIASES: Final = 50
"""The most writes one request carries (aliased mutations; issueBatchCreate takes at most 50 issues)."""
_DAY: Final = 86_400


def _api_url(instance: LinearOptions, attribute: attrs.Attribute[str], value: object) -> None:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProviderConfigError(
            f"api_url {value!r} is not an http(s) URL; use {LINEAR_API_URL} (the default) or the emulator's "
            "http://127.0.0.1:PORT/graphql"
        )
    if not parts.path.rstrip("/").endswith("/graphql"):
        raise ProviderConfigError(
            f"api_url {value!r} does not end in /graphql, Linear's GraphQL endpoint; did you mean "
            f"{str(value).rstrip('/')}/graphql?"
        )


def _whole(low: int, high: int) -> Any:
    """A whole number from ``low`` to ``high`` (an attrs validator the option errors describe)."""
    return attrs.validators.and_(attrs.validators.instance_of(int), attrs.validators.ge(low), attrs.validators.le(high))


def _seconds() -> Any:
    """Seconds from 0 to a day."""
    return attrs.validators.and_(
        attrs.validators.instance_of((int, float)), attrs.validators.ge(0), attrs.validators.le(_DAY)
    )


@attrs.frozen(kw_only=True)
class LinearOptions:
    """What ``create_provider("linear", ..., **options)`` accepts beyond the common configuration."""

    api_url: str = attrs.field(default=LINEAR_API_URL, validator=_api_url)
    """Linear's GraphQL endpoint; the emulator's ``http://127.0.0.1:PORT/graphql`` in tests and demos."""
    transport: httpx.AsyncBaseTransport | None = None
    """An httpx transport to use instead of the network (the in-process emulator)."""
    budgets: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))
    """Pace every request by Linear's hourly budgets (and show an ETA); ``False``: only honour refusals."""
    requests_per_hour: int | None = attrs.field(default=None, validator=attrs.validators.optional(_whole(10, 10**7)))
    """The request budget; default Linear's: 2,500 an hour for an API key, 5,000 for an OAuth token. The
    ``X-RateLimit-Requests-*`` headers narrow it further."""
    complexity_per_hour: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(_whole(10_000, 10**9))
    )
    """The complexity budget; default Linear's: 3,000,000 points an hour for an API key, 2,000,000 for OAuth."""
    page_size: int = attrs.field(default=50, validator=_whole(1, MAX_PAGE_SIZE))
    """Issues per page of discovery (each issue costs about 8 complexity points)."""
    batch_size: int = attrs.field(default=25, validator=_whole(1, MAX_ALIASES))
    """Writes per request: updates and relation changes as aliased mutations, creates as ``issueBatchCreate``."""
    batch_creates: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))
    """Creates that arrive together go as one ``issueBatchCreate`` (one transaction) instead of one request each."""
    recent_window: float = attrs.field(default=900.0, validator=_seconds())
    """Seconds of recently updated team issues that discovery lists as well, re-checked exactly, so an issue
    an index has not caught up with is still found; 0 turns it off."""
    max_connections: int = attrs.field(default=10, validator=_whole(1, 100))
    timeout: float = attrs.field(
        default=30.0, validator=[attrs.validators.instance_of((int, float)), attrs.validators.gt(0)]
    )
    """Seconds one request may take."""
    retry_policy: RetryPolicy = attrs.field(
        default=DEFAULT_RETRY_POLICY, validator=attrs.validators.instance_of(RetryPolicy)
    )
    clock: Clock = SYSTEM_CLOCK
    """The clock waits and windows follow (the emulator's virtual clock in tests)."""
