"""``GitHubItem``: an issue as the provider last saw it, with sub-issue and blocked-by relations."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from planpilot_provider_github.changes import is_complete, plan_type
from planpilot_provider_github.context import GitHubContext
from planpilot_provider_github.convert import IssueState
from planpilot_provider_github.fields import display_value
from planpilot_provider_github.relations import RelationOps
from planpilot_providers_core import Item, ItemRelations


@attrs.frozen(kw_only=True)
class GitHubItem(Item):
    """An issue; its relation calls go through the provider's :class:`RelationOps` (and its checks)."""

    number: int
    relations: RelationOps = attrs.field(repr=False, eq=False)

    async def set_parent(self, parent: Item) -> None:
        await self.relations.add_sub_issue(parent_id=parent.id, child_id=self.id)

    async def add_dependency(self, blocker: Item) -> None:
        await self.relations.add_blocked_by(issue_id=self.id, blocker_id=blocker.id)

    async def get_relations(self) -> ItemRelations:
        return (await self.relations.fetch([self.id]))[self.id]

    async def reconcile_relations(self, *, parent: Item | None, blockers: Sequence[Item]) -> None:
        desired = ItemRelations(parent_id=parent.id if parent else None, blocker_ids=[b.id for b in blockers])
        await self.relations.reconcile(self.id, None, desired)


def read_fields(state: IssueState, context: GitHubContext) -> dict[str, str | None]:
    """The board fields the read saw, by name, as a plan writes them (the creation-default fields read
    empty count as read: ``None``)."""
    by_id = {field.id: field for field in context.fields.values()}
    fields: dict[str, str | None] = {}
    if state.project_state_complete:
        fields.update(dict.fromkeys((v.field_name for v in context.creation_defaults), None))
    for field_id, value in state.field_values.items():
        if (field := by_id.get(field_id)) is not None:
            fields[field.name] = display_value(field, value)
    return fields


def issue_item(state: IssueState, context: GitHubContext, relations: RelationOps) -> GitHubItem:
    """The contract's view of an issue as read (or as it reads after this call's writes)."""
    return GitHubItem(
        id=state.id,
        key=state.key,
        url=state.url,
        number=state.number,
        title=state.title,
        body=state.body,
        item_type=plan_type(state, context),
        labels=tuple(state.labels),
        size=state.size,
        fields=read_fields(state, context),
        complete=is_complete(state, context),
        relations=relations,
    )
