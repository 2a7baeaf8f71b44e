"""Reliability toolkit shared by HTTP providers: retries, a shared rate-limit pause, pacing, pooled httpx.

Imported only by providers that talk HTTP, never by the core's import-light paths (discovery,
``list``), because it pulls in httpx and stamina.
"""

from planpilot_providers_core.reliability.budget import Budget, BudgetTracker, Eta
from planpilot_providers_core.reliability.budgeted import COST_EXTENSION, RateLimitHeaders, RequestBudgets
from planpilot_providers_core.reliability.clock import SYSTEM_CLOCK, Clock, SystemClock
from planpilot_providers_core.reliability.gate import RateLimitGate
from planpilot_providers_core.reliability.headers import parse_retry_after
from planpilot_providers_core.reliability.http import (
    DEFAULT_RATE_LIMIT_PAUSE,
    GatedTransport,
    HttpClientConfig,
    PooledClient,
    TransportWrapper,
    is_loopback,
    raise_for_status,
    wrap_transport,
    wrapping_transports,
)
from planpilot_providers_core.reliability.pacing import Pacer
from planpilot_providers_core.reliability.retry import (
    DEFAULT_RETRY_POLICY,
    NOT_APPLIED,
    RETRY_LOGGER_NAME,
    Applied,
    Failure,
    NotApplied,
    Resolution,
    RetryPolicy,
    classify_failure,
    retry_call,
)

__all__ = [
    "COST_EXTENSION",
    "DEFAULT_RATE_LIMIT_PAUSE",
    "DEFAULT_RETRY_POLICY",
    "NOT_APPLIED",
    "RETRY_LOGGER_NAME",
    "SYSTEM_CLOCK",
    "Applied",
    "Budget",
    "BudgetTracker",
    "Clock",
    "Eta",
    "Failure",
    "GatedTransport",
    "HttpClientConfig",
    "NotApplied",
    "Pacer",
    "PooledClient",
    "RateLimitGate",
    "RateLimitHeaders",
    "RequestBudgets",
    "Resolution",
    "RetryPolicy",
    "SystemClock",
    "TransportWrapper",
    "classify_failure",
    "is_loopback",
    "parse_retry_after",
    "raise_for_status",
    "retry_call",
    "wrap_transport",
    "wrapping_transports",
]
