"""Plan files: read PlanPilot's plan JSON, in either of its two shapes, into a validated ``Plan``.

* unified: one file ``{"items": [...]}`` where every item names its ``type`` (EPIC, STORY, TASK);
* split: JSON arrays holding the epics, the stories and the tasks; the file an item sits in decides
  its type.

Every problem is collected before anything is raised, so one run of the loader reports all of them,
each naming the file, the item and what is wrong.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

from planpilot_providers_core.contracts import PlanItemType
from planpilot_providers_core.plan.graph import Plan, article, validate_items
from planpilot_providers_core.plan.identity import check_plan_id
from planpilot_providers_core.plan.model import (
    LEVELS,
    Estimate,
    PlanError,
    PlanItem,
    PlanProblem,
    Scope,
    SpecRef,
    Verification,
    id_problem,
)

__all__ = ["load_plan", "load_split_plan", "load_unified_plan"]

_ROLE_HINTS: Final[Mapping[PlanItemType, str]] = {
    PlanItemType.EPIC: "epic",
    PlanItemType.STORY: "stor",
    PlanItemType.TASK: "task",
}


def load_plan(paths: Sequence[str | Path], *, partial: bool = False) -> Plan:
    """Load a plan: one unified file, or the split files (epics, stories, tasks; any of them may be left out).

    A file holding an object is a unified plan; files holding arrays are a split plan, each matched to
    its role by name (a name containing ``epic``, ``stor`` or ``task``) or else by position (epics,
    stories, tasks). ``partial`` is PlanPilot's partial validation mode (links outside the plan allowed).
    """
    if not 1 <= len(paths) <= 3:
        names = ", ".join(str(p) for p in paths) or "none"
        message = f"expected one unified plan file or up to three split files (epics, stories, tasks), got {len(paths)}"
        raise PlanError([PlanProblem(file=names, message=message)])
    files = [_File.read(Path(path)) for path in paths]
    if len(files) == 1 and isinstance(files[0].payload, dict):
        return _unified(files[0].path, files[0].payload, partial=partial)
    if len(files) > 1 and all(isinstance(file.payload, dict) for file in files):
        raise PlanError(
            [
                PlanProblem(
                    file=", ".join(str(file.path) for file in files),
                    message=f"expected one unified plan file or the split files of one plan (epics, stories, "
                    f"tasks: arrays), got {len(files)} unified plans",
                )
            ]
        )
    return _split(_split_roles(files), partial=partial)


@attrs.frozen
class _File:
    """A plan file as read: its JSON, or the problem reading it."""

    path: Path
    payload: Any
    problems: tuple[PlanProblem, ...]

    @classmethod
    def read(cls, path: Path) -> _File:
        problems: list[PlanProblem] = []
        payload = _read_json(path, problems)
        return cls(path, payload, tuple(problems))


def _split_roles(files: list[_File]) -> list[tuple[PlanItemType, _File]]:
    """Each file's role: by a hint in its name when every name has a distinct one, else by position."""
    roles: list[PlanItemType] = []
    for file in files:
        hinted = [role for role, hint in _ROLE_HINTS.items() if hint in file.path.name.lower()]
        roles.append(hinted[0] if len(hinted) == 1 else PlanItemType.EPIC)
    if len(set(roles)) != len(roles):
        roles = list(LEVELS[: len(files)])
    return sorted(zip(roles, files, strict=True), key=lambda pair: LEVELS.index(pair[0]))


def load_unified_plan(path: str | Path, *, partial: bool = False) -> Plan:
    """Load ``{"items": [...]}``; every item names its ``type``. A top-level ``plan_id`` pins the plan id."""
    file = _File.read(Path(path))
    if file.problems:
        raise PlanError(file.problems)
    if isinstance(file.payload, list):
        raise PlanError(
            [
                PlanProblem(
                    file=str(path),
                    message='expected an object with an "items" array, got an array; a split plan\'s '
                    "epics, stories and tasks files must be given together",
                )
            ]
        )
    return _unified(file.path, file.payload, partial=partial)


def load_split_plan(
    epics: str | Path, stories: str | Path | None = None, tasks: str | Path | None = None, *, partial: bool = False
) -> Plan:
    """Load the arrays of a split plan; stories and tasks may be left out."""
    given = [(role, Path(path)) for role, path in zip(LEVELS, (epics, stories, tasks), strict=True) if path]
    return _split([(role, _File.read(path)) for role, path in given], partial=partial)


def _unified(path: Path, payload: Any, *, partial: bool) -> Plan:
    file = str(path)
    problems: list[PlanProblem] = []
    warnings: list[PlanProblem] = []
    items: list[PlanItem] = []
    unreadable: list[str] = []
    pinned: str | None = None
    if not isinstance(payload, dict):
        problems.append(
            PlanProblem(file=file, message=f'expected an object with an "items" array, got {_kind(payload)}')
        )
    elif "items" not in payload:
        problems.append(PlanProblem(file=file, message='missing the "items" array'))
    elif not isinstance(payload["items"], list):
        problems.append(PlanProblem(file=file, message=f'"items" must be an array, got {_kind(payload["items"])}'))
    else:
        items = _parse_items(payload["items"], file, None, problems, warnings, unreadable)
        pinned = _pinned_id(payload.get("plan_id"), file, problems)
    return _build(items, (file,), problems, warnings, unreadable, partial=partial, pinned=pinned)


def _pinned_id(value: object, file: str, problems: list[PlanProblem]) -> str | None:
    if value is None:
        return None
    try:
        check_plan_id(None, attrs.fields(Plan).pinned_id, value)  # type: ignore[arg-type]
    except ValueError as exc:
        problems.append(PlanProblem(file=file, message=f'field "plan_id": {exc}'))
        return None
    return str(value)


def _split(files: Sequence[tuple[PlanItemType, _File]], *, partial: bool) -> Plan:
    problems: list[PlanProblem] = []
    warnings: list[PlanProblem] = []
    items: list[PlanItem] = []
    unreadable: list[str] = []
    for role, file in files:
        problems.extend(file.problems)
        if file.problems:
            continue
        if not isinstance(file.payload, list):
            problems.append(
                PlanProblem(
                    file=str(file.path),
                    message=f"a split plan file must be an array of {role.value.lower()} items, "
                    f"got {_kind(file.payload)}",
                )
            )
            continue
        items.extend(_parse_items(file.payload, str(file.path), role, problems, warnings, unreadable))
    sources = tuple(str(file.path) for _, file in files)
    return _build(items, sources, problems, warnings, unreadable, partial=partial)


def _build(
    items: list[PlanItem],
    sources: tuple[str, ...],
    problems: list[PlanProblem],
    warnings: list[PlanProblem],
    unreadable: list[str],
    *,
    partial: bool,
    pinned: str | None = None,
) -> Plan:
    """The plan, validated once: by ``Plan`` itself when every item was readable; otherwise the relational
    problems are collected next to the item problems (skipping references to the unreadable items)."""
    if problems:
        raise PlanError([*problems, *validate_items(items, unreadable=unreadable, partial=partial)])
    return Plan(items=items, sources=sources, warnings=warnings, partial=partial, pinned_id=pinned)


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
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        message = f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
    except RecursionError:
        message = "nested too deeply to be a plan (a plan is a list of flat items, not deeply nested arrays)"
    except ValueError as exc:  # NaN/Infinity, or an integer too long to convert
        digits = "digits" in str(exc)
        message = "has a number with thousands of digits" if digits else f"not valid JSON: {exc}"
    problems.append(PlanProblem(file=file, message=message))
    return _MISSING


def _refuse_constant(name: str) -> object:
    """JSON has no NaN or Infinity; Python's parser accepts them unless told otherwise."""
    raise ValueError(f"{name} is not a number JSON allows; write a finite number such as 8")


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

    def warning(self, message: str) -> None:
        self._warnings.append(PlanProblem(file=self.file, item_id=self.item_id, index=self.index, message=message))

    def read(self, role: PlanItemType | None) -> PlanItem | None:
        raw = self.raw
        if not isinstance(raw, dict):
            self.problem(f"an item must be an object, got {_describe(raw)}")
            return None
        raw_id = raw.get("id")
        if raw_id is None:
            self.problem('missing required field "id"')
        elif not isinstance(raw_id, str):
            self.problem(f'field "id" must be a non-empty string, got {_describe(raw_id)}')
        elif (problem := id_problem(raw_id)) is not None:
            self.problem(f'field "id" {problem}, got {_describe(raw_id)}')
        else:
            self.item_id = raw_id
        for key in raw:
            if key not in _KNOWN_FIELDS:
                self.warning(f"unknown field {json.dumps(key)} is ignored")
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
        if parent_id is not None and (problem := id_problem(parent_id)) is not None:
            self.problem(f'field "parent_id" {problem}, got {_describe(parent_id)}')
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
            self.warning(
                f"has type {declared.value} but is in the {role.value.lower()} file; "
                f"it is synced as {article(role)}: the file decides"
            )
            return role
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
        return Estimate(tshirt=tshirt, hours=self._hours(raw.get("hours")))

    def _hours(self, value: object) -> float | None:
        """A finite number of hours >= 0; a numeric string such as "8" too, as PlanPilot reads it."""
        if value is None:
            return None
        hours: float | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            hours = float(value)
        elif isinstance(value, str):
            try:
                hours = float(value.strip())
            except ValueError:
                hours = None
        if hours is None or not math.isfinite(hours) or hours < 0:
            self.problem(
                f'field "estimate.hours" must be a finite number of hours >= 0 (or a numeric string like "8"), '
                f"got {_describe(value)}"
            )
            return None
        return hours

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
