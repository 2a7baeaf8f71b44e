"""Sub-issue and blocked-by relations: batched reads, tolerant writes, reconciliation.

GitHub answers re-adding an existing link, or removing a missing one, with an error; in a
re-runnable sync those races mean the tracker already shows what we want, so they count as success.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Final

from planpilot_provider_github.client import ErrorFilter, GitHubGraphQL, error_message, error_type
from planpilot_provider_github.graphql.generated import issues as issue_ops
from planpilot_provider_github.graphql.generated import relation_mutations as relation_ops
from planpilot_providers_core.capabilities import Capability
from planpilot_providers_core.contracts import ItemRelations
from planpilot_providers_core.errors import ItemNotFoundError, ProviderError

BATCH: Final = 100
"""``nodes(ids:)`` takes at most 100 ids per request."""
SNAPSHOT_TTL: Final = 60.0
"""Seconds a batch-read relation state may stand in for a fresh read before reconciling."""

_ALREADY_LINKED: Final = ("duplicate sub-issues", "already exists", "has already been taken", "already a sub-issue")
_ALREADY_ABSENT: Final = ("not a sub-issue", "not found", "does not exist", "is not blocked", "no dependency")


def _matching(fragments: Sequence[str]) -> ErrorFilter:
    return lambda error: any(f in error_message(error).lower() for f in fragments)


def _not_found(error: object) -> bool:
    return isinstance(error, dict) and error_type(error) == "NOT_FOUND"


class RelationOps:
    """Relation reads and writes of one provider; ``require`` enforces its resolved capabilities."""

    def __init__(self, gql: GitHubGraphQL, require: Callable[[Capability], None]) -> None:
        self._gql = gql
        self._require = require
        self._snapshots: dict[str, tuple[float, ItemRelations]] = {}

    def take_snapshot(self, item_id: str) -> ItemRelations | None:
        """Relations read by a recent :meth:`fetch` of this item, used once.

        A sync reads every item's relations in one batch, then reconciles the items that differ;
        reusing that read saves one request per item. It is used once and only while fresh, and the
        writes that follow tolerate "already linked"/"already absent", so a race costs nothing.
        """
        taken = self._snapshots.pop(item_id, None)
        if taken is None or time.monotonic() - taken[0] > SNAPSHOT_TTL:
            return None
        return taken[1]

    async def fetch(self, item_ids: Sequence[str]) -> dict[str, ItemRelations]:
        """Relations of many issues, 100 per request; an id that no longer resolves is an error."""
        batches = [list(item_ids[i : i + BATCH]) for i in range(0, len(item_ids), BATCH)]
        results = await asyncio.gather(*(self._fetch_batch(batch) for batch in batches))
        merged: dict[str, ItemRelations] = {}
        for result in results:
            merged.update(result)
        now = time.monotonic()
        self._snapshots.update({item_id: (now, relations) for item_id, relations in merged.items()})
        return merged

    async def _fetch_batch(self, ids: list[str]) -> dict[str, ItemRelations]:
        response = await self._gql.query(issue_ops.Operations.query.issue_relations, {"ids": ids}, tolerate=_not_found)
        found: dict[str, ItemRelations] = {}
        for node in response.data.nodes:
            if not node or node.__typename__ != "Issue":  # deleted, or an id of something else
                continue
            blocked = node.blocked_by
            if blocked.total_count > len(blocked.nodes):
                raise ProviderError(f"issue {node.id} has {blocked.total_count} blockers; only {BATCH} can be read")
            found[node.id] = ItemRelations(
                parent_id=node.parent.id if node.parent else None, blocker_ids={b.id for b in blocked.nodes}
            )
        missing = [i for i in ids if i not in found]
        if missing:
            raise ItemNotFoundError(
                f"issue(s) {', '.join(missing)} no longer exist on GitHub (deleted or moved), or are not issues"
            )
        return found

    async def add_sub_issue(self, *, parent_id: str, child_id: str) -> None:
        """Place the child under the parent, moving it from any other parent."""
        self._snapshots.pop(child_id, None)
        variables = {"input": {"issueId": parent_id, "subIssueId": child_id, "replaceParent": True}}
        await self._gql.mutate(
            relation_ops.Operations.mutation.add_sub_issue, variables, tolerate=_matching(_ALREADY_LINKED)
        )

    async def remove_sub_issue(self, *, parent_id: str, child_id: str) -> None:
        self._snapshots.pop(child_id, None)
        variables = {"input": {"issueId": parent_id, "subIssueId": child_id}}
        await self._gql.mutate(
            relation_ops.Operations.mutation.remove_sub_issue, variables, tolerate=_matching(_ALREADY_ABSENT)
        )

    async def add_blocked_by(self, *, issue_id: str, blocker_id: str) -> None:
        self._snapshots.pop(issue_id, None)
        variables = {"input": {"issueId": issue_id, "blockingIssueId": blocker_id}}
        await self._gql.mutate(
            relation_ops.Operations.mutation.add_blocked_by, variables, tolerate=_matching(_ALREADY_LINKED)
        )

    async def remove_blocked_by(self, *, issue_id: str, blocker_id: str) -> None:
        self._snapshots.pop(issue_id, None)
        variables = {"input": {"issueId": issue_id, "blockingIssueId": blocker_id}}
        await self._gql.mutate(
            relation_ops.Operations.mutation.remove_blocked_by, variables, tolerate=_matching(_ALREADY_ABSENT)
        )

    async def reconcile(self, item_id: str, current: ItemRelations, desired: ItemRelations) -> None:
        """Send only the differences: a parent move is one ``addSubIssue(replaceParent: true)``."""
        self._snapshots.pop(item_id, None)
        if current.parent_id != desired.parent_id:
            self._require(Capability.RELATION_PARENT)
            if desired.parent_id is not None:
                await self.add_sub_issue(parent_id=desired.parent_id, child_id=item_id)
            elif current.parent_id is not None:
                await self.remove_sub_issue(parent_id=current.parent_id, child_id=item_id)
        to_add = desired.blocker_ids - current.blocker_ids
        to_remove = current.blocker_ids - desired.blocker_ids
        if to_add or to_remove:
            self._require(Capability.RELATION_BLOCKED_BY)
        for blocker in sorted(to_add):
            await self.add_blocked_by(issue_id=item_id, blocker_id=blocker)
        for blocker in sorted(to_remove):
            await self.remove_blocked_by(issue_id=item_id, blocker_id=blocker)
