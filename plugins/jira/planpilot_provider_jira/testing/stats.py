"""Request accounting for the Jira emulator: core's counters (requests, operations by ``operationId``, writes,
faults, statuses, concurrency) plus limit answers by ``RateLimit-Reason``, quota points spent, and requests the
OpenAPI description refused."""

from __future__ import annotations

from collections import Counter
from typing import Any

from planpilot_providers_core.emulation import RequestStats

__all__ = ["JiraStats"]


class JiraStats(RequestStats):
    def __init__(self) -> None:
        super().__init__()
        self.limited: Counter[str] = Counter()
        self.points_spent = 0
        self.refused_by_contract = 0
        self.items_created = 0

    def record_limited(self, reason: str) -> None:
        with self._lock:
            self.limited[reason] += 1

    def record_points(self, points: int) -> None:
        with self._lock:
            self.points_spent += points

    def record_refused_by_contract(self) -> None:
        with self._lock:
            self.refused_by_contract += 1

    def record_created(self, count: int) -> None:
        with self._lock:
            self.items_created += count

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.limited.clear()
            self.points_spent = self.refused_by_contract = self.items_created = 0

    def as_dict(self) -> dict[str, Any]:
        result = super().as_dict()
        with self._lock:
            result.update(
                limited=dict(self.limited),
                points_spent=self.points_spent,
                refused_by_contract=self.refused_by_contract,
                items_created=self.items_created,
            )
        return result
