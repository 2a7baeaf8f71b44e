"""Turning GitHub's many ways of saying "no" into the core error tree.

GitHub signals rate limits five ways (429; 403 "secondary rate limit"; 200 with errors of type
``RATE_LIMITED`` or ``RATE_LIMIT``; ``x-ratelimit-remaining: 0``) and permanent failures through
both HTTP statuses and typed GraphQL errors next to partial data. Everything here is a pure
function of one response so it can be tested without a server.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal

import httpx

from planpilot_providers_core.errors import (
    AuthenticationError,
    ItemNotFoundError,
    ProviderError,
    RateLimitError,
    TransientProviderError,
)
from planpilot_providers_core.reliability import parse_retry_after

SECONDARY_FALLBACK_WAIT: Final = 60.0
"""GitHub: with no retry-after and no exhausted budget, wait at least a minute."""

_RATE_LIMIT_TYPES: Final = frozenset({"RATE_LIMITED", "RATE_LIMIT"})
_SECONDARY: Final = "secondary rate limit"
_CONTENT_CREATION: Final = "content creation"
_SERVER_HICCUP: Final = "something went wrong while executing your query"

RefusedBudget = Literal["primary", "secondary", "content"]

GraphQLError = Mapping[str, Any]


class GitHubGraphQLError(ProviderError):
    """GitHub answered with GraphQL errors; ``errors`` holds them as sent (no secrets in them)."""

    def __init__(self, message: str, *, operation: str, errors: Sequence[GraphQLError]) -> None:
        super().__init__(message)
        self.operation = operation
        self.errors = tuple(errors)

    @property
    def types(self) -> frozenset[str]:
        return frozenset(str(e.get("type", "")) for e in self.errors)


def _reset_wait(headers: httpx.Headers, now: Callable[[], float]) -> float | None:
    reset = headers.get("x-ratelimit-reset")
    if reset is None:
        return None
    try:
        return max(0.0, float(reset) - now()) + 1.0
    except ValueError:
        return None


def _secondary_wait(headers: httpx.Headers, now: Callable[[], float], fallback: float) -> float:
    """GitHub's order for secondary limits: retry-after, else the reset time if exhausted, else 60 s."""
    retry_after = parse_retry_after(headers.get("retry-after"), now=now)
    if retry_after is not None:
        return retry_after
    if headers.get("x-ratelimit-remaining") == "0":
        wait = _reset_wait(headers, now)
        if wait is not None:
            return wait
    return fallback


def _message(body: object) -> str:
    if isinstance(body, Mapping):
        return str(body.get("message", ""))[:300]
    return ""


def _permission_hint(headers: httpx.Headers) -> str:
    hints = []
    if accepted := headers.get("x-accepted-github-permissions"):
        hints.append(f"the request needs the fine-grained permission(s) {accepted}")
    if scopes := headers.get("x-accepted-oauth-scopes"):
        hints.append(f"it accepts the OAuth scope(s) {scopes} (token has: {headers.get('x-oauth-scopes') or 'none'})")
    return "; ".join(hints)


def check_http(
    response: httpx.Response,
    body: object,
    operation: str,
    *,
    now: Callable[[], float] = time.time,
    fallback_wait: float = SECONDARY_FALLBACK_WAIT,
) -> None:
    """Raise for any non-200 answer; ``body`` is the decoded JSON (or None when it was not JSON)."""
    status = response.status_code
    if status == 200:
        return
    headers = response.headers
    message = _message(body)
    if status == 401:
        raise AuthenticationError(
            f"GitHub rejected the token for {operation} (HTTP 401 {message or 'Bad credentials'}); "
            "check GITHUB_TOKEN/GH_TOKEN is set to a valid, unexpired token"
        )
    if status in (403, 429):
        if _SECONDARY in message.lower():
            raise RateLimitError(
                f"{operation}: GitHub secondary rate limit (HTTP {status})",
                retry_after=_secondary_wait(headers, now, fallback_wait),
            )
        if status == 429 or headers.get("x-ratelimit-remaining") == "0":
            wait = parse_retry_after(headers.get("retry-after"), now=now) or _reset_wait(headers, now)
            raise RateLimitError(f"{operation}: GitHub rate limit (HTTP {status})", retry_after=wait or fallback_wait)
        hint = _permission_hint(headers)
        raise AuthenticationError(
            f"GitHub refused {operation} (HTTP 403: {message or 'Forbidden'})"
            + (f"; {hint}" if hint else "; check the token's repository and project permissions")
        )
    if status >= 500:
        raise TransientProviderError(
            f"{operation}: GitHub server error HTTP {status} {message}".rstrip(),
            retry_after=parse_retry_after(headers.get("retry-after"), now=now),
            request_sent=True,
        )
    raise ProviderError(f"{operation}: GitHub answered HTTP {status}: {message or response.reason_phrase}")


def check_graphql_errors(
    errors: Sequence[GraphQLError],
    response: httpx.Response,
    operation: str,
    *,
    now: Callable[[], float] = time.time,
    fallback_wait: float = SECONDARY_FALLBACK_WAIT,
) -> None:
    """Raise for GraphQL ``errors`` in a 200 answer: rate limits are transient, the rest permanent."""
    if not errors:
        return
    types = {str(e.get("type", "")) for e in errors}
    messages = [str(e.get("message", "")) for e in errors]
    lowered = " ".join(messages).lower()
    if types & _RATE_LIMIT_TYPES:
        # The primary limit, told by the body: x-ratelimit-remaining is sometimes still above 0 then,
        # but GitHub's instruction stands: do not retry before x-ratelimit-reset.
        headers = response.headers
        wait = _reset_wait(headers, now) if headers.get("x-ratelimit-remaining") == "0" else None
        if wait is None:
            wait = parse_retry_after(headers.get("retry-after"), now=now)
        if wait is None:
            wait = _reset_wait(headers, now)
        raise RateLimitError(
            f"{operation}: GitHub GraphQL rate limit ({', '.join(sorted(types & _RATE_LIMIT_TYPES))})",
            retry_after=wait if wait is not None else fallback_wait,
        )
    if _SECONDARY in lowered:
        raise RateLimitError(
            f"{operation}: GitHub secondary rate limit",
            retry_after=_secondary_wait(response.headers, now, fallback_wait),
        )
    raise field_error(errors, operation)


def field_error(errors: Sequence[GraphQLError], operation: str) -> ProviderError:
    """The error for GraphQL ``errors`` that are not rate limits: one request's, or one aliased field's
    (a batch maps each field's errors to the item it writes)."""
    types = {str(e.get("type", "")) for e in errors}
    messages = [str(e.get("message", "")) for e in errors]
    if _SERVER_HICCUP in " ".join(messages).lower():
        return TransientProviderError(f"{operation}: GitHub failed to execute the query", request_sent=True)
    summary = "; ".join(messages)[:500]
    if "FORBIDDEN" in types:
        return AuthenticationError(
            f"GitHub refused {operation}: {summary}; the token lacks a permission "
            "(it needs repository issues read/write and projects read/write)"
        )
    if types == {"NOT_FOUND"}:
        return ItemNotFoundError(f"{operation}: {summary}")
    if not types - {""}:
        return GitHubGraphQLError(
            f"GitHub rejected the {operation} document as invalid: {summary}", operation=operation, errors=errors
        )
    return GitHubGraphQLError(f"{operation} failed: {summary}", operation=operation, errors=errors)


def refused_budget(response: httpx.Response, body: object) -> RefusedBudget:
    """Which of GitHub's budgets a rate-limit refusal speaks of: the primary points (``RATE_LIMITED``
    bodies, ``x-ratelimit-remaining: 0``), content creation (its own 403 wording), else the secondary
    points (which also stand for the concurrency limit and GitHub's undisclosed ones)."""
    texts = [_message(body)]
    types: set[str] = set()
    if isinstance(body, Mapping):
        for error in body.get("errors") or []:
            if isinstance(error, Mapping):
                texts.append(str(error.get("message", "")))
                types.add(str(error.get("type", "")))
    lowered = " ".join(texts).lower()
    if _CONTENT_CREATION in lowered:
        return "content"
    if _SECONDARY in lowered:
        return "secondary"
    if types & _RATE_LIMIT_TYPES or response.headers.get("x-ratelimit-remaining") == "0":
        return "primary"
    return "secondary"
