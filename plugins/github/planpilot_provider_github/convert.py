"""Reading typed GraphQL issue nodes into plain values the provider compares and returns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from planpilot_providers_core.contracts import PlanItemType


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
    issue_type_name: str | None
    labels: Mapping[str, str]
    """Label name -> label id, as on the issue."""
    project_item_id: str | None = None
    """The item on *our* project, when the read included project items and the issue is on it."""
    field_values: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    """Field id -> current value in ``ProjectV2FieldValue`` shape (e.g. ``{"singleSelectOptionId": ..}``)."""
    project_state_complete: bool = True
    """False when the read was cut off by paging (more project items or field values than selected):
    then an absent item or value only means "not seen", and nothing may be filled in on that basis."""

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


def issue_state(node: Any, project_id: str | None = None) -> IssueState:
    """Convert an ``Issue`` node (any of our selections) into ``IssueState``."""
    labels = {label.name: label.id for label in (node.labels.nodes if node.labels else []) if label}
    issue_type = node.issue_type
    item_id: str | None = None
    values: dict[str, dict[str, Any]] = {}
    items = getattr(node, "project_items", None)
    complete = not _truncated(items)
    for item in (items.nodes if items else []) or []:
        if item and item.project and item.project.id == project_id:
            item_id = item.id
            field_values = getattr(item, "field_values", None)
            complete = complete and not _truncated(field_values)
            for value_node in getattr(field_values, "nodes", None) or []:
                pair = _field_value(value_node) if value_node else None
                if pair:
                    values[pair[0]] = pair[1]
    return IssueState(
        id=node.id,
        number=node.number,
        url=str(node.url),
        title=node.title,
        body=node.body,
        created_at=node.created_at,
        issue_type_id=issue_type.id if issue_type else None,
        issue_type_name=issue_type.name if issue_type else None,
        labels=labels,
        project_item_id=item_id,
        field_values=values,
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
