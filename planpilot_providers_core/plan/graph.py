"""The plan graph: a validated ``Plan`` of items, their parents, children and dependencies.

A :class:`Plan` cannot be built from items whose relations are broken: duplicate ids, parents of
the wrong level, dangling references and dependency cycles are found here, each named with its
file and item, and raised together as :class:`~.model.PlanError`.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

import attrs

from planpilot_providers_core.context import frozen_mapping
from planpilot_providers_core.contracts import PlanItemType
from planpilot_providers_core.plan.identity import check_plan_id, compute_plan_id
from planpilot_providers_core.plan.model import MAX_ITEMS, PlanError, PlanItem, PlanProblem, text_tuple
from planpilot_providers_core.text import MAX_LISTED, quoted

__all__ = ["Plan", "check_items", "validate_items"]

_PARENT_TYPE: Final[Mapping[PlanItemType, PlanItemType]] = {
    PlanItemType.STORY: PlanItemType.EPIC,
    PlanItemType.TASK: PlanItemType.STORY,
}


def _index(plan: Plan) -> Mapping[str, PlanItem]:
    return frozen_mapping({item.id: item for item in plan.items})


def _children_index(plan: Plan) -> Mapping[str, tuple[PlanItem, ...]]:
    children: dict[str, list[PlanItem]] = {}
    for item in plan.items:
        if item.parent_id is not None:
            children.setdefault(item.parent_id, []).append(item)
    return frozen_mapping({parent: tuple(items) for parent, items in children.items()})


def _item_tuple(value: Iterable[PlanItem]) -> tuple[PlanItem, ...]:
    return tuple(value)


def _problem_tuple(value: Iterable[PlanProblem]) -> tuple[PlanProblem, ...]:
    return tuple(value)


def _check_items(instance: Plan, _: attrs.Attribute[Any], items: tuple[PlanItem, ...]) -> None:
    for item in items:
        if not isinstance(item, PlanItem):
            raise TypeError(f"a plan holds PlanItem objects, got {type(item).__name__}")


@attrs.frozen(kw_only=True)
class Plan:
    """A validated plan; building one with broken references raises :class:`PlanError`.

    The relations are checked once, when the plan is built; what PlanPilot accepts but is worth a word
    (a sub-item id the plan lacks, links outside a partial plan) is added to ``warnings``.
    """

    items: tuple[PlanItem, ...] = attrs.field(converter=_item_tuple, validator=_check_items)
    sources: tuple[str, ...] = attrs.field(default=(), converter=text_tuple, eq=False)
    warnings: tuple[PlanProblem, ...] = attrs.field(default=(), converter=_problem_tuple, eq=False)
    """Things worth telling the user that do not stop the sync, e.g. unknown fields PlanPilot ignores."""
    partial: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    """PlanPilot's partial validation mode: parents and dependencies outside the plan are allowed (and
    left out of the sync)."""
    pinned_id: str | None = attrs.field(default=None, validator=attrs.validators.optional(check_plan_id))
    """A plan id the user chose (``--plan-id``, or ``plan_id`` in a unified plan file): used as the plan's
    identity as given, where otherwise the sync finds it in the tracker (see ``sync.identity``)."""
    plan_id: str = attrs.field(
        init=False, default=attrs.Factory(lambda self: compute_plan_id(self.items), takes_self=True)
    )
    """PlanPilot's content hash: any edit changes it. A sync keeps a plan's items across edits by the id
    they carry in the tracker, so this is the plan's identity only on its first sync."""
    _by_id: Mapping[str, PlanItem] = attrs.field(
        init=False, eq=False, repr=False, default=attrs.Factory(_index, takes_self=True)
    )
    _children: Mapping[str, tuple[PlanItem, ...]] = attrs.field(
        init=False, eq=False, repr=False, default=attrs.Factory(_children_index, takes_self=True)
    )

    def __attrs_post_init__(self) -> None:
        problems, warnings = check_items(self.items, partial=self.partial)
        if problems:
            raise PlanError(problems)
        object.__setattr__(self, "warnings", tuple(dict.fromkeys([*self.warnings, *warnings])))

    def __getitem__(self, item_id: str) -> PlanItem:
        return self._by_id[item_id]

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._by_id

    def __iter__(self) -> Iterator[PlanItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def level(self, item_type: PlanItemType) -> tuple[PlanItem, ...]:
        """The items of one type, in file order."""
        return tuple(item for item in self.items if item.type is item_type)

    def blockers(self) -> dict[str, frozenset[str]]:
        """Item id -> ids of the items blocking it: ``depends_on`` plus PlanPilot's roll-ups.

        A task blocked by a task of another story makes its story blocked by that story; likewise
        stories (direct or rolled up) make their epics blocked by each other.
        """
        direct = {(item.id, dep) for item in self.items for dep in item.depends_on if dep != item.id and dep in self}

        def roll_up(edges: Iterable[tuple[str, str]], child_type: PlanItemType) -> set[tuple[str, str]]:
            rolled = set()
            for blocked, blocker in edges:
                a, b = self[blocked], self[blocker]
                same_kind = a.type is child_type and b.type is child_type
                linked = a.parent_id in self and b.parent_id in self
                if same_kind and linked and a.parent_id and b.parent_id and a.parent_id != b.parent_id:
                    rolled.add((a.parent_id, b.parent_id))
            return rolled

        stories = roll_up(direct, PlanItemType.TASK)
        epics = roll_up(direct | stories, PlanItemType.STORY)
        wanted: dict[str, set[str]] = {item.id: set() for item in self.items}
        for blocked, blocker in direct | stories | epics:
            wanted[blocked].add(blocker)
        return {item_id: frozenset(ids) for item_id, ids in wanted.items()}

    def children(self, item_id: str) -> tuple[PlanItem, ...]:
        """The items whose parent is ``item_id``, in file order."""
        return self._children.get(item_id, ())


# -- relational validation ----------------------------------------------------------------------------


def validate_items(
    items: Sequence[PlanItem], *, unreadable: Iterable[str] = (), partial: bool = False
) -> list[PlanProblem]:
    """Every relational problem: duplicate ids, parents, sub-items, dependencies and cycles."""
    return check_items(items, unreadable=unreadable, partial=partial)[0]


def check_items(
    items: Sequence[PlanItem], *, unreadable: Iterable[str] = (), partial: bool = False
) -> tuple[list[PlanProblem], list[PlanProblem]]:
    """``(problems, warnings)`` of the relations between ``items``.

    Problems: duplicate ids, parents of the wrong level, self-references, dependency cycles (PlanPilot
    accepts cycles, then fails half-way through a sync). Warnings, as PlanPilot accepts them:
    ``sub_item_ids`` naming an item the plan lacks, and with ``partial`` (PlanPilot's partial
    validation mode, for a plan that is one part of a bigger one) a parent or dependency the plan
    lacks; such a link is left out of the sync. ``unreadable`` names items that exist but had problems
    of their own; references to them are not reported again as references to nothing.
    """
    problems: list[PlanProblem] = []
    warnings: list[PlanProblem] = []
    if len(items) > MAX_ITEMS:
        sources = ", ".join(dict.fromkeys(item.source for item in items))
        message = f"the plan has {len(items)} items; a plan may have at most {MAX_ITEMS}: split it into smaller plans"
        return [PlanProblem(file=sources, message=message)], []
    skip = frozenset(unreadable)
    first: dict[str, PlanItem] = {}
    for item in items:
        if item.id in first:
            where = first[item.id].source
            problems.append(
                PlanProblem(
                    file=item.source,
                    item_id=item.id,
                    message=f"duplicate id; it is already defined in {where}",
                )
            )
        else:
            first[item.id] = item

    for item in items:

        def problem(message: str, item: PlanItem = item, *, warning: bool = False) -> None:
            found = PlanProblem(file=item.source, item_id=item.id, message=message)
            (warnings if warning else problems).append(found)

        if item.parent_id is not None:
            parent = first.get(item.parent_id)
            wanted = _PARENT_TYPE.get(item.type)
            if wanted is None:
                problem(f"an epic cannot have a parent, but parent_id is {quoted(item.parent_id)}")
            elif item.parent_id == item.id:
                problem("parent_id names the item itself")
            elif parent is None:
                if item.parent_id not in skip:
                    problem(f"parent_id {quoted(item.parent_id)} does not name an item in the plan", warning=partial)
            elif parent.type is not wanted:
                problem(
                    f"a {item.type.value.lower()}'s parent must be {article(wanted)}, "
                    f"but parent_id {json.dumps(parent.id)} is {article(parent.type)}"
                )
            elif parent.sub_item_ids and item.id not in parent.sub_item_ids:
                problem(f"parent {json.dumps(parent.id)} lists sub_item_ids but not this item")
        for dep_id in item.depends_on:
            if dep_id == item.id:
                problem("depends_on names the item itself (a dependency cycle)")
            elif dep_id not in first and dep_id not in skip:
                problem(f"depends_on {quoted(dep_id)} does not name an item in the plan", warning=partial)
        for sub_id in item.sub_item_ids:
            sub = first.get(sub_id)
            if sub is None:
                if sub_id in skip:
                    continue
                problem(f"sub_item_ids {quoted(sub_id)} does not name an item in the plan; ignored", warning=True)
            elif sub.parent_id != item.id:
                actual = "no parent_id" if sub.parent_id is None else f"parent_id {json.dumps(sub.parent_id)}"
                problem(f"sub_item_ids lists {quoted(sub_id)}, but that item has {actual}")

    for cycle in _dependency_cycles(first):
        head = first[cycle[0]]
        problems.append(PlanProblem(file=head.source, item_id=head.id, message=f"dependency cycle: {_path(cycle)}"))
    return problems, warnings


def _path(cycle: Sequence[str]) -> str:
    """``"a" -> "b" -> "a"``; a long cycle shows its first steps and how many more it has."""
    steps = [quoted(item_id) for item_id in cycle]
    if len(steps) > MAX_LISTED:
        steps = [*steps[: MAX_LISTED - 1], f"... ({len(cycle) - MAX_LISTED + 1} more)"]
    return " -> ".join([*steps, quoted(cycle[0])])


def article(item_type: PlanItemType) -> str:
    """``"an epic"``, ``"a story"``, ``"a task"``."""
    name = item_type.value.lower()
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def _dependency_cycles(items: Mapping[str, PlanItem]) -> list[tuple[str, ...]]:
    """One concrete cycle per strongly connected group of ``depends_on`` edges (Tarjan, iterative)."""
    edges = {
        item_id: sorted({dep for dep in item.depends_on if dep in items and dep != item_id})
        for item_id, item in items.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(edges[succ])))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)
    return sorted(_cycle_in(set(group), edges) for group in groups)


def _cycle_in(group: set[str], edges: Mapping[str, list[str]]) -> tuple[str, ...]:
    """The shortest cycle through the group's smallest id, found by breadth-first search."""
    start = min(group)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for succ in edges[node]:
            if succ not in group:
                continue
            if succ == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return tuple(reversed(path))
            if succ not in came_from:
                came_from[succ] = node
                queue.append(succ)
    raise AssertionError(f"no cycle through {start!r} in a strongly connected group")  # pragma: no cover
