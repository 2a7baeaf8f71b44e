"""Request accounting, so tests and benchmarks can assert on round trips, retries, faults and concurrency."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

__all__ = ["RequestStats"]


class RequestStats:
    """Counters for one emulator; safe to update from the server's threads and to read while requests are in
    flight. An emulator with more to count (budgets) subclasses it and extends :meth:`reset`/:meth:`as_dict`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.write_requests = 0
        self.operations: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.internal_errors = 0
        self.in_flight = 0
        self.peak_in_flight = 0

    def record_request(self) -> None:
        with self._lock:
            self.requests += 1

    def record_operation(self, name: str, *, write: bool) -> None:
        """One request of operation ``name`` (a GraphQL operation, or ``"POST /rest/api/3/issue"``)."""
        with self._lock:
            self.operations[name] += 1
            if write:
                self.write_requests += 1

    def record_fault(self, kind: str) -> None:
        with self._lock:
            self.faults[kind] += 1

    def record_status(self, status: int) -> None:
        with self._lock:
            self.statuses[status] += 1

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
            self.requests = self.write_requests = self.internal_errors = 0
            self.operations.clear()
            self.faults.clear()
            self.statuses.clear()
            self.peak_in_flight = self.in_flight

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.requests,
                "write_requests": self.write_requests,
                "operations": dict(self.operations),
                "faults": dict(self.faults),
                "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
                "internal_errors": self.internal_errors,
                "in_flight": self.in_flight,
                "peak_in_flight": self.peak_in_flight,
            }
