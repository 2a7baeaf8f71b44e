"""``batches.first_errors`` and ``RelationChange.wanted``: the bookkeeping batching providers share."""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import pytest

from planpilot_providers_core.batches import first_errors
from planpilot_providers_core.contracts import Item, ItemRelations, RelationChange


@attrs.frozen
class Write:
    owner: int


@attrs.frozen
class Outcome:
    error: Exception | None


def test_each_owner_gets_the_first_error_among_its_writes() -> None:
    late, early, other = ValueError("late"), KeyError("early"), RuntimeError("other")
    writes = [Write(0), Write(2), Write(0), Write(0), Write(2)]
    outcomes = [Outcome(None), Outcome(other), Outcome(early), Outcome(late), Outcome(None)]
    assert first_errors(outcomes, writes, 4) == [early, None, other, None]


def test_outcomes_and_writes_must_pair_up() -> None:
    with pytest.raises(ValueError, match="2 outcomes for 1 writes"):
        first_errors([Outcome(None), Outcome(None)], [Write(0)], 1)


@attrs.frozen(kw_only=True)
class Stub(Item):
    async def set_parent(self, parent: Item) -> None:
        raise NotImplementedError

    async def add_dependency(self, blocker: Item) -> None:
        raise NotImplementedError

    async def reconcile_relations(self, *, parent: Item | None, blockers: Sequence[Item]) -> None:
        raise NotImplementedError

    async def get_relations(self) -> ItemRelations:
        raise NotImplementedError


def stub(item_id: str) -> Stub:
    return Stub(
        id=item_id, key=item_id, url=f"https://tracker.test/{item_id}", title=item_id, body="", item_type="TASK"
    )


def test_a_relation_change_says_what_it_wants_as_ids() -> None:
    change = RelationChange(item=stub("c"), parent=stub("p"), blockers=[stub("b1"), stub("b2")])
    assert change.wanted == ItemRelations(parent_id="p", blocker_ids=["b1", "b2"])
    assert RelationChange(item=stub("c"), parent=None, blockers=[]).wanted == ItemRelations()
