"""Jira's failure answers: the fault kinds the emulator injects and what each looks like on the wire, so a
client's retries, pacing and ambiguity handling can be exercised deterministically (core's
:mod:`planpilot_providers_core.emulation.faults` decides which request gets one).

Sources (notes §7, §8): every call can answer 429 (``Retry-After`` in whole seconds, ``RateLimit-Reason`` names the
limiter; a gateway-level 429 came without ``Retry-After``); 503 "may also include a Retry-After header"; 5xx and
timeouts may come after the write was applied, and Jira has no idempotency key, so a client must look before it
creates again.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from planpilot_providers_core.emulation import FaultPlan, parse_kinds

__all__ = ["AFTER_COMMIT", "DEFAULT_PLAN_KINDS", "FaultKind", "fault_plan"]


class FaultKind(StrEnum):
    RATE_LIMIT_BURST = "rate_limit_burst"
    RATE_LIMIT_PER_ISSUE = "rate_limit_per_issue"
    RATE_LIMIT_QUOTA = "rate_limit_quota"
    RATE_LIMIT_NO_RETRY_AFTER = "rate_limit_no_retry_after"
    HTTP_500 = "http_500"
    HTTP_502 = "http_502"
    HTTP_503 = "http_503"
    HTTP_504 = "http_504"
    HTTP_500_AFTER_COMMIT = "http_500_after_commit"
    HTTP_504_AFTER_COMMIT = "http_504_after_commit"
    TIMEOUT = "timeout"
    TIMEOUT_AFTER_COMMIT = "timeout_after_commit"
    DROP_BEFORE_COMMIT = "drop_before_commit"
    DROP_AFTER_COMMIT = "drop_after_commit"

    @property
    def after_commit(self) -> bool:
        """True when the request is applied before the failure is reported (the ambiguous case)."""
        return self in AFTER_COMMIT


AFTER_COMMIT = frozenset(
    {
        FaultKind.HTTP_500_AFTER_COMMIT,
        FaultKind.HTTP_504_AFTER_COMMIT,
        FaultKind.TIMEOUT_AFTER_COMMIT,
        FaultKind.DROP_AFTER_COMMIT,
    }
)
# A quota fault blocks the rest of the hour, which a random plan should not do by surprise.
DEFAULT_PLAN_KINDS: tuple[FaultKind, ...] = tuple(k for k in FaultKind if k is not FaultKind.RATE_LIMIT_QUOTA)


def fault_plan(
    probability: float,
    kinds: Iterable[FaultKind | str] = DEFAULT_PLAN_KINDS,
    *,
    writes_only: bool = False,
    seed: int = 0,
) -> FaultPlan[FaultKind]:
    """A seeded random plan of Jira faults (kinds may be given by name; unknown names are refused)."""
    return FaultPlan(probability, parse_kinds(FaultKind, kinds), writes_only=writes_only, seed=seed)
