"""Jira's rules for the ``fields`` and ``update`` of a create or edit (``IssueUpdateDetails``): which fields a
screen takes, what each value must look like, and the messages Jira refuses a bad one with. Every problem is
collected, so one 400 answer lists them all under their field keys, as Jira's does.

Messages and their sources (see the notes, §1.2 and §6): summary limit ("Summary can't exceed 255 characters.",
Cloud 2025), labels with spaces ("The label '…' can't contain spaces."), ADF ("Operation value must be an
Atlassian Document (see the Atlassian Document Format)"), a field not on the screen or unknown ("Field '…' cannot
be set. It is not on the appropriate screen, or unknown."). The rest are Jira's wording where users have
reported it, or the emulator's where no report was found (marked so).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from attrs import Factory, define

from .adf import ADF_MESSAGE, adf_problem
from .errors import JiraError
from .model import CustomField, Issue, IssueType, Priority, Project, Sprint


class JiraState(Protocol):
    """What reading a payload needs of the emulator's state (:class:`~.state.JiraState` is one)."""

    custom_fields: dict[str, CustomField]
    priorities: list[Priority]
    sprints: dict[int, Sprint]

    def find_project(self, key_or_id: str) -> Project | None: ...

    def find_issue(self, key_or_id: str) -> Issue | None: ...


__all__ = ["DESCRIPTION_LIMIT", "LABEL_LIMIT", "SUMMARY_LIMIT", "Changes", "read_changes"]

SUMMARY_LIMIT = 255
LABEL_LIMIT = 255  # widely quoted; no primary source found [unverified]
DESCRIPTION_LIMIT = 32767  # Jira's text field limit; counted here on the ADF JSON [inferred]
_NOT_SETTABLE = "Field '{}' cannot be set. It is not on the appropriate screen, or unknown."
_CREATE_FIELDS = {"project", "issuetype", "summary", "description", "labels", "priority", "parent"}
_EDIT_FIELDS = {"summary", "description", "labels", "priority", "parent", "issuetype"}
_UPDATE_OPERATIONS = {"labels": {"add", "remove", "set"}}
_SET_ONLY = {"summary", "description", "priority", "parent", "issuetype"}


@define
class Changes:
    """What a valid create or edit sets; ``None`` attributes are left alone."""

    project: Project | None = None
    issue_type: IssueType | None = None
    summary: str | None = None
    description: dict[str, Any] | None = None
    description_set: bool = False
    labels: list[str] | None = None
    label_ops: list[tuple[str, str]] = Factory(list)  # ("add" | "remove", label), in order
    priority: Priority | None = None
    parent: Issue | None = None
    parent_set: bool = False  # parent given (None: cleared)
    custom: dict[str, Any] = Factory(dict)  # field id -> stored value (None: cleared)
    sprint: Sprint | None = None
    sprint_set: bool = False


def read_changes(
    state: JiraState,
    fields: Mapping[str, Any] | None,
    update: Mapping[str, Any] | None,
    *,
    issue: Issue | None,
) -> Changes:
    """Check ``fields`` and ``update`` for a create (``issue`` None) or an edit of ``issue``; raise one
    :class:`JiraError` (400) naming every bad field."""
    fields = dict(fields or {})
    update = dict(update or {})
    errors: dict[str, str] = {}
    changes = Changes()

    for name in set(fields) & set(update):
        errors[name] = f"Field '{name}' cannot be set in both 'fields' and 'update'."  # emulator wording
    values: dict[str, Any] = {}
    for name, value in fields.items():
        values[name] = ("set", value)
    for name, operations in update.items():
        if name in values:
            continue
        if not isinstance(operations, list) or not all(isinstance(op, dict) and len(op) == 1 for op in operations):
            errors[name] = f"The update of '{name}' must be a list of operations such as [{{\"set\": ...}}]."
            continue
        allowed = _UPDATE_OPERATIONS.get(name, {"set"})
        bad = [next(iter(op)) for op in operations if next(iter(op)) not in allowed]
        if bad:
            errors[name] = f"Field '{name}' does not support the update operation '{bad[0]}'."  # emulator wording
            continue
        if name == "labels":
            for op in operations:
                verb, value = next(iter(op.items()))
                if verb == "set":
                    values[name] = ("set", value)
                else:
                    values.setdefault(name, ("ops", []))
                    if values[name][0] == "ops":
                        values[name][1].append((verb, value))
            continue
        values[name] = ("set", operations[-1]["set"])

    project = issue.project if issue is not None else _project(state, values.pop("project", None), errors)
    screen = (_CREATE_FIELDS if issue is None else _EDIT_FIELDS) | set(project.fields if project else ())
    for name in list(values):
        if name not in screen:
            errors[name] = _NOT_SETTABLE.format(name)
            del values[name]
    if project is None:
        raise JiraError(400, (), errors)
    changes.project = project

    issue_type = issue.issue_type if issue is not None else None
    if "issuetype" in values:
        issue_type = _issue_type(project, values.pop("issuetype")[1], errors)
        if (
            issue_type is not None
            and issue is not None
            and issue_type.hierarchy_level != issue.issue_type.hierarchy_level
        ):
            errors["issuetype"] = (
                "The issue type can only change to a type of the same hierarchy level."  # emulator wording
            )
            issue_type = None
        changes.issue_type = issue_type
    elif issue is None:
        errors["issuetype"] = "Specify an issue type"

    if "summary" in values:
        changes.summary = _summary(values.pop("summary")[1], errors)
    elif issue is None:
        errors["summary"] = "You must specify a summary of the issue."

    if "description" in values:
        value = values.pop("description")[1]
        changes.description_set = True
        if value is not None:
            if adf_problem(value) is not None:
                errors["description"] = ADF_MESSAGE
            elif len(json.dumps(value, separators=(",", ":"))) > DESCRIPTION_LIMIT:
                errors["description"] = (
                    "The entered text is too long. It exceeds the allowed limit of 32,767 characters."
                )
            else:
                changes.description = value

    if "labels" in values:
        kind, value = values.pop("labels")
        if kind == "set":
            changes.labels = _labels(value, errors)
        else:
            for verb, label in value:
                checked = _labels([label], errors)
                if checked:
                    changes.label_ops.append((verb, checked[0]))

    if "priority" in values:
        changes.priority = _priority(state, values.pop("priority")[1], errors)

    if "parent" in values:
        changes.parent_set = True
        changes.parent = _parent(state, values.pop("parent")[1], errors)
    if issue_type is not None:
        _check_hierarchy(
            issue_type, changes.parent if changes.parent_set else (issue.parent if issue else None), errors
        )

    for name in list(values):
        custom = state.custom_fields.get(name)
        assert custom is not None  # on the screen, so known
        _custom(state, custom, values.pop(name)[1], changes, errors)

    if errors:
        raise JiraError(400, (), errors)
    return changes


def _project(state: JiraState, given: tuple[str, Any] | None, errors: dict[str, str]) -> Project | None:
    value = given[1] if given else None
    project = None
    if isinstance(value, dict):
        if "id" in value:
            project = state.find_project(str(value["id"]))
        elif "key" in value:
            project = state.find_project(str(value["key"]))
    if project is None:
        errors["project"] = "Specify a valid project ID or key"
    return project


def _issue_type(project: Project, value: Any, errors: dict[str, str]) -> IssueType | None:
    if not isinstance(value, dict) or not ({"id", "name"} & set(value)):
        errors["issuetype"] = "Specify an issue type"
        return None
    found = project.issue_type(id=str(value["id"])) if "id" in value else project.issue_type(name=str(value["name"]))
    if found is None:
        errors["issuetype"] = "The issue type selected is invalid."
    return found


def _summary(value: Any, errors: dict[str, str]) -> str | None:
    if not isinstance(value, str):
        errors["summary"] = "Operation value must be a string"
        return None
    if not value.strip():
        errors["summary"] = "You must specify a summary of the issue."
        return None
    if "\n" in value or "\r" in value:
        errors["summary"] = "The summary is invalid because it contains newline characters."
        return None
    if len(value) > SUMMARY_LIMIT:
        errors["summary"] = f"Summary can't exceed {SUMMARY_LIMIT} characters."
        return None
    return value


def _labels(value: Any, errors: dict[str, str]) -> list[str]:
    if not isinstance(value, list):
        errors["labels"] = "data was not an array"
        return []
    labels: list[str] = []
    for label in value:
        if not isinstance(label, str):
            errors["labels"] = "Operation value must be a string"
            return []
        if not label:
            errors["labels"] = "A label cannot be empty."  # emulator wording
            return []
        if any(ch.isspace() for ch in label):
            errors["labels"] = f"The label '{label}' can't contain spaces."
            return []
        if len(label) > LABEL_LIMIT:
            errors["labels"] = f"The label '{label}' exceeds the maximum length of {LABEL_LIMIT} characters."
            return []
        if label not in labels:
            labels.append(label)
    return labels


def _priority(state: JiraState, value: Any, errors: dict[str, str]) -> Priority | None:
    found = None
    if isinstance(value, dict):
        for priority in state.priorities:
            if ("id" in value and priority.id == str(value["id"])) or (
                "name" in value and priority.name == value["name"]
            ):
                found = priority
    if found is None:
        errors["priority"] = "The priority selected is invalid."
    return found


def _parent(state: JiraState, value: Any, errors: dict[str, str]) -> Issue | None:
    if value is None or (isinstance(value, dict) and value.get("none") is True):
        return None
    found = None
    if isinstance(value, dict) and ("key" in value or "id" in value):
        found = state.find_issue(str(value.get("key") or value.get("id")))
    if found is None:
        errors["parent"] = "Could not find issue by id or key."  # emulator wording
    return found


def _check_hierarchy(issue_type: IssueType, parent: Issue | None, errors: dict[str, str]) -> None:
    if "parent" in errors:
        return
    if parent is None:
        if issue_type.subtask:
            errors["parent"] = "Issue type is a sub-task but parent issue key or id not specified."
        return
    if parent.issue_type.hierarchy_level != issue_type.hierarchy_level + 1:
        errors["parent"] = "Given parent issue does not belong to appropriate hierarchy."


def _custom(state: JiraState, field: CustomField, value: Any, changes: Changes, errors: dict[str, str]) -> None:
    if field.kind == "number":
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            errors[field.id] = "Operation value must be a number"
            return
        changes.custom[field.id] = value
    elif field.kind == "select":
        if value is None:
            changes.custom[field.id] = None
            return
        option = None
        if isinstance(value, dict) and "id" in value:
            option = field.option(id=str(value["id"]))
            if option is None:
                errors[field.id] = f"Option id '{value['id']}' is not valid"
                return
        elif isinstance(value, dict) and "value" in value:
            option = field.option(value=str(value["value"]))
            if option is None:
                errors[field.id] = f"Option value '{value['value']}' is not valid"
                return
        else:
            errors[field.id] = f"Specify a valid 'id' or 'value' for {field.name}"
            return
        changes.custom[field.id] = option[0]
    elif field.kind == "sprint":
        changes.sprint_set = True
        if value is None:
            changes.sprint = None
            return
        if isinstance(value, bool) or not isinstance(value, int):
            errors[field.id] = "Number value expected as the Sprint id."
            return
        sprint = state.sprints.get(value)
        if sprint is None:
            errors[field.id] = f"Sprint with id {value} does not exist or you do not have permission to view it."
            return
        if sprint.state == "closed":
            errors[field.id] = "Issue can be assigned only active or future sprints."
            return
        changes.sprint = sprint
    else:
        if value is not None and not isinstance(value, str):
            errors[field.id] = "Operation value must be a string"
            return
        changes.custom[field.id] = value
