"""The record of one run: what happened to each item so far, the problems, the writes and the progress.

The phases write to it and :meth:`RunLedger.outcomes` reads it, so a run stopped half-way can still say
what it did (unfinished items are ``pending``). Every provider call goes through :meth:`RunLedger.call`,
which holds the run's concurrency bound and counts the writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import attrs

from planpilot_providers_core.contracts import Item
from planpilot_providers_core.errors import CreateItemPartialFailureError
from planpilot_providers_core.plan import LEVELS, Plan, PlanItem
from planpilot_providers_core.sync.results import (
    ItemAction,
    ItemOutcome,
    MergedItem,
    Phase,
    RelationsAction,
    SyncProblem,
)

__all__ = ["ItemState", "ProgressCallback", "RunLedger"]

_T = TypeVar("_T")

#: ``progress(phase, done, total)``: called when a phase starts (``done == 0``) and after each item.
ProgressCallback = Callable[[str, int, int], None]


@attrs.define
class ItemState:
    """Mutable per-item bookkeeping of one run."""

    action: ItemAction | None = None
    existed: bool = False
    relations: RelationsAction = RelationsAction.SKIPPED
    reason: str | None = None
    key: str | None = None
    url: str | None = None
    settled: asyncio.Event = attrs.field(factory=asyncio.Event)


class RunLedger:
    """Per-item state, tracker items, problems, warnings and write count of one run."""

    def __init__(self, plan: Plan, *, max_concurrent: int, progress: ProgressCallback | None) -> None:
        self.plan = plan
        self.state = {item.id: ItemState() for item in plan}
        self.tracked: dict[str, Item] = {}
        """Plan item id -> its tracker item, as last seen (discovered, created or updated)."""
        self.problems: list[SyncProblem] = []
        self.warnings: list[str] = []
        self.unsupported: list[str] = []
        self.merged: list[MergedItem] = []
        """Surplus copies this run closed as duplicates, per plan item."""
        self.writes = 0
        self._semaphore = asyncio.Semaphore(max_concurrent)
        self._progress = progress
        self._done = 0
        self._phase_total = 0

    def start(self, phase: Phase, total: int) -> None:
        self._done = 0
        self._phase_total = total
        if self._progress is not None:
            self._progress(phase.value, 0, total)

    def tick(self, phase: Phase) -> None:
        self._done += 1
        if self._progress is not None:
            self._progress(phase.value, self._done, self._phase_total)

    async def call(self, operation: Callable[[], Awaitable[_T]], *, write: bool, items: int = 1) -> _T:
        """One provider call inside the concurrency bound; a write counts once per item it writes."""
        async with self._semaphore:
            if write:
                self.writes += items
            return await operation()

    def track(self, item_id: str, tracker_item: Item) -> None:
        self.tracked[item_id] = tracker_item
        state = self.state[item_id]
        state.key, state.url = tracker_item.key, tracker_item.url

    def fail(self, item: PlanItem, phase: Phase, exc: Exception) -> None:
        """The item failed in ``phase``; a partial create keeps what was created and which steps ran."""
        state = self.state[item.id]
        state.action = ItemAction.FAILED
        state.reason = f"{phase.value} failed: {exc}"
        problem = SyncProblem(item_id=item.id, phase=phase, error=type(exc).__name__, message=str(exc))
        if isinstance(exc, CreateItemPartialFailureError):
            problem = attrs.evolve(
                problem,
                partial=True,
                message=str(exc.args[0]) if exc.args else str(exc),
                created_item_id=exc.created_item_id,
                created_item_key=exc.created_item_key,
                created_item_url=exc.created_item_url,
                completed_steps=exc.completed_steps,
                retryable=exc.retryable,
            )
            state.key = exc.created_item_key
            state.url = exc.created_item_url
            steps = ", ".join(exc.completed_steps) or "none"
            state.reason = (
                f"created {exc.created_item_key or exc.created_item_id} but not fully configured "
                f"(completed steps: {steps}); run the sync again to finish it"
            )
        self.problems.append(problem)

    def relations_failed(self, item: PlanItem, exc: Exception) -> None:
        """Only the item's relations failed: its own outcome stands."""
        self.state[item.id].relations = RelationsAction.FAILED
        self.problems.append(
            SyncProblem(item_id=item.id, phase=Phase.RELATIONS, error=type(exc).__name__, message=str(exc))
        )

    def outcomes(self, *, finished: bool) -> tuple[ItemOutcome, ...]:
        """Every plan item's outcome, epics first; before the run finished, unknown outcomes are ``pending``."""
        unknown = ItemAction.UNCHANGED if finished else ItemAction.PENDING
        outcomes = []
        for level in LEVELS:
            for item in self.plan.level(level):
                state = self.state[item.id]
                outcomes.append(
                    ItemOutcome(
                        item_id=item.id,
                        item_type=item.type,
                        title=item.title,
                        action=state.action or unknown,
                        key=state.key,
                        url=state.url,
                        relations=state.relations,
                        reason=state.reason,
                    )
                )
        return tuple(outcomes)
