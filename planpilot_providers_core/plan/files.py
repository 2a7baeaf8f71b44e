"""Plan files: read PlanPilot's plan JSON, in either of its two shapes, into a validated ``Plan``.

* unified: one file ``{"items": [...]}`` where every item names its ``type`` (EPIC, STORY, TASK);
* split: JSON arrays holding the epics, the stories and the tasks; the file an item sits in decides
  its type.

Every problem is collected before anything is raised, so one run of the loader reports all of them,
each naming the file, the item and what is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

from planpilot_providers_core.contracts import PlanItemType
from planpilot_providers_core.plan.graph import Plan, validate_items
from planpilot_providers_core.plan.identity import check_plan_id
from planpilot_providers_core.plan.items import json_kind, parse_items
from planpilot_providers_core.plan.model import (
    LEVELS,
    MAX_ITEMS,
    PlanError,
    PlanItem,
    PlanProblem,
)

__all__ = ["MAX_PLAN_BYTES", "load_plan", "load_split_plan", "load_unified_plan"]

_ROLE_HINTS: Final[Mapping[PlanItemType, str]] = {
    PlanItemType.EPIC: "epic",
    PlanItemType.STORY: "stor",
    PlanItemType.TASK: "task",
}


def load_plan(paths: Sequence[str | Path], *, partial: bool = False, plan_id: str | None = None) -> Plan:
    """Load a plan: one unified file, or the split files (epics, stories, tasks; any of them may be left out).

    A file holding an object is a unified plan; files holding arrays are a split plan, each matched to
    its role by name (a name containing ``epic``, ``stor`` or ``task``) or else by position (epics,
    stories, tasks). ``partial`` is PlanPilot's partial validation mode (links outside the plan allowed).
    ``plan_id`` pins the plan id (``--plan-id``) over any the file names; the plan is built, validated and
    hashed once with it (``attrs.evolve`` afterwards would do all of that again).
    """
    if not 1 <= len(paths) <= 3:
        names = ", ".join(str(p) for p in paths) or "none"
        message = f"expected one unified plan file or up to three split files (epics, stories, tasks), got {len(paths)}"
        raise PlanError([PlanProblem(file=names, message=message)])
    files = [_File.read(Path(path)) for path in paths]
    if len(files) == 1 and isinstance(files[0].payload, dict):
        return _unified(files[0].path, files[0].payload, partial=partial, plan_id=plan_id)
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
    return _split(_split_roles(files), partial=partial, plan_id=plan_id)


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


def _unified(path: Path, payload: Any, *, partial: bool, plan_id: str | None = None) -> Plan:
    file = str(path)
    problems: list[PlanProblem] = []
    warnings: list[PlanProblem] = []
    items: list[PlanItem] = []
    unreadable: list[str] = []
    pinned: str | None = None
    if not isinstance(payload, dict):
        problems.append(
            PlanProblem(file=file, message=f'expected an object with an "items" array, got {json_kind(payload)}')
        )
    elif "items" not in payload:
        problems.append(PlanProblem(file=file, message='missing the "items" array'))
    elif not isinstance(payload["items"], list):
        problems.append(PlanProblem(file=file, message=f'"items" must be an array, got {json_kind(payload["items"])}'))
    elif (too_many := _too_many(len(payload["items"]), file)) is not None:
        problems.append(too_many)
    else:
        items = parse_items(payload["items"], file, None, problems, warnings, unreadable)
        pinned = _pinned_id(payload.get("plan_id"), file, problems)
    return _build(items, (file,), problems, warnings, unreadable, partial=partial, pinned=plan_id or pinned)


def _pinned_id(value: object, file: str, problems: list[PlanProblem]) -> str | None:
    if value is None:
        return None
    try:
        check_plan_id(None, attrs.fields(Plan).pinned_id, value)  # type: ignore[arg-type]
    except ValueError as exc:
        problems.append(PlanProblem(file=file, message=f'field "plan_id": {exc}'))
        return None
    return str(value)


def _split(files: Sequence[tuple[PlanItemType, _File]], *, partial: bool, plan_id: str | None = None) -> Plan:
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
                    f"got {json_kind(file.payload)}",
                )
            )
            continue
        if (too_many := _too_many(len(items) + len(file.payload), str(file.path))) is not None:
            problems.append(too_many)
            break
        items.extend(parse_items(file.payload, str(file.path), role, problems, warnings, unreadable))
    sources = tuple(str(file.path) for _, file in files)
    return _build(items, sources, problems, warnings, unreadable, partial=partial, pinned=plan_id)


def _too_many(count: int, file: str) -> PlanProblem | None:
    """The item cap, checked before a huge array is parsed item by item."""
    if count <= MAX_ITEMS:
        return None
    return PlanProblem(
        file=file, message=f"has {count} items; a plan may have at most {MAX_ITEMS}: split it into smaller plans"
    )


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
MAX_PLAN_BYTES: Final = 32 * 2**20
"""The largest plan file read (32 MiB): far above a 10,000-item plan, far below what exhausts memory."""


def _read_json(path: Path, problems: list[PlanProblem]) -> Any:
    file = str(path)
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_PLAN_BYTES + 1)  # never more: /dev/zero would fill the memory
        if len(data) > MAX_PLAN_BYTES:
            problems.append(
                PlanProblem(
                    file=file,
                    message=f"is larger than {MAX_PLAN_BYTES // 2**20} MiB, the most a plan file may have: "
                    "split the plan, or check that this is a plan file",
                )
            )
            return _MISSING
        text = data.decode("utf-8")
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
