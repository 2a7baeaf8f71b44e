"""What each implemented operation does, by ``operationId``: read the parsed request, apply it to the state,
and say what to answer. Every refusal is a :class:`~.errors.JiraError` with the status and wording Jira uses.

:data:`ROUTES` also says, per operation, whether it writes and which issues it writes to (for Jira's per-issue
write limit), so the pipeline can check limits before anything is applied.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from attrs import frozen

from .errors import JiraError, error_body
from .jql import UNBOUNDED_MESSAGE, parse_jql
from .model import Issue
from .openapi import ParsedRequest
from .state import JiraState
from .views import (
    FieldSelection,
    board_view,
    field_list,
    issue_type_view,
    issue_view,
    link_type_view,
    link_view,
    priority_view,
    project_view,
    sprint_view,
    status_view,
    transition_view,
    user_view,
)

__all__ = [
    "BULK_CREATE_LIMIT",
    "BULK_FETCH_LIMIT",
    "BULK_MOVE_LIMIT",
    "RECONCILE_LIMIT",
    "ROUTES",
    "Answer",
    "Call",
    "Route",
]

BULK_CREATE_LIMIT = 50
BULK_FETCH_LIMIT = 100
BULK_MOVE_LIMIT = 1000  # "You can move up to 1,000 issues in a single operation, including any subtasks."
RECONCILE_LIMIT = 50
SEARCH_PAGE_LIMIT = 100  # a page with fields; Jira "may return fewer items per page" than asked
SEARCH_ID_PAGE_LIMIT = 5000  # ids (or keys) only: "It returns max 5000 issues"
REMOVED_SEARCH_MESSAGE = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration "
    "guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)


@frozen
class Call:
    """One request as a handler sees it."""

    state: JiraState
    base: str
    request: ParsedRequest
    email: str | None  # the Basic user's email (None with a bearer token)

    @property
    def query(self) -> Mapping[str, Any]:
        return self.request.query

    @property
    def path(self) -> Mapping[str, Any]:
        return self.request.path

    @property
    def body(self) -> Any:
        return self.request.body


@frozen
class Answer:
    status: int
    body: Any = None  # JSON value; None: no body
    created: int = 0  # issues created (for stats)
    read: int = 0  # issues returned (quota points)


@frozen
class Route:
    handler: Callable[[Call], Answer]
    write: bool
    written: Callable[[JiraState, ParsedRequest], Sequence[str]] = lambda state, request: ()
    removed: bool = False  # answers 410 Gone, which the description does not list


# ----------------------------------------------------------------------------------------- site
def get_current_user(call: Call) -> Answer:
    view = user_view(call.base, call.state.viewer)
    if call.email:
        view["emailAddress"] = call.email
    return Answer(200, view)


def get_project(call: Call) -> Answer:
    return Answer(200, project_view(call.base, call.state.project(call.path["projectIdOrKey"])))


def get_all_statuses(call: Call) -> Answer:
    project = call.state.project(call.path["projectIdOrKey"])
    return Answer(
        200,
        [
            {
                "self": f"{call.base}/rest/api/3/issueType/{t.id}",
                "id": t.id,
                "name": t.name,
                "subtask": t.subtask,
                "statuses": [status_view(call.base, s) for s in project.statuses],
            }
            for t in project.issue_types
        ],
    )


def get_fields(call: Call) -> Answer:
    return Answer(200, field_list(call.state))


def _page(call: Call, default_max: int = 50) -> tuple[int, int]:
    start = int(call.query.get("startAt", 0))
    size = int(call.query.get("maxResults", default_max))
    if start < 0 or size < 0:
        raise JiraError(400, ["startAt and maxResults must not be negative."])
    return start, size


def get_create_meta_types(call: Call) -> Answer:
    project = call.state.project(call.path["projectIdOrKey"])
    start, size = _page(call)
    types = [issue_type_view(call.base, t) for t in project.issue_types]
    return Answer(
        200, {"startAt": start, "maxResults": size, "total": len(types), "issueTypes": types[start : start + size]}
    )


def get_create_meta_fields(call: Call) -> Answer:
    state = call.state
    project = state.project(call.path["projectIdOrKey"])
    issue_type = project.issue_type(id=call.path["issueTypeId"])
    if issue_type is None:
        raise JiraError(400, [f"The issue type with id '{call.path['issueTypeId']}' does not exist in the project."])
    base = call.base
    fields: list[dict[str, Any]] = [
        _meta("summary", "Summary", {"type": "string", "system": "summary"}, required=True, ops=["set"]),
        _meta(
            "issuetype",
            "Issue Type",
            {"type": "issuetype", "system": "issuetype"},
            required=True,
            ops=[],
            allowed=[issue_type_view(base, issue_type)],
        ),
        _meta(
            "project",
            "Project",
            {"type": "project", "system": "project"},
            required=True,
            ops=["set"],
            allowed=[project_view(base, project, full=False)],
        ),
        _meta("description", "Description", {"type": "string", "system": "description"}, ops=["set"]),
        _meta(
            "labels", "Labels", {"type": "array", "items": "string", "system": "labels"}, ops=["add", "set", "remove"]
        ),
        _meta(
            "priority",
            "Priority",
            {"type": "priority", "system": "priority"},
            ops=["set"],
            allowed=[priority_view(base, p) for p in state.priorities],
        ),
        _meta("parent", "Parent", {"type": "issuelink", "system": "parent"}, required=issue_type.subtask, ops=["set"]),
    ]
    from .views import custom_schema

    for field_id in project.fields:
        custom = state.custom_fields[field_id]
        allowed = None
        if custom.kind == "select":
            allowed = [
                {"self": f"{base}/rest/api/3/customFieldOption/{i}", "value": v, "id": i} for i, v in custom.options
            ]
        fields.append(_meta(custom.id, custom.name, custom_schema(custom), ops=["set"], allowed=allowed))
    start, size = _page(call)
    return Answer(
        200, {"startAt": start, "maxResults": size, "total": len(fields), "fields": fields[start : start + size]}
    )


def _meta(
    field_id: str,
    name: str,
    schema: dict[str, Any],
    *,
    ops: list[str],
    required: bool = False,
    allowed: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "fieldId": field_id,
        "key": field_id,
        "name": name,
        "required": required,
        "schema": schema,
        "operations": ops,
        "hasDefaultValue": field_id == "priority",
    }
    if allowed is not None:
        meta["allowedValues"] = allowed
    return meta


# ----------------------------------------------------------------------------------------- issues
def _created(call: Call, issue: Issue) -> dict[str, Any]:
    return {"id": str(issue.id), "key": issue.key, "self": f"{call.base}/rest/api/3/issue/{issue.id}"}


def create_issue(call: Call) -> Answer:
    issue = call.state.create_issue(call.body)
    return Answer(201, _created(call, issue), created=1)


def create_issues(call: Call) -> Answer:
    """Bulk create: each element on its own; 201 if any was created, 400 (same body) if none was."""
    updates = call.body.get("issueUpdates")
    if not isinstance(updates, list) or not updates:
        return Answer(400, {"issues": [], "errors": []})
    if len(updates) > BULK_CREATE_LIMIT:
        # The description gives a bulk create's 400 one shape, CreatedIssues: every element fails.
        refusal = error_body([f"You can create at most {BULK_CREATE_LIMIT} issues in one request."])
        failed = [{"status": 400, "elementErrors": refusal, "failedElementNumber": i} for i in range(len(updates))]
        return Answer(400, {"issues": [], "errors": failed})
    issues: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for index, update in enumerate(updates):
        try:
            issues.append(_created(call, call.state.create_issue(update)))
        except JiraError as error:
            errors.append({"status": error.status, "elementErrors": error.body(), "failedElementNumber": index})
    return Answer(201 if issues else 400, {"issues": issues, "errors": errors}, created=len(issues))


def _expand(call: Call) -> list[str]:
    raw = call.query.get("expand") or ""
    return [part.strip() for part in str(raw).split(",") if part.strip()]


def get_issue(call: Call) -> Answer:
    issue = call.state.issue(call.path["issueIdOrKey"])
    selection = FieldSelection(call.state, call.query.get("fields"), default="*all")
    properties = [p for item in call.query.get("properties", []) for p in item.split(",") if p]
    view = issue_view(call.state, call.base, issue, selection, expand=_expand(call), properties=properties)
    return Answer(200, view, read=1)


def edit_issue(call: Call) -> Answer:
    issue = call.state.issue(call.path["issueIdOrKey"])
    call.state.edit_issue(issue, call.body)
    if call.query.get("returnIssue"):
        selection = FieldSelection(call.state, None, default="*all")
        return Answer(200, issue_view(call.state, call.base, issue, selection, expand=_expand(call)))
    return Answer(204)


def delete_issue(call: Call) -> Answer:
    issue = call.state.issue(call.path["issueIdOrKey"])
    call.state.delete_issue(issue, delete_subtasks=str(call.query.get("deleteSubtasks", "false")).lower() == "true")
    return Answer(204)


def bulk_fetch(call: Call) -> Answer:
    wanted = call.body["issueIdsOrKeys"]
    if len(wanted) > BULK_FETCH_LIMIT:
        raise JiraError(400, [f"You can request at most {BULK_FETCH_LIMIT} issues at a time."])
    selection = FieldSelection(call.state, call.body.get("fields"), default="*navigable")
    expand = [e for item in call.body.get("expand", []) for e in item.split(",")]
    found: dict[int, Issue] = {}
    errors = []
    for key in wanted:
        issue = call.state.find_issue(str(key))
        if issue is None:
            errors.append(
                {"id": str(key), "errorMessage": "Issue does not exist or you do not have permission to see it."}
            )
        else:
            found[issue.id] = issue
    issues = [
        issue_view(
            call.state, call.base, found[i], selection, expand=expand, properties=call.body.get("properties", [])
        )
        for i in sorted(found)
    ]
    return Answer(200, {"issues": issues, "issueErrors": errors}, read=len(issues))


def get_transitions(call: Call) -> Answer:
    issue = call.state.issue(call.path["issueIdOrKey"])
    available = call.state.available_transitions(issue)
    if call.query.get("includeUnavailableTransitions"):
        shown = [(t, t in available) for t in issue.project.transitions]
    else:
        shown = [(t, True) for t in available]
    wanted = call.query.get("transitionId")
    if wanted is not None:
        shown = [(t, ok) for t, ok in shown if t.id == str(wanted)]
    return Answer(
        200, {"expand": "transitions", "transitions": [transition_view(call.base, t, available=ok) for t, ok in shown]}
    )


def do_transition(call: Call) -> Answer:
    call.state.do_transition(call.state.issue(call.path["issueIdOrKey"]), call.body)
    return Answer(204)


def property_keys(call: Call) -> Answer:
    issue = call.state.issue(call.path["issueIdOrKey"])
    base = f"{call.base}/rest/api/3/issue/{issue.id}/properties"
    return Answer(200, {"keys": [{"key": k, "self": f"{base}/{k}"} for k in issue.properties]})


def get_property(call: Call) -> Answer:
    issue = call.state.issue(call.path["issueIdOrKey"])
    key = call.path["propertyKey"]
    if key not in issue.properties:
        raise JiraError(404, [f"The property with key '{key}' does not exist."])
    return Answer(200, {"key": key, "value": issue.properties[key]})


def set_property(call: Call) -> Answer:
    issue = call.state.issue(call.path["issueIdOrKey"])
    created = call.state.set_property(issue, call.path["propertyKey"], call.body)
    return Answer(201 if created else 200, {})


# ----------------------------------------------------------------------------------------- links
def link_types(call: Call) -> Answer:
    return Answer(200, {"issueLinkTypes": [link_type_view(call.base, t) for t in call.state.link_types]})


def link_issues(call: Call) -> Answer:
    call.state.link(call.body)
    return Answer(201)


def get_link(call: Call) -> Answer:
    link = call.state.find_link(call.path["linkId"])
    if link is None:
        raise JiraError(404, [f"No issue link with id '{call.path['linkId']}' exists."])
    return Answer(200, link_view(call.base, link))


def delete_link(call: Call) -> Answer:
    call.state.unlink(call.path["linkId"])
    return Answer(204)


def _link_issues(state: JiraState, request: ParsedRequest) -> Sequence[str]:
    keys = []
    for side in ("inwardIssue", "outwardIssue"):
        given = request.body.get(side) or {}
        issue = state.find_issue(str(given.get("key") or given.get("id") or ""))
        if issue is not None:
            keys.append(issue.key)
    return keys


def _unlinked_issues(state: JiraState, request: ParsedRequest) -> Sequence[str]:
    link = state.find_link(request.path["linkId"])
    return (link.inward.key, link.outward.key) if link else ()


def _path_issue(state: JiraState, request: ParsedRequest) -> Sequence[str]:
    issue = state.find_issue(request.path["issueIdOrKey"])
    return (issue.key,) if issue else ()


def _moved_issues(state: JiraState, request: ParsedRequest) -> Sequence[str]:
    found = (state.find_issue(str(key)) for key in request.body.get("issues", []))
    return [issue.key for issue in found if issue is not None]


# ----------------------------------------------------------------------------------------- search
def _token(jql: str, offset: int) -> str:
    digest = hashlib.sha256(jql.encode()).hexdigest()[:16]
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "q": digest}).encode()).decode().rstrip("=")


def _offset(jql: str, token: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = int(data["o"])
        same = data["q"] == hashlib.sha256(jql.encode()).hexdigest()[:16]
    except (ValueError, KeyError, TypeError):
        same, offset = False, -1
    if not same or offset < 0:
        raise JiraError(400, ["The provided next page token is invalid or expired."])
    return offset


def _search_arguments(call: Call) -> dict[str, Any]:
    if call.body is not None:
        return dict(call.body)
    return dict(call.query)


def search(call: Call) -> Answer:
    """The enhanced search (GET or POST): bounded JQL, ``nextPageToken`` paging, ``reconcileIssues``."""
    args = _search_arguments(call)
    jql = str(args.get("jql") or "")
    query = parse_jql(jql, call.state)
    if not query.bounded:
        raise JiraError(400, [UNBOUNDED_MESSAGE])
    reconcile = list(args.get("reconcileIssues") or [])
    if len(reconcile) > RECONCILE_LIMIT:
        raise JiraError(400, [f"You can reconcile at most {RECONCILE_LIMIT} issues per request."])
    selection = FieldSelection(call.state, args.get("fields"), default="id")
    expand = [e.strip() for e in str(args.get("expand") or "").split(",") if e.strip()]
    properties = [p for item in args.get("properties") or [] for p in item.split(",") if p]
    if len(properties) > 5:
        raise JiraError(400, ["You can request at most 5 issue properties."])
    limit = SEARCH_ID_PAGE_LIMIT if selection.ids_only else SEARCH_PAGE_LIMIT
    size = min(max(1, int(args.get("maxResults", 50))), limit)
    token = args.get("nextPageToken")
    offset = _offset(jql, token) if token else 0
    found = call.state.search(query, reconcile=reconcile)
    page = found[offset : offset + size]
    body: dict[str, Any] = {
        "issues": [
            issue_view(call.state, call.base, issue, selection, expand=expand, properties=properties) for issue in page
        ]
    }
    more = offset + size < len(found)
    if more:
        body["nextPageToken"] = _token(jql, offset + size)
    body["isLast"] = not more
    if "names" in expand:
        names: dict[str, str] = {}
        for issue in body["issues"]:
            names.update(issue.pop("names", {}))
        body["names"] = names
    if "schema" in expand:
        schema: dict[str, Any] = {}
        for issue in body["issues"]:
            schema.update(issue.pop("schema", {}))
        body["schema"] = schema
    return Answer(200, body, read=len(page))


def count(call: Call) -> Answer:
    query = parse_jql(str(call.body.get("jql") or ""), call.state)
    if not query.bounded:
        raise JiraError(400, [UNBOUNDED_MESSAGE])
    return Answer(200, {"count": len(call.state.search(query))})


def removed_search(call: Call) -> Answer:
    return Answer(410, error_body([REMOVED_SEARCH_MESSAGE]))


def labels(call: Call) -> Answer:
    start, size = _page(call, 1000)
    values = sorted(call.state.labels)
    page = values[start : start + size]
    return Answer(
        200,
        {
            "startAt": start,
            "maxResults": size,
            "total": len(values),
            "isLast": start + size >= len(values),
            "values": page,
        },
    )


def priorities(call: Call) -> Answer:
    return Answer(200, [priority_view(call.base, p, full=True) for p in call.state.priorities])


def search_priorities(call: Call) -> Answer:
    try:
        start = int(call.query.get("startAt", "0"))
        size = int(call.query.get("maxResults", "50"))
    except ValueError:
        raise JiraError(400, ["startAt and maxResults must be numbers."]) from None
    wanted = [p for item in call.query.get("id", []) for p in item.split(",") if p]
    name = str(call.query.get("priorityName") or "").lower()
    found = [
        p
        for p in call.state.priorities
        if (not wanted or p.id in wanted)
        and (not name or name in p.name.lower())
        and (not call.query.get("onlyDefault") or p.is_default)
    ]
    page = found[start : start + size]
    return Answer(
        200,
        {
            "startAt": start,
            "maxResults": size,
            "total": len(found),
            "isLast": start + size >= len(found),
            "values": [priority_view(call.base, p, full=True) for p in page],
        },
    )


# ----------------------------------------------------------------------------------------- bulk move
def submit_bulk_move(call: Call) -> Answer:
    mappings = call.body.get("targetToSourcesMapping") or {}
    if not mappings:
        return Answer(400, {"errors": [{"message": "targetToSourcesMapping must name at least one target."}]})
    if sum(len(m.get("issueIdsOrKeys") or ()) for m in mappings.values()) > BULK_MOVE_LIMIT:
        return Answer(400, {"errors": [{"message": f"You can move at most {BULK_MOVE_LIMIT} issues at once."}]})
    try:
        task = call.state.move_issues(mappings)
    except JiraError as error:
        return Answer(400, {"errors": [{"message": m} for m in error.messages]})
    return Answer(201, {"taskId": str(task.id)})


def bulk_progress(call: Call) -> Answer:
    task = call.state.tasks.get(int(call.path["taskId"])) if str(call.path["taskId"]).isdigit() else None
    if task is None:
        return Answer(
            400, {"errors": [{"message": "The task associated with this taskId is not a bulk operation task"}]}
        )
    when = _iso(task.created)
    body: dict[str, Any] = {
        "taskId": str(task.id),
        "status": "COMPLETE",
        "progressPercent": 100,
        "created": when,
        "started": when,
        "updated": when,
        "submittedBy": user_view(call.base, task.submitted_by, email=False),
        "totalIssueCount": task.total,
        "processedAccessibleIssues": list(task.processed),
        "invalidOrInaccessibleIssueCount": task.invalid,
    }
    if task.failed:
        body["failedAccessibleIssues"] = {k: list(v) for k, v in task.failed.items()}
    return Answer(200, body)


def _moved_by_bulk(state: JiraState, request: ParsedRequest) -> Sequence[str]:
    found = (
        state.find_issue(str(key))
        for mapping in (request.body.get("targetToSourcesMapping") or {}).values()
        for key in mapping.get("issueIdsOrKeys") or ()
    )
    return [issue.key for issue in found if issue is not None]


def _iso(when: Any) -> str:
    return str(when.isoformat(timespec="milliseconds")).replace("+00:00", "Z")


# ----------------------------------------------------------------------------------------- agile
def _board(call: Call) -> Any:
    board = call.state.boards.get(call.path["boardId"])
    if board is None:
        raise JiraError(404, [f"Board {call.path['boardId']} does not exist or you do not have permission to see it."])
    return board


def all_boards(call: Call) -> Answer:
    start, size = _page(call)
    boards = list(call.state.boards.values())
    project = call.query.get("projectKeyOrId")
    if project:
        key = call.state.project_key(str(project))
        boards = [b for b in boards if b.project.key == key]
    kinds = {k.strip() for k in str(call.query.get("type") or "").split(",") if k.strip()}
    if kinds:
        boards = [b for b in boards if b.type in kinds]
    name = call.query.get("name")
    if name:
        boards = [b for b in boards if str(name).lower() in b.name.lower()]
    page = boards[start : start + size]
    return Answer(
        200,
        {
            "maxResults": size,
            "startAt": start,
            "total": len(boards),
            "isLast": start + size >= len(boards),
            "values": [board_view(call.base, b) for b in page],
        },
    )


def get_board(call: Call) -> Answer:
    return Answer(200, board_view(call.base, _board(call)))


def board_configuration(call: Call) -> Answer:
    board = _board(call)
    base = call.base
    project = board.project
    estimation = next((c for c in call.state.custom_fields.values() if c.kind == "number"), None)
    rank = next((c for c in call.state.custom_fields.values() if c.kind == "rank"), None)
    columns = [
        {"name": s.name, "statuses": [{"id": s.id, "self": f"{base}/rest/api/3/status/{s.id}"}]}
        for s in project.statuses
    ]
    body: dict[str, Any] = {
        "id": board.id,
        "name": board.name,
        "type": board.type,
        "self": f"{base}/rest/agile/1.0/board/{board.id}/configuration",
        "location": {"type": "project", "projectKeyOrId": project.id},
        "filter": {"id": str(board.filter_id), "self": f"{base}/rest/api/3/filter/{board.filter_id}"},
        "subQuery": {"query": "resolution = EMPTY OR resolution changed after -2w"},
        "columnConfig": {"columns": columns, "constraintType": "none"},
    }
    if estimation is not None:
        body["estimation"] = {"type": "field", "field": {"fieldId": estimation.id, "displayName": estimation.name}}
    if rank is not None:
        body["ranking"] = {"rankCustomFieldId": rank.custom_id}
    return Answer(200, body)


def board_sprints(call: Call) -> Answer:
    board = _board(call)
    start, size = _page(call)
    states = {s.strip() for s in str(call.query.get("state") or "").split(",") if s.strip()}
    unknown = states - {"future", "active", "closed"}
    if unknown:
        raise JiraError(400, [f"The sprint state '{sorted(unknown)[0]}' is not valid: use future, active or closed."])
    order = {"closed": 0, "active": 1, "future": 2}
    sprints = sorted(
        (s for s in board.sprints if not states or s.state in states), key=lambda s: (order[s.state], s.id)
    )
    page = sprints[start : start + size]
    return Answer(
        200,
        {
            "maxResults": size,
            "startAt": start,
            "isLast": start + size >= len(sprints),
            "values": [sprint_view(call.base, s) for s in page],
        },
    )


def _sprint(call: Call) -> Any:
    sprint = call.state.sprints.get(call.path["sprintId"])
    if sprint is None:
        raise JiraError(
            404, [f"Sprint {call.path['sprintId']} does not exist or you do not have permission to see it."]
        )
    return sprint


def get_sprint(call: Call) -> Answer:
    return Answer(200, sprint_view(call.base, _sprint(call)))


def move_to_sprint(call: Call) -> Answer:
    call.state.move_to_sprint(_sprint(call), [str(k) for k in call.body.get("issues", [])])
    return Answer(204)


def move_to_backlog(call: Call) -> Answer:
    call.state.move_to_backlog([str(k) for k in call.body.get("issues", [])])
    return Answer(204)


ROUTES: Mapping[str, Route] = {
    "getCurrentUser": Route(get_current_user, write=False),
    "getProject": Route(get_project, write=False),
    "getAllStatuses": Route(get_all_statuses, write=False),
    "getFields": Route(get_fields, write=False),
    "getCreateIssueMetaIssueTypes": Route(get_create_meta_types, write=False),
    "getCreateIssueMetaIssueTypeId": Route(get_create_meta_fields, write=False),
    "createIssue": Route(create_issue, write=True),
    "createIssues": Route(create_issues, write=True),
    "getIssue": Route(get_issue, write=False),
    "editIssue": Route(edit_issue, write=True, written=_path_issue),
    "deleteIssue": Route(delete_issue, write=True, written=_path_issue),
    "bulkFetchIssues": Route(bulk_fetch, write=False),
    "getTransitions": Route(get_transitions, write=False),
    "doTransition": Route(do_transition, write=True, written=_path_issue),
    "getIssuePropertyKeys": Route(property_keys, write=False),
    "getIssueProperty": Route(get_property, write=False),
    "setIssueProperty": Route(set_property, write=True, written=_path_issue),
    "getIssueLinkTypes": Route(link_types, write=False),
    "linkIssues": Route(link_issues, write=True, written=_link_issues),
    "getIssueLink": Route(get_link, write=False),
    "deleteIssueLink": Route(delete_link, write=True, written=_unlinked_issues),
    "searchAndReconsileIssuesUsingJql": Route(search, write=False),
    "searchAndReconsileIssuesUsingJqlPost": Route(search, write=False),
    "countIssues": Route(count, write=False),
    "searchForIssuesUsingJql": Route(removed_search, write=False, removed=True),
    "searchForIssuesUsingJqlPost": Route(removed_search, write=False, removed=True),
    "getAllLabels": Route(labels, write=False),
    "getPriorities": Route(priorities, write=False),
    "searchPriorities": Route(search_priorities, write=False),
    "submitBulkMove": Route(submit_bulk_move, write=True, written=_moved_by_bulk),
    "getBulkOperationProgress": Route(bulk_progress, write=False),
    "getAllBoards": Route(all_boards, write=False),
    "getBoard": Route(get_board, write=False),
    "getConfiguration": Route(board_configuration, write=False),
    "getAllSprints": Route(board_sprints, write=False),
    "getSprint": Route(get_sprint, write=False),
    "moveIssuesToSprintAndRank": Route(move_to_sprint, write=True, written=_moved_issues),
    "moveIssuesToBacklog": Route(move_to_backlog, write=True, written=_moved_issues),
}
