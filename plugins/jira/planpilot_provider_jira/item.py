"""``JiraItem``: an issue as last read; its relation methods act on Jira through :class:`~.relations.JiraRelations`."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from planpilot_provider_jira.relations import JiraRelations
from planpilot_providers_core import Item, ItemRelations

__all__ = ["JiraItem"]


@attrs.frozen(kw_only=True)
class JiraItem(Item):
    """A Jira issue: ``id`` is the issue id (stable when the issue moves), ``key`` its key (``PROJ-12``)."""

    relations: JiraRelations = attrs.field(eq=False, repr=False)

    async def set_parent(self, parent: Item) -> None:
        await self.relations.set_parent(self.id, parent.id)

    async def add_dependency(self, blocker: Item) -> None:
        await self.relations.add_blocker(self.id, blocker.id)

    async def reconcile_relations(self, *, parent: Item | None, blockers: Sequence[Item]) -> None:
        await self.relations.reconcile(self.id, None if parent is None else parent.id, [b.id for b in blockers])

    async def get_relations(self) -> ItemRelations:
        return await self.relations.get(self.id)
