"""Reading the headers a tracker answers a rate limit with: how long ``Retry-After`` and a reset time say to wait.

Both the pooled client (:mod:`.http`) and the budgets (:mod:`.budgeted`) read them, so they live apart from both.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable
from datetime import UTC

__all__ = ["parse_retry_after", "reset_delay"]


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP-date).

    None when absent or unparseable; a time in the past or a negative delta gives 0.0.
    """
    if value is None or not (text := value.strip()):
        return None
    try:
        delay = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        delay = when.timestamp() - now()
    if not math.isfinite(delay):
        return None
    return max(0.0, delay)


def reset_delay(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds until an ``x-ratelimit-reset`` epoch timestamp; None when absent or unparseable."""
    try:
        reset = float(value) if value is not None else math.nan
    except ValueError:
        return None
    return max(0.0, reset - now()) if math.isfinite(reset) else None
