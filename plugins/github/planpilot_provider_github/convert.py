"""Reading typed GraphQL issue nodes into plain values the provider compares and returns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from planpilot_provider_github.context import ProjectField
from planpilot_providers_core.contracts import TSHIRT_POINTS, PlanItemType

_POINTS_TO_TSHIRT = {float(points): size for size, points in TSHIRT_POINTS.items()}


@attrs.frozen(kw_only=True)
class IssueState:
    """An issue as read from GitHub: the fields the provider reconciles."""

    id: str
    number: int
    url: str
    title: str
    body: str
    created_at: dt.datetime
    issue_type_id: str | None
    labels: Mapping[str, str]
    """Label name -> label id, as on the issue."""
    project_item_id: str | None = None
    """The item on *our* project, when the read included project items and the issue is on it."""
    field_values: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    """Field id -> current value in ``ProjectV2FieldValue`` shape (e.g. ``{"singleSelectOptionId": ..}``):
    every value (``GetIssues``), or the creation-default fields (discovery reads); a new issue has none."""
    size: str | None = None
    """The size field's value on our board as a plan size (option name, t-shirt for points, text);
    None when unset or not seen."""
    project_state_complete: bool = True
    """False when the read was cut off by paging (the issue is on more boards than read and ours is not
    among them, or our item has more field values than read): then an absent item or value only means
    "not seen", and nothing may be filled in on that basis."""

    @property
    def key(self) -> str:
        return f"#{self.number}"

    def has_label(self, name: str) -> bool:
        wanted = name.casefold()
        return any(label.casefold() == wanted for label in self.labels)


def _field_value(node: Any) -> tuple[str, dict[str, Any]] | None:
    field = getattr(node, "field", None)
    field_id = getattr(field, "id", None) if field else None
    if not field_id:
        return None
    for attr, key in (
        ("option_id", "singleSelectOptionId"),
        ("iteration_id", "iterationId"),
        ("number", "number"),
        ("text", "text"),
    ):
        value = getattr(node, attr, None)
        if value is not None:
            return field_id, {key: value}
    return None


def _size_value(ours: Any, size_field: ProjectField) -> dict[str, Any] | None:
    """The ``size`` alias (``fieldValueByName``, no field id) as a ``fieldValues`` entry of the size field, so
    a plan's ``fields`` naming the size field compare with what discovery read, not with nothing."""
    alias = getattr(ours, "size", None)
    if alias is None:
        return None
    name = getattr(alias, "name", None)
    if name is not None:
        option = size_field.option_id(str(name))
        return None if option is None else {"singleSelectOptionId": option}
    for attr in ("number", "text"):
        value = getattr(alias, attr, None)
        if value is not None:
            return {attr: value}
    return None


def _plan_size(value: Any, size_field: ProjectField | None, tshirt: bool) -> str | None:
    """A size value as the plan writes it: option name, t-shirt size for t-shirt points, or text."""
    if isinstance(value, Mapping):  # a fieldValues entry: {"singleSelectOptionId": ...} and the like
        if "singleSelectOptionId" in value and size_field is not None:
            option = value["singleSelectOptionId"]
            return next((name for name, oid in size_field.options.items() if oid == option), None)
        value = value.get("number", value.get("text"))
    else:  # an aliased fieldValueByName node
        value = next((v for v in (getattr(value, a, None) for a in ("name", "number", "text")) if v is not None), None)
    if isinstance(value, int | float) and not isinstance(value, bool):
        points = f"{value:g}"
        return _POINTS_TO_TSHIRT.get(float(value), points) if tshirt else points
    return value if isinstance(value, str) else None


_DEFAULT_ALIASES = ("status", "priority", "iteration")
"""Discovery reads the creation-default fields by name under these aliases (SearchIssues, ListIssues)."""


def issue_state(
    node: Any, project_id: str | None = None, size_field: ProjectField | None = None, *, tshirt: bool = True
) -> IssueState:
    """Convert an ``Issue`` node (any of our selections) into ``IssueState``; ``size_field`` and
    ``tshirt`` (``FieldConfig.size_from_tshirt``) say how to read the size back as the plan writes it.

    Field values come from ``fieldValues`` (every value: ``GetIssues``) or from the aliased
    ``fieldValueByName`` reads of the creation-default fields (discovery)."""
    labels = {label.name: label.id for label in (node.labels.nodes if node.labels else []) if label}
    issue_type = node.issue_type
    items = getattr(node, "project_items", None)
    board_items = (items.nodes if items else None) or []
    ours = next((i for i in board_items if i and i.project and i.project.id == project_id), None)
    size: str | None = None
    values: dict[str, dict[str, Any]] = {}
    if ours is None:
        complete = not _truncated(items)  # ours may be on a page not read
    else:
        field_values = getattr(ours, "field_values", None)
        complete = not _truncated(field_values)  # found: only its own values can be missing
        if getattr(ours, "size", None):
            size = _plan_size(ours.size, size_field, tshirt)
        nodes = [*(getattr(field_values, "nodes", None) or []), *(getattr(ours, a, None) for a in _DEFAULT_ALIASES)]
        for value_node in nodes:
            pair = _field_value(value_node) if value_node else None
            if pair:
                values[pair[0]] = pair[1]
        if size_field is not None and size_field.id not in values and (read := _size_value(ours, size_field)):
            values[size_field.id] = read  # the size alias of a discovery read, as fieldValues would give it
    return IssueState(
        id=node.id,
        number=node.number,
        url=str(node.url),
        title=node.title,
        body=node.body,
        created_at=node.created_at,
        issue_type_id=issue_type.id if issue_type else None,
        labels=labels,
        project_item_id=getattr(ours, "id", None),
        field_values=values,
        size=size or (_plan_size(values.get(size_field.id), size_field, tshirt) if size_field else None),
        project_state_complete=complete,
    )


def _truncated(connection: Any) -> bool:
    page_info = getattr(connection, "page_info", None) if connection else None
    return bool(page_info and page_info.has_next_page)


def infer_item_type(
    state: IssueState, issue_type_ids: Mapping[PlanItemType, str], type_labels: Mapping[PlanItemType, str]
) -> PlanItemType:
    """The plan type an issue has: its native type, else its type label, else TASK (the most common)."""
    for plan_type, type_id in issue_type_ids.items():
        if state.issue_type_id == type_id:
            return plan_type
    for plan_type, label in type_labels.items():
        if state.has_label(label):
            return plan_type
    return PlanItemType.TASK
