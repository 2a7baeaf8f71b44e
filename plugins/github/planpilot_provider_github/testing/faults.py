"""GitHub's failure answers: the fault kinds the emulator injects and the exact responses GitHub sends for
each, so a client's retry and ambiguity handling can be exercised deterministically (core's
:mod:`planpilot_providers_core.emulation.faults` decides which request gets one)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from planpilot_providers_core.emulation import FaultPlan, parse_kinds

__all__ = [
    "AFTER_COMMIT",
    "DEFAULT_PLAN_KINDS",
    "PRIMARY_RATE_LIMIT_MESSAGE",
    "RATE_LIMIT_ALREADY_EXCEEDED_MESSAGE",
    "SAML_MESSAGE",
    "SECONDARY_RATE_LIMIT_MESSAGE",
    "TIMEOUT_MESSAGE",
    "FaultKind",
    "fault_plan",
    "format_seconds",
    "http_fault",
]

DOCS_URL = "https://docs.github.com/graphql"
TIMEOUT_MESSAGE = (
    "We couldn't respond to your request in time. Sorry about that. Please try resubmitting your request and "
    "contact us if the problem persists."
)
SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out "
    "to GitHub Support for help, please include the request ID {request_id}."
)
PRIMARY_RATE_LIMIT_MESSAGE = "API rate limit exceeded for user ID 1."
RATE_LIMIT_ALREADY_EXCEEDED_MESSAGE = "API rate limit already exceeded for user ID 1."
SAML_MESSAGE = (
    "Resource protected by organization SAML enforcement. You must grant your Personal Access token access to "
    "this organization."
)


class FaultKind(StrEnum):
    HTTP_500 = "http_500"
    HTTP_502 = "http_502"
    HTTP_504 = "http_504"
    HTTP_502_AFTER_COMMIT = "http_502_after_commit"
    HTTP_429 = "http_429"
    SECONDARY_403 = "secondary_403"
    SECONDARY_403_NO_RETRY_AFTER = "secondary_403_no_retry_after"
    SECONDARY_200 = "secondary_200"
    RATE_LIMITED_200 = "rate_limited_200"
    RATE_LIMIT_200 = "rate_limit_200"
    PRIMARY_EXHAUSTED = "primary_exhausted"
    DROP_BEFORE_COMMIT = "drop_before_commit"
    DROP_AFTER_COMMIT = "drop_after_commit"
    FORBIDDEN_403 = "forbidden_403"

    @property
    def after_commit(self) -> bool:
        """True when the operation is applied before the failure is reported (the ambiguous case)."""
        return self in AFTER_COMMIT


AFTER_COMMIT = frozenset({FaultKind.HTTP_502_AFTER_COMMIT, FaultKind.DROP_AFTER_COMMIT})
# Everything transient; forbidden_403 is permanent, so a random plan only draws it when asked to.
DEFAULT_PLAN_KINDS: tuple[FaultKind, ...] = tuple(k for k in FaultKind if k is not FaultKind.FORBIDDEN_403)


def fault_plan(
    probability: float,
    kinds: Iterable[FaultKind | str] = DEFAULT_PLAN_KINDS,
    *,
    mutations_only: bool = False,
    seed: int = 0,
) -> FaultPlan[FaultKind]:
    """A seeded random plan of GitHub faults (kinds may be given by name; unknown names are refused)."""
    return FaultPlan(probability, parse_kinds(FaultKind, kinds), writes_only=mutations_only, seed=seed)


def format_seconds(value: float) -> str:
    """Retry-After as GitHub sends it (whole seconds) unless a test asked for a fraction."""
    return f"{value:g}"


def http_fault(kind: FaultKind, *, request_id: str, retry_after: float) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Status, extra headers and JSON body of the pure-HTTP faults (everything but the rate-limit bodies)."""
    secondary = SECONDARY_RATE_LIMIT_MESSAGE.format(request_id=request_id)
    secondary_docs = (
        "https://docs.github.com/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api#secondary-rate-limits"
    )
    if kind is FaultKind.HTTP_500:
        return 500, {}, {"message": "Server Error", "documentation_url": DOCS_URL}
    if kind in {FaultKind.HTTP_502, FaultKind.HTTP_502_AFTER_COMMIT}:
        return 502, {}, {"message": TIMEOUT_MESSAGE, "documentation_url": DOCS_URL}
    if kind is FaultKind.HTTP_504:
        return 504, {}, {"message": TIMEOUT_MESSAGE, "documentation_url": DOCS_URL}
    if kind is FaultKind.HTTP_429:
        return (
            429,
            {"retry-after": format_seconds(retry_after)},
            {"message": "Too many requests. Please retry after the time in the Retry-After header."},
        )
    if kind is FaultKind.SECONDARY_403:
        headers = {"retry-after": format_seconds(retry_after)}
        return 403, headers, {"message": secondary, "documentation_url": secondary_docs}
    if kind is FaultKind.SECONDARY_403_NO_RETRY_AFTER:
        return 403, {}, {"message": secondary, "documentation_url": secondary_docs}
    if kind is FaultKind.SECONDARY_200:
        return 200, {"retry-after": format_seconds(retry_after)}, {"data": None, "errors": [{"message": secondary}]}
    if kind is FaultKind.FORBIDDEN_403:
        return 403, {}, {"message": SAML_MESSAGE, "documentation_url": DOCS_URL}
    raise ValueError(f"{kind} is not a pure HTTP fault")
