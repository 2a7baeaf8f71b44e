"""Request accounting, so tests and benchmarks can assert on round trips, retries, concurrency and budgets.

Core's :class:`~planpilot_providers_core.emulation.RequestStats` counts requests, operations, faults and
concurrency; GitHub's adds mutation fields and its budgets (and calls a write request a mutation request).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from planpilot_providers_core.emulation import RequestStats

__all__ = ["LIMIT_KINDS", "EmulatorStats"]

# The kinds of limit response, as in budgets.LimitKind (kept as strings so stats import nothing else).
LIMIT_KINDS = ("primary", "secondary_points", "content_per_minute", "content_per_hour", "concurrency")


class EmulatorStats(RequestStats):
    """Counters for one GitHub emulator.

    Budget accounting (``*_spent``, ``limited``) is always counted; :meth:`as_dict` reports it under
    ``"budgets"`` when the emulator models budgets (``GitHubEmulator(budgets=...)``).
    """

    def __init__(self, *, budgets: bool = False) -> None:
        super().__init__()
        self.budgets = budgets
        self.mutation_fields_applied = 0
        self.rate_limited = 0  # primary-limit responses (RATE_LIMITED bodies the budget provoked)
        self.primary_points_spent = 0
        self.secondary_points_spent = 0
        self.content_units_spent = 0
        self.limited: Counter[str] = Counter()  # limit responses by kind (LIMIT_KINDS)

    @property
    def mutation_requests(self) -> int:
        """Requests carrying a mutation (GitHub's word for a write request)."""
        return self.write_requests

    def record_mutation_field(self) -> None:
        with self._lock:
            self.mutation_fields_applied += 1

    def record_spent(self, *, primary: int, secondary: int, content: int) -> None:
        with self._lock:
            self.primary_points_spent += primary
            self.secondary_points_spent += secondary
            self.content_units_spent += content

    def record_limited(self, kind: str) -> None:
        """One limit response of ``kind`` (a primary one also counts in :attr:`rate_limited`)."""
        with self._lock:
            self.limited[kind] += 1
            if kind == "primary":
                self.rate_limited += 1

    def record_rate_limited(self) -> None:
        self.record_limited("primary")

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.mutation_fields_applied = self.rate_limited = 0
            self.primary_points_spent = self.secondary_points_spent = self.content_units_spent = 0
            self.limited.clear()

    def as_dict(self) -> dict[str, Any]:
        result = super().as_dict()
        with self._lock:
            result["mutation_requests"] = result.pop("write_requests")
            result["mutation_fields_applied"] = self.mutation_fields_applied
            result["rate_limited"] = self.rate_limited
            if self.budgets:
                result["budgets"] = {
                    "primary_points_spent": self.primary_points_spent,
                    "secondary_points_spent": self.secondary_points_spent,
                    "content_units_spent": self.content_units_spent,
                    "limited": {kind: self.limited[kind] for kind in LIMIT_KINDS},
                    "peak_concurrency": self.peak_in_flight,
                }
        return result
