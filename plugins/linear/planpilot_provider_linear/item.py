"""``LinearItem``: an issue as the contract's item; its relation methods act on Linear through ``relations``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from planpilot_provider_linear.context import LinearContext
from planpilot_provider_linear.issues import IssueState
from planpilot_provider_linear.relations import RelationOps
from planpilot_providers_core.contracts import Item, ItemRelations, PlanItemType, RelationChange

__all__ = ["LinearItem", "linear_item"]


@attrs.frozen(kw_only=True)
class LinearItem(Item):
    """An issue as last read: ``id`` its UUID, ``key`` its identifier (``ENG-12``)."""

    relations: RelationOps = attrs.field(eq=False, repr=False)

    async def set_parent(self, parent: Item) -> None:
        await self.relations.set_parent(self.id, parent.id)

    async def add_dependency(self, blocker: Item) -> None:
        await self.relations.add_blocker(self.id, blocker.id)

    async def reconcile_relations(self, *, parent: Item | None, blockers: Sequence[Item]) -> None:
        wanted = RelationChange(item=self, parent=parent, blockers=blockers).wanted
        (error,) = await self.relations.reconcile_many([(self.id, wanted)])
        if error is not None:
            raise error

    async def get_relations(self) -> ItemRelations:
        return await self.relations.get(self.id)


def linear_item(
    state: IssueState, names: Mapping[str, str], context: LinearContext, relations: RelationOps
) -> LinearItem:
    """The item of an issue; ``names`` maps its label ids to names. The plan type is read from the type label
    (a TASK without one, marked incomplete so a sync puts the label on)."""
    labels = tuple(names[label_id] for label_id in state.label_ids if label_id in names)
    have = {label.casefold() for label in labels}
    typed = [t for t in PlanItemType if context.type_labels[t].casefold() in have]
    return LinearItem(
        id=state.id,
        key=state.identifier,
        url=state.url,
        title=state.title,
        body=state.description,
        item_type=typed[0] if typed else PlanItemType.TASK,
        labels=labels,
        size=context.scale.size(state.estimate),
        complete=len(typed) == 1,
        relations=relations,
    )
