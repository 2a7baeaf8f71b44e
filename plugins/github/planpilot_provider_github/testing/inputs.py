"""GraphQL mutation ``input`` objects unpacked into the typed keyword arguments of :class:`~.state.EmulatorState`.

One function per mutation field, ``(state, input) -> result``, called by the GraphQL resolvers, so each
input's unpacking has one home. Keys absent from an input keep GitHub's meaning: ``issueTypeId`` left out of
``updateIssue`` keeps the type, an explicit ``null`` clears it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .store import KEEP

if TYPE_CHECKING:
    from .model import Issue, Label, ProjectItem, Repository
    from .state import EmulatorState

__all__ = [
    "add_blocked_by",
    "add_labels",
    "add_project_item",
    "add_sub_issue",
    "clear_field_value",
    "close_issue",
    "create_issue",
    "create_label",
    "delete_issue",
    "remove_blocked_by",
    "remove_labels",
    "remove_sub_issue",
    "update_field_value",
    "update_issue",
]

Input = Mapping[str, Any]


def create_issue(state: EmulatorState, data: Input) -> Issue:
    return state.create_issue(
        repository_id=data["repositoryId"],
        title=data["title"],
        body=data.get("body"),
        label_ids=data.get("labelIds") or (),
        issue_type_id=data.get("issueTypeId"),
        project_ids=data.get("projectV2Ids") or (),
        parent_issue_id=data.get("parentIssueId"),
    )


def update_issue(state: EmulatorState, data: Input) -> Issue:
    return state.update_issue(
        issue_id=data["id"],
        title=data.get("title"),
        body=data.get("body"),
        label_ids=data.get("labelIds"),
        issue_type_id=data.get("issueTypeId", KEEP),  # absent keeps the type, null clears it
        state=data.get("state"),
    )


def close_issue(state: EmulatorState, data: Input) -> Issue:
    return state.close_issue(
        issue_id=data["issueId"], state_reason=data.get("stateReason"), duplicate_issue_id=data.get("duplicateIssueId")
    )


def delete_issue(state: EmulatorState, data: Input) -> Repository:
    return state.delete_issue(issue_id=data["issueId"])


def add_labels(state: EmulatorState, data: Input) -> Issue:
    return state.add_labels(labelable_id=data["labelableId"], label_ids=data["labelIds"])


def remove_labels(state: EmulatorState, data: Input) -> Issue:
    return state.remove_labels(labelable_id=data["labelableId"], label_ids=data["labelIds"])


def create_label(state: EmulatorState, data: Input) -> Label:
    return state.create_label(
        repository_id=data["repositoryId"], name=data["name"], color=data["color"], description=data.get("description")
    )


def add_project_item(state: EmulatorState, data: Input) -> ProjectItem:
    return state.add_project_item(project_id=data["projectId"], content_id=data["contentId"])


def update_field_value(state: EmulatorState, data: Input) -> ProjectItem:
    value: Input = data["value"]
    return state.update_field_value(
        project_id=data["projectId"],
        item_id=data["itemId"],
        field_id=data["fieldId"],
        text=value.get("text"),
        number=value.get("number"),
        date=value.get("date"),
        single_select_option_id=value.get("singleSelectOptionId"),
        iteration_id=value.get("iterationId"),
    )


def clear_field_value(state: EmulatorState, data: Input) -> ProjectItem:
    return state.clear_field_value(project_id=data["projectId"], item_id=data["itemId"], field_id=data["fieldId"])


def add_sub_issue(state: EmulatorState, data: Input) -> tuple[Issue, Issue]:
    return state.add_sub_issue(
        issue_id=data["issueId"],
        sub_issue_id=data.get("subIssueId"),
        sub_issue_url=data.get("subIssueUrl"),
        replace_parent=bool(data.get("replaceParent")),
    )


def remove_sub_issue(state: EmulatorState, data: Input) -> tuple[Issue, Issue]:
    return state.remove_sub_issue(issue_id=data["issueId"], sub_issue_id=data["subIssueId"])


def add_blocked_by(state: EmulatorState, data: Input) -> tuple[Issue, Issue]:
    return state.add_blocked_by(issue_id=data["issueId"], blocking_issue_id=data["blockingIssueId"])


def remove_blocked_by(state: EmulatorState, data: Input) -> tuple[Issue, Issue]:
    return state.remove_blocked_by(issue_id=data["issueId"], blocking_issue_id=data["blockingIssueId"])
