"""Resolvers for the part of GitHub's schema the provider uses, attached to the built schema once per process.

Plain fields need no resolver: :func:`default_resolver` reads the snake_case attribute (or a payload dict key).
A field the emulator does not model answers with an ``EMULATOR_UNSUPPORTED`` error rather than a quiet null.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from attrs import define
from graphql import (
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
)

from planpilot_providers_core.emulation.graphql import ResolverRegistry, attribute_resolver

from . import inputs
from .connections import Connection, check_bounds, paginate
from .errors import EMULATOR_UNSUPPORTED, FORBIDDEN, NOT_FOUND, UNPROCESSABLE, ApiError, node_not_found
from .model import FieldValue, Issue, IssueType, Label, LabelFieldValue, Owner, Project, ProjectField, ProjectItem
from .ratelimit import RateLimitSnapshot
from .search import RESULT_CAP, parse_query, search_issues
from .state import EmulatorState
from .stats import EmulatorStats
from .views import ordered_values

__all__ = ["READ_ONLY_MESSAGE", "RequestContext", "attach_resolvers", "default_resolver"]

READ_ONLY_MESSAGE = "Resource not accessible by personal access token"
ISSUE_SEARCH_TYPES = {"ISSUE", "ISSUE_ADVANCED", "ISSUE_HYBRID", "ISSUE_SEMANTIC"}
Resolver = Callable[..., Any]
_REGISTRY = ResolverRegistry()
resolves = _REGISTRY.resolves
"""Register a resolver for ``"Type.field"`` targets."""


@define
class RequestContext:
    """What one request's resolvers may touch; execution runs with the emulator lock held."""

    state: EmulatorState
    stats: EmulatorStats
    rate: RateLimitSnapshot | None  # None when the primary limit is off
    cost: int  # primary points this request was charged
    node_count: int
    search_lag: float
    read_only: bool


def _ctx(info: GraphQLResolveInfo) -> RequestContext:
    return cast(RequestContext, info.context)


default_resolver = attribute_resolver(
    lambda field: ApiError(EMULATOR_UNSUPPORTED, f"The GitHub emulator does not implement {field}.")
)
"""Plain fields: a payload dict's key or the model's snake_case attribute; anything else is unsupported."""


def _serialize_datetime(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _serialize_date(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def attach_resolvers(schema: GraphQLSchema) -> None:
    """Install resolvers, type resolution and scalar serialisation on ``schema`` (a cached, shared object)."""
    _REGISTRY.attach(schema)
    for name, serialize in (("DateTime", _serialize_datetime), ("Date", _serialize_date)):
        scalar = schema.type_map[name]
        if not isinstance(scalar, GraphQLScalarType):
            raise RuntimeError(f"{name} is not a scalar in the pinned schema")
        scalar.serialize = serialize  # type: ignore[method-assign]


def _parse_datetime(value: Any, what: str) -> datetime:
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        raise ApiError(UNPROCESSABLE, f"{what}: '{value}' is not an ISO 8601 date-time.") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def _unsupported_inputs(data: Mapping[str, Any], names: Sequence[str], where: str) -> None:
    for name in names:
        if data.get(name) not in (None, [], False):
            raise ApiError(EMULATOR_UNSUPPORTED, f"The GitHub emulator does not support `{name}` on {where}.")


def _ordered(items: Sequence[Any], args: Mapping[str, Any], sort_keys: Mapping[str, Callable[[Any], Any]]) -> list[Any]:
    order = args.get("orderBy") or {}
    field_name = str(order.get("field"))
    result = list(items)
    if field_name in sort_keys:
        result.sort(key=sort_keys[field_name])
    if order.get("direction") == "DESC":
        result.reverse()
    return result


# --------------------------------------------------------------------------------------------------- Query
@resolves("Query.repository")
def _repository(_root: None, info: GraphQLResolveInfo, **args: Any) -> Any:
    repo = _ctx(info).state.find_repository(args["owner"], args["name"])
    if repo is None:
        raise ApiError(NOT_FOUND, f"Could not resolve to a Repository with the name '{args['owner']}/{args['name']}'.")
    return repo


@resolves("Query.organization")
def _organization(_root: None, info: GraphQLResolveInfo, **args: Any) -> Any:
    owner = _ctx(info).state.find_owner(args["login"])
    if owner is None or owner.kind != "Organization":
        raise ApiError(NOT_FOUND, f"Could not resolve to an Organization with the login of '{args['login']}'.")
    return owner


@resolves("Query.user")
def _user(_root: None, info: GraphQLResolveInfo, **args: Any) -> Any:
    owner = _ctx(info).state.find_owner(args["login"])
    if owner is None or owner.kind != "User":
        raise ApiError(NOT_FOUND, f"Could not resolve to a User with the login of '{args['login']}'.")
    return owner


@resolves("Query.viewer")
def _viewer(_root: None, info: GraphQLResolveInfo, **_args: Any) -> Any:
    return _ctx(info).state.viewer()


@resolves("Query.node")
def _node(_root: None, info: GraphQLResolveInfo, **args: Any) -> Any:
    obj = _ctx(info).state.node(args["id"])
    if obj is None:
        raise node_not_found(args["id"])
    return obj


@resolves("Query.nodes")
def _nodes(_root: None, info: GraphQLResolveInfo, **args: Any) -> Any:
    ids: list[str] = args["ids"]
    if len(ids) > 100:
        raise ApiError(UNPROCESSABLE, f"You may not request more than 100 nodes at once (got {len(ids)}).")
    state = _ctx(info).state
    # An Exception in the list becomes a null entry plus an error at ["nodes", i], as GitHub answers.
    return [state.node(node_id) or node_not_found(node_id) for node_id in ids]


@resolves("Query.rateLimit")
def _rate_limit(_root: None, info: GraphQLResolveInfo, **_args: Any) -> Any:
    """The primary budget after this request was charged (null without a primary limit, like GHES)."""
    ctx = _ctx(info)
    rate = ctx.rate
    if rate is None:
        return None
    return {
        "cost": ctx.cost,
        "limit": rate.limit,
        "remaining": rate.remaining,
        "used": rate.used,
        "resetAt": datetime.fromtimestamp(rate.reset_at, UTC).replace(microsecond=0),
        "nodeCount": ctx.node_count,
    }


@resolves("Query.search")
def _search(_root: None, info: GraphQLResolveInfo, **args: Any) -> Any:
    ctx = _ctx(info)
    check_bounds("search", args.get("first"), args.get("last"))
    matches: list[Issue] = []
    if args["type"] in ISSUE_SEARCH_TYPES:
        query = parse_query(args["query"])
        cutoff = ctx.state.now() - timedelta(seconds=ctx.search_lag) if ctx.search_lag > 0 else None
        matches = search_issues(ctx.state.repositories(), query, cutoff)
    page: Connection[Issue] = paginate(matches[:RESULT_CAP], args, "search")
    return {
        "issueCount": len(matches),
        "codeCount": 0,
        "discussionCount": 0,
        "repositoryCount": 0,
        "userCount": 0,
        "wikiCount": 0,
        "issueSearchType": "LEXICAL",
        "lexicalFallbackReason": None,
        "nodes": page.nodes,
        "edges": page.edges,
        "pageInfo": page.page_info,
    }


# --------------------------------------------------------------------------------------------------- owners
@resolves("Organization.projectV2", "User.projectV2")
def _project_v2(owner: Owner, _info: GraphQLResolveInfo, **args: Any) -> Any:
    project = owner.projects.get(args["number"])
    if project is None:
        raise ApiError(NOT_FOUND, f"Could not resolve to a ProjectV2 with the number {args['number']}.")
    return project


@resolves("Organization.projectsV2", "User.projectsV2")
def _projects_v2(owner: Owner, _info: GraphQLResolveInfo, **args: Any) -> Any:
    projects = sorted(owner.projects.values(), key=lambda p: p.number)
    if args.get("query"):
        projects = [p for p in projects if args["query"].lower() in p.title.lower()]
    keys: dict[str, Callable[[Project], Any]] = {
        "NUMBER": lambda p: p.number,
        "TITLE": lambda p: p.title.lower(),
        "CREATED_AT": lambda p: p.created_at,
        "UPDATED_AT": lambda p: p.updated_at,
    }
    return paginate(_ordered(projects, args, keys), args, "projectsV2")


# --------------------------------------------------------------------------------------------------- repository
@resolves("Repository.labels")
def _repository_labels(repo: Any, _info: GraphQLResolveInfo, **args: Any) -> Any:
    labels: list[Label] = list(repo.labels.values())
    if args.get("query"):
        needle = args["query"].lower()
        labels = [
            label for label in labels if needle in label.name.lower() or needle in (label.description or "").lower()
        ]
    keys: dict[str, Callable[[Label], Any]] = {"NAME": lambda label: label.name.lower()}
    return paginate(_ordered(labels, args, keys), args, "labels")


@resolves("Repository.label")
def _repository_label(repo: Any, _info: GraphQLResolveInfo, **args: Any) -> Any:
    return repo.labels.get(args["name"].lower())


@resolves("Repository.issueTypes")
def _repository_issue_types(repo: Any, _info: GraphQLResolveInfo, **args: Any) -> Any:
    check_bounds("issueTypes", args.get("first"), args.get("last"))
    if repo.owner.kind != "Organization":
        return None  # issue types are an organization feature
    keys: dict[str, Callable[[IssueType], Any]] = {"NAME": lambda t: t.name.lower()}
    return paginate(_ordered(repo.owner.issue_types, args, keys), args, "issueTypes")


@resolves("Repository.issue")
def _repository_issue(repo: Any, _info: GraphQLResolveInfo, **args: Any) -> Any:
    issue = repo.issues.get(args["number"])
    if issue is None or issue.deleted:
        raise ApiError(NOT_FOUND, f"Could not resolve to an Issue with the number of {args['number']}.")
    return issue


@resolves("Repository.issues")
def _repository_issues(repo: Any, _info: GraphQLResolveInfo, **args: Any) -> Any:
    """A plain database listing: current state, no search index, no 1,000 cap."""
    filters: Mapping[str, Any] = args.get("filterBy") or {}
    _unsupported_inputs(
        filters,
        ("assignee", "createdBy", "mentioned", "milestone", "milestoneNumber", "viewerSubscribed"),
        "IssueFilters",
    )
    state_sets = [set(s) for s in (args.get("states"), filters.get("states")) if s]
    label_sets = [{name.lower() for name in names} for names in (args.get("labels"), filters.get("labels")) if names]
    since = _parse_datetime(filters["since"], "filterBy.since") if filters.get("since") else None
    type_name = filters["type"].lower() if filters.get("type") else None

    def keep(issue: Issue) -> bool:
        if issue.deleted or any(issue.state not in states for states in state_sets):
            return False
        names = {label.name.lower() for label in issue.labels}
        if any(not (names & wanted) for wanted in label_sets):
            return False
        if since is not None and issue.updated_at < since:
            return False
        return type_name is None or (issue.issue_type is not None and issue.issue_type.name.lower() == type_name)

    order = args.get("orderBy") or {"field": "CREATED_AT", "direction": "ASC"}
    sign = -1 if order["direction"] == "DESC" else 1

    def key(issue: Issue) -> tuple[int, int]:
        if order["field"] == "UPDATED_AT":
            return sign * int(issue.updated_at.timestamp()), sign * issue.database_id
        if order["field"] == "CREATED_AT":
            return sign * int(issue.created_at.timestamp()), sign * issue.database_id
        return 0, sign * issue.database_id  # COMMENTS: every emulated issue has none

    issues = sorted((issue for issue in repo.issues.values() if keep(issue)), key=key)
    return paginate(issues, args, "issues", key=key)


# --------------------------------------------------------------------------------------------------- projects
@resolves("ProjectV2.fields")
def _project_fields(project: Project, _info: GraphQLResolveInfo, **args: Any) -> Any:
    keys: dict[str, Callable[[ProjectField], Any]] = {
        "NAME": lambda f: f.name.lower(),
        "CREATED_AT": lambda f: (f.created_at, f.database_id),
    }
    return paginate(_ordered(project.fields, args, keys), args, "fields")


@resolves("ProjectV2.field")
def _project_field(project: Project, _info: GraphQLResolveInfo, **args: Any) -> Any:
    return project.field_named(args["name"])


@resolves("ProjectV2.items")
def _project_items(project: Project, _info: GraphQLResolveInfo, **args: Any) -> Any:
    if args.get("query"):
        raise ApiError(EMULATOR_UNSUPPORTED, "The GitHub emulator does not support ProjectV2.items(query:).")
    return paginate(list(project.items.values()), args, "items")


@resolves("ProjectV2SingleSelectField.options")
def _field_options(project_field: ProjectField, _info: GraphQLResolveInfo, **args: Any) -> Any:
    names = args.get("names")
    return [o for o in project_field.options if names is None or o.name in names]


def _item_values(item: ProjectItem) -> list[Any]:
    """Values in field order, with the read-only Title and Labels values GitHub adds to every item."""
    stored = {value.field.id: value for value in ordered_values(item)}
    values: list[Any] = []
    for project_field in item.project.fields:
        if project_field.data_type == "TITLE":
            values.append(
                FieldValue(
                    id=f"PVTFTV_{item.id.partition('_')[2]}",
                    database_id=item.database_id,
                    item=item,
                    field=project_field,
                    value=item.issue.title,
                    created_at=item.created_at,
                    updated_at=item.issue.updated_at,
                )
            )
        elif project_field.data_type == "LABELS" and item.issue.labels:
            values.append(LabelFieldValue(id=f"PVTFLV_{item.id.partition('_')[2]}", item=item, field=project_field))
        elif project_field.id in stored:
            values.append(stored[project_field.id])
    return values


@resolves("ProjectV2Item.fieldValues")
def _item_field_values(item: ProjectItem, _info: GraphQLResolveInfo, **args: Any) -> Any:
    return paginate(_item_values(item), args, "fieldValues")


@resolves("ProjectV2Item.fieldValueByName")
def _item_field_value_by_name(item: ProjectItem, _info: GraphQLResolveInfo, **args: Any) -> Any:
    return next((v for v in _item_values(item) if v.field.name == args["name"]), None)


@resolves("ProjectV2ItemFieldLabelValue.labels")
def _label_value_labels(value: LabelFieldValue, _info: GraphQLResolveInfo, **args: Any) -> Any:
    return paginate(list(value.item.issue.labels), args, "labels")


# --------------------------------------------------------------------------------------------------- issues
@resolves("Issue.labels")
def _issue_labels(issue: Issue, _info: GraphQLResolveInfo, **args: Any) -> Any:
    keys: dict[str, Callable[[Label], Any]] = {"NAME": lambda label: label.name.lower()}
    return paginate(_ordered(issue.labels, args, keys), args, "labels")


@resolves("Issue.subIssues")
def _issue_sub_issues(issue: Issue, _info: GraphQLResolveInfo, **args: Any) -> Any:
    return paginate(list(issue.sub_issues), args, "subIssues")


def _dependencies(issues: list[Issue], args: Mapping[str, Any], name: str) -> Any:
    order = args.get("orderBy") or {"field": "DEPENDENCY_ADDED_AT", "direction": "DESC"}
    ordered = sorted(issues, key=lambda i: (i.created_at, i.database_id)) if order["field"] == "CREATED_AT" else issues
    if order["direction"] == "DESC":
        ordered = list(reversed(ordered))
    return paginate(ordered, args, name)


@resolves("Issue.blockedBy")
def _issue_blocked_by(issue: Issue, _info: GraphQLResolveInfo, **args: Any) -> Any:
    return _dependencies(issue.blocked_by, args, "blockedBy")


@resolves("Issue.blocking")
def _issue_blocking(issue: Issue, _info: GraphQLResolveInfo, **args: Any) -> Any:
    return _dependencies(issue.blocking, args, "blocking")


@resolves("Issue.projectItems")
def _issue_project_items(issue: Issue, _info: GraphQLResolveInfo, **args: Any) -> Any:
    return paginate(list(issue.project_items), args, "projectItems")


@resolves("Issue.stateReason")
def _issue_state_reason(issue: Issue, _info: GraphQLResolveInfo, **args: Any) -> Any:
    return issue.state_reason(enable_duplicate=bool(args.get("enableDuplicate")))


@resolves("Issue.subIssuesSummary")
def _issue_sub_issues_summary(issue: Issue, _info: GraphQLResolveInfo, **_args: Any) -> Any:
    total = len(issue.sub_issues)
    completed = sum(1 for child in issue.sub_issues if child.state == "CLOSED")
    return {"total": total, "completed": completed, "percentCompleted": (100 * completed // total) if total else 0}


# --------------------------------------------------------------------------------------------------- mutations
def mutation(name: str) -> Callable[[Callable[[EmulatorState, Mapping[str, Any]], dict[str, Any]]], Resolver]:
    """Wrap a mutation rule: read-only tokens are refused per field, applied fields are counted."""

    def wrap(rule: Callable[[EmulatorState, Mapping[str, Any]], dict[str, Any]]) -> Resolver:
        def resolve(_root: None, info: GraphQLResolveInfo, **args: Any) -> Any:
            ctx = _ctx(info)
            if ctx.read_only:
                raise ApiError(FORBIDDEN, READ_ONLY_MESSAGE)
            data: Mapping[str, Any] = args["input"]
            payload = rule(ctx.state, data)
            payload["clientMutationId"] = data.get("clientMutationId")
            ctx.stats.record_mutation_field()
            return payload

        _REGISTRY.register(f"Mutation.{name}", resolve)
        return resolve

    return wrap


_UNSUPPORTED_ISSUE_INPUTS = ("assigneeIds", "milestoneId", "projectIds", "agentAssignment", "issueFields")


@mutation("createIssue")
def _create_issue(state: EmulatorState, data: Mapping[str, Any]) -> dict[str, Any]:
    _unsupported_inputs(data, (*_UNSUPPORTED_ISSUE_INPUTS, "issueTemplate"), "createIssue")
    return {"issue": inputs.create_issue(state, data)}


@mutation("updateIssue")
def _update_issue(state: EmulatorState, data: Mapping[str, Any]) -> dict[str, Any]:
    _unsupported_inputs(data, _UNSUPPORTED_ISSUE_INPUTS, "updateIssue")
    return {"issue": inputs.update_issue(state, data), "actor": state.viewer()}


@mutation("closeIssue")
def _close_issue(state: EmulatorState, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"issue": inputs.close_issue(state, data)}


@mutation("deleteIssue")
def _delete_issue(state: EmulatorState, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"repository": inputs.delete_issue(state, data)}


@mutation("addLabelsToLabelable")
def _add_labels(state: EmulatorState, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"labelable": inputs.add_labels(state, data)}


@mutation("removeLabelsFromLabelable")
def _remove_labels(state: EmulatorState, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"labelable": inputs.remove_labels(state, data)}


@mutation("createLabel")
def _create_label(state: EmulatorState, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"label": inputs.create_label(state, data)}


@mutation("addProjectV2ItemById")
def _add_project_item(state: EmulatorState, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"item": inputs.add_project_item(state, data)}


@mutation("updateProjectV2ItemFieldValue")
def _update_field_value(state: EmulatorState, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"projectV2Item": inputs.update_field_value(state, data)}


@mutation("clearProjectV2ItemFieldValue")
def _clear_field_value(state: EmulatorState, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"projectV2Item": inputs.clear_field_value(state, data)}


@mutation("addSubIssue")
def _add_sub_issue(state: EmulatorState, data: Mapping[str, Any]) -> dict[str, Any]:
    parent, child = inputs.add_sub_issue(state, data)
    return {"issue": parent, "subIssue": child}


@mutation("removeSubIssue")
def _remove_sub_issue(state: EmulatorState, data: Mapping[str, Any]) -> dict[str, Any]:
    parent, child = inputs.remove_sub_issue(state, data)
    return {"issue": parent, "subIssue": child}


@mutation("addBlockedBy")
def _add_blocked_by(state: EmulatorState, data: Mapping[str, Any]) -> dict[str, Any]:
    issue, blocker = inputs.add_blocked_by(state, data)
    return {"issue": issue, "blockingIssue": blocker}


@mutation("removeBlockedBy")
def _remove_blocked_by(state: EmulatorState, data: Mapping[str, Any]) -> dict[str, Any]:
    issue, blocker = inputs.remove_blocked_by(state, data)
    return {"issue": issue, "blockingIssue": blocker}
