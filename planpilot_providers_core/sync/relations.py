"""Which relation writes make a tracker item show the plan's parent and blockers.

Pure decisions over what was read; the runner sends the writes. With both relation capabilities one
``reconcile_relations`` call sets exactly the plan's parent and blockers. With only one of them, what
can be done is done and what cannot (removing a parent or a blocker) is reported as a warning.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Sequence

import attrs

from planpilot_providers_core.capabilities import Capability
from planpilot_providers_core.contracts import Item, ItemRelations

__all__ = ["RelationDiff", "RelationSupport", "relation_diff", "relation_writes"]

Write = Callable[[], Awaitable[None]]


@attrs.frozen
class RelationSupport:
    """Which relation kinds the provider offers."""

    parents: bool
    blockers: bool

    @classmethod
    def of(cls, capabilities: Collection[Capability]) -> RelationSupport:
        return cls(Capability.RELATION_PARENT in capabilities, Capability.RELATION_BLOCKED_BY in capabilities)

    @property
    def any(self) -> bool:
        return self.parents or self.blockers

    @property
    def missing(self) -> tuple[Capability, ...]:
        pairs = ((Capability.RELATION_PARENT, self.parents), (Capability.RELATION_BLOCKED_BY, self.blockers))
        return tuple(capability for capability, ok in pairs if not ok)


@attrs.frozen(kw_only=True)
class RelationDiff:
    """What differs between an item's relations in the tracker and in the plan (tracker ids)."""

    parent: tuple[str | None, str | None] | None = None
    """``(current, wanted)`` parent when they differ."""
    add_blockers: frozenset[str] = frozenset()
    remove_blockers: frozenset[str] = frozenset()
    repeated_blockers: frozenset[str] = frozenset()
    """Blockers the tracker shows more than once (two syncs linked them at the same moment)."""

    def __bool__(self) -> bool:
        return self.parent is not None or bool(self.add_blockers or self.remove_blockers or self.repeated_blockers)


def relation_diff(
    current: ItemRelations, parent_id: str | None, blocker_ids: Collection[str], support: RelationSupport
) -> RelationDiff:
    """The differences the provider can see (only kinds it supports count)."""
    wanted = frozenset(blocker_ids)
    repeated = {blocker for blocker, times in Counter(current.blocker_ids).items() if times > 1}
    return RelationDiff(
        parent=(current.parent_id, parent_id) if support.parents and current.parent_id != parent_id else None,
        add_blockers=wanted - current.blockers if support.blockers else frozenset(),
        remove_blockers=current.blockers - wanted if support.blockers else frozenset(),
        repeated_blockers=frozenset(repeated & wanted) if support.blockers else frozenset(),
    )


def relation_writes(
    item: Item, current: ItemRelations, parent: Item | None, blockers: Sequence[Item], support: RelationSupport
) -> tuple[list[Write], list[str]]:
    """The calls that make ``item`` show ``parent`` and ``blockers``, and what cannot be done (warnings)."""
    diff = relation_diff(current, parent.id if parent else None, [b.id for b in blockers], support)
    if not diff:
        return [], []
    if support.parents and support.blockers:
        return [functools.partial(item.reconcile_relations, parent=parent, blockers=blockers)], []
    writes: list[Write] = []
    warnings: list[str] = []
    if diff.parent is not None:  # only parents: reconcile_relations is not available
        if parent is None:
            warnings.append("the tracker shows a parent the plan does not; cannot remove it")
        else:
            writes.append(functools.partial(item.set_parent, parent))
    if diff.remove_blockers:
        warnings.append(f"{len(diff.remove_blockers)} blocker(s) not in the plan; cannot remove them")
    if diff.repeated_blockers:
        warnings.append(f"{len(diff.repeated_blockers)} blocker(s) linked more than once; cannot remove the repeats")
    writes += [functools.partial(item.add_dependency, b) for b in blockers if b.id in diff.add_blockers]
    return writes, warnings
