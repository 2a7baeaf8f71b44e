"""Request accounting, so tests and benchmarks can assert on round trips, retries, concurrency and budgets."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

__all__ = ["LIMIT_KINDS", "EmulatorStats"]

# The kinds of limit response, as in budgets.LimitKind (kept as strings so stats import nothing else).
LIMIT_KINDS = ("primary", "secondary_points", "content_per_minute", "content_per_hour", "concurrency")


class EmulatorStats:
    """Counters for one emulator; safe to read while requests are in flight.

    Budget accounting (``*_spent``, ``limited``) is always counted; :meth:`as_dict` reports it under
    ``"budgets"`` when the emulator models budgets (``GitHubEmulator(budgets=...)``).
    """

    def __init__(self, *, budgets: bool = False) -> None:
        self._lock = threading.Lock()
        self.budgets = budgets
        self.requests = 0
        self.mutation_requests = 0
        self.mutation_fields_applied = 0
        self.operations: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.rate_limited = 0  # primary-limit responses (RATE_LIMITED bodies the budget provoked)
        self.internal_errors = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.primary_points_spent = 0
        self.secondary_points_spent = 0
        self.content_units_spent = 0
        self.limited: Counter[str] = Counter()  # limit responses by kind (LIMIT_KINDS)

    def record_request(self) -> None:
        with self._lock:
            self.requests += 1

    def record_operation(self, name: str, *, is_mutation: bool) -> None:
        with self._lock:
            self.operations[name] += 1
            if is_mutation:
                self.mutation_requests += 1

    def record_mutation_field(self) -> None:
        with self._lock:
            self.mutation_fields_applied += 1

    def record_fault(self, kind: str) -> None:
        with self._lock:
            self.faults[kind] += 1

    def record_status(self, status: int) -> None:
        with self._lock:
            self.statuses[status] += 1

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

    def record_internal_error(self) -> None:
        with self._lock:
            self.internal_errors += 1

    def enter(self) -> int:
        """A request arrives; returns how many are in flight now, this one included."""
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            return self.in_flight

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def reset(self) -> None:
        """Zero the counters; the peak restarts from what is in flight right now."""
        with self._lock:
            self.requests = self.mutation_requests = self.mutation_fields_applied = 0
            self.rate_limited = self.internal_errors = 0
            self.primary_points_spent = self.secondary_points_spent = self.content_units_spent = 0
            self.operations.clear()
            self.faults.clear()
            self.statuses.clear()
            self.limited.clear()
            self.peak_in_flight = self.in_flight

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            result: dict[str, Any] = {
                "requests": self.requests,
                "mutation_requests": self.mutation_requests,
                "mutation_fields_applied": self.mutation_fields_applied,
                "operations": dict(self.operations),
                "faults": dict(self.faults),
                "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
                "rate_limited": self.rate_limited,
                "internal_errors": self.internal_errors,
                "in_flight": self.in_flight,
                "peak_in_flight": self.peak_in_flight,
            }
            if self.budgets:
                result["budgets"] = {
                    "primary_points_spent": self.primary_points_spent,
                    "secondary_points_spent": self.secondary_points_spent,
                    "content_units_spent": self.content_units_spent,
                    "limited": {kind: self.limited[kind] for kind in LIMIT_KINDS},
                    "peak_concurrency": self.peak_in_flight,
                }
            return result
