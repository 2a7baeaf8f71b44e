"""Resolvers for the part of Linear's schema a roadmap sync uses, attached to the pinned schema once per process.

Plain fields need no resolver: :func:`default_resolver` reads the snake_case attribute of the model object (or
a payload dict's key). A field the emulator does not model answers with an ``EMULATOR_UNSUPPORTED`` error, and
so does a mutation input it does not model, rather than a quiet null or a quietly ignored value.

Execution follows graphql-core, as Linear follows graphql-js: the root fields of a mutation run one after
another, and since every Linear payload is non-null (``IssuePayload!``), a failing aliased field nulls the
whole ``data`` and the aliases after it do not run; its error's ``path`` names it, the ones before it applied.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, cast

from attrs import define
from graphql import GraphQLInterfaceType, GraphQLResolveInfo, GraphQLScalarType, GraphQLSchema, GraphQLUnionType

from planpilot_providers_core.emulation.graphql import ResolverRegistry

from .errors import invalid_input, unsupported
from .filters import check_filter, matches
from .limits import AuthKind, RateLimiter
from .model import Cycle, Issue, Organization, Project, Team
from .paging import paginate
from .seeding import LinearState
from .stats import LinearStats

__all__ = ["RequestContext", "attach_resolvers", "default_resolver"]

_REGISTRY = ResolverRegistry()
resolves = _REGISTRY.resolves


@define
class RequestContext:
    """What one request's resolvers may touch; execution runs with the emulator lock held."""

    state: LinearState
    stats: LinearStats
    limiter: RateLimiter
    auth: AuthKind
    search_lag: float

    @property
    def now(self) -> datetime:
        return self.state.now()


def _ctx(info: GraphQLResolveInfo) -> RequestContext:
    return cast(RequestContext, info.context)


@cache
def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def default_resolver(source: Any, info: GraphQLResolveInfo, **_args: Any) -> Any:
    if isinstance(source, Mapping):
        return source.get(info.field_name)
    try:
        return getattr(source, _snake(info.field_name))
    except AttributeError:
        raise unsupported(f"{info.parent_type.name}.{info.field_name}") from None


def _type_of(value: Any, _info: GraphQLResolveInfo, _abstract: Any) -> str | None:
    return cast(str | None, getattr(value, "graphql_typename", None))


def _serialize_datetime(value: Any) -> str:
    """Linear's form: UTC with milliseconds, ``2025-06-02T12:00:00.000Z``."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return str(value)


def attach_resolvers(schema: GraphQLSchema) -> None:
    """Install resolvers, type resolution and date-time serialisation on the shared ``schema``."""
    _REGISTRY.attach(schema)
    for graphql_type in schema.type_map.values():
        if isinstance(graphql_type, GraphQLInterfaceType | GraphQLUnionType):
            graphql_type.resolve_type = _type_of
    scalar = schema.type_map["DateTime"]
    if not isinstance(scalar, GraphQLScalarType):
        raise RuntimeError("DateTime is not a scalar in the pinned schema")
    scalar.serialize = _serialize_datetime  # type: ignore[method-assign]


# --------------------------------------------------------------------------------------------------- lists
def _visible(items: Sequence[Any], args: Mapping[str, Any]) -> list[Any]:
    """Archived (and trashed) objects are hidden unless ``includeArchived: true`` (notes §1.4)."""
    if args.get("includeArchived"):
        return list(items)
    return [item for item in items if getattr(item, "archived_at", None) is None]


def _connection(
    items: Sequence[Any], info: GraphQLResolveInfo, args: Mapping[str, Any], where: str, entity: str | None = None
) -> Any:
    """One page of ``items`` after ``includeArchived`` and ``filter`` (checked against ``entity``'s fields)."""
    if args.get("sort"):
        raise unsupported(f"`sort` on {where} (use orderBy)")
    if entity is not None:
        check_filter(args.get("filter"), entity, where=f"{where}.filter")
    ctx = _ctx(info)
    now = ctx.now
    kept = [item for item in _visible(items, args) if matches(item, args.get("filter"), now, where=f"{where}.filter")]
    return paginate(kept, args, locate=lambda cursor: _locate(ctx.state, cursor))


def _locate(state: LinearState, cursor: str) -> Any | None:
    key = cursor.lower()
    for registry in (state.issues, state.labels, state.teams, state.states, state.projects, state.cycles):
        if key in registry:
            return registry[key]
    return state.relations.get(key)


# --------------------------------------------------------------------------------------------------- Query
@resolves("Query.viewer")
def _viewer(_root: None, info: GraphQLResolveInfo) -> Any:
    return _ctx(info).state.viewer


@resolves("Query.organization")
def _organization(_root: None, info: GraphQLResolveInfo) -> Any:
    return _ctx(info).state.organization


@resolves("Query.team")
def _team(_root: None, info: GraphQLResolveInfo, id: str) -> Any:
    return _ctx(info).state.get_team(id)


@resolves("Query.teams")
def _teams(_root: None, info: GraphQLResolveInfo, **args: Any) -> Any:
    return _connection(list(_ctx(info).state.teams.values()), info, args, "teams", "team")


@resolves("Query.issue")
def _issue(_root: None, info: GraphQLResolveInfo, id: str) -> Any:
    return _ctx(info).state.get_issue(id)


@resolves("Query.issues")
def _issues(_root: None, info: GraphQLResolveInfo, **args: Any) -> Any:
    return _connection(list(_ctx(info).state.issues.values()), info, args, "issues", "issue")


@resolves("Query.issueLabel")
def _issue_label(_root: None, info: GraphQLResolveInfo, id: str) -> Any:
    return _ctx(info).state.get_label(id)


@resolves("Query.issueLabels")
def _issue_labels(_root: None, info: GraphQLResolveInfo, **args: Any) -> Any:
    return _connection(list(_ctx(info).state.labels.values()), info, args, "issueLabels", "label")


@resolves("Query.issueRelation")
def _issue_relation(_root: None, info: GraphQLResolveInfo, id: str) -> Any:
    return _ctx(info).state.get_relation(id)


@resolves("Query.issueRelations")
def _issue_relations(_root: None, info: GraphQLResolveInfo, **args: Any) -> Any:
    return _connection(list(_ctx(info).state.relations.values()), info, args, "issueRelations")


@resolves("Query.workflowStates")
def _workflow_states(_root: None, info: GraphQLResolveInfo, **args: Any) -> Any:
    return _connection(list(_ctx(info).state.states.values()), info, args, "workflowStates", "state")


@resolves("Query.cycles")
def _cycles(_root: None, info: GraphQLResolveInfo, **args: Any) -> Any:
    return _connection(list(_ctx(info).state.cycles.values()), info, args, "cycles", "cycle")


@resolves("Query.project")
def _project(_root: None, info: GraphQLResolveInfo, id: str) -> Any:
    return _ctx(info).state.get_project(id)


@resolves("Query.projects")
def _projects(_root: None, info: GraphQLResolveInfo, **args: Any) -> Any:
    return _connection(list(_ctx(info).state.projects.values()), info, args, "projects", "project")


@resolves("Query.rateLimitStatus")
def _rate_limit_status(_root: None, info: GraphQLResolveInfo) -> Any:
    ctx = _ctx(info)
    return {
        "identifier": ctx.state.viewer.id,
        "kind": "api-key" if ctx.auth is AuthKind.API_KEY else "oauth",
        "limits": ctx.limiter.status(ctx.auth),
    }


@resolves("Query.searchIssues")
def _search_issues(_root: None, info: GraphQLResolveInfo, **args: Any) -> Any:
    """Full-text search over what the index has seen: writes show up ``search_lag`` seconds late."""
    ctx = _ctx(info)
    if args.get("includeComments"):
        raise unsupported("searchIssues(includeComments: true)")
    words = [word.casefold() for word in args["term"].split()]
    cutoff = ctx.now - timedelta(seconds=ctx.search_lag)
    team = ctx.state.get_team(args["teamId"]) if args.get("teamId") else None

    def hit(issue: Issue) -> bool:
        seen = [entry for entry in issue.search_history if entry[0] <= cutoff]
        if not seen or (team is not None and issue.team is not team):
            return False
        _, title, description = seen[-1]
        text = f"{issue.identifier} {title} {description}".casefold()
        return all(word in text for word in words)

    found = [issue for issue in ctx.state.issues.values() if hit(issue)]
    page = _connection(found, info, args, "searchIssues", "issue")
    return {**page, "totalCount": float(len(_visible(found, args)))}


# --------------------------------------------------------------------------------------------------- objects
@resolves("Organization.teams")
def _organization_teams(org: Organization, info: GraphQLResolveInfo, **args: Any) -> Any:
    return _teams(None, info, **args)


@resolves("Organization.labels")
def _organization_labels(_org: Organization, info: GraphQLResolveInfo, **args: Any) -> Any:
    return _connection(_ctx(info).state.workspace_labels(), info, args, "labels", "label")


@resolves("Team.states")
def _team_states(team: Team, info: GraphQLResolveInfo, **args: Any) -> Any:
    return _connection(team.states, info, args, "states", "state")


@resolves("Team.labels")
def _team_labels_connection(team: Team, info: GraphQLResolveInfo, **args: Any) -> Any:
    return _connection(team.labels, info, args, "labels", "label")


@resolves("Team.cycles")
def _team_cycles(team: Team, info: GraphQLResolveInfo, **args: Any) -> Any:
    return _connection(team.cycles, info, args, "cycles", "cycle")


@resolves("Team.projects")
def _team_projects(team: Team, info: GraphQLResolveInfo, **args: Any) -> Any:
    if args.get("includeSubTeams"):
        raise unsupported("Team.projects(includeSubTeams: true)")
    projects = [p for p in _ctx(info).state.projects.values() if team in p.teams]
    return _connection(projects, info, args, "projects", "project")


@resolves("Team.issues")
def _team_issues(team: Team, info: GraphQLResolveInfo, **args: Any) -> Any:
    if args.get("includeSubTeams"):
        raise unsupported("Team.issues(includeSubTeams: true)")
    issues = [i for i in _ctx(info).state.issues.values() if i.team is team]
    return _connection(issues, info, args, "issues", "issue")


@resolves("Team.activeCycle")
def _team_active_cycle(team: Team, info: GraphQLResolveInfo) -> Any:
    return _ctx(info).state.active_cycle(team)


@resolves("Cycle.isActive", "Cycle.isPast", "Cycle.isFuture", "Cycle.isNext", "Cycle.isPrevious")
def _cycle_flags(cycle: Cycle, info: GraphQLResolveInfo) -> bool:
    now = _ctx(info).now
    past = [c for c in cycle.team.cycles if c.ends_at <= now]
    future = [c for c in cycle.team.cycles if c.starts_at > now]
    flags = {
        "isActive": cycle.starts_at <= now < cycle.ends_at,
        "isPast": cycle.ends_at <= now,
        "isFuture": cycle.starts_at > now,
        "isNext": bool(future) and min(future, key=lambda c: c.starts_at) is cycle,
        "isPrevious": bool(past) and max(past, key=lambda c: c.ends_at) is cycle,
    }
    return flags[info.field_name]


@resolves("Project.teams")
def _project_teams(project: Project, info: GraphQLResolveInfo, **args: Any) -> Any:
    return _connection(project.teams, info, args, "teams", "team")


@resolves("Project.status")
def _project_status(project: Project, _info: GraphQLResolveInfo) -> Any:
    names = {"backlog": "Backlog", "planned": "Planned", "started": "In Progress", "paused": "Paused"}
    names |= {"completed": "Completed", "canceled": "Canceled"}
    return {"id": f"{project.id}-status", "type": project.status_type, "name": names[project.status_type]}


@resolves("Project.state")
def _project_state(project: Project, _info: GraphQLResolveInfo) -> str:
    return project.status_type


@resolves("Issue.labels")
def _issue_labels_connection(issue: Issue, info: GraphQLResolveInfo, **args: Any) -> Any:
    return _connection(issue.labels, info, args, "labels", "label")


@resolves("Issue.children")
def _issue_children(issue: Issue, info: GraphQLResolveInfo, **args: Any) -> Any:
    return _connection(issue.children, info, args, "children", "issue")


@resolves("Issue.relations")
def _issue_relations_connection(issue: Issue, info: GraphQLResolveInfo, **args: Any) -> Any:
    return _connection(issue.relations, info, args, "relations")


@resolves("Issue.inverseRelations")
def _issue_inverse_relations(issue: Issue, info: GraphQLResolveInfo, **args: Any) -> Any:
    return _connection(issue.inverse_relations, info, args, "inverseRelations")


@resolves("Issue.trashed")
def _issue_trashed(issue: Issue, _info: GraphQLResolveInfo) -> bool | None:
    return issue.trashed


# --------------------------------------------------------------------------------------------------- inputs
_CREATE_KEYS = {
    "teamId": "team_id",
    "title": "title",
    "description": "description",
    "id": "id",
    "labelIds": "label_ids",
    "parentId": "parent_id",
    "stateId": "state_id",
    "priority": "priority",
    "estimate": "estimate",
    "cycleId": "cycle_id",
    "projectId": "project_id",
}
_UPDATE_KEYS = {
    "title": "title",
    "description": "description",
    "labelIds": "label_ids",
    "addedLabelIds": "added_label_ids",
    "removedLabelIds": "removed_label_ids",
    "parentId": "parent_id",
    "stateId": "state_id",
    "priority": "priority",
    "estimate": "estimate",
    "cycleId": "cycle_id",
    "projectId": "project_id",
    "trashed": "trashed",
}


def _unpack(data: Mapping[str, Any], keys: Mapping[str, str], where: str) -> dict[str, Any]:
    """GraphQL input -> keyword arguments; an input field the emulator does not model fails loudly."""
    for name, value in data.items():
        if name not in keys and value not in (None, [], False):
            raise unsupported(f"`{name}` on {where}")
    return {keys[name]: value for name, value in data.items() if name in keys}


def create_arguments(data: Mapping[str, Any]) -> dict[str, Any]:
    """An ``IssueCreateInput`` as :meth:`~.state.Workspace.create_issue` keyword arguments."""
    return _unpack(data, _CREATE_KEYS, "IssueCreateInput")


def update_arguments(data: Mapping[str, Any]) -> dict[str, Any]:
    """An ``IssueUpdateInput`` as :meth:`~.state.Workspace.update_issue` keyword arguments: a field given as
    null clears, except those that cannot be empty (``stateId``, ``title``: refused; ``priority``: 0)."""
    arguments: dict[str, Any] = _unpack(data, _UPDATE_KEYS, "IssueUpdateInput")
    if "state_id" in arguments and arguments["state_id"] is None:
        raise invalid_input("stateId cannot be null: every issue has a workflow state.")
    if "priority" in arguments and arguments["priority"] is None:
        arguments["priority"] = 0
    for name in ("label_ids",):
        if name in arguments and arguments[name] is None:
            arguments[name] = []
    for name in ("added_label_ids", "removed_label_ids"):
        if arguments.get(name) is None:
            arguments.pop(name, None)
    return arguments


# --------------------------------------------------------------------------------------------------- mutations
def _payload(ctx: RequestContext, **fields: Any) -> dict[str, Any]:
    ctx.stats.record_mutation_field()
    return {"success": True, "lastSyncId": float(ctx.state.last_sync_id), **fields}


@resolves("Mutation.issueCreate")
def _issue_create(_root: None, info: GraphQLResolveInfo, input: Mapping[str, Any]) -> Any:
    ctx = _ctx(info)
    return _payload(ctx, issue=ctx.state.create_issue(**create_arguments(input)))


@resolves("Mutation.issueBatchCreate")
def _issue_batch_create(_root: None, info: GraphQLResolveInfo, input: Mapping[str, Any]) -> Any:
    ctx = _ctx(info)
    issues = ctx.state.create_issues([create_arguments(item) for item in input["issues"]])
    return _payload(ctx, issues=issues)


@resolves("Mutation.issueUpdate")
def _issue_update(_root: None, info: GraphQLResolveInfo, id: str, input: Mapping[str, Any]) -> Any:
    ctx = _ctx(info)
    return _payload(ctx, issue=ctx.state.update_issue(id, **update_arguments(input)))


@resolves("Mutation.issueAddLabel")
def _issue_add_label(_root: None, info: GraphQLResolveInfo, id: str, labelId: str) -> Any:
    ctx = _ctx(info)
    return _payload(ctx, issue=ctx.state.update_issue(id, added_label_ids=[labelId]))


@resolves("Mutation.issueRemoveLabel")
def _issue_remove_label(_root: None, info: GraphQLResolveInfo, id: str, labelId: str) -> Any:
    ctx = _ctx(info)
    return _payload(ctx, issue=ctx.state.update_issue(id, removed_label_ids=[labelId]))


@resolves("Mutation.issueArchive")
def _issue_archive(_root: None, info: GraphQLResolveInfo, id: str, trash: bool | None = None) -> Any:
    ctx = _ctx(info)
    return _payload(ctx, entity=ctx.state.archive_issue(id, trash=bool(trash)))


@resolves("Mutation.issueUnarchive")
def _issue_unarchive(_root: None, info: GraphQLResolveInfo, id: str) -> Any:
    ctx = _ctx(info)
    return _payload(ctx, entity=ctx.state.unarchive_issue(id))


@resolves("Mutation.issueDelete")
def _issue_delete(_root: None, info: GraphQLResolveInfo, id: str, permanentlyDelete: bool | None = None) -> Any:
    ctx = _ctx(info)
    issue = ctx.state.delete_issue(id, permanently=bool(permanentlyDelete))
    return _payload(ctx, entity=None if permanentlyDelete else issue)


@resolves("Mutation.issueLabelCreate")
def _issue_label_create(
    _root: None, info: GraphQLResolveInfo, input: Mapping[str, Any], replaceTeamLabels: bool | None = None
) -> Any:
    ctx = _ctx(info)
    keys = {
        "name": "name",
        "teamId": "team_id",
        "id": "id",
        "color": "color",
        "description": "description",
        "isGroup": "is_group",
        "parentId": "parent_id",
    }
    arguments = _unpack(input, keys, "IssueLabelCreateInput")
    arguments["is_group"] = bool(arguments.get("is_group"))
    label = ctx.state.create_label(**arguments, replace_team_labels=bool(replaceTeamLabels))
    return _payload(ctx, issueLabel=label)


@resolves("Mutation.issueRelationCreate")
def _issue_relation_create(
    _root: None, info: GraphQLResolveInfo, input: Mapping[str, Any], overrideCreatedAt: Any = None
) -> Any:
    ctx = _ctx(info)
    if overrideCreatedAt is not None:
        raise unsupported("issueRelationCreate(overrideCreatedAt:)")
    keys = {"issueId": "issue_id", "relatedIssueId": "related_issue_id", "type": "type", "id": "id"}
    relation = ctx.state.create_relation(**_unpack(input, keys, "IssueRelationCreateInput"))
    return _payload(ctx, issueRelation=relation)


@resolves("Mutation.issueRelationDelete")
def _issue_relation_delete(_root: None, info: GraphQLResolveInfo, id: str) -> Any:
    ctx = _ctx(info)
    relation = ctx.state.delete_relation(id)
    return _payload(ctx, entityId=relation.id)
