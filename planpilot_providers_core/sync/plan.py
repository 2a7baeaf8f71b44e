"""Plan files: load PlanPilot's plan JSON, validate it, and derive the plan id.

Two shapes are accepted, as PlanPilot accepts them:

* unified: one file ``{"items": [...]}`` where every item names its ``type`` (EPIC, STORY, TASK);
* split: three files, each a JSON array, holding the epics, the stories and the tasks; the file an
  item sits in decides its type.

Every problem is collected before anything is raised, so one run of the loader reports all of them,
each naming the file, the item and what is wrong. A :class:`Plan` cannot be built from invalid items:
the relational checks (duplicate ids, parents, dependencies, cycles) run when it is constructed.

The plan id follows PlanPilot's derivation so both tools find each other's items: items sorted by
``(type, id)``, each reduced to its set fields (``None`` and empty lists/objects dropped, so "missing"
and "empty" are the same), JSON-encoded with sorted keys and no whitespace, SHA-256, first 12 hex
digits. Item order and the unified/split choice therefore do not change it; any field content does.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

from planpilot_providers_core.context import frozen_mapping
from planpilot_providers_core.contracts import PlanItemType
from planpilot_providers_core.errors import PlanPilotError

__all__ = [
    "Estimate",
    "Plan",
    "PlanError",
    "PlanItem",
    "PlanProblem",
    "Scope",
    "SpecRef",
    "Verification",
    "compute_plan_id",
    "load_plan",
    "load_split_plan",
    "load_unified_plan",
    "validate_items",
]

#: The order of the three split files, and the order levels are synced in.
LEVELS: Final[tuple[PlanItemType, ...]] = (PlanItemType.EPIC, PlanItemType.STORY, PlanItemType.TASK)
_PARENT_TYPE: Final[Mapping[PlanItemType, PlanItemType]] = {
    PlanItemType.STORY: PlanItemType.EPIC,
    PlanItemType.TASK: PlanItemType.STORY,
}
_ROLE_HINTS: Final[Mapping[PlanItemType, str]] = {
    PlanItemType.EPIC: "epic",
    PlanItemType.STORY: "stor",
    PlanItemType.TASK: "task",
}


# -- problems ---------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class PlanProblem:
    """One thing wrong with a plan: where (file, item) and what."""

    file: str
    message: str
    item_id: str | None = None
    index: int | None = None
    """1-based position of the item in its file, used when the item has no usable id."""

    @property
    def item(self) -> str | None:
        if self.item_id is not None:
            return f"item {json.dumps(self.item_id)}"
        if self.index is not None:
            return f"item #{self.index}"
        return None

    def __str__(self) -> str:
        item = self.item
        return f"{self.file}: {item}: {self.message}" if item else f"{self.file}: {self.message}"

    def to_json(self) -> dict[str, object]:
        return {"file": self.file, "item_id": self.item_id, "index": self.index, "message": self.message}


class PlanError(PlanPilotError):
    """A plan could not be loaded or is invalid; ``problems`` lists every issue found."""

    def __init__(self, problems: Iterable[PlanProblem]) -> None:
        self.problems: tuple[PlanProblem, ...] = tuple(problems)
        super().__init__(self._message())

    def _message(self) -> str:
        count = len(self.problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        return f"invalid plan ({count} problem{'s' if count != 1 else ''}):\n{lines}"


# -- value types ------------------------------------------------------------------------------------


def _texts(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError(f"expected a sequence of strings, not the string {value!r}")
    result = tuple(value)
    for text in result:
        if not isinstance(text, str):
            raise TypeError(f"expected strings, got {text!r}")
    return result


_optional_str = attrs.validators.optional(attrs.validators.instance_of(str))


@attrs.frozen(kw_only=True)
class Estimate:
    """Size of an item: a t-shirt size (also the board's size field) and/or hours."""

    tshirt: str | None = attrs.field(default=None, validator=_optional_str)
    hours: float | None = attrs.field(
        default=None,
        converter=attrs.converters.optional(float),
        validator=attrs.validators.optional(attrs.validators.ge(0)),
    )


@attrs.frozen(kw_only=True)
class Scope:
    in_scope: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    out_scope: tuple[str, ...] = attrs.field(default=(), converter=_texts)


@attrs.frozen(kw_only=True)
class SpecRef:
    url: str = attrs.field(validator=attrs.validators.instance_of(str))
    section: str | None = attrs.field(default=None, validator=_optional_str)
    quote: str | None = attrs.field(default=None, validator=_optional_str)


@attrs.frozen(kw_only=True)
class Verification:
    commands: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    ci_checks: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    evidence: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    manual_steps: tuple[str, ...] = attrs.field(default=(), converter=_texts)


def _item_type(value: PlanItemType | str) -> PlanItemType:
    return PlanItemType(value)


def _non_blank(_: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{attribute.name} must be a non-empty string, got {value!r}")


def _one_line(_: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    """Ids go into the one-line-per-key metadata block."""
    if value is not None and ("\n" in value or "\r" in value):
        raise ValueError(f"{attribute.name} must not contain a line break, got {value!r}")


def _str_mapping(value: Mapping[str, str]) -> Mapping[str, str]:
    for key, text in value.items():
        if not isinstance(key, str) or not isinstance(text, str):
            raise TypeError(f"fields must map strings to strings, got {key!r}: {text!r}")
    return frozen_mapping(value)


@attrs.frozen(kw_only=True)
class PlanItem:
    """One epic, story or task, with PlanPilot's field names."""

    id: str = attrs.field(validator=[_non_blank, _one_line])
    type: PlanItemType = attrs.field(converter=_item_type)
    title: str = attrs.field(validator=_non_blank)
    goal: str | None = attrs.field(default=None, validator=_optional_str)
    motivation: str | None = attrs.field(default=None, validator=_optional_str)
    parent_id: str | None = attrs.field(default=None, validator=[_optional_str, _one_line])
    sub_item_ids: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    depends_on: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    requirements: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    acceptance_criteria: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    success_metrics: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    assumptions: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    risks: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    estimate: Estimate | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(Estimate))
    )
    verification: Verification | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(Verification))
    )
    spec_ref: SpecRef | str | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of((SpecRef, str)))
    )
    scope: Scope | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(Scope))
    )
    fields: Mapping[str, str] = attrs.field(default=frozen_mapping({}), converter=_str_mapping)
    source: str = attrs.field(default="<memory>", eq=False, repr=False)
    """The file the item was read from, for error messages; not part of the item's content."""

    @property
    def size(self) -> str | None:
        """The board size PlanPilot sets: the estimate's t-shirt size."""
        return self.estimate.tshirt if self.estimate is not None else None

    def canonical(self) -> dict[str, Any]:
        """The item as PlanPilot hashes it: set fields only, empty containers and ``None`` dropped."""
        spec_ref: object = self.spec_ref
        if isinstance(spec_ref, SpecRef):
            spec_ref = attrs.asdict(spec_ref)
        raw: dict[str, Any] = {
            "id": self.id,
            "type": self.type.value,
            "title": self.title,
            "goal": self.goal,
            "motivation": self.motivation,
            "parent_id": self.parent_id,
            "sub_item_ids": list(self.sub_item_ids),
            "depends_on": list(self.depends_on),
            "requirements": list(self.requirements),
            "acceptance_criteria": list(self.acceptance_criteria),
            "success_metrics": list(self.success_metrics),
            "assumptions": list(self.assumptions),
            "risks": list(self.risks),
            "estimate": None if self.estimate is None else attrs.asdict(self.estimate),
            "verification": None if self.verification is None else attrs.asdict(self.verification),
            "spec_ref": spec_ref,
            "scope": None if self.scope is None else attrs.asdict(self.scope),
            "fields": dict(self.fields),
        }
        pruned = _prune(raw)
        assert isinstance(pruned, dict)
        return pruned


def _prune(value: object) -> object:
    """Drop ``None`` members and empty lists/objects, innermost first (tuples become lists)."""
    if isinstance(value, dict):
        pruned = {key: _prune(member) for key, member in value.items() if member is not None}
        return {key: member for key, member in pruned.items() if member not in ({}, [])}
    if isinstance(value, list | tuple):
        members = [_prune(member) for member in value]
        return [member for member in members if member not in ({}, [])]
    return value


def _plan_id(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", value):
        raise ValueError(
            "plan id must be 1-64 letters, digits, '.', '_' or '-' (it is written into every item's body), "
            f"got {value!r}"
        )


def compute_plan_id(items: Iterable[PlanItem]) -> str:
    """PlanPilot's plan id: 12 hex digits of SHA-256 over the canonical, sorted items."""
    ordered = sorted(items, key=lambda item: (item.type.value, item.id))
    payload = json.dumps([item.canonical() for item in ordered], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]


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
    problems = validate_items(items)
    if problems:
        raise PlanError(problems)


@attrs.frozen(kw_only=True)
class Plan:
    """A validated plan; building one with broken references raises :class:`PlanError`."""

    items: tuple[PlanItem, ...] = attrs.field(converter=_item_tuple, validator=_check_items)
    sources: tuple[str, ...] = attrs.field(default=(), converter=_texts, eq=False)
    warnings: tuple[PlanProblem, ...] = attrs.field(default=(), converter=_problem_tuple, eq=False)
    """Things worth telling the user that do not stop the sync, e.g. unknown fields PlanPilot ignores."""
    plan_id: str = attrs.field(
        default=attrs.Factory(lambda self: compute_plan_id(self.items), takes_self=True), validator=_plan_id
    )
    """PlanPilot's content hash by default. Pin it (``attrs.evolve(plan, plan_id=...)``, CLI ``--plan-id``)
    to keep updating the same items while the plan's content changes; otherwise an edited plan is a new plan."""
    _by_id: Mapping[str, PlanItem] = attrs.field(
        init=False, eq=False, repr=False, default=attrs.Factory(_index, takes_self=True)
    )
    _children: Mapping[str, tuple[PlanItem, ...]] = attrs.field(
        init=False, eq=False, repr=False, default=attrs.Factory(_children_index, takes_self=True)
    )

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

    def children(self, item_id: str) -> tuple[PlanItem, ...]:
        """The items whose parent is ``item_id``, in file order."""
        return self._children.get(item_id, ())


# -- relational validation ----------------------------------------------------------------------------


def validate_items(items: Sequence[PlanItem], *, unreadable: Iterable[str] = ()) -> list[PlanProblem]:
    """Every relational problem: duplicate ids, parents, sub-items, dependencies and cycles.

    ``unreadable`` names items that exist but had problems of their own; references to them are not
    reported again as references to nothing.
    """
    problems: list[PlanProblem] = []
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

        def problem(message: str, item: PlanItem = item) -> None:
            problems.append(PlanProblem(file=item.source, item_id=item.id, message=message))

        if item.parent_id is not None:
            parent = first.get(item.parent_id)
            wanted = _PARENT_TYPE.get(item.type)
            if wanted is None:
                problem(f"an epic cannot have a parent, but parent_id is {json.dumps(item.parent_id)}")
            elif item.parent_id == item.id:
                problem("parent_id names the item itself")
            elif parent is None:
                if item.parent_id not in skip:
                    problem(f"parent_id {json.dumps(item.parent_id)} does not name an item in the plan")
            elif parent.type is not wanted:
                problem(
                    f"a {item.type.value.lower()}'s parent must be {_article(wanted)}, "
                    f"but parent_id {json.dumps(parent.id)} is {_article(parent.type)}"
                )
            elif parent.sub_item_ids and item.id not in parent.sub_item_ids:
                problem(f"parent {json.dumps(parent.id)} lists sub_item_ids but not this item")
        for dep_id in item.depends_on:
            if dep_id == item.id:
                problem("depends_on names the item itself (a dependency cycle)")
            elif dep_id not in first and dep_id not in skip:
                problem(f"depends_on {json.dumps(dep_id)} does not name an item in the plan")
        for sub_id in item.sub_item_ids:
            sub = first.get(sub_id)
            if sub is None:
                if sub_id in skip:
                    continue
                problem(f"sub_item_ids {json.dumps(sub_id)} does not name an item in the plan")
            elif sub.parent_id != item.id:
                actual = "no parent_id" if sub.parent_id is None else f"parent_id {json.dumps(sub.parent_id)}"
                problem(f"sub_item_ids lists {json.dumps(sub_id)}, but that item has {actual}")

    for cycle in _dependency_cycles(first):
        head = first[cycle[0]]
        path = " -> ".join(json.dumps(item_id) for item_id in (*cycle, cycle[0]))
        problems.append(PlanProblem(file=head.source, item_id=head.id, message=f"dependency cycle: {path}"))
    return problems


def _article(item_type: PlanItemType) -> str:
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


# -- loading -----------------------------------------------------------------------------------------


def load_plan(paths: Sequence[str | Path]) -> Plan:
    """Load one unified plan file, or three split files (epics, stories, tasks).

    Split files are matched to their role by name (a name containing ``epic``, ``stor`` or ``task``);
    when the names do not tell, they are taken in the order epics, stories, tasks.
    """
    if len(paths) == 1:
        return load_unified_plan(paths[0])
    if len(paths) == 3:
        epics, stories, tasks = _split_roles([Path(p) for p in paths])
        return load_split_plan(epics, stories, tasks)
    names = ", ".join(str(p) for p in paths) or "none"
    raise PlanError(
        [
            PlanProblem(
                file=names,
                message="expected one unified plan file or three split files (epics, stories, tasks), "
                f"got {len(paths)}",
            )
        ]
    )


def _split_roles(paths: list[Path]) -> tuple[Path, Path, Path]:
    by_role: dict[PlanItemType, Path] = {}
    for path in paths:
        roles = [role for role, hint in _ROLE_HINTS.items() if hint in path.name.lower()]
        if len(roles) != 1 or roles[0] in by_role:
            return paths[0], paths[1], paths[2]
        by_role[roles[0]] = path
    return by_role[PlanItemType.EPIC], by_role[PlanItemType.STORY], by_role[PlanItemType.TASK]


def load_unified_plan(path: str | Path) -> Plan:
    """Load ``{"items": [...]}``; every item names its ``type``."""
    file = str(path)
    problems: list[PlanProblem] = []
    warnings: list[PlanProblem] = []
    payload = _read_json(Path(path), problems)
    items: list[PlanItem] = []
    unreadable: list[str] = []
    if payload is not _MISSING:
        if isinstance(payload, list):
            problems.append(
                PlanProblem(
                    file=file,
                    message='expected an object with an "items" array, got an array; a split plan\'s '
                    "epics, stories and tasks files must be given together",
                )
            )
        elif not isinstance(payload, dict):
            problems.append(
                PlanProblem(file=file, message=f'expected an object with an "items" array, got {_kind(payload)}')
            )
        elif "items" not in payload:
            problems.append(PlanProblem(file=file, message='missing the "items" array'))
        elif not isinstance(payload["items"], list):
            problems.append(PlanProblem(file=file, message=f'"items" must be an array, got {_kind(payload["items"])}'))
        else:
            items = _parse_items(payload["items"], file, None, problems, warnings, unreadable)
    return _build(items, (file,), problems, warnings, unreadable)


def load_split_plan(epics: str | Path, stories: str | Path, tasks: str | Path) -> Plan:
    """Load three JSON arrays; the file decides each item's type (a conflicting ``type`` is an error)."""
    problems: list[PlanProblem] = []
    warnings: list[PlanProblem] = []
    items: list[PlanItem] = []
    unreadable: list[str] = []
    for role, path in zip(LEVELS, (epics, stories, tasks), strict=True):
        file = str(path)
        payload = _read_json(Path(path), problems)
        if payload is _MISSING:
            continue
        if not isinstance(payload, list):
            problems.append(
                PlanProblem(
                    file=file,
                    message=f"a split plan file must be an array of {role.value.lower()} items, got {_kind(payload)}",
                )
            )
            continue
        items.extend(_parse_items(payload, file, role, problems, warnings, unreadable))
    return _build(items, tuple(str(p) for p in (epics, stories, tasks)), problems, warnings, unreadable)


def _build(
    items: list[PlanItem],
    sources: tuple[str, ...],
    problems: list[PlanProblem],
    warnings: list[PlanProblem],
    unreadable: list[str],
) -> Plan:
    problems.extend(validate_items(items, unreadable=unreadable))
    if problems:
        raise PlanError(problems)
    return Plan(items=items, sources=sources, warnings=warnings)


_MISSING: Final = object()


def _read_json(path: Path, problems: list[PlanProblem]) -> Any:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(PlanProblem(file=file, message="file not found"))
        return _MISSING
    except IsADirectoryError:
        problems.append(PlanProblem(file=file, message="is a directory, not a plan file"))
        return _MISSING
    except UnicodeDecodeError as exc:
        problems.append(PlanProblem(file=file, message=f"not UTF-8 text ({exc.reason} at byte {exc.start})"))
        return _MISSING
    except OSError as exc:
        problems.append(PlanProblem(file=file, message=f"cannot be read: {exc.strerror or exc}"))
        return _MISSING
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        problems.append(
            PlanProblem(file=file, message=f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
        )
        return _MISSING


def _kind(value: object) -> str:
    """A JSON type name for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__  # pragma: no cover - json.loads yields only the above


_KNOWN_FIELDS: Final = frozenset(attrs.fields_dict(PlanItem)) - {"source"}
_VERIFICATION_FIELDS: Final = tuple(attrs.fields_dict(Verification))
_LIST_FIELDS: Final = (
    "sub_item_ids",
    "depends_on",
    "requirements",
    "acceptance_criteria",
    "success_metrics",
    "assumptions",
    "risks",
)


def _parse_items(
    raw_items: list[Any],
    file: str,
    role: PlanItemType | None,
    problems: list[PlanProblem],
    warnings: list[PlanProblem],
    unreadable: list[str],
) -> list[PlanItem]:
    items: list[PlanItem] = []
    for position, raw in enumerate(raw_items, start=1):
        reader = _ItemReader(raw, file, position, problems, warnings)
        item = reader.read(role)
        if item is not None:
            items.append(item)
        elif reader.item_id is not None:
            unreadable.append(reader.item_id)
    return items


class _ItemReader:
    """Reads one raw item, recording every problem instead of stopping at the first."""

    def __init__(
        self, raw: Any, file: str, index: int, problems: list[PlanProblem], warnings: list[PlanProblem]
    ) -> None:
        self.raw = raw
        self.file = file
        self.index = index
        self.item_id: str | None = None
        self.failed = False
        self._problems = problems
        self._warnings = warnings

    def problem(self, message: str) -> None:
        self.failed = True
        self._problems.append(PlanProblem(file=self.file, item_id=self.item_id, index=self.index, message=message))

    def read(self, role: PlanItemType | None) -> PlanItem | None:
        raw = self.raw
        if not isinstance(raw, dict):
            self.problem(f"an item must be an object, got {_describe(raw)}")
            return None
        raw_id = raw.get("id")
        if isinstance(raw_id, str) and ("\n" in raw_id or "\r" in raw_id):
            self.problem(f'field "id" must not contain a line break, got {_describe(raw_id)}')
        elif isinstance(raw_id, str) and raw_id.strip():
            self.item_id = raw_id
        elif raw_id is None:
            self.problem('missing required field "id"')
        else:
            self.problem(f'field "id" must be a non-empty string, got {_describe(raw_id)}')
        for key in raw:
            if key not in _KNOWN_FIELDS:
                self._warnings.append(
                    PlanProblem(
                        file=self.file,
                        item_id=self.item_id,
                        index=self.index,
                        message=f"unknown field {json.dumps(key)} is ignored",
                    )
                )
        item_type = self._type(role)
        title = self.text(raw, "title", required=True)
        goal = self.text(raw, "goal", required=True)
        lists: dict[str, Any] = {
            name: self.texts(raw, name, required=name in ("requirements", "acceptance_criteria"))
            for name in _LIST_FIELDS
        }
        optional: dict[str, Any] = {
            "motivation": self.text(raw, "motivation"),
            "parent_id": self._parent_id(),
            "estimate": self._estimate(),
            "verification": self._verification(),
            "spec_ref": self._spec_ref(),
            "scope": self._scope(),
            "fields": self._fields(),
        }
        if self.failed or self.item_id is None or item_type is None or title is None:
            return None
        return PlanItem(id=self.item_id, type=item_type, title=title, goal=goal, source=self.file, **lists, **optional)

    def _parent_id(self) -> str | None:
        parent_id = self.text(self.raw, "parent_id")
        if parent_id is not None and ("\n" in parent_id or "\r" in parent_id):
            self.problem(f'field "parent_id" must not contain a line break, got {_describe(parent_id)}')
            return None
        return parent_id

    def _type(self, role: PlanItemType | None) -> PlanItemType | None:
        value = self.raw.get("type")
        if value is None:
            if role is None:
                self.problem('missing required field "type" (EPIC, STORY or TASK)')
            return role
        declared = next((t for t in PlanItemType if t.value == value), None)
        if declared is None:
            self.problem(f'field "type" must be one of EPIC, STORY, TASK, got {_describe(value)}')
            return None
        if role is not None and declared is not role:
            self.problem(f"has type {declared.value} but is in the {role.value.lower()} file")
            return None
        return declared

    def text(self, source: Mapping[str, Any], key: str, *, required: bool = False, name: str = "") -> str | None:
        """A string field; ``name`` is the dotted path used in messages (defaults to ``key``)."""
        name = name or key
        value = source.get(key)
        if value is None:
            if required:
                self.problem(f"missing required field {json.dumps(name)}")
            return None
        if not isinstance(value, str):
            self.problem(f"field {json.dumps(name)} must be a string, got {_describe(value)}")
            return None
        if required and not value.strip():
            self.problem(f"field {json.dumps(name)} must not be empty")
            return None
        return value

    def texts(self, source: Mapping[str, Any], key: str, *, required: bool = False, name: str = "") -> tuple[str, ...]:
        """An array-of-strings field; ``required`` means at least one entry."""
        name = name or key
        value = source.get(key)
        if value is None:
            if required:
                self.problem(f"missing required field {json.dumps(name)}")
            return ()
        if not isinstance(value, list):
            self.problem(f"field {json.dumps(name)} must be an array of strings, got {_describe(value)}")
            return ()
        bad = [(n, member) for n, member in enumerate(value) if not isinstance(member, str)]
        for n, member in bad:
            self.problem(f"field {json.dumps(name)}[{n}] must be a string, got {_describe(member)}")
        if required and not value:
            self.problem(f"field {json.dumps(name)} must list at least one entry")
        return () if bad else tuple(value)

    def _object(self, key: str) -> dict[str, Any] | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.problem(f"field {json.dumps(key)} must be an object, got {_describe(value)}")
            return None
        return value

    def _estimate(self) -> Estimate | None:
        raw = self._object("estimate")
        if raw is None:
            return None
        tshirt = self.text(raw, "tshirt", name="estimate.tshirt")
        hours = raw.get("hours")
        if hours is not None and (isinstance(hours, bool) or not isinstance(hours, int | float) or hours < 0):
            self.problem(f'field "estimate.hours" must be a non-negative number, got {_describe(hours)}')
            hours = None
        return Estimate(tshirt=tshirt, hours=hours)

    def _verification(self) -> Verification | None:
        raw = self._object("verification")
        if raw is None:
            return None
        found = {key: self.texts(raw, key, name=f"verification.{key}") for key in _VERIFICATION_FIELDS}
        return Verification(**found)

    def _spec_ref(self) -> SpecRef | str | None:
        value = self.raw.get("spec_ref")
        if value is None or isinstance(value, str):
            return value
        raw = self._object("spec_ref")
        if raw is None:
            return None
        url = self.text(raw, "url", required=True, name="spec_ref.url")
        section = self.text(raw, "section", name="spec_ref.section")
        quote = self.text(raw, "quote", name="spec_ref.quote")
        return None if url is None else SpecRef(url=url, section=section, quote=quote)

    def _scope(self) -> Scope | None:
        raw = self._object("scope")
        if raw is None:
            return None
        return Scope(
            in_scope=self.texts(raw, "in_scope", name="scope.in_scope"),
            out_scope=self.texts(raw, "out_scope", name="scope.out_scope"),
        )

    def _fields(self) -> dict[str, str]:
        raw = self._object("fields")
        if raw is None:
            return {}
        for key, value in raw.items():
            if not isinstance(value, str):
                self.problem(f'field "fields.{key}" must be a string, got {_describe(value)}')
        return {key: value for key, value in raw.items() if isinstance(value, str)}


def _describe(value: object) -> str:
    """The value's JSON type, with the value itself when it is short."""
    if isinstance(value, str | int | float | bool) or value is None:
        text = json.dumps(value)
        if len(text) <= 40:
            return f"{_kind(value)} {text}" if value is not None else "null"
    return _kind(value)
