"""The contract's item as a Jira issue, and back: issue types by hierarchy level, sizes in a story-points or
t-shirt field, labels in Jira's spelling, bodies as ADF, board fields by name. Pure functions of the context.

Plan types map to the project's issue types (``field_config.create_type_map``: Epic, Story, Task by default).
Jira only allows a parent one hierarchy level up, so a plan TASK under a STORY is created with the project's
sub-task type; read back, a sub-task is a TASK, and a type that is none of the mapped ones is read by its level
(an epic-level type is an EPIC, anything else a TASK).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs

from planpilot_provider_jira.bodies import adf_to_markdown
from planpilot_provider_jira.context import FieldRef, IssueTypeRef, JiraContext, StatusRef
from planpilot_provider_jira.labels import decode_label
from planpilot_providers_core import PlanItemType, ProviderError
from planpilot_providers_core.contracts import TSHIRT_POINTS

__all__ = [
    "PROPERTY",
    "IssueView",
    "field_display",
    "field_write",
    "issue_type_for",
    "item_fields",
    "plan_type_of",
    "read_issue",
    "size_write",
]

PROPERTY: Final = "planpilot"
"""The issue property a create sets: ``{"token": <unique per create>, "pending": [...]}``. The token identifies
the issue an unanswered create made; ``pending`` lists creation defaults (``status``, ``sprint``) still to apply."""


@attrs.frozen
class IssueView:
    """One issue as read, in the contract's terms."""

    id: str
    key: str
    project_id: str | None
    summary: str
    body: str
    type_ref: IssueTypeRef | None
    item_type: PlanItemType
    labels: tuple[str, ...]
    raw_labels: tuple[str, ...]
    size: str | None
    fields: Mapping[str, str | None]
    status: StatusRef | None
    parent_id: str | None
    pending: tuple[str, ...]
    token: str | None
    description: Any


def item_fields(context: JiraContext) -> list[str]:
    """The fields an item is read with."""
    names = ["summary", "description", "labels", "issuetype", "parent", "status", "priority", "project"]
    if context.size is not None:
        names.append(context.size.id)
    if context.sprint_field is not None and context.board_id is not None:
        names.append(context.sprint_field)
    names += [ref.id for ref in context.fields.values() if ref.id.startswith("customfield_")]
    return list(dict.fromkeys(names))


def issue_type_for(context: JiraContext, plan_type: PlanItemType, parent_level: int | None) -> IssueTypeRef:
    """The issue type a plan item gets, given its parent's hierarchy level (``None``: no parent)."""
    wanted = context.types[plan_type]
    if parent_level is not None and parent_level != wanted.level + 1:
        fits = context.subtask is not None and parent_level == context.subtask.level + 1
        if fits and plan_type is PlanItemType.TASK and context.subtask is not None:
            return context.subtask
        raise ProviderError(
            f"Jira allows a {wanted.name} (hierarchy level {wanted.level}) only under a parent of level "
            f"{wanted.level + 1}, not {parent_level}"
            + ("" if context.subtask else f", and project {context.project_key} has no sub-task type for it")
        )
    return wanted


def plan_type_of(context: JiraContext, type_ref: IssueTypeRef | None) -> PlanItemType:
    if type_ref is None:
        return PlanItemType.TASK
    for plan_type, ref in context.types.items():
        if ref.id == type_ref.id:
            return plan_type
    if type_ref.level >= 1:
        return PlanItemType.EPIC
    return PlanItemType.TASK


def _type_ref(context: JiraContext, raw: Any) -> IssueTypeRef | None:
    if not isinstance(raw, Mapping) or "id" not in raw:
        return None
    known = context.known_types.get(str(raw["id"]))
    if known is not None:
        return known
    level = raw.get("hierarchyLevel")
    subtask = bool(raw.get("subtask"))
    return IssueTypeRef(
        id=str(raw["id"]),
        name=str(raw.get("name", "")),
        level=int(level) if isinstance(level, int) else (-1 if subtask else 0),
        subtask=subtask,
    )


# -- sizes and fields ------------------------------------------------------------------------------------
def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def size_write(context: JiraContext, size: str) -> Any:
    """The value the size field takes for a plan size; a size it cannot hold is an error before any write."""
    field = context.size
    if field is None:
        raise ProviderError(
            f"the plan sets size {size!r}, but project {context.project_key} has no size field on its create "
            "screens (story points or a t-shirt field); add one, or set --option size_field=NAME"
        )
    if field.kind == "number" and context.size_from_tshirt:
        points = TSHIRT_POINTS.get(size.upper())
        if points is None:
            raise ProviderError(f"size {size!r} is not a t-shirt size ({', '.join(TSHIRT_POINTS)}) for {field.name!r}")
        return _number(points)
    return field_write(field, size)


def read_size(context: JiraContext, fields: Mapping[str, Any]) -> str | None:
    field = context.size
    if field is None:
        return None
    shown = field_display(field, fields.get(field.id))
    if shown is None or field.kind != "number" or not context.size_from_tshirt:
        return shown
    number = float(shown)
    return next((size for size, points in TSHIRT_POINTS.items() if points == number), shown)


def field_write(field: FieldRef, value: str) -> Any:
    """The JSON a field takes for a plan value (select: by option id; number: a number)."""
    if field.kind in ("select", "priority"):
        option = field.option(value)
        if option is None:
            raise ProviderError(
                f"field {field.name!r} has no option {value!r}; choices: {', '.join(field.options) or 'none'}"
            )
        return {"id": option[1]}
    if field.kind == "number":
        try:
            number = float(value)
        except ValueError:
            raise ProviderError(f"field {field.name!r} holds numbers; {value!r} is not one") from None
        if not math.isfinite(number):
            raise ProviderError(f"field {field.name!r} holds finite numbers; {value!r} is not one")
        return _number(number)
    return value


def field_display(field: FieldRef, raw: Any) -> str | None:
    """A field value as read, as a plan writes it (an option by name, a number without a trailing .0)."""
    if raw is None or raw == []:
        return None
    if field.kind == "sprint":
        sprints = raw if isinstance(raw, list) else [raw]
        open_sprints = [s for s in sprints if isinstance(s, Mapping) and s.get("state") in ("active", "future")]
        return str(open_sprints[-1].get("name")) if open_sprints else None
    if isinstance(raw, Mapping):
        for key in ("value", "name"):
            if key in raw:
                return str(raw[key])
        return None
    if isinstance(raw, bool):
        return str(raw).lower()
    if isinstance(raw, int | float):
        return f"{raw:g}" if isinstance(raw, float) else str(raw)
    return str(raw)


# -- issues ----------------------------------------------------------------------------------------------
def read_issue(context: JiraContext, issue: Mapping[str, Any]) -> IssueView:
    """An issue from the API (search, bulk fetch or get) in the contract's terms."""
    try:
        fields = issue.get("fields") or {}
        type_ref = _type_ref(context, fields.get("issuetype"))
        raw_labels = tuple(str(label) for label in fields.get("labels") or ())
        status_raw = fields.get("status")
        status = None
        if isinstance(status_raw, Mapping) and "id" in status_raw:
            category = (status_raw.get("statusCategory") or {}).get("key") or "new"
            status = StatusRef(id=str(status_raw["id"]), name=str(status_raw.get("name")), category=str(category))
        shown: dict[str, str | None] = {}
        for name, ref in context.fields.items():
            if ref.kind == "status":
                shown[name] = status.name if status else None
            elif ref.kind == "priority":
                shown[name] = field_display(ref, fields.get("priority"))
            elif ref.kind == "sprint":
                if context.sprint_field is not None:
                    shown[name] = field_display(ref, fields.get(context.sprint_field))
            elif ref.id in fields:
                shown[name] = field_display(ref, fields.get(ref.id))
        parent = fields.get("parent")
        marker = (issue.get("properties") or {}).get(PROPERTY)
        pending: tuple[str, ...] = ()
        token = None
        if isinstance(marker, Mapping):
            pending = tuple(str(p) for p in marker.get("pending") or ())
            token = str(marker["token"]) if marker.get("token") else None
        project = fields.get("project")
        description = fields.get("description")
        return IssueView(
            id=str(issue["id"]),
            key=str(issue.get("key", "")),
            project_id=str(project["id"]) if isinstance(project, Mapping) and "id" in project else None,
            summary=str(fields.get("summary") or ""),
            body=adf_to_markdown(description),
            type_ref=type_ref,
            item_type=plan_type_of(context, type_ref),
            labels=tuple(decode_label(label) for label in raw_labels),
            raw_labels=raw_labels,
            size=read_size(context, fields),
            fields=shown,
            status=status,
            parent_id=str(parent["id"]) if isinstance(parent, Mapping) and "id" in parent else None,
            pending=pending,
            token=token,
            description=description,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ProviderError(f"Jira answered with an issue this provider cannot read: {exc!r}") from exc


def blockers_of(context: JiraContext, issue: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(link id, blocker issue id)`` for each "is blocked by" link of ``issue`` (fields ``issuelinks``).

    Seen from the blocked issue, a Blocks link shows the blocker as ``inwardIssue`` (the side the type's
    inward phrase, "is blocked by", points at)."""
    links = (issue.get("fields") or {}).get("issuelinks") or ()
    found = []
    for link in links:
        kind = link.get("type") or {}
        if str(kind.get("id")) != context.link_type.id and kind.get("name") != context.link_type.name:
            continue
        other = link.get("inwardIssue")
        if isinstance(other, Mapping) and "id" in other:
            found.append((str(link["id"]), str(other["id"])))
    return found


def sprint_of(context: JiraContext, fields: Mapping[str, Any]) -> int | None:
    """The open sprint the issue is in (``None``: backlog or no board)."""
    if context.sprint_field is None:
        return None
    raw = fields.get(context.sprint_field)
    sprints: Sequence[Any] = raw if isinstance(raw, list) else ([raw] if raw else [])
    for sprint in sprints:
        if isinstance(sprint, Mapping) and sprint.get("state") in ("active", "future") and "id" in sprint:
            return int(sprint["id"])
    return None
