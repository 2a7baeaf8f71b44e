"""Linear's filter inputs (``IssueFilter``, ``IssueLabelFilter``, ``TeamFilter`` ...) evaluated on the model.

Semantics (notes/linear-api.md §4.1, [sdl] comparator descriptions):

* the fields of one filter object combine with AND; ``and: [...]`` / ``or: [...]`` nest;
* string comparators are case-sensitive (``eq``, ``contains``, ``startsWith`` ...) unless named
  ``...IgnoreCase``; ``containsIgnoreCaseAndAccent`` also folds accents; ``contains`` is a substring match;
* a collection (``labels``) matches when ``some`` member matches (also what a member field given directly
  means: "returns all issues that have at least one label that matches"), ``every`` when all do, and takes
  ``length`` and ``null`` (empty);
* a relation to one object (``team``, ``parent``) filters that object; ``null: true`` asks for none;
* dates take an ISO 8601 date-time or a duration relative to now (``-P2W``, ``-PT1H``);
* an absent value (a null description) matches nothing but ``null: true``, as in SQL.

A filter field the emulator does not model is refused with ``EMULATOR_UNSUPPORTED`` rather than ignored,
so a client never gets a silently wider answer than Linear would give.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import invalid_input, unsupported
from .model import Cycle, Issue, Label, Project, Team, WorkflowState

__all__ = ["check_filter", "matches", "parse_date_or_duration"]

Accessor = Callable[[Any, datetime], Any]
Spec = dict[str, tuple[str, Accessor]]  # field -> (kind, accessor); kind "entity:<spec>" / "collection:<spec>"


def _attr(name: str) -> Accessor:
    return lambda obj, _now: getattr(obj, name)


TEAM: Spec = {
    "id": ("id", _attr("id")),
    "key": ("string", _attr("key")),
    "name": ("string", _attr("name")),
    "description": ("string", _attr("description")),
    "createdAt": ("date", _attr("created_at")),
    "updatedAt": ("date", _attr("updated_at")),
    "parent": ("entity:team", _attr("parent")),
}
STATE: Spec = {
    "id": ("id", _attr("id")),
    "name": ("string", _attr("name")),
    "type": ("string", _attr("type")),
    "position": ("number", _attr("position")),
    "team": ("entity:team", _attr("team")),
    "createdAt": ("date", _attr("created_at")),
    "updatedAt": ("date", _attr("updated_at")),
}
LABEL: Spec = {
    "id": ("id", _attr("id")),
    "name": ("string", _attr("name")),
    "isGroup": ("bool", _attr("is_group")),
    "team": ("entity:team", _attr("team")),
    "parent": ("entity:label", _attr("parent")),
    "createdAt": ("date", _attr("created_at")),
    "updatedAt": ("date", _attr("updated_at")),
}
PROJECT: Spec = {
    "id": ("id", _attr("id")),
    "name": ("string", _attr("name")),
    "slugId": ("string", _attr("slug_id")),
    "createdAt": ("date", _attr("created_at")),
    "updatedAt": ("date", _attr("updated_at")),
}
CYCLE: Spec = {
    "id": ("id", _attr("id")),
    "number": ("number", _attr("number")),
    "name": ("string", _attr("name")),
    "startsAt": ("date", _attr("starts_at")),
    "endsAt": ("date", _attr("ends_at")),
    "isActive": ("bool", lambda c, now: c.starts_at <= now < c.ends_at),
    "team": ("entity:team", _attr("team")),
}
ISSUE: Spec = {
    "id": ("id", _attr("id")),
    "title": ("string", _attr("title")),
    "description": ("string", _attr("description")),
    "number": ("number", _attr("number")),
    "priority": ("number", _attr("priority")),
    "estimate": ("number", _attr("estimate")),
    "createdAt": ("date", _attr("created_at")),
    "updatedAt": ("date", _attr("updated_at")),
    "archivedAt": ("date", _attr("archived_at")),
    "team": ("entity:team", _attr("team")),
    "state": ("entity:state", _attr("state")),
    "labels": ("collection:label", _attr("labels")),
    "parent": ("entity:issue", _attr("parent")),
    "children": ("collection:issue", _attr("children")),
    "project": ("entity:project", _attr("project")),
    "cycle": ("entity:cycle", _attr("cycle")),
    "hasBlockedByRelations": ("exists", lambda i, _: any(r.type == "blocks" for r in i.inverse_relations)),
    "hasBlockingRelations": ("exists", lambda i, _: any(r.type == "blocks" for r in i.relations)),
    "hasRelatedRelations": ("exists", lambda i, _: any(r.type == "related" for r in i.relations + i.inverse_relations)),
    "hasDuplicateRelations": ("exists", lambda i, _: any(r.type == "duplicate" for r in i.relations)),
}
SPECS: dict[str, Spec] = {
    "issue": ISSUE,
    "team": TEAM,
    "state": STATE,
    "label": LABEL,
    "project": PROJECT,
    "cycle": CYCLE,
}
_SPEC_OF_TYPE: dict[type, str] = {
    Issue: "issue",
    Team: "team",
    WorkflowState: "state",
    Label: "label",
    Project: "project",
    Cycle: "cycle",
}


def check_filter(filter_: Mapping[str, Any] | None, entity: str, *, where: str = "filter") -> None:
    """Refuse a filter with a field or comparator the emulator does not model, whatever the list holds
    (an empty list would otherwise never look at it)."""
    if filter_:
        _check_entity(filter_, SPECS[entity], where)


def _check_entity(filter_: Mapping[str, Any], spec: Spec, where: str) -> None:
    for key, condition in filter_.items():
        path = f"{where}.{key}"
        if condition is None or key == "null":
            continue
        if key in ("and", "or"):
            for part in condition:
                _check_entity(part, spec, path)
        elif key not in spec:
            raise unsupported(f"the filter field `{path}`")
        else:
            _check_field(spec[key][0], condition, path)


def _check_field(kind: str, condition: Mapping[str, Any], path: str) -> None:
    if kind.startswith("entity:"):
        _check_entity(condition, SPECS[kind.partition(":")[2]], path)
        return
    if kind.startswith("collection:"):
        spec = SPECS[kind.partition(":")[2]]
        for key, sub in condition.items():
            if sub is None or key == "null":
                continue
            if key in ("some", "every"):
                _check_entity(sub, spec, f"{path}.{key}")
            elif key == "length":
                _check_field("number", sub, f"{path}.length")
            elif key in ("and", "or"):
                for part in sub:
                    _check_field(kind, part, path)
            else:
                _check_entity({key: sub}, spec, path)
        return
    allowed = {
        "string": _STRING_TESTS.keys(),
        "id": ("eq", "neq", "in", "nin"),
        "bool": ("eq", "neq"),
        "exists": ("eq", "neq"),
        "number": _ORDER_TESTS.keys(),
        "date": _ORDER_TESTS.keys(),
    }[kind]
    for op, operand in condition.items():
        if operand is not None and op != "null" and op not in allowed:
            raise unsupported(f"the comparator `{path}.{op}`")


def matches(obj: Any, filter_: Mapping[str, Any] | None, now: datetime, *, where: str = "filter") -> bool:
    """True when ``obj`` (an issue, team, label ...) passes ``filter_`` (``None`` or ``{}``: everything)."""
    if not filter_:
        return True
    return _entity(obj, filter_, SPECS[_SPEC_OF_TYPE[type(obj)]], now, where)


def _entity(obj: Any, filter_: Mapping[str, Any], spec: Spec, now: datetime, where: str) -> bool:
    for key, condition in filter_.items():
        if condition is None:
            continue
        path = f"{where}.{key}"
        if key == "and":
            ok = all(_entity(obj, sub, spec, now, path) for sub in condition)
        elif key == "or":
            ok = any(_entity(obj, sub, spec, now, path) for sub in condition)
        elif key == "null":
            ok = (obj is None) == condition
        elif key not in spec:
            raise unsupported(f"the filter field `{path}`")
        else:
            kind, accessor = spec[key]
            ok = _field(kind, accessor(obj, now), condition, now, path)
        if not ok:
            return False
    return True


def _field(kind: str, value: Any, condition: Any, now: datetime, path: str) -> bool:
    if kind.startswith("entity:"):
        spec = SPECS[kind.partition(":")[2]]
        if value is None:
            return bool(condition.get("null")) if "null" in condition else False
        return _entity(value, condition, spec, now, path)
    if kind.startswith("collection:"):
        return _collection(value, condition, SPECS[kind.partition(":")[2]], now, path)
    if kind == "exists":
        return _compare("bool", value, condition, now, path)
    return _compare(kind, value, condition, now, path)


def _collection(members: Sequence[Any], condition: Mapping[str, Any], spec: Spec, now: datetime, path: str) -> bool:
    direct: dict[str, Any] = {}
    for key, sub in condition.items():
        if sub is None:
            continue
        if key == "some":
            ok = any(_entity(m, sub, spec, now, f"{path}.some") for m in members)
        elif key == "every":
            ok = all(_entity(m, sub, spec, now, f"{path}.every") for m in members)
        elif key == "length":
            ok = _compare("number", len(members), sub, now, f"{path}.length")
        elif key == "null":
            ok = (not members) == sub
        elif key == "and":
            ok = all(_collection(members, part, spec, now, path) for part in sub)
        elif key == "or":
            ok = any(_collection(members, part, spec, now, path) for part in sub)
        else:
            direct[key] = sub
            continue
        if not ok:
            return False
    return not direct or any(_entity(m, direct, spec, now, path) for m in members)


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


_STRING_TESTS: dict[str, Callable[[str, Any], bool]] = {
    "eq": lambda v, x: v == x,
    "neq": lambda v, x: v != x,
    "in": lambda v, x: v in x,
    "nin": lambda v, x: v not in x,
    "eqIgnoreCase": lambda v, x: v.casefold() == x.casefold(),
    "neqIgnoreCase": lambda v, x: v.casefold() != x.casefold(),
    "startsWith": lambda v, x: v.startswith(x),
    "startsWithIgnoreCase": lambda v, x: v.casefold().startswith(x.casefold()),
    "notStartsWith": lambda v, x: not v.startswith(x),
    "endsWith": lambda v, x: v.endswith(x),
    "notEndsWith": lambda v, x: not v.endswith(x),
    "contains": lambda v, x: x in v,
    "notContains": lambda v, x: x not in v,
    "containsIgnoreCase": lambda v, x: x.casefold() in v.casefold(),
    "notContainsIgnoreCase": lambda v, x: x.casefold() not in v.casefold(),
    "containsIgnoreCaseAndAccent": lambda v, x: _fold(x) in _fold(v),
}
_ORDER_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda v, x: v == x,
    "neq": lambda v, x: v != x,
    "in": lambda v, x: v in x,
    "nin": lambda v, x: v not in x,
    "lt": lambda v, x: v < x,
    "lte": lambda v, x: v <= x,
    "gt": lambda v, x: v > x,
    "gte": lambda v, x: v >= x,
}


def _compare(kind: str, value: Any, condition: Mapping[str, Any], now: datetime, path: str) -> bool:
    for op, operand in condition.items():
        if operand is None:
            continue
        if op == "null":
            ok = (value is None) == operand
        elif value is None:
            ok = False
        elif kind == "string" and op in _STRING_TESTS:
            ok = _STRING_TESTS[op](value, operand)
        elif kind == "id" and op in ("eq", "neq", "in", "nin"):
            wanted = [o.lower() for o in operand] if isinstance(operand, list) else operand.lower()
            ok = _ORDER_TESTS[op](value.lower(), wanted)
        elif kind == "bool" and op in ("eq", "neq"):
            ok = _ORDER_TESTS[op](bool(value), operand)
        elif kind in ("number", "date") and op in _ORDER_TESTS:
            convert: Callable[[Any], Any] = (lambda x: parse_date_or_duration(x, now)) if kind == "date" else float
            wanted = [convert(o) for o in operand] if isinstance(operand, list) else convert(operand)
            ok = _ORDER_TESTS[op](value, wanted)
        else:
            raise unsupported(f"the comparator `{path}.{op}`")
        if not ok:
            return False
    return True


_DURATION = re.compile(
    r"^(?P<sign>[-+])?P(?:(?P<Y>\d+)Y)?(?:(?P<M>\d+)M)?(?:(?P<W>\d+)W)?(?:(?P<D>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_date_or_duration(value: str, now: datetime) -> datetime:
    """``DateTimeOrDuration``: an ISO 8601 date-time, or a duration from now (``-P2W`` = two weeks ago)."""
    match = _DURATION.match(value)
    if match and value.strip("+-") != "P":
        parts = {k: float(v) for k, v in match.groupdict().items() if v and k != "sign"}
        delta = timedelta(
            days=parts.get("Y", 0) * 365 + parts.get("M", 0) * 30 + parts.get("W", 0) * 7 + parts.get("D", 0),
            hours=parts.get("h", 0),
            minutes=parts.get("m", 0),
            seconds=parts.get("s", 0),
        )
        return now - delta if match.group("sign") == "-" else now + delta
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_input(f"'{value}' is neither an ISO 8601 date-time nor a duration such as -P2W.") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
