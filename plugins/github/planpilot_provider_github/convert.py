"""Reading GitHub's issue nodes (the answers' JSON) into plain values the provider compares and returns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

import attrs

from planpilot_provider_github.context import ProjectField
from planpilot_providers_core.contracts import TSHIRT_POINTS, PlanItemType
from planpilot_providers_core.errors import ProviderError

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


def _nodes(connection: Mapping[str, Any] | None) -> list[Any]:
    """The ``nodes`` of a connection that may be null, or absent from the selection."""
    return (connection.get("nodes") if connection else None) or []


def _truncated(connection: Mapping[str, Any] | None) -> bool:
    page_info = connection.get("pageInfo") if connection else None
    return bool(page_info and page_info.get("hasNextPage"))


_VALUE_KEYS: Final = (
    ("optionId", "singleSelectOptionId"),
    ("iterationId", "iterationId"),
    ("number", "number"),
    ("text", "text"),
)
"""A field value node's key (one per member of the value union we select) -> its ``ProjectV2FieldValue`` key."""


def _field_value(node: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    field = node.get("field")
    field_id = field.get("id") if field else None
    if not field_id:
        return None
    for key, value_key in _VALUE_KEYS:
        value = node.get(key)
        if value is not None:
            return field_id, {value_key: float(value) if key == "number" else value}
    return None


def _size_text(value: object, tshirt: bool) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        points = f"{value:g}"
        return _POINTS_TO_TSHIRT.get(float(value), points) if tshirt else points
    return value if isinstance(value, str) else None


def _plan_size(value: Mapping[str, Any] | None, size_field: ProjectField | None, tshirt: bool) -> str | None:
    """A size field value (``{"singleSelectOptionId": ...}`` and the like) as the plan writes it: option
    name, t-shirt size for t-shirt points, or text."""
    if not value:
        return None
    if "singleSelectOptionId" in value and size_field is not None:
        option = value["singleSelectOptionId"]
        return next((name for name, oid in size_field.options.items() if oid == option), None)
    return _size_text(value.get("number", value.get("text")), tshirt)


def _size_value(ours: Mapping[str, Any], size_field: ProjectField) -> dict[str, Any] | None:
    """The ``size`` alias (``fieldValueByName``, no field id) as a ``fieldValues`` entry of the size field, so
    a plan's ``fields`` naming the size field compare with what discovery read, not with nothing."""
    alias = ours.get("size")
    if not alias:
        return None
    name = alias.get("name")
    if name is not None:
        option = size_field.option_id(str(name))
        return None if option is None else {"singleSelectOptionId": option}
    for key in ("number", "text"):
        value = alias.get(key)
        if value is not None:
            return {key: float(value) if key == "number" else value}
    return None


def _read_size(node: Mapping[str, Any], tshirt: bool) -> str | None:
    """The aliased ``size: fieldValueByName`` node of the discovery reads, as the plan writes it."""
    value = next((v for v in (node.get(k) for k in ("name", "number", "text")) if v is not None), None)
    return _size_text(value, tshirt)


_DEFAULT_ALIASES = ("status", "priority", "iteration")
"""Discovery reads the creation-default fields by name under these aliases (SearchIssues, ListIssues)."""


def _text(node: Mapping[str, Any], key: str) -> str:
    value = node.get(key)
    if not isinstance(value, str):
        raise ProviderError(f"GitHub answered an issue whose {key} is {value!r}, not text")
    return value


def _created_at(node: Mapping[str, Any]) -> dt.datetime:
    text = _text(node, "createdAt")
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ProviderError(f"GitHub answered an issue whose createdAt is {text!r}, not a date and time") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def issue_state(
    node: Mapping[str, Any],
    project_id: str | None = None,
    size_field: ProjectField | None = None,
    *,
    tshirt: bool = True,
) -> IssueState:
    """Convert an ``Issue`` node (the answer's JSON, of any of our selections) into ``IssueState``;
    ``size_field`` and ``tshirt`` (``FieldConfig.size_from_tshirt``) say how to read the size back as the
    plan writes it.

    Read straight from the JSON, not through sgqlc's typed objects: building those for every field of
    every issue cost more than the rest of the client outside the network. The selection the JSON
    follows is the operation's (generated from the ``.graphql`` files), and what is read is checked here.

    Field values come from ``fieldValues`` (every value: ``GetIssues``) or from the aliased
    ``fieldValueByName`` reads of the creation-default fields (discovery)."""
    labels = {label["name"]: label["id"] for label in _nodes(node.get("labels")) if label}
    issue_type = node.get("issueType")
    items = node.get("projectItems")
    ours = next((i for i in _nodes(items) if i and (i.get("project") or {}).get("id") == project_id), None)
    size: str | None = None
    values: dict[str, dict[str, Any]] = {}
    if ours is None:
        complete = not _truncated(items)  # ours may be on a page not read
    else:
        field_values = ours.get("fieldValues")
        complete = not _truncated(field_values)  # found: only its own values can be missing
        if ours.get("size"):
            size = _read_size(ours["size"], tshirt)
        for value_node in [*_nodes(field_values), *(ours.get(a) for a in _DEFAULT_ALIASES)]:
            pair = _field_value(value_node) if value_node else None
            if pair:
                values[pair[0]] = pair[1]
        if size_field is not None and size_field.id not in values and (read := _size_value(ours, size_field)):
            values[size_field.id] = read  # the size alias of a discovery read, as fieldValues would give it
    number = node.get("number")
    if not isinstance(number, int) or isinstance(number, bool):
        raise ProviderError(f"GitHub answered an issue whose number is {number!r}, not a whole number")
    return IssueState(
        id=_text(node, "id"),
        number=number,
        url=_text(node, "url"),
        title=_text(node, "title"),
        body=_text(node, "body"),
        created_at=_created_at(node),
        issue_type_id=issue_type.get("id") if issue_type else None,
        labels=labels,
        project_item_id=ours.get("id") if ours else None,
        field_values=values,
        size=size or (_plan_size(values.get(size_field.id), size_field, tshirt) if size_field else None),
        project_state_complete=complete,
    )


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
