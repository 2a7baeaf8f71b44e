"""Parents and blocked-by links: the ``parent`` field, and issue links of the "Blocks" type.

A blocked-by relation is a "Blocks" link whose inward side is the blocker (``{"inwardIssue": blocker,
"outwardIssue": blocked}``: "blocker blocks blocked"). Links are read in batches (``bulkfetch`` with
``issuelinks``, 100 issues a request), never written twice (the current links are read first, and Jira answers a
repeated link as created without making a second one), and removed by id when the plan drops them.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final

from planpilot_provider_jira.client import JiraApi
from planpilot_provider_jira.context import IssueTypeRef, JiraContext
from planpilot_provider_jira.mapping import blockers_of, issue_type_for, plan_type_of
from planpilot_provider_jira.moves import move_issue
from planpilot_provider_jira.search import bulk_fetch
from planpilot_providers_core import ItemNotFoundError, ItemRelations
from planpilot_providers_core.reliability import Clock

__all__ = ["RELATION_FIELDS", "JiraRelations", "Links"]

RELATION_FIELDS: Final = ("parent", "issuelinks", "issuetype")


class Links:
    """An issue's parent and its blocked-by links as read: ``(link id, blocker id)`` pairs."""

    def __init__(
        self, parent_id: str | None, blockers: Sequence[tuple[str, str]], issue_type: IssueTypeRef | None = None
    ) -> None:
        self.parent_id = parent_id
        self.blockers = list(blockers)
        self.issue_type = issue_type

    def relations(self) -> ItemRelations:
        return ItemRelations(parent_id=self.parent_id, blocker_ids=[b for _, b in self.blockers])


def _links(context: JiraContext, issue: Mapping[str, Any]) -> Links:
    parent = (issue.get("fields") or {}).get("parent")
    parent_id = str(parent["id"]) if isinstance(parent, Mapping) and "id" in parent else None
    raw_type = (issue.get("fields") or {}).get("issuetype")
    type_id = str(raw_type["id"]) if isinstance(raw_type, Mapping) and "id" in raw_type else ""
    return Links(parent_id, blockers_of(context, issue), context.known_types.get(type_id))


class JiraRelations:
    """What a :class:`~.item.JiraItem`'s relation methods and the batched relation calls need.

    ``access(write)`` returns the API and the context once the provider's guards pass (entered, and writable
    for a write); ``wrote`` tells discovery which issues changed; ``level`` gives an issue's hierarchy level.
    A parent the item's type cannot have under Jira's hierarchy moves the item to the type it needs there (a
    task under a story becomes a sub-task, and back when it loses its parent): see :mod:`.moves`.
    """

    def __init__(
        self,
        access: Callable[[bool], tuple[JiraApi, JiraContext]],
        wrote: Callable[[Sequence[str]], None],
        level: Callable[[str], Awaitable[int]],
        clock: Clock,
    ) -> None:
        self._access = access
        self._wrote = wrote
        self._level = level
        self._clock = clock

    async def read(self, item_ids: Sequence[str]) -> dict[str, Links]:
        api, context = self._access(False)
        issues, _missing = await bulk_fetch(api, item_ids, RELATION_FIELDS)
        return {str(issue["id"]): _links(context, issue) for issue in issues}

    async def get(self, item_id: str) -> ItemRelations:
        found = await self.read([item_id])
        if item_id not in found:
            raise ItemNotFoundError(f"get relations: Jira has no issue {item_id!r} that this account can see")
        return found[item_id].relations()

    async def set_parent(self, item_id: str, parent_id: str | None) -> None:
        self._access(True)
        current = await self.read([item_id])
        if item_id not in current:
            raise ItemNotFoundError(f"set parent: Jira has no issue {item_id!r} that this account can see")
        if current[item_id].parent_id != parent_id:
            await self._set_parent(item_id, current[item_id], parent_id)

    async def _set_parent(self, item_id: str, links: Links, parent_id: str | None) -> None:
        api, context = self._access(True)
        current = links.issue_type
        parent_level = None if parent_id is None else await self._level(parent_id)
        needed = issue_type_for(context, plan_type_of(context, current), parent_level)
        if current is not None and (needed.level, needed.subtask) != (current.level, current.subtask):
            await move_issue(api, context, self._clock, item_id, needed, parent_id)
        else:
            value: dict[str, Any] = (
                {"fields": {"parent": {"id": parent_id}}}
                if parent_id is not None
                else {"update": {"parent": [{"set": {"none": True}}]}}
            )
            await api.call(
                "editIssue", "PUT", f"/rest/api/3/issue/{item_id}", item_id=item_id, issues=[item_id], json=value
            )
        self._wrote([item_id])

    async def add_blocker(self, item_id: str, blocker_id: str) -> None:
        current = await self.read([item_id])
        if item_id not in current:
            raise ItemNotFoundError(f"add dependency: Jira has no issue {item_id!r} that this account can see")
        if blocker_id not in {b for _, b in current[item_id].blockers}:
            await self._link(item_id, blocker_id)

    async def _link(self, item_id: str, blocker_id: str) -> None:
        api, context = self._access(True)
        body = {
            "type": {"name": context.link_type.name},
            "inwardIssue": {"id": blocker_id},
            "outwardIssue": {"id": item_id},
        }
        # Safe to send again: Jira answers a link that exists as created and makes no second one.
        await api.call("linkIssues", "POST", "/rest/api/3/issueLink", issues=[item_id, blocker_id], json=body)
        self._wrote([item_id, blocker_id])

    async def _unlink(self, link_id: str, item_id: str, blocker_id: str) -> None:
        api, _context = self._access(True)
        # Sent again after a lost answer, a removed link answers 404: it is gone either way.
        await api.call(
            "deleteIssueLink",
            "DELETE",
            f"/rest/api/3/issueLink/{link_id}",
            issues=[item_id, blocker_id],
            accept=(404,),
        )
        self._wrote([item_id, blocker_id])

    async def reconcile(self, item_id: str, parent_id: str | None, blocker_ids: Sequence[str]) -> None:
        self._access(True)  # refuse before reading when the provider cannot write
        current = await self.read([item_id])
        if item_id not in current:
            raise ItemNotFoundError(f"reconcile relations: Jira has no issue {item_id!r} that this account can see")
        await self._apply(item_id, current[item_id], parent_id, blocker_ids)

    async def reconcile_many(self, desired: Sequence[tuple[str, ItemRelations]]) -> list[Exception | None]:
        """Many items' relations: one batched read, then only the writes that differ; one result per item."""
        self._access(True)
        try:
            current = await self.read([item_id for item_id, _ in desired])
        except Exception as exc:
            return [exc] * len(desired)

        async def one(item_id: str, wanted: ItemRelations) -> Exception | None:
            links = current.get(item_id)
            if links is None:
                return ItemNotFoundError(f"reconcile relations: Jira has no issue {item_id!r}")
            try:
                await self._apply(item_id, links, wanted.parent_id, wanted.blocker_ids)
            except Exception as exc:
                return exc
            return None

        return list(await asyncio.gather(*(one(item_id, wanted) for item_id, wanted in desired)))

    async def _apply(self, item_id: str, links: Links, parent_id: str | None, blocker_ids: Sequence[str]) -> None:
        if links.parent_id != parent_id:
            await self._set_parent(item_id, links, parent_id)
        wanted = set(blocker_ids)
        seen: Counter[str] = Counter()
        removals = []
        for link_id, blocker in links.blockers:
            seen[blocker] += 1
            if blocker not in wanted or seen[blocker] > 1:  # stale, or a second link someone else made
                removals.append(self._unlink(link_id, item_id, blocker))
        await asyncio.gather(*removals)
        for blocker in sorted(wanted - set(seen)):
            await self._link(item_id, blocker)
