"""Item bodies: Markdown sections for a plan item, led by PlanPilot's metadata block.

The block is what discovery finds and parses, so it follows PlanPilot's layout exactly: plain text
lines (no HTML comment around them) at the very top of the body::

    PLANPILOT_META_V1
    PLAN_ID:<plan id>
    ITEM_ID:<item id>
    ITEM_TYPE:<EPIC|STORY|TASK>
    PARENT_ID:<parent id, or empty>
    PLAN_LINEAGE:<the plan's lasting id>      (only when it differs from PLAN_ID)
    END_PLANPILOT_META

``PLAN_ID`` is the content hash of the plan version the item was last synced from: what PlanPilot looks
up, so PlanPilot run on the same plan file finds every item. ``PLAN_LINEAGE`` is this project's own: the
id that stays when the plan is edited (its first content hash, or a pinned id). PlanPilot reads every
``KEY:value`` line of the block into a dictionary and looks only at ``PLAN_ID`` and ``ITEM_ID``, so the
extra line does not disturb it; it is left out when it would repeat ``PLAN_ID``, which keeps the body of
an unedited plan byte-identical to PlanPilot's.

The sections after it use PlanPilot's headings and order, so a body rendered here and one rendered by
PlanPilot for the same item and references are identical, and neither tool rewrites the other's items.
Rendering is byte-stable: the same item and references always give the same text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

import attrs

from planpilot_providers_core.context import frozen_mapping
from planpilot_providers_core.plan.model import PlanItem, SpecRef, id_problem

__all__ = [
    "LINEAGE_KEY",
    "META_END",
    "META_START",
    "Metadata",
    "References",
    "bodies_match",
    "parse_metadata",
    "render_body",
    "render_metadata",
    "section",
]

META_START: Final = "PLANPILOT_META_V1"
META_END: Final = "END_PLANPILOT_META"
LINEAGE_KEY: Final = "PLAN_LINEAGE"


@attrs.frozen(kw_only=True)
class Metadata:
    """What a body's metadata block says; ``fields`` keeps every key, including unknown ones."""

    plan_id: str
    item_id: str
    item_type: str | None = None
    parent_id: str | None = None
    lineage: str | None = None
    """The plan's lasting id (``PLAN_LINEAGE``), when the block names one besides ``PLAN_ID``."""
    fields: Mapping[str, str] = attrs.field(default=frozen_mapping({}), converter=frozen_mapping)

    @property
    def copy_key(self) -> str:
        """Which copy of a plan the item belongs to: its lineage, or its ``PLAN_ID`` when it names none
        (items PlanPilot wrote, and this project's before it was edited)."""
        return self.lineage or self.plan_id


def _sub_items(value: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((key, title) for key, title in value)


@attrs.frozen(kw_only=True)
class References:
    """The tracker keys a body mentions; known only once the referenced items exist."""

    parent: str | None = None
    """The parent's key."""
    sub_items: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_sub_items)
    """``(key, title)`` of each child item."""
    blocked_by: Mapping[str, str] = attrs.field(default=frozen_mapping({}), converter=frozen_mapping)
    """Plan id of each item this one depends on -> that item's key."""


def render_metadata(plan_id: str, item: PlanItem, *, lineage: str | None = None) -> str:
    """The metadata block for ``item`` in plan version ``plan_id`` of the plan ``lineage`` (no trailing
    newline); each value one line."""
    values = (("plan id", plan_id), ("item id", item.id), ("parent id", item.parent_id), ("lineage", lineage))
    for name, value in values:
        if value is not None and (problem := id_problem(value)) is not None:
            raise ValueError(f"item {item.id!r}: the {name} {value!r} cannot go in a metadata block: it {problem}")
    lines = [
        META_START,
        f"PLAN_ID:{plan_id}",
        f"ITEM_ID:{item.id}",
        f"ITEM_TYPE:{item.type.value}",
        f"PARENT_ID:{item.parent_id or ''}",
    ]
    if lineage is not None and lineage != plan_id:
        lines.append(f"{LINEAGE_KEY}:{lineage}")
    return "\n".join([*lines, META_END])


def parse_metadata(body: str) -> Metadata | None:
    """The first complete metadata block in ``body``, or ``None`` if it has none with both ids."""
    lines = body.replace("\r\n", "\n").split("\n")
    try:
        start = next(n for n, line in enumerate(lines) if line.strip() == META_START)
    except StopIteration:
        return None
    fields: dict[str, str] = {}
    for line in lines[start + 1 :]:
        text = line.strip()
        if text == META_END:
            plan_id, item_id = fields.get("PLAN_ID"), fields.get("ITEM_ID")
            if not plan_id or not item_id:
                return None
            return Metadata(
                plan_id=plan_id,
                item_id=item_id,
                item_type=fields.get("ITEM_TYPE") or None,
                parent_id=fields.get("PARENT_ID") or None,
                lineage=fields.get(LINEAGE_KEY) or None,
                fields=fields,
            )
        key, colon, value = text.partition(":")
        if colon and key.strip():
            fields.setdefault(key.strip(), value.strip())
    return None


def section(body: str, heading: str) -> str | None:
    """The text under ``## heading`` in a rendered body (to the next heading), or ``None`` if absent."""
    lines = body.replace("\r\n", "\n").split("\n")
    marker = f"## {heading}"
    try:
        start = next(n for n, line in enumerate(lines) if line.strip() == marker)
    except StopIteration:
        return None
    end = next((n for n in range(start + 1, len(lines)) if lines[n].startswith("## ")), len(lines))
    return "\n".join(lines[start + 1 : end]).strip()


def bodies_match(current: str, wanted: str) -> bool:
    """Whether a tracker's copy of a body equals the rendered one (line endings and edges ignored)."""
    return current.replace("\r\n", "\n").strip() == wanted.replace("\r\n", "\n").strip()


def _bullets(entries: Iterable[str]) -> str:
    return "\n".join(f"* {entry}" for entry in entries)


def _spec_ref(spec_ref: SpecRef | str) -> str:
    if isinstance(spec_ref, str):
        return f"* {spec_ref}"
    line = f"* [{spec_ref.url}]({spec_ref.url})"
    if spec_ref.section:
        line += f" ({spec_ref.section})"
    if spec_ref.quote:
        line += f' - "{spec_ref.quote}"'
    return line


def _labelled(parts: Iterable[tuple[str, tuple[str, ...]]]) -> str:
    """``Label:`` followed by its bullets, for each part that has entries."""
    return "\n\n".join(f"{label}:\n\n{_bullets(entries)}" for label, entries in parts if entries)


def render_body(
    item: PlanItem, plan_id: str, references: References | None = None, *, lineage: str | None = None
) -> str:
    """The full Markdown body: metadata block, then one section per field that has content.

    ``plan_id`` is the plan version's content hash (``PLAN_ID``), ``lineage`` the plan's lasting id."""
    refs = references or References()
    sections = [render_metadata(plan_id, item, lineage=lineage)]

    def add(heading: str, content: str) -> None:
        if content:
            sections.append(f"## {heading}\n\n{content}")

    add("Goal", item.goal or "")
    add("Motivation", item.motivation or "")
    add("Parent", f"* {refs.parent}" if refs.parent else "")
    if item.scope is not None:
        add("Scope", _labelled((("In", item.scope.in_scope), ("Out", item.scope.out_scope))))
    add("Requirements", _bullets(item.requirements))
    add("Acceptance Criteria", _bullets(item.acceptance_criteria))
    add("Assumptions", _bullets(item.assumptions))
    add("Risks", _bullets(item.risks))
    if item.estimate is not None:
        parts = [item.estimate.tshirt] if item.estimate.tshirt is not None else []
        if item.estimate.hours is not None:
            parts.append(f"({item.estimate.hours:g}h)")
        add("Estimate", " ".join(parts))
    if item.verification is not None:
        v = item.verification
        add(
            "Verification",
            _labelled(
                (
                    ("Commands", v.commands),
                    ("CI checks", v.ci_checks),
                    ("Evidence", v.evidence),
                    ("Manual steps", v.manual_steps),
                )
            ),
        )
    if item.spec_ref:
        add("Spec Reference", _spec_ref(item.spec_ref))
    add("Success Metrics", _bullets(item.success_metrics))
    add("Sub-items", "\n".join(f"* [ ] {key} {title}" for key, title in sorted(refs.sub_items)))
    if refs.blocked_by:
        keys = [refs.blocked_by[dep_id] for dep_id in sorted(refs.blocked_by)]
        add("Dependencies", f"Blocked by:\n\n{_bullets(keys)}")
    return "\n\n".join(sections) + "\n"
