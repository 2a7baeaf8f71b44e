"""Reliability toolkit shared by HTTP providers: retries, a shared rate-limit pause, pacing, pooled httpx.

Imported only by providers that talk HTTP, never by the core's import-light paths (discovery,
``list``), because it pulls in httpx and stamina.
"""

from planpilot_providers_core.reliability.gate import RateLimitGate
from planpilot_providers_core.reliability.http import (
    DEFAULT_RATE_LIMIT_PAUSE,
    GatedTransport,
    HttpClientConfig,
    PooledClient,
    parse_retry_after,
    raise_for_status,
)
from planpilot_providers_core.reliability.pacing import Pacer
from planpilot_providers_core.reliability.retry import (
    DEFAULT_RETRY_POLICY,
    RETRY_LOGGER_NAME,
    Failure,
    RetryPolicy,
    classify_failure,
    retry_call,
)

__all__ = [
    "DEFAULT_RATE_LIMIT_PAUSE",
    "DEFAULT_RETRY_POLICY",
    "RETRY_LOGGER_NAME",
    "Failure",
    "GatedTransport",
    "HttpClientConfig",
    "Pacer",
    "PooledClient",
    "RateLimitGate",
    "RetryPolicy",
    "classify_failure",
    "parse_retry_after",
    "raise_for_status",
    "retry_call",
]
