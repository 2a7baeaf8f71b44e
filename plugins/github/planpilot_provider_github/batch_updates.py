"""``update_items`` in a few requests: one batched read, one decision per issue, aliased writes.

The read is ``nodes(ids:)`` (100 ids a request); each issue's writes are decided by
:func:`~.changes.decide_changes`, exactly as ``update_item`` decides them; then the issue, label and board
writes of every item go out together as aliased mutations (:mod:`.aliases`). A field value needs the id of
the issue's board item, so an issue not on the board yet is added in a first round and gets its values in a
second. An error of one field fails its own item only; the others are reported updated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from planpilot_provider_github.aliases import Kind, Write, send_writes
from planpilot_provider_github.changes import Changes, Wanted, decide_changes
from planpilot_provider_github.client import GitHubGraphQL
from planpilot_provider_github.context import FieldValue, GitHubContext
from planpilot_provider_github.convert import IssueState
from planpilot_provider_github.labels import LabelCatalog
from planpilot_provider_github.reads import IssueReads
from planpilot_providers_core.batches import first_errors
from planpilot_providers_core.contracts import UpdateItemInput
from planpilot_providers_core.errors import ItemNotFoundError

__all__ = ["READ_BATCH", "BatchUpdates"]

READ_BATCH = 100
"""``nodes(ids:)`` takes at most 100 ids per request."""
OPERATION = "UpdateItems"


class BatchUpdates:
    """The provider's batched updates; each call takes the entered provider's context."""

    def __init__(self, gql: GitHubGraphQL, reads: IssueReads, labels: LabelCatalog) -> None:
        self._gql = gql
        self._reads = reads
        self._labels = labels

    async def update(
        self, updates: Sequence[tuple[str, UpdateItemInput]], context: GitHubContext
    ) -> list[IssueState | Exception]:
        """One result per update, in order: the issue as it reads once written, or the error for it."""
        results: list[IssueState | Exception | None] = [None] * len(updates)
        wanted: dict[int, Wanted] = {}
        for n, (_, update) in enumerate(updates):
            try:  # a size or field the board lacks fails this item, before anything is written
                wanted[n] = Wanted.for_update(update, context)
            except Exception as exc:
                results[n] = exc
        states = await self._read([updates[n][0] for n in wanted], context)
        decided: dict[int, tuple[IssueState, Changes]] = {}
        for n, want in wanted.items():
            state = states.get(updates[n][0])
            if state is None:
                state = ItemNotFoundError(f"no GitHub issue with id {updates[n][0]!r} (deleted, or not visible)")
            if isinstance(state, Exception):
                results[n] = state
            else:
                decided[n] = (state, decide_changes(state, want, context))
        label_ids = await self._label_ids((name for _, c in decided.values() for name in c.add_labels), context)
        for n, (_, changes) in decided.items():
            missing = [found for name in changes.add_labels if isinstance(found := label_ids[name], Exception)]
            if missing:
                results[n] = missing[0]
        decided = {n: d for n, d in decided.items() if results[n] is None}

        errors = await self._write(decided, label_ids, context, len(updates))
        for n, (state, changes) in decided.items():
            error, board_item = errors[n]
            if error is not None:
                results[n] = error
                continue
            added = {name: str(label_ids[name]) for name in changes.add_labels}
            results[n] = changes.applied_to(state, label_ids=added, project_item_id=board_item)
        done = [result for result in results if result is not None]
        assert len(done) == len(updates), "every update has its result"
        return done

    async def _write(
        self,
        decided: dict[int, tuple[IssueState, Changes]],
        label_ids: dict[str, str | Exception],
        context: GitHubContext,
        count: int,
    ) -> dict[int, tuple[Exception | None, str]]:
        """Send the two rounds; per item, its first error (or None) and its board item's id."""
        first = [
            w for n, (state, changes) in decided.items() for w in _first_round(n, state, changes, label_ids, context)
        ]
        outcomes = await send_writes(self._gql, OPERATION, first)
        errors = first_errors(outcomes, first, count)
        added = {
            w.owner: str(o.data.item.id)
            for w, o in zip(first, outcomes, strict=True)
            if w.kind is Kind.ADD_PROJECT_ITEM and o.error is None
        }
        second = [
            _set_field(n, added[n], value, context)
            for n, (_, changes) in decided.items()
            if n in added and errors[n] is None
            for value in changes.set_fields
        ]
        later = first_errors(await send_writes(self._gql, OPERATION, second), second, count)
        return {
            n: (errors[n] or later[n], added.get(n) or state.project_item_id or "") for n, (state, _) in decided.items()
        }

    async def _read(self, ids: Sequence[str], context: GitHubContext) -> dict[str, IssueState | Exception]:
        """The issues by id, :data:`READ_BATCH` a request; a request that failed fails its ids."""
        unique = list(dict.fromkeys(ids))
        found: dict[str, IssueState | Exception] = {}
        for start in range(0, len(unique), READ_BATCH):
            batch = unique[start : start + READ_BATCH]
            try:
                found.update(await self._reads.by_ids(batch, context))
            except Exception as exc:
                found.update((item_id, exc) for item_id in batch)
        return found

    async def _label_ids(self, names: Iterable[str], context: GitHubContext) -> dict[str, str | Exception]:
        """Label ids by name, each created once if missing; a label that cannot be had fails its items."""
        ids: dict[str, str | Exception] = {}
        for name in dict.fromkeys(names):
            try:
                ids[name] = (await self._labels.ids([name], context))[name]
            except Exception as exc:
                ids[name] = exc
        return ids


def _set_field(owner: int, item_id: str, value: FieldValue, context: GitHubContext) -> Write:
    return Write(
        Kind.SET_FIELD,
        {"projectId": context.project_id, "itemId": item_id, "fieldId": value.field_id, "value": dict(value.value)},
        owner,
    )


def _first_round(
    n: int, state: IssueState, changes: Changes, label_ids: dict[str, str | Exception], context: GitHubContext
) -> list[Write]:
    """The issue's writes that need nothing from another write; field values too when it is on the board."""
    writes = []
    if changes.issue_fields:
        writes.append(Write(Kind.UPDATE_ISSUE, {"id": state.id, **changes.issue_fields}, n))
    if changes.add_labels:
        ids = list(dict.fromkeys(str(label_ids[name]) for name in changes.add_labels))
        writes.append(Write(Kind.ADD_LABELS, {"labelableId": state.id, "labelIds": ids}, n))
    if changes.remove_labels:
        writes.append(
            Write(Kind.REMOVE_LABELS, {"labelableId": state.id, "labelIds": list(changes.remove_labels.values())}, n)
        )
    if state.project_item_id is None:  # the field values follow in the second round, with its id
        writes.append(Write(Kind.ADD_PROJECT_ITEM, {"projectId": context.project_id, "contentId": state.id}, n))
    else:
        item_id = state.project_item_id
        writes.extend(_set_field(n, item_id, value, context) for value in changes.set_fields)
    return writes
