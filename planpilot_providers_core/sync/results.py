"""What a sync did: per item (action, key, url, relations) and per failure, as returned and printed."""

from __future__ import annotations

import enum
from typing import Any

import attrs

from planpilot_providers_core.contracts import Item, PlanItemType
from planpilot_providers_core.plan.model import LEVELS

__all__ = [
    "ItemAction",
    "ItemOutcome",
    "MergedItem",
    "Phase",
    "RelationsAction",
    "RemovedItem",
    "SyncProblem",
    "SyncResult",
]


class Phase(enum.StrEnum):
    DISCOVER = "discover"
    MERGE = "merge"
    """Closing surplus copies of plan items as duplicates of the kept ones."""
    UPSERT = "upsert"
    ENRICH = "enrich"
    RELATIONS = "relations"


class ItemAction(enum.StrEnum):
    """What the sync did to an item."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    SKIPPED = "skipped"
    """Not written at all, because an item it depends on failed or was skipped."""
    PENDING = "pending"
    """Not finished: the run was stopped before this item's outcome was known. Running again finishes it."""


class RelationsAction(enum.StrEnum):
    """What the relations phase did to an item's parent and blockers."""

    UNCHANGED = "unchanged"
    UPDATED = "updated"
    FAILED = "failed"
    SKIPPED = "skipped"
    """Not checked: the item was not synced, or the provider supports no relation kind."""


@attrs.frozen(kw_only=True)
class SyncProblem:
    """A failure of one item in one phase; partial creates carry what was created and done."""

    item_id: str
    phase: Phase
    error: str
    """The exception's class name."""
    message: str
    created_item_id: str | None = None
    created_item_key: str | None = None
    created_item_url: str | None = None
    completed_steps: tuple[str, ...] = ()
    retryable: bool | None = None
    partial: bool = False
    """A create that failed after the item existed (``CreateItemPartialFailureError``)."""

    def __str__(self) -> str:
        return f"{self.item_id} ({self.phase.value}): {self.error}: {self.message}"

    def to_json(self) -> dict[str, object]:
        return {
            "item_id": self.item_id,
            "phase": self.phase.value,
            "error": self.error,
            "message": self.message,
            "partial": self.partial,
            "created_item_id": self.created_item_id,
            "created_item_key": self.created_item_key,
            "created_item_url": self.created_item_url,
            "completed_steps": list(self.completed_steps),
            "retryable": self.retryable,
        }


@attrs.frozen(kw_only=True)
class ItemOutcome:
    """One plan item after the sync: what happened, and where it lives in the tracker."""

    item_id: str
    item_type: PlanItemType
    title: str
    action: ItemAction
    key: str | None = None
    url: str | None = None
    relations: RelationsAction = RelationsAction.SKIPPED
    reason: str | None = None
    """Why the item failed or was skipped."""

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.item_id,
            "type": self.item_type.value,
            "title": self.title,
            "action": self.action.value,
            "key": self.key,
            "url": self.url,
            "relations": self.relations.value,
            "reason": self.reason,
        }


@attrs.frozen(kw_only=True)
class RemovedItem:
    """A tracker item of this plan whose item id the plan no longer has: reported, never touched."""

    item_id: str
    key: str
    url: str
    title: str

    @classmethod
    def of(cls, item_id: str, item: Item) -> RemovedItem:
        return cls(item_id=item_id, key=item.key, url=item.url, title=item.title)

    def to_json(self) -> dict[str, object]:
        return {"id": self.item_id, "key": self.key, "url": self.url, "title": self.title}


@attrs.frozen(kw_only=True)
class MergedItem:
    """Surplus copies of one plan item that the run closed as duplicates of the one kept."""

    item_id: str
    kept: str
    """The kept item's key."""
    url: str
    """The kept item's URL."""
    closed: tuple[str, ...]
    """Keys of the copies closed as its duplicates (never deleted: they link to the kept one)."""

    def to_json(self) -> dict[str, object]:
        return {"id": self.item_id, "kept": self.kept, "url": self.url, "closed": list(self.closed)}


@attrs.frozen(kw_only=True)
class SyncResult:
    """Everything a sync did, per item, with the failures that make it unsuccessful."""

    plan_id: str
    """The plan's identity: the id its items carry (kept across edits, see ``sync.identity``)."""
    provider: str
    items: tuple[ItemOutcome, ...]
    content_id: str | None = None
    """The plan's content hash (PlanPilot's id for this version); differs from ``plan_id`` once edited."""
    identity: str | None = None
    """How the identity was found: content, lineage, pinned or new (``sync.identity.IdentitySource``)."""
    removed: tuple[RemovedItem, ...] = ()
    """This plan's tracker items the plan no longer has: left alone."""
    problems: tuple[SyncProblem, ...] = ()
    unsupported_relations: tuple[str, ...] = ()
    """Relation capabilities the provider lacks; those relations were not synced."""
    warnings: tuple[str, ...] = ()
    writes: int = 0
    """Item writes: creates, updates and relation reconciles, one per item (batched calls count per item)."""
    finished: bool = True
    """False for the partial result of a run that was stopped (interrupted) half-way."""
    merged: tuple[MergedItem, ...] = ()
    """Duplicate copies of plan items this run closed (concurrent syncs, or merged copies of the plan)."""
    merged_copies: tuple[str, ...] = ()
    """Other copies of the plan (by id) whose items were merged into this one (``--keep-copy``)."""

    @property
    def ok(self) -> bool:
        return self.finished and not self.problems

    def outcome(self, item_id: str) -> ItemOutcome:
        for outcome in self.items:
            if outcome.item_id == item_id:
                return outcome
        raise KeyError(item_id)

    @property
    def actions(self) -> tuple[ItemAction, ...]:
        """The actions a summary shows: all of them, ``pending`` only for a run that did not finish."""
        return tuple(a for a in ItemAction if a is not ItemAction.PENDING or not self.finished)

    def counts(self) -> dict[PlanItemType, dict[ItemAction, int]]:
        """How many items of each type got each action (every action in :attr:`actions`, zeros included)."""
        table = {level: dict.fromkeys(self.actions, 0) for level in LEVELS}
        for outcome in self.items:
            table[outcome.item_type][outcome.action] += 1
        return table

    def to_json(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "content_id": self.content_id,
            "identity": self.identity,
            "provider": self.provider,
            "ok": self.ok,
            "finished": self.finished,
            "writes": self.writes,
            "summary": {
                level.value: {action.value: n for action, n in row.items()} for level, row in self.counts().items()
            },
            "items": [outcome.to_json() for outcome in self.items],
            "relations": {
                "updated": sum(o.relations is RelationsAction.UPDATED for o in self.items),
                "unchanged": sum(o.relations is RelationsAction.UNCHANGED for o in self.items),
                "unsupported": list(self.unsupported_relations),
            },
            "problems": [problem.to_json() for problem in self.problems],
            "removed": [removed.to_json() for removed in self.removed],
            "merged": [merged.to_json() for merged in self.merged],
            "merged_copies": list(self.merged_copies),
            "warnings": list(self.warnings),
        }
