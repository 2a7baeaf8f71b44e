"""Request accounting for the Linear emulator, so tests and benchmarks can assert on round trips, faults,
budgets and refusals. Core's :class:`~planpilot_providers_core.emulation.RequestStats` counts requests,
operations, faults and concurrency; Linear's adds complexity points and the answers only Linear gives."""

from __future__ import annotations

from collections import Counter
from typing import Any

from planpilot_providers_core.emulation import RequestStats

__all__ = ["LinearStats"]


class LinearStats(RequestStats):
    """Counters for one Linear emulator."""

    def __init__(self) -> None:
        super().__init__()
        self.mutation_fields_applied = 0  # mutation fields that ran to success (an aliased batch counts each)
        self.complexity_spent = 0  # points charged to the hourly budget
        self.limited: Counter[str] = Counter()  # RATELIMITED answers by budget (requests, complexity, endpoint)
        self.too_complex = 0  # requests over the per-request cap
        self.unauthenticated = 0  # 401 answers

    def record_mutation_field(self) -> None:
        with self._lock:
            self.mutation_fields_applied += 1

    def record_complexity(self, points: int) -> None:
        with self._lock:
            self.complexity_spent += points

    def record_limited(self, budget: str) -> None:
        with self._lock:
            self.limited[budget] += 1

    def record_too_complex(self) -> None:
        with self._lock:
            self.too_complex += 1

    def record_unauthenticated(self) -> None:
        with self._lock:
            self.unauthenticated += 1

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.mutation_fields_applied = self.complexity_spent = self.too_complex = self.unauthenticated = 0
            self.limited.clear()

    def as_dict(self) -> dict[str, Any]:
        result = super().as_dict()
        with self._lock:
            result.update(
                mutation_fields_applied=self.mutation_fields_applied,
                complexity_spent=self.complexity_spent,
                limited=dict(self.limited),
                too_complex=self.too_complex,
                unauthenticated=self.unauthenticated,
            )
        return result
