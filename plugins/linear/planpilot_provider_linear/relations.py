"""Parents and blockers: sub-issues through ``parentId``, "blocked by" through ``blocks`` issue relations.

"A is blocked by B" is the relation ``{issueId: B, relatedIssueId: A, type: blocks}`` (Linear has no
``blocked_by`` type); A's blockers are its ``inverseRelations`` of type ``blocks``. Relations are read many
issues to a request (``IssueRelations``), paging on for an issue with more than a page of them, and written
as aliased mutations: parent changes, relations created (with a client-chosen id, so a create whose answer
was lost and is sent again is refused as existing instead of linking twice) and relations deleted (stale ones,
and second copies someone else made). Reconciling the same wish twice writes nothing the second time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, Final

import attrs

from planpilot_provider_linear.aliases import Kind, Write, send_writes
from planpilot_provider_linear.client import LinearGraphQL
from planpilot_provider_linear.graphql.generated import relations as relation_ops
from planpilot_providers_core.batches import first_errors
from planpilot_providers_core.capabilities import Capability
from planpilot_providers_core.contracts import ItemRelations
from planpilot_providers_core.errors import ItemNotFoundError

__all__ = ["CurrentRelations", "RelationOps", "duplicate_link"]

ISSUES_PER_READ: Final = 25
RELATIONS_PER_ISSUE: Final = 20
BLOCKS: Final = "blocks"
DUPLICATE: Final = "duplicate"


@attrs.frozen
class CurrentRelations:
    """An issue's parent and the ``blocks`` relations pointing at it: ``(relation id, blocker id)``."""

    parent_id: str | None
    blockers: tuple[tuple[str, str], ...]

    def relations(self) -> ItemRelations:
        return ItemRelations(parent_id=self.parent_id, blocker_ids=[blocker for _, blocker in self.blockers])


def _blockers(nodes: Any) -> list[tuple[str, str]]:
    return [(str(node.id), str(node.issue.id)) for node in nodes if node.type == BLOCKS and node.issue]


class RelationOps:
    """Reads and writes of relations, behind the provider's guards (``require``, ``ensure_*``)."""

    def __init__(
        self,
        gql: LinearGraphQL,
        *,
        batch_size: int,
        require: Callable[[Capability], None],
        ensure_entered: Callable[[], None],
        ensure_writable: Callable[[], None],
    ) -> None:
        self._gql = gql
        self._batch_size = batch_size
        self._require = require
        self._ensure_entered = ensure_entered
        self._ensure_writable = ensure_writable

    async def fetch(self, issue_ids: Sequence[str]) -> dict[str, CurrentRelations]:
        """Current relations of every issue, :data:`ISSUES_PER_READ` to a request; ``ItemNotFoundError`` for an
        issue Linear does not have (or has in the trash)."""
        self._ensure_entered()
        unique = list(dict.fromkeys(issue_ids))
        found: dict[str, CurrentRelations] = {}
        for start in range(0, len(unique), ISSUES_PER_READ):
            chunk = unique[start : start + ISSUES_PER_READ]
            variables = {"ids": chunk, "first": len(chunk), "relations": RELATIONS_PER_ISSUE}
            answer = await self._gql.query(relation_ops.Operations.query.issue_relations, variables)
            for node in answer.data.issues.nodes:
                if node.trashed:
                    continue
                blockers = _blockers(node.inverse_relations.nodes)
                page = node.inverse_relations.page_info
                if page.has_next_page:
                    blockers += await self._more_blockers(str(node.id), page.end_cursor)
                found[str(node.id)] = CurrentRelations(str(node.parent.id) if node.parent else None, tuple(blockers))
        missing = [issue_id for issue_id in unique if issue_id not in found]
        if missing:
            raise ItemNotFoundError(f"no Linear issue {missing[0]!r} to read relations of (deleted, or never made)")
        return found

    async def _more_blockers(self, issue_id: str, after: str | None) -> list[tuple[str, str]]:
        blockers: list[tuple[str, str]] = []
        while after:
            answer = await self._gql.query(
                relation_ops.Operations.query.issue_inverse_relations_page, {"id": issue_id, "after": after}
            )
            connection = answer.data.issue.inverse_relations
            blockers += _blockers(connection.nodes)
            after = connection.page_info.end_cursor if connection.page_info.has_next_page else None
        return blockers

    async def get(self, issue_id: str) -> ItemRelations:
        self._require(Capability.RELATION_PARENT)
        return (await self.fetch([issue_id]))[issue_id].relations()

    async def set_parent(self, issue_id: str, parent_id: str) -> None:
        self._require(Capability.RELATION_PARENT)
        self._ensure_writable()
        current = (await self.fetch([issue_id]))[issue_id]
        await self._write([_parent_write(issue_id, parent_id, 0)] if current.parent_id != parent_id else [], 1)

    async def add_blocker(self, issue_id: str, blocker_id: str) -> None:
        self._require(Capability.RELATION_BLOCKED_BY)
        self._ensure_writable()
        current = (await self.fetch([issue_id]))[issue_id]
        if all(blocker != blocker_id for _, blocker in current.blockers):
            await self._write([_link(issue_id, blocker_id, 0)], 1)

    async def reconcile_many(self, wanted: Sequence[tuple[str, ItemRelations]]) -> list[Exception | None]:
        """Make each issue show exactly its wanted parent and blockers; one result per issue, in order."""
        self._require(Capability.RELATION_PARENT)
        self._require(Capability.RELATION_BLOCKED_BY)
        self._ensure_writable()
        current = await self.fetch([issue_id for issue_id, _ in wanted])
        writes: list[Write] = []
        for owner, (issue_id, relations) in enumerate(wanted):
            writes += _reconcile(issue_id, current[issue_id], relations, owner)
        return await self._write(writes, len(wanted))

    async def duplicate_of(self, issue_id: str) -> list[str]:
        """The issues ``issue_id`` is marked a duplicate of (its outgoing ``duplicate`` relations)."""
        found: list[str] = []
        after: str | None = None
        while True:
            answer = await self._gql.query(
                relation_ops.Operations.query.issue_outgoing_relations, {"id": issue_id, "after": after}
            )
            connection = answer.data.issue.relations
            found += [str(n.related_issue.id) for n in connection.nodes if n.type == DUPLICATE and n.related_issue]
            if not connection.page_info.has_next_page:
                return found
            after = connection.page_info.end_cursor

    async def write(self, writes: list[Write], owners: int) -> list[Exception | None]:
        """Send ``writes`` (aliased, batched); per owner its first error, or ``None``."""
        return await self._write(writes, owners)

    async def _write(self, writes: list[Write], owners: int) -> list[Exception | None]:
        outcomes = await send_writes(self._gql, "IssueRelationChanges", writes, per_request=self._batch_size)
        return first_errors(outcomes, writes, owners)


def _parent_write(issue_id: str, parent_id: str | None, owner: int) -> Write:
    return Write(Kind.UPDATE_ISSUE, {"id": issue_id, "input": {"parentId": parent_id}}, owner)


def duplicate_link(issue_id: str, kept_id: str, owner: int) -> Write:
    """``issue_id`` is a duplicate of ``kept_id`` (Linear shows it as "duplicate of")."""
    relation = {"id": str(uuid.uuid4()), "issueId": issue_id, "relatedIssueId": kept_id, "type": DUPLICATE}
    return Write(Kind.CREATE_RELATION, {"input": relation}, owner)


def _link(issue_id: str, blocker_id: str, owner: int) -> Write:
    relation = {"id": str(uuid.uuid4()), "issueId": blocker_id, "relatedIssueId": issue_id, "type": BLOCKS}
    return Write(Kind.CREATE_RELATION, {"input": relation}, owner)


def _reconcile(issue_id: str, current: CurrentRelations, wanted: ItemRelations, owner: int) -> list[Write]:
    """The writes that make ``current`` show exactly ``wanted``: none when it already does."""
    writes = []
    if current.parent_id != wanted.parent_id:
        writes.append(_parent_write(issue_id, wanted.parent_id, owner))
    kept: set[str] = set()
    for relation_id, blocker_id in current.blockers:
        if blocker_id in wanted.blockers and blocker_id not in kept:
            kept.add(blocker_id)
        else:  # not wanted, or a second copy of one that is
            writes.append(Write(Kind.DELETE_RELATION, {"id": relation_id}, owner))
    writes += [_link(issue_id, blocker_id, owner) for blocker_id in sorted(wanted.blockers - kept)]
    return writes
