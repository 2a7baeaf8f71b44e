"""One plan item: read a raw JSON object into a ``PlanItem``, recording every problem on the way.

Each problem names the file, the item (by id once known, else by position) and what is wrong, so the
loader can report all of them at once instead of stopping at the first.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, Final

import attrs

from planpilot_providers_core.contracts import PlanItemType
from planpilot_providers_core.plan.graph import article
from planpilot_providers_core.plan.model import (
    Estimate,
    PlanItem,
    PlanProblem,
    Scope,
    SpecRef,
    Verification,
    id_problem,
)
from planpilot_providers_core.text import quoted

__all__ = ["json_kind", "parse_items"]


def json_kind(value: object) -> str:
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


def parse_items(
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
                self.warning(f"unknown field {quoted(key)} is ignored")
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
                self.problem(f"field {quoted(f'fields.{key}')} must be a string, got {_describe(value)}")
        return {key: value for key, value in raw.items() if isinstance(value, str)}


def _describe(value: object) -> str:
    """The value's JSON type, with the value itself when it is short."""
    if isinstance(value, str | int | float | bool) or value is None:
        text = json.dumps(value)
        if len(text) <= 40:
            return f"{json_kind(value)} {text}" if value is not None else "null"
    return json_kind(value)
