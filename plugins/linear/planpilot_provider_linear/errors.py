"""Turning Linear's answers into the core error tree: pure functions of one response, tested without a server.

How Linear says "no" (notes/linear-api.md §0, §6.4, §8):

* a rate limit is HTTP 400 whose errors carry ``extensions.code: "RATELIMITED"`` (the SDK also knows
  ``extensions.type: "ratelimited"``; a 429 may come from elsewhere on the way): detected by code, whatever
  the status. Linear sends no ``Retry-After``; its budgets are leaky buckets, so the wait is what the short
  budget needs to refill at ``limit / hour``, at most until its announced reset;
* a query over the 10,000-point cap is HTTP 400 "Query too complex"; a document the schema refuses is 400
  ``GRAPHQL_VALIDATION_FAILED``: both permanent, and bugs of this provider, said so;
* a refused credential is 401 (a personal key sent with ``Bearer`` too); 403 a missing permission;
* HTTP 200 with ``errors``: partial success is possible. "Entity not found" is an id that resolves to
  nothing; ``internal error`` and ``lock timeout`` are worth retrying (and may have been applied).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import httpx

from planpilot_provider_linear.budgets import COMPLEXITY, LIMIT_PERIOD, REQUESTS
from planpilot_providers_core.errors import (
    AuthenticationError,
    ItemNotFoundError,
    ProviderError,
    RateLimitError,
    TransientProviderError,
)
from planpilot_providers_core.reliability import parse_retry_after

__all__ = [
    "FALLBACK_WAIT",
    "GraphQLError",
    "LinearGraphQLError",
    "answer_errors",
    "check_answer",
    "error_for",
    "is_rate_limited",
    "is_refusal",
    "rate_limit_wait",
]

GraphQLError = Mapping[str, Any]
FALLBACK_WAIT: Final = 10.0
"""Seconds to wait after a refusal whose answer says nothing usable about when room comes back."""
REFILL_SLACK: Final = 0.01
"""Seconds added to a computed refill: the bucket must hold the units, not a hair less, when the retry lands."""
_TRANSIENT_TYPES: Final = frozenset({"internal error", "lock timeout", "network error"})
_HEADER_PREFIXES: Final = {REQUESTS: "x-ratelimit-requests", COMPLEXITY: "x-ratelimit-complexity"}
_HOW_TO_AUTHENTICATE: Final = (
    "check LINEAR_API_KEY (a personal API key, sent as it is) or LINEAR_OAUTH_TOKEN (an OAuth access token, "
    "sent as Bearer): it may be mistyped, revoked or expired"
)


class LinearGraphQLError(ProviderError):
    """Linear answered with GraphQL errors; ``errors`` holds them as sent (they carry no credential)."""

    def __init__(self, message: str, *, operation: str, errors: Sequence[GraphQLError]) -> None:
        super().__init__(message)
        self.operation = operation
        self.errors = tuple(errors)


def _extensions(error: GraphQLError) -> Mapping[str, Any]:
    extensions = error.get("extensions")
    return extensions if isinstance(extensions, Mapping) else {}


def error_code(error: GraphQLError) -> str:
    return str(_extensions(error).get("code", ""))


def error_type(error: GraphQLError) -> str:
    return str(_extensions(error).get("type", "")).lower()


def error_text(error: GraphQLError) -> str:
    """What Linear says to a user, else its message."""
    extensions = _extensions(error)
    text = extensions.get("userPresentableMessage") or error.get("message") or ""
    return " ".join(str(text).split())


def describe(errors: Sequence[GraphQLError], limit: int = 400) -> str:
    text = "; ".join(dict.fromkeys(error_text(error) for error in errors if error_text(error))) or "no message"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_rate_limited(errors: Sequence[GraphQLError]) -> bool:
    """Linear's refusal for a budget: ``extensions.code`` ``RATELIMITED`` (or the SDK's ``type``)."""
    return any(error_code(e).upper() == "RATELIMITED" or error_type(e) == "ratelimited" for e in errors)


def answer_errors(body: object) -> list[GraphQLError]:
    """The ``errors`` of a decoded answer (those that are objects)."""
    if not isinstance(body, Mapping):
        return []
    errors = body.get("errors")
    return [e for e in errors if isinstance(e, Mapping)] if isinstance(errors, list) else []


def decode(response: httpx.Response) -> object:
    try:
        return json.loads(response.content) if response.content else None
    except (ValueError, UnicodeDecodeError):
        return None


def is_refusal(response: httpx.Response) -> bool:
    """Whether an answer refused the request for a rate limit (for the budgets, which refund it)."""
    return response.status_code == 429 or is_rate_limited(answer_errors(decode(response)))


def _number(headers: httpx.Headers, name: str) -> float | None:
    try:
        value = float(headers[name]) if name in headers else math.nan
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def rate_limit_wait(headers: httpx.Headers, *, now: float, needs: Mapping[str, float]) -> float:
    """Seconds until a refused request fits again: ``Retry-After`` if Linear ever sends one; else, for each
    budget with less left than the request ``needs``, the time its bucket takes to refill the difference at
    ``limit`` per hour, capped at its reset; else the endpoint limit's reset; else :data:`FALLBACK_WAIT`."""
    retry_after = parse_retry_after(headers.get("retry-after"), now=lambda: now)
    if retry_after is not None:
        return retry_after
    waits: list[float] = []
    for budget, prefix in _HEADER_PREFIXES.items():
        remaining = _number(headers, f"{prefix}-remaining")
        need = needs.get(budget, 1.0)
        if remaining is None or remaining >= need:
            continue
        limit = _number(headers, f"{prefix}-limit")
        reset = _number(headers, f"{prefix}-reset")
        candidates = []
        if limit is not None and limit > 0:
            candidates.append((need - remaining) * LIMIT_PERIOD / limit)
        if reset is not None:
            candidates.append(max(0.0, reset / 1000 - now))
        if candidates:
            waits.append(min(candidates) + REFILL_SLACK)
    if not waits and _number(headers, "x-ratelimit-endpoint-requests-remaining") == 0:
        reset = _number(headers, "x-ratelimit-endpoint-requests-reset")
        if reset is not None:
            waits.append(max(0.0, reset / 1000 - now) + REFILL_SLACK)
    return max(waits) if waits else FALLBACK_WAIT


def error_for(
    errors: Sequence[GraphQLError],
    operation: str,
    *,
    headers: httpx.Headers | None = None,
    now: float = 0.0,
    needs: Mapping[str, float] | None = None,
) -> ProviderError:
    """The core error for GraphQL ``errors`` of one request, or of one aliased field of it."""
    if is_rate_limited(errors):
        wait = rate_limit_wait(headers or httpx.Headers(), now=now, needs=needs or {})
        return RateLimitError(f"{operation}: Linear rate limit (RATELIMITED)", retry_after=wait)
    types = {error_type(e) for e in errors}
    codes = {error_code(e) for e in errors}
    summary = describe(errors)
    if "authentication error" in types or "AUTHENTICATION_ERROR" in codes:
        return AuthenticationError(f"Linear refused the credential for {operation} ({summary}); {_HOW_TO_AUTHENTICATE}")
    if "forbidden" in types or "FORBIDDEN" in codes:
        return AuthenticationError(
            f"Linear refused {operation}: {summary}; the credential lacks a permission (it needs read and write "
            "access to the team's issues and labels)"
        )
    if types & _TRANSIENT_TYPES or "INTERNAL_SERVER_ERROR" in codes:
        return TransientProviderError(f"{operation}: Linear failed to run it ({summary})", request_sent=True)
    if any(str(e.get("message", "")).startswith("Entity not found") for e in errors):
        return ItemNotFoundError(f"{operation}: {summary}")
    return LinearGraphQLError(f"{operation} failed: {summary}", operation=operation, errors=errors)


def _document_refused(errors: Sequence[GraphQLError], operation: str) -> ProviderError | None:
    codes = {error_code(e) for e in errors}
    summary = describe(errors)
    if codes & {"GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"}:
        return LinearGraphQLError(
            f"Linear refused the {operation} document ({summary}); the provider's pinned schema no longer matches "
            "Linear's API: update planpilot-provider-linear",
            operation=operation,
            errors=errors,
        )
    if any(str(e.get("message", "")) == "Query too complex" for e in errors):
        return LinearGraphQLError(
            f"Linear refused {operation} as too complex ({summary}); the provider keeps its requests far below "
            "the cap, so this is a bug: please report it",
            operation=operation,
            errors=errors,
        )
    return None


def check_answer(
    response: httpx.Response,
    body: object,
    operation: str,
    *,
    now: float,
    needs: Mapping[str, float],
    tolerate: Callable[[GraphQLError], bool] | None = None,
) -> tuple[GraphQLError, ...]:
    """Raise the core error for an answer that failed; return the errors the caller tolerates (an aliased
    field's, which it maps to its own item)."""
    status = response.status_code
    errors = answer_errors(body)
    headers = response.headers
    if status == 429 or is_rate_limited(errors):
        wait = rate_limit_wait(headers, now=now, needs=needs)
        raise RateLimitError(f"{operation}: Linear rate limit (HTTP {status})", retry_after=wait)
    if status == 200:
        if not isinstance(body, Mapping):
            raise TransientProviderError(f"{operation}: Linear answered 200 without a JSON object", request_sent=True)
        tolerated = tuple(e for e in errors if tolerate is not None and tolerate(e))
        rest = [e for e in errors if e not in tolerated]
        if rest:
            raise error_for(rest, operation, headers=headers, now=now, needs=needs)
        if body.get("data") is None and not tolerated:
            raise TransientProviderError(f"{operation}: Linear answered without data", request_sent=True)
        return tolerated
    if status == 401:
        raise AuthenticationError(
            f"Linear refused the credential for {operation} (HTTP 401 {describe(errors)}); {_HOW_TO_AUTHENTICATE}"
        )
    if status == 403:
        raise AuthenticationError(
            f"Linear refused {operation} (HTTP 403 {describe(errors)}); the credential lacks a permission "
            "(it needs read and write access to the team's issues and labels)"
        )
    if status >= 500:
        raise TransientProviderError(
            f"{operation}: Linear server error HTTP {status}",
            retry_after=parse_retry_after(headers.get("retry-after"), now=lambda: now),
            request_sent=True,
        )
    refused = _document_refused(errors, operation)
    if refused is not None:
        raise refused
    if errors:
        raise LinearGraphQLError(
            f"{operation}: Linear refused the request (HTTP {status}: {describe(errors)})",
            operation=operation,
            errors=errors,
        )
    raise ProviderError(f"{operation}: Linear answered HTTP {status} {response.reason_phrase}".rstrip())
