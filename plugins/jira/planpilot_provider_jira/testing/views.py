"""The JSON Jira answers with for each object, shaped by the OpenAPI schemas (``IssueBean``, ``Project``,
``FieldDetails``, ``IssueTransition``, the agile ``Board`` ...). ``base`` is the site URL the request came to,
so ``self`` links point back at the emulator."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from .model import (
    Board,
    CustomField,
    Issue,
    IssueType,
    Link,
    LinkType,
    Priority,
    Project,
    Sprint,
    Status,
    Transition,
    User,
)
from .state import JiraState

__all__ = [
    "FieldSelection",
    "board_view",
    "field_list",
    "issue_view",
    "jira_time",
    "link_type_view",
    "link_view",
    "priority_view",
    "project_view",
    "sprint_view",
    "status_view",
    "transition_view",
    "user_view",
]

_CATEGORIES = {
    "new": (2, "To Do", "blue-gray"),
    "indeterminate": (4, "In Progress", "yellow"),
    "done": (3, "Done", "green"),
}
SYSTEM_FIELDS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("summary", "Summary", {"type": "string", "system": "summary"}),
    ("description", "Description", {"type": "string", "system": "description"}),
    ("issuetype", "Issue Type", {"type": "issuetype", "system": "issuetype"}),
    ("project", "Project", {"type": "project", "system": "project"}),
    ("parent", "Parent", {"type": "issuelink", "system": "parent"}),
    ("labels", "Labels", {"type": "array", "items": "string", "system": "labels"}),
    ("priority", "Priority", {"type": "priority", "system": "priority"}),
    ("status", "Status", {"type": "status", "system": "status"}),
    ("created", "Created", {"type": "datetime", "system": "created"}),
    ("updated", "Updated", {"type": "datetime", "system": "updated"}),
    ("reporter", "Reporter", {"type": "user", "system": "reporter"}),
    ("assignee", "Assignee", {"type": "user", "system": "assignee"}),
    ("issuelinks", "Linked Issues", {"type": "array", "items": "issuelinks", "system": "issuelinks"}),
    ("subtasks", "Sub-tasks", {"type": "array", "items": "issuelinks", "system": "subtasks"}),
    ("resolutiondate", "Resolved", {"type": "datetime", "system": "resolutiondate"}),
)
_SEARCHABLE_CLAUSES = {
    "summary": ["summary"],
    "description": ["description"],
    "issuetype": ["issuetype", "type"],
    "project": ["project"],
    "parent": ["parent"],
    "labels": ["labels"],
    "priority": ["priority"],
    "status": ["status"],
    "created": ["created", "createdDate"],
    "updated": ["updated", "updatedDate"],
    "reporter": ["reporter"],
    "assignee": ["assignee"],
    "issuelinks": [],
    "subtasks": ["subtasks"],
    "resolutiondate": ["resolutiondate", "resolved"],
}


def jira_time(when: datetime) -> str:
    """Jira's timestamp form: ``2025-06-02T12:00:00.000+0000``."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}" + when.strftime("%z")


def agile_time(when: datetime) -> str:
    """The agile API's form: ``2025-06-02T12:00:00.000Z``."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def user_view(base: str, user: User, *, email: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        "self": f"{base}/rest/api/3/user?accountId={user.account_id}",
        "accountId": user.account_id,
        "accountType": "atlassian",
        "displayName": user.display_name,
        "active": True,
        "timeZone": "Etc/UTC",
        "avatarUrls": _avatars(base, "useravatar", 10001),
    }
    if email:
        view["emailAddress"] = user.email
    return view


def _avatars(base: str, kind: str, avatar_id: int) -> dict[str, str]:
    return {f"{n}x{n}": f"{base}/secure/{kind}?size={n}&avatarId={avatar_id}" for n in (16, 24, 32, 48)}


def status_view(base: str, status: Status) -> dict[str, Any]:
    category_id, name, color = _CATEGORIES[status.category]
    return {
        "self": f"{base}/rest/api/3/status/{status.id}",
        "description": "",
        "iconUrl": f"{base}/images/icons/statuses/generic.png",
        "name": status.name,
        "id": status.id,
        "statusCategory": {
            "self": f"{base}/rest/api/3/statuscategory/{category_id}",
            "id": category_id,
            "key": status.category,
            "colorName": color,
            "name": name,
        },
    }


def issue_type_view(base: str, issue_type: IssueType) -> dict[str, Any]:
    return {
        "self": f"{base}/rest/api/3/issuetype/{issue_type.id}",
        "id": issue_type.id,
        "description": issue_type.description,
        "iconUrl": f"{base}/rest/api/2/universal_avatar/view/type/issuetype/avatar/10300?size=medium",
        "name": issue_type.name,
        "subtask": issue_type.subtask,
        "avatarId": 10300,
        "hierarchyLevel": issue_type.hierarchy_level,
    }


def priority_view(base: str, priority: Priority, *, full: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "self": f"{base}/rest/api/3/priority/{priority.id}",
        "iconUrl": f"{base}/images/icons/priorities/{priority.name.lower()}.svg",
        "name": priority.name,
        "id": priority.id,
    }
    if full:
        view.update(
            statusColor=priority.status_color, description=f"{priority.name} priority", isDefault=priority.is_default
        )
    return view


def project_view(base: str, project: Project, *, full: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        "self": f"{base}/rest/api/3/project/{project.id}",
        "id": project.id,
        "key": project.key,
        "name": project.name,
        "projectTypeKey": "software",
        "simplified": project.style == "next-gen",
        "avatarUrls": _avatars(base, "projectavatar", 10400),
    }
    if full:
        view.update(
            description="",
            lead=user_view(base, project.lead, email=False),
            issueTypes=[issue_type_view(base, t) for t in project.issue_types],
            assigneeType="UNASSIGNED",
            style=project.style,
            isPrivate=False,
            properties={},
        )
    return view


def link_type_view(base: str, link_type: LinkType) -> dict[str, Any]:
    return {
        "id": link_type.id,
        "name": link_type.name,
        "inward": link_type.inward,
        "outward": link_type.outward,
        "self": f"{base}/rest/api/3/issueLinkType/{link_type.id}",
    }


def _linked_issue(base: str, issue: Issue) -> dict[str, Any]:
    return {
        "id": str(issue.id),
        "key": issue.key,
        "self": f"{base}/rest/api/3/issue/{issue.id}",
        "fields": {
            "summary": issue.summary,
            "status": status_view(base, issue.status),
            "priority": priority_view(base, issue.priority),
            "issuetype": issue_type_view(base, issue.issue_type),
        },
    }


def link_view(base: str, link: Link, *, seen_from: Issue | None = None) -> dict[str, Any]:
    """A link on its own (both sides), or as it appears in ``seen_from``'s ``issuelinks`` (the other side only:
    ``outwardIssue`` when ``seen_from`` is the inward side, e.g. the blocker of a "Blocks" link)."""
    view: dict[str, Any] = {
        "id": str(link.id),
        "self": f"{base}/rest/api/3/issueLink/{link.id}",
        "type": link_type_view(base, link.type),
    }
    if seen_from is None or seen_from is link.outward:
        view["inwardIssue"] = _linked_issue(base, link.inward)
    if seen_from is None or seen_from is link.inward:
        view["outwardIssue"] = _linked_issue(base, link.outward)
    return view


def transition_view(base: str, transition: Transition, *, available: bool = True) -> dict[str, Any]:
    return {
        "id": transition.id,
        "name": transition.name,
        "to": status_view(base, transition.to),
        "hasScreen": False,
        "isGlobal": not transition.sources,
        "isInitial": False,
        "isAvailable": available,
        "isConditional": False,
        "isLooped": False,
    }


def sprint_view(base: str, sprint: Sprint) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": sprint.id,
        "self": f"{base}/rest/agile/1.0/sprint/{sprint.id}",
        "state": sprint.state,
        "name": sprint.name,
        "originBoardId": sprint.board_id,
        "goal": sprint.goal,
    }
    for key, when in (("startDate", sprint.start), ("endDate", sprint.end), ("completeDate", sprint.complete)):
        if when is not None:
            view[key] = agile_time(when)
    if sprint.created is not None:
        view["createdDate"] = agile_time(sprint.created)
    return view


def _sprint_field(sprint: Sprint) -> dict[str, Any]:
    """The sprint as the Sprint custom field shows it (``boardId``, not ``originBoardId``)."""
    view: dict[str, Any] = {
        "id": sprint.id,
        "name": sprint.name,
        "state": sprint.state,
        "boardId": sprint.board_id,
        "goal": sprint.goal,
    }
    for key, when in (("startDate", sprint.start), ("endDate", sprint.end), ("completeDate", sprint.complete)):
        if when is not None:
            view[key] = agile_time(when)
    return view


def board_view(base: str, board: Board) -> dict[str, Any]:
    project = board.project
    return {
        "id": board.id,
        "self": f"{base}/rest/agile/1.0/board/{board.id}",
        "name": board.name,
        "type": board.type,
        "location": {
            "projectId": int(project.id),
            "projectKey": project.key,
            "projectName": project.name,
            "projectTypeKey": "software",
            "displayName": f"{project.name} ({project.key})",
            "name": f"{project.name} ({project.key})",
        },
    }


# ----------------------------------------------------------------------------------------- fields
def field_list(state: JiraState) -> list[dict[str, Any]]:
    """``GET /rest/api/3/field``: the system fields, then the custom ones."""
    views: list[dict[str, Any]] = []
    for field_id, name, schema in SYSTEM_FIELDS:
        views.append(
            {
                "id": field_id,
                "key": field_id,
                "name": name,
                "custom": False,
                "orderable": field_id
                not in {"status", "created", "updated", "issuelinks", "subtasks", "resolutiondate"},
                "navigable": True,
                "searchable": bool(_SEARCHABLE_CLAUSES[field_id]),
                "clauseNames": list(_SEARCHABLE_CLAUSES[field_id]),
                "schema": schema,
            }
        )
    for custom in state.custom_fields.values():
        views.append(
            {
                "id": custom.id,
                "key": custom.id,
                "name": custom.name,
                "custom": True,
                "orderable": custom.kind != "rank",
                "navigable": True,
                "searchable": True,
                "clauseNames": [f"cf[{custom.custom_id}]", custom.name],
                "schema": custom_schema(custom),
            }
        )
    return views


def custom_schema(custom: CustomField) -> dict[str, Any]:
    kinds = {
        "number": {"type": "number"},
        "select": {"type": "option"},
        "sprint": {"type": "array", "items": "json"},
        "rank": {"type": "any"},
        "text": {"type": "string"},
    }
    return {**kinds[custom.kind], "custom": custom.custom, "customId": custom.custom_id}


def field_names(state: JiraState) -> dict[str, str]:
    names = {field_id: name for field_id, name, _ in SYSTEM_FIELDS}
    names.update({c.id: c.name for c in state.custom_fields.values()})
    return names


class FieldSelection:
    """Which fields an answer carries: ``*all``, ``*navigable``, names, ``-name`` exclusions (each item may be a
    comma-separated list, and the parameter may repeat)."""

    def __init__(self, state: JiraState, items: Iterable[str] | None, *, default: str) -> None:
        known = list(field_names(state))
        chosen: list[str] = []
        excluded: set[str] = set()
        parts = [p.strip() for item in (items if items is not None else [default]) for p in item.split(",")]
        for part in parts:
            if not part:
                continue
            if part in {"*all", "*navigable"}:
                chosen.extend(known)
            elif part.startswith("-"):
                excluded.add(part[1:])
            elif part in {"id", "key", "self"}:
                continue
            else:
                chosen.append(part)
        self.ids_only = not chosen and not excluded and all(p in {"id", ""} for p in parts)
        self.fields = [f for f in dict.fromkeys(chosen) if f not in excluded]


def issue_view(
    state: JiraState,
    base: str,
    issue: Issue,
    selection: FieldSelection,
    *,
    expand: Sequence[str] = (),
    properties: Sequence[str] = (),
) -> dict[str, Any]:
    """An ``IssueBean`` with the selected fields (an unknown field name is left out, as Jira leaves it out)."""
    if selection.ids_only and not expand and not properties:
        return {"id": str(issue.id)}
    view: dict[str, Any] = {
        "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
        "id": str(issue.id),
        "self": f"{base}/rest/api/3/issue/{issue.id}",
        "key": issue.key,
    }
    fields: dict[str, Any] = {}
    for name in selection.fields:
        value = _field_value(state, base, issue, name)
        if value is not _MISSING:
            fields[name] = value
    view["fields"] = fields
    if "names" in expand:
        names = field_names(state)
        view["names"] = {name: names[name] for name in fields if name in names}
    if "schema" in expand:
        view["schema"] = _schemas(state, fields)
    if "transitions" in expand:
        view["transitions"] = [transition_view(base, t) for t in state.available_transitions(issue)]
    if properties:
        wanted = set(issue.properties) if "*all" in properties else set(properties)
        view["properties"] = {k: v for k, v in issue.properties.items() if k in wanted}
    return view


_MISSING = object()


def _field_value(state: JiraState, base: str, issue: Issue, name: str) -> Any:
    simple: dict[str, Any] = {
        "summary": lambda: issue.summary,
        "description": lambda: issue.description,
        "issuetype": lambda: issue_type_view(base, issue.issue_type),
        "project": lambda: project_view(base, issue.project, full=False),
        "labels": lambda: list(issue.labels),
        "priority": lambda: priority_view(base, issue.priority),
        "status": lambda: status_view(base, issue.status),
        "created": lambda: jira_time(issue.created),
        "updated": lambda: jira_time(issue.updated),
        "reporter": lambda: user_view(base, issue.reporter),
        "assignee": lambda: None,
        "resolutiondate": lambda: jira_time(issue.resolution_date) if issue.resolution_date else None,
        "parent": lambda: _linked_issue(base, issue.parent) if issue.parent else _MISSING,
        "issuelinks": lambda: [link_view(base, link, seen_from=issue) for link in state.links_of(issue)],
        "subtasks": lambda: [_linked_issue(base, c) for c in state.children(issue) if c.issue_type.subtask],
    }
    if name in simple:
        return simple[name]()
    custom = state.custom_fields.get(name)
    if custom is None:
        return _MISSING
    if custom.kind == "sprint":
        return [_sprint_field(issue.sprint)] if issue.sprint else None
    if custom.kind == "rank":
        return f"0|i{issue.id:05d}:"
    stored = issue.custom.get(custom.id)
    if custom.kind == "select" and stored is not None:
        option = custom.option(id=stored)
        assert option is not None
        return {"self": f"{base}/rest/api/3/customFieldOption/{option[0]}", "value": option[1], "id": option[0]}
    return stored


def _schemas(state: JiraState, fields: dict[str, Any]) -> dict[str, Any]:
    schemas = {field_id: schema for field_id, _, schema in SYSTEM_FIELDS}
    schemas.update({c.id: custom_schema(c) for c in state.custom_fields.values()})
    return {name: schemas[name] for name in fields if name in schemas}
