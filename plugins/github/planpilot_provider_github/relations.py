"""Sub-issue and blocked-by relations: batched reads, tolerant writes, reconciliation one by one or many
at once (:meth:`RelationOps.reconcile_many`: the links of many issues as aliased mutations).

GitHub answers re-adding an existing link, or removing a missing one, with an error; in a
re-runnable sync those races mean the tracker already shows what we want, so they count as success.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Final

from planpilot_provider_github.aliases import ALREADY_ABSENT, ALREADY_LINKED, Kind, Write, send_writes
from planpilot_provider_github.client import ErrorFilter, GitHubGraphQL, error_message, error_type
from planpilot_provider_github.graphql.generated import issues as issue_ops
from planpilot_provider_github.graphql.generated import relation_mutations as relation_ops
from planpilot_providers_core import Capability, ItemNotFoundError, ItemRelations, ProviderError
from planpilot_providers_core.batches import first_errors

BATCH: Final = 100
"""``nodes(ids:)`` takes at most 100 ids per request."""


def _matching(fragments: Sequence[str]) -> ErrorFilter:
    return lambda error: any(f in error_message(error).lower() for f in fragments)


def _not_found(error: object) -> bool:
    return isinstance(error, dict) and error_type(error) == "NOT_FOUND"


class RelationOps:
    """Relation reads and writes of one provider, with its lifecycle and capability checks.

    Items hold this object, not the provider: ``ensure_entered``/``ensure_writable`` make a call on an
    exited provider fail, ``require`` enforces the capabilities it resolved.
    """

    def __init__(
        self,
        gql: GitHubGraphQL,
        *,
        require: Callable[[Capability], None],
        ensure_entered: Callable[[], None],
        ensure_writable: Callable[[], None],
    ) -> None:
        self._gql = gql
        self._require = require
        self._ensure_entered = ensure_entered
        self._ensure_writable = ensure_writable
        self._snapshots: dict[str, ItemRelations] = {}

    def _writing(self, capability: Capability) -> None:
        self._ensure_writable()
        self._require(capability)

    async def fetch(self, item_ids: Sequence[str]) -> dict[str, ItemRelations]:
        """Relations of many issues, 100 per request; an id that no longer resolves is an error.

        What it read stands in for a fresh read in the next :meth:`reconcile` of each item: a sync
        reads every item in batches, then reconciles the ones that differ, and re-reading each would
        cost a request per item. A write to an item drops its snapshot, so the stand-in is never older
        than this run's own changes; the writes tolerate "already linked"/"already absent", so a
        change someone else made in between costs nothing.
        """
        self._ensure_entered()
        batches = [list(item_ids[i : i + BATCH]) for i in range(0, len(item_ids), BATCH)]
        results = await asyncio.gather(*(self._fetch_batch(batch) for batch in batches))
        merged: dict[str, ItemRelations] = {}
        for result in results:
            merged.update(result)
        self._snapshots.update(merged)
        return merged

    async def _fetch_batch(self, ids: list[str]) -> dict[str, ItemRelations]:
        found = await self._read(ids)
        missing = [i for i in ids if i not in found]
        if missing:
            raise ItemNotFoundError(
                f"issue(s) {', '.join(missing)} no longer exist on GitHub (deleted or moved), or are not issues"
            )
        return found

    async def _read(self, ids: list[str]) -> dict[str, ItemRelations]:
        """The relations of those of ``ids`` that are issues (deleted ones and other nodes are left out)."""
        response = await self._gql.query(issue_ops.Operations.query.issue_relations, {"ids": ids}, tolerate=_not_found)
        found: dict[str, ItemRelations] = {}
        for node in response.raw["nodes"] or []:  # the JSON: typed objects cost more than the rest of the read
            if not node or node.get("__typename") != "Issue":  # deleted, or an id of something else
                continue
            blocked, issue_id = node["blockedBy"], node["id"]
            blockers = [b["id"] for b in blocked["nodes"] or []]
            if blocked["totalCount"] > len(blockers):
                raise ProviderError(f"issue {issue_id} has {blocked['totalCount']} blockers; only {BATCH} can be read")
            parent = node.get("parent")
            found[issue_id] = ItemRelations(parent_id=parent["id"] if parent else None, blocker_ids=blockers)
        return found

    async def add_sub_issue(self, *, parent_id: str, child_id: str) -> None:
        """Place the child under the parent, moving it from any other parent."""
        self._writing(Capability.RELATION_PARENT)
        self._snapshots.pop(child_id, None)
        variables = {"input": {"issueId": parent_id, "subIssueId": child_id, "replaceParent": True}}
        await self._gql.mutate(
            relation_ops.Operations.mutation.add_sub_issue, variables, tolerate=_matching(ALREADY_LINKED)
        )

    async def remove_sub_issue(self, *, parent_id: str, child_id: str) -> None:
        self._writing(Capability.RELATION_PARENT)
        self._snapshots.pop(child_id, None)
        variables = {"input": {"issueId": parent_id, "subIssueId": child_id}}
        await self._gql.mutate(
            relation_ops.Operations.mutation.remove_sub_issue, variables, tolerate=_matching(ALREADY_ABSENT)
        )

    async def add_blocked_by(self, *, issue_id: str, blocker_id: str) -> None:
        self._writing(Capability.RELATION_BLOCKED_BY)
        self._snapshots.pop(issue_id, None)
        variables = {"input": {"issueId": issue_id, "blockingIssueId": blocker_id}}
        await self._gql.mutate(
            relation_ops.Operations.mutation.add_blocked_by, variables, tolerate=_matching(ALREADY_LINKED)
        )

    async def remove_blocked_by(self, *, issue_id: str, blocker_id: str) -> None:
        self._writing(Capability.RELATION_BLOCKED_BY)
        self._snapshots.pop(issue_id, None)
        variables = {"input": {"issueId": issue_id, "blockingIssueId": blocker_id}}
        await self._gql.mutate(
            relation_ops.Operations.mutation.remove_blocked_by, variables, tolerate=_matching(ALREADY_ABSENT)
        )

    async def reconcile(self, item_id: str, current: ItemRelations | None, desired: ItemRelations) -> None:
        """Make the issue show ``desired``, sending only the differences from ``current`` (None: the
        batch snapshot, else a fresh read). A parent move is one ``addSubIssue(replaceParent: true)``;
        nothing to change needs no capability and sends nothing."""
        self._ensure_writable()
        if current is None:
            current = self._snapshots.pop(item_id, None) or (await self.fetch([item_id]))[item_id]
        self._snapshots.pop(item_id, None)
        if current.parent_id != desired.parent_id:
            if desired.parent_id is not None:
                await self.add_sub_issue(parent_id=desired.parent_id, child_id=item_id)
            elif current.parent_id is not None:
                await self.remove_sub_issue(parent_id=current.parent_id, child_id=item_id)
        to_add = desired.blockers - current.blockers
        to_remove = current.blockers - desired.blockers
        for blocker in sorted(to_add):
            await self.add_blocked_by(issue_id=item_id, blocker_id=blocker)
        for blocker in sorted(to_remove):
            await self.remove_blocked_by(issue_id=item_id, blocker_id=blocker)

    async def reconcile_many(self, changes: Sequence[tuple[str, ItemRelations]]) -> list[Exception | None]:
        """Make each issue show its desired relations; one result per change, in order (None: done).

        The current relations come from the batch snapshot of :meth:`fetch` (what a sync read just
        before), else from one batched read; the differences of every issue then go out as aliased
        mutations, 20 to a request. Each alias's error fails its own issue only.
        """
        self._ensure_writable()
        results: list[Exception | None] = [None] * len(changes)
        current: dict[str, ItemRelations] = {}
        for item_id, _ in changes:  # a write drops the snapshot: it is never older than our own changes
            snapshot = self._snapshots.pop(item_id, None)
            if snapshot is not None:
                current[item_id] = snapshot
        unread = list(dict.fromkeys(item_id for item_id, _ in changes if item_id not in current))
        for start in range(0, len(unread), BATCH):
            batch = unread[start : start + BATCH]
            try:
                current.update(await self._read(batch))
            except Exception as exc:
                results = [exc if item_id in batch else r for (item_id, _), r in zip(changes, results, strict=True)]
        writes: list[Write] = []
        for n, (item_id, desired) in enumerate(changes):
            if results[n] is not None:
                continue
            if item_id not in current:
                results[n] = ItemNotFoundError(f"issue {item_id} no longer exists on GitHub (deleted or moved)")
                continue
            try:
                writes.extend(self._differences(n, item_id, current[item_id], desired))
            except ProviderError as exc:  # a relation kind this provider may not write
                results[n] = exc
        errors = first_errors(await send_writes(self._gql, "ReconcileRelations", writes), writes, len(changes))
        return [result or error for result, error in zip(results, errors, strict=True)]

    def _differences(self, n: int, item_id: str, current: ItemRelations, desired: ItemRelations) -> list[Write]:
        """The writes taking ``current`` to ``desired`` (a parent move is one ``addSubIssue(replaceParent)``)."""
        writes: list[Write] = []
        if current.parent_id != desired.parent_id:
            self._writing(Capability.RELATION_PARENT)
            if desired.parent_id is not None:
                link = {"issueId": desired.parent_id, "subIssueId": item_id, "replaceParent": True}
                writes.append(Write(Kind.ADD_SUB_ISSUE, link, n))
            elif current.parent_id is not None:
                writes.append(Write(Kind.REMOVE_SUB_ISSUE, {"issueId": current.parent_id, "subIssueId": item_id}, n))
        to_add, to_remove = desired.blockers - current.blockers, current.blockers - desired.blockers
        if to_add or to_remove:
            self._writing(Capability.RELATION_BLOCKED_BY)
        for kind, blockers in ((Kind.ADD_BLOCKED_BY, to_add), (Kind.REMOVE_BLOCKED_BY, to_remove)):
            writes.extend(Write(kind, {"issueId": item_id, "blockingIssueId": b}, n) for b in sorted(blockers))
        return writes
