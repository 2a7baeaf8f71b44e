"""``GitHubItem``: an issue as the provider last saw it, with sub-issue and blocked-by relations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from planpilot_providers_core.capabilities import Capability
from planpilot_providers_core.contracts import Item, ItemRelations

if TYPE_CHECKING:
    from planpilot_provider_github.provider import GitHubProvider


@attrs.frozen(kw_only=True)
class GitHubItem(Item):
    """Relation calls go through the provider that returned the item (and its capabilities)."""

    number: int
    size: str | None = None
    """The size on the board as the plan writes it; None when unset or not seen (then a sync updates)."""
    provider: GitHubProvider = attrs.field(repr=False, eq=False)

    async def set_parent(self, parent: Item) -> None:
        self.provider.require(Capability.RELATION_PARENT)
        await self.provider.relations.add_sub_issue(parent_id=parent.id, child_id=self.id)

    async def add_dependency(self, blocker: Item) -> None:
        self.provider.require(Capability.RELATION_BLOCKED_BY)
        await self.provider.relations.add_blocked_by(issue_id=self.id, blocker_id=blocker.id)

    async def get_relations(self) -> ItemRelations:
        return (await self.provider.fetch_relations([self]))[self.id]

    async def reconcile_relations(self, *, parent: Item | None, blockers: Sequence[Item]) -> None:
        current = self.provider.relations.take_snapshot(self.id) or await self.get_relations()
        await self.provider.relations.reconcile(
            self.id,
            current,
            ItemRelations(parent_id=parent.id if parent else None, blocker_ids={b.id for b in blockers}),
        )
