"""The failures the Linear emulator injects, and the answer each one gets, so a client's retries, pacing and
ambiguity handling can be exercised deterministically (core's ``emulation.faults`` decides which request).

* ``ratelimited`` / ``complexity_ratelimited``: the request or complexity budget runs dry (it stays dry until
  it refills), answered as Linear answers: HTTP 400, ``RATELIMITED``, reset headers in epoch ms (§6.4);
* ``http_500``: Linear's own error answer [inferred shape: a GraphQL error of type ``internal error``];
  ``http_502``/``http_503``/``http_504``: an edge proxy's HTML page, no GraphQL body [inferred];
* ``http_500_after_commit``, ``timeout_after_commit``, ``drop_after_commit``: the request **was applied**,
  then the answer fails, never comes (core's stall: the client's read times out) or the connection drops;
  the ``..._before_commit``/``timeout`` kinds fail before anything is applied. Either way the client cannot
  tell which: that is what a client-chosen id (§7) is for.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from planpilot_providers_core.emulation import FaultPlan, parse_kinds

__all__ = ["AFTER_COMMIT", "DEFAULT_PLAN_KINDS", "FaultKind", "fault_plan", "http_fault"]


class FaultKind(StrEnum):
    RATELIMITED = "ratelimited"
    COMPLEXITY_RATELIMITED = "complexity_ratelimited"
    HTTP_500 = "http_500"
    HTTP_502 = "http_502"
    HTTP_503 = "http_503"
    HTTP_504 = "http_504"
    HTTP_500_AFTER_COMMIT = "http_500_after_commit"
    TIMEOUT = "timeout"
    TIMEOUT_AFTER_COMMIT = "timeout_after_commit"
    DROP_BEFORE_COMMIT = "drop_before_commit"
    DROP_AFTER_COMMIT = "drop_after_commit"

    @property
    def after_commit(self) -> bool:
        """True when the operation is applied before the failure is reported (the ambiguous case)."""
        return self in AFTER_COMMIT


AFTER_COMMIT = frozenset({FaultKind.HTTP_500_AFTER_COMMIT, FaultKind.TIMEOUT_AFTER_COMMIT, FaultKind.DROP_AFTER_COMMIT})
DEFAULT_PLAN_KINDS: tuple[FaultKind, ...] = tuple(FaultKind)
"""Every kind is transient, so a random plan draws from all of them."""


def fault_plan(
    probability: float,
    kinds: Iterable[FaultKind | str] = DEFAULT_PLAN_KINDS,
    *,
    writes_only: bool = False,
    seed: int = 0,
) -> FaultPlan[FaultKind]:
    """A seeded random plan of Linear faults (kinds may be given by name; unknown names are refused)."""
    return FaultPlan(probability, parse_kinds(FaultKind, kinds), writes_only=writes_only, seed=seed)


_EDGE_PAGES = {
    FaultKind.HTTP_502: (502, "Bad Gateway"),
    FaultKind.HTTP_503: (503, "Service Unavailable"),
    FaultKind.HTTP_504: (504, "Gateway Timeout"),
}


def http_fault(kind: FaultKind) -> tuple[int, dict[str, str], Any]:
    """Status, headers and body of a server failure: a JSON dict (Linear's error) or HTML text (the edge)."""
    if kind in (FaultKind.HTTP_500, FaultKind.HTTP_500_AFTER_COMMIT):
        error = {
            "message": "Internal server error",
            "extensions": {"type": "internal error", "code": "INTERNAL_SERVER_ERROR", "statusCode": 500},
        }
        return 500, {}, {"errors": [error]}
    if kind in _EDGE_PAGES:
        status, reason = _EDGE_PAGES[kind]
        page = f"<html><head><title>{status} {reason}</title></head><body><h1>{status} {reason}</h1></body></html>\n"
        return status, {"content-type": "text/html; charset=utf-8"}, page
    raise ValueError(f"{kind} is not an HTTP failure")
