"""Sub-issue and blocked-by relations: batched reads, tolerant writes, reconciliation.

GitHub answers re-adding an existing link, or removing a missing one, with an error; in a
re-runnable sync those races mean the tracker already shows what we want, so they count as success.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Final

from planpilot_provider_github.client import ErrorFilter, GitHubGraphQL, error_message, error_type
from planpilot_provider_github.graphql.generated import issues as issue_ops
from planpilot_provider_github.graphql.generated import relation_mutations as relation_ops
from planpilot_providers_core import Capability, ItemNotFoundError, ItemRelations, ProviderError

BATCH: Final = 100
"""``nodes(ids:)`` takes at most 100 ids per request."""

_ALREADY_LINKED: Final = ("duplicate sub-issues", "already exists", "has already been taken", "already a sub-issue")
_ALREADY_ABSENT: Final = ("not a sub-issue", "not found", "does not exist", "is not blocked", "no dependency")


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
        response = await self._gql.query(issue_ops.Operations.query.issue_relations, {"ids": ids}, tolerate=_not_found)
        found: dict[str, ItemRelations] = {}
        for node in response.data.nodes:
            if not node or node.__typename__ != "Issue":  # deleted, or an id of something else
                continue
            blocked = node.blocked_by
            if blocked.total_count > len(blocked.nodes):
                raise ProviderError(f"issue {node.id} has {blocked.total_count} blockers; only {BATCH} can be read")
            found[node.id] = ItemRelations(
                parent_id=node.parent.id if node.parent else None, blocker_ids=[b.id for b in blocked.nodes]
            )
        missing = [i for i in ids if i not in found]
        if missing:
            raise ItemNotFoundError(
                f"issue(s) {', '.join(missing)} no longer exist on GitHub (deleted or moved), or are not issues"
            )
        return found

    async def add_sub_issue(self, *, parent_id: str, child_id: str) -> None:
        """Place the child under the parent, moving it from any other parent."""
        self._writing(Capability.RELATION_PARENT)
        self._snapshots.pop(child_id, None)
        variables = {"input": {"issueId": parent_id, "subIssueId": child_id, "replaceParent": True}}
        await self._gql.mutate(
            relation_ops.Operations.mutation.add_sub_issue, variables, tolerate=_matching(_ALREADY_LINKED)
        )

    async def remove_sub_issue(self, *, parent_id: str, child_id: str) -> None:
        self._writing(Capability.RELATION_PARENT)
        self._snapshots.pop(child_id, None)
        variables = {"input": {"issueId": parent_id, "subIssueId": child_id}}
        await self._gql.mutate(
            relation_ops.Operations.mutation.remove_sub_issue, variables, tolerate=_matching(_ALREADY_ABSENT)
        )

    async def add_blocked_by(self, *, issue_id: str, blocker_id: str) -> None:
        self._writing(Capability.RELATION_BLOCKED_BY)
        self._snapshots.pop(issue_id, None)
        variables = {"input": {"issueId": issue_id, "blockingIssueId": blocker_id}}
        await self._gql.mutate(
            relation_ops.Operations.mutation.add_blocked_by, variables, tolerate=_matching(_ALREADY_LINKED)
        )

    async def remove_blocked_by(self, *, issue_id: str, blocker_id: str) -> None:
        self._writing(Capability.RELATION_BLOCKED_BY)
        self._snapshots.pop(issue_id, None)
        variables = {"input": {"issueId": issue_id, "blockingIssueId": blocker_id}}
        await self._gql.mutate(
            relation_ops.Operations.mutation.remove_blocked_by, variables, tolerate=_matching(_ALREADY_ABSENT)
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
