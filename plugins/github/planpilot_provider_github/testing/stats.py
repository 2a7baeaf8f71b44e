"""Request accounting, so tests and benchmarks can assert on round trips, retries and concurrency."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

__all__ = ["EmulatorStats"]


class EmulatorStats:
    """Counters for one emulator; safe to read while requests are in flight."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.mutation_requests = 0
        self.mutation_fields_applied = 0
        self.operations: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.rate_limited = 0
        self.internal_errors = 0
        self.in_flight = 0
        self.peak_in_flight = 0

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

    def record_rate_limited(self) -> None:
        with self._lock:
            self.rate_limited += 1

    def record_internal_error(self) -> None:
        with self._lock:
            self.internal_errors += 1

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def reset(self) -> None:
        """Zero the counters; the peak restarts from what is in flight right now."""
        with self._lock:
            self.requests = self.mutation_requests = self.mutation_fields_applied = 0
            self.rate_limited = self.internal_errors = 0
            self.operations.clear()
            self.faults.clear()
            self.statuses.clear()
            self.peak_in_flight = self.in_flight

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
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
