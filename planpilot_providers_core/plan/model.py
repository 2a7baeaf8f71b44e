"""The plan's value types: ``PlanItem`` and its parts, as PlanPilot's plan files name them.

Validation of one item lives here (attrs validators); relations between items (parents,
dependencies, cycles) live in :mod:`.graph`; reading files in :mod:`.files`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

from planpilot_providers_core.context import frozen_mapping
from planpilot_providers_core.contracts import PlanItemType, non_blank, to_item_type
from planpilot_providers_core.errors import PlanPilotError
from planpilot_providers_core.text import listed, quoted

__all__ = [
    "LEVELS",
    "MAX_ID_LENGTH",
    "MAX_ITEMS",
    "Estimate",
    "PlanError",
    "PlanItem",
    "PlanProblem",
    "Scope",
    "SpecRef",
    "Verification",
    "id_problem",
]

#: The order of the three split files, and the order levels are synced in.
LEVELS: Final[tuple[PlanItemType, ...]] = (PlanItemType.EPIC, PlanItemType.STORY, PlanItemType.TASK)


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


MAX_PROBLEMS_SHOWN: Final = 50
"""Problems a plan error lists in its message; ``problems`` (and ``--json``) has all of them."""


class PlanError(PlanPilotError):
    """A plan could not be loaded or is invalid; ``problems`` lists every issue found."""

    def __init__(self, problems: Iterable[PlanProblem]) -> None:
        self.problems: tuple[PlanProblem, ...] = tuple(problems)
        super().__init__(self._message())

    def _message(self) -> str:
        """Every problem on its own line, up to :data:`MAX_PROBLEMS_SHOWN`; the rest are counted."""
        count = len(self.problems)
        lines = listed((f"  {problem}" for problem in self.problems), MAX_PROBLEMS_SHOWN, separator="\n")
        return f"invalid plan ({count} problem{'s' if count != 1 else ''}):\n{lines}"


def text_tuple(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError(f"expected a sequence of strings, not the string {value!r}")
    result = tuple(value)
    for text in result:
        if not isinstance(text, str):
            raise TypeError(f"expected strings, got {text!r}")
    return result


_optional_str = attrs.validators.optional(attrs.validators.instance_of(str))


def _hours(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{attribute.name} must be a finite number >= 0, got {value!r}")


@attrs.frozen(kw_only=True)
class Estimate:
    """Size of an item: a t-shirt size (also the board's size field) and/or hours."""

    tshirt: str | None = attrs.field(default=None, validator=_optional_str)
    hours: float | None = attrs.field(
        default=None, converter=attrs.converters.optional(float), validator=attrs.validators.optional(_hours)
    )


@attrs.frozen(kw_only=True)
class Scope:
    in_scope: tuple[str, ...] = attrs.field(default=(), converter=text_tuple)
    out_scope: tuple[str, ...] = attrs.field(default=(), converter=text_tuple)


@attrs.frozen(kw_only=True)
class SpecRef:
    url: str = attrs.field(validator=attrs.validators.instance_of(str))
    section: str | None = attrs.field(default=None, validator=_optional_str)
    quote: str | None = attrs.field(default=None, validator=_optional_str)


@attrs.frozen(kw_only=True)
class Verification:
    commands: tuple[str, ...] = attrs.field(default=(), converter=text_tuple)
    ci_checks: tuple[str, ...] = attrs.field(default=(), converter=text_tuple)
    evidence: tuple[str, ...] = attrs.field(default=(), converter=text_tuple)
    manual_steps: tuple[str, ...] = attrs.field(default=(), converter=text_tuple)


MAX_ID_LENGTH: Final = 100
"""The longest item id a plan may use (in characters): ids go into every body's metadata block."""
MAX_ITEMS: Final = 10_000
"""The most items one plan may have; at GitHub's 500 creations an hour that is already a 20-hour sync."""

_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def id_problem(value: str) -> str | None:
    """What is wrong with an item id, or ``None``: the one home of the rule for ids.

    Ids go into the one-line-per-key metadata block, and both this project and PlanPilot strip a value
    they read back from it: an id with leading or trailing whitespace (a tab, a no-break space) would be
    written one way and found another, so every sync would create it again. Such an id is refused, as
    are line breaks and other control characters, and ids longer than :data:`MAX_ID_LENGTH`. The plan
    reader, ``PlanItem`` and the metadata renderer all ask here, before anything is written.
    """
    if not value.strip():
        return "must be a non-empty string"
    if _CONTROL.search(value):
        return "must not contain a line break or another control character"
    if value != value.strip():
        return (
            "must not start or end with whitespace (a space, tab or no-break space): it would be read back "
            "without it and never found again; remove it"
        )
    if len(value) > MAX_ID_LENGTH:
        return f"has {len(value)} characters; an id may have at most {MAX_ID_LENGTH}"
    return None


def _item_id(_: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be a string, got {type(value).__name__}")
    if (problem := id_problem(value)) is not None:
        raise ValueError(f"{attribute.name} {problem}, got {quoted(value)}")


def _str_mapping(value: Mapping[str, str]) -> Mapping[str, str]:
    for key, text in value.items():
        if not isinstance(key, str) or not isinstance(text, str):
            raise TypeError(f"fields must map strings to strings, got {key!r}: {text!r}")
    return frozen_mapping(value)


@attrs.frozen(kw_only=True)
class PlanItem:
    """One epic, story or task, with PlanPilot's field names."""

    id: str = attrs.field(validator=_item_id)
    type: PlanItemType = attrs.field(converter=to_item_type)
    title: str = attrs.field(validator=[attrs.validators.instance_of(str), non_blank])
    goal: str | None = attrs.field(default=None, validator=_optional_str)
    motivation: str | None = attrs.field(default=None, validator=_optional_str)
    parent_id: str | None = attrs.field(default=None, validator=_item_id)
    sub_item_ids: tuple[str, ...] = attrs.field(default=(), converter=text_tuple)
    depends_on: tuple[str, ...] = attrs.field(default=(), converter=text_tuple)
    requirements: tuple[str, ...] = attrs.field(default=(), converter=text_tuple)
    acceptance_criteria: tuple[str, ...] = attrs.field(default=(), converter=text_tuple)
    success_metrics: tuple[str, ...] = attrs.field(default=(), converter=text_tuple)
    assumptions: tuple[str, ...] = attrs.field(default=(), converter=text_tuple)
    risks: tuple[str, ...] = attrs.field(default=(), converter=text_tuple)
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
