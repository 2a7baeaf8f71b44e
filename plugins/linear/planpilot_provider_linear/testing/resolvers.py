"""Resolvers for the part of Linear's schema a roadmap sync uses, attached to the pinned schema once per process.

Plain fields need no resolver: :func:`default_resolver` reads the snake_case attribute of the model object (or
a payload dict's key). A field the emulator does not model answers with an ``EMULATOR_UNSUPPORTED`` error, and
so does a mutation input it does not model, rather than a quiet null or a quietly ignored value.

Execution follows graphql-core, as Linear follows graphql-js: the root fields of a mutation run one after
another, and since every Linear payload is non-null (``IssuePayload!``), a failing aliased field nulls the
whole ``data`` and the aliases after it do not run; its error's ``path`` names it, the ones before it applied.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from attrs import define
from graphql import GraphQLResolveInfo, GraphQLScalarType, GraphQLSchema

from planpilot_providers_core.emulation.graphql import ResolverRegistry, attribute_resolver

from .errors import invalid_input, unsupported
from .filters import check_filter, matches
from .limits import AuthKind, RateLimiter
from .model import Cycle, Issue, Organization, Project, Team
from .paging import paginate
from .seeding import LinearState
from .stats import LinearStats

__all__ = ["RequestContext", "attach_resolvers", "default_resolver"]

Resolver = Callable[..., Any]
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


default_resolver = attribute_resolver(unsupported)
"""Plain fields: a payload dict's key or the model's snake_case attribute; anything else is unsupported."""


def _serialize_datetime(value: Any) -> str:
    """Linear's form: UTC with milliseconds, ``2025-06-02T12:00:00.000Z``."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return str(value)


def attach_resolvers(schema: GraphQLSchema) -> None:
    """Install resolvers (and type resolution) and date-time serialisation on the shared ``schema``."""
    _REGISTRY.attach(schema)
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


def _kept(
    items: Sequence[Any], info: GraphQLResolveInfo, args: Mapping[str, Any], where: str, entity: str | None
) -> list[Any]:
    """``items`` after ``includeArchived`` and ``filter`` (checked against ``entity``'s fields first)."""
    if args.get("sort"):
        raise unsupported(f"`sort` on {where} (use orderBy)")
    if entity is not None:
        check_filter(args.get("filter"), entity, where=f"{where}.filter")
    now = _ctx(info).now
    return [item for item in _visible(items, args) if matches(item, args.get("filter"), now, where=f"{where}.filter")]


def _connection(
    items: Sequence[Any], info: GraphQLResolveInfo, args: Mapping[str, Any], where: str, entity: str | None = None
) -> Any:
    """One page of the kept ``items``."""
    state = _ctx(info).state
    return paginate(_kept(items, info, args, where, entity), args, locate=lambda cursor: _locate(state, cursor))


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


_LOOKUPS: dict[str, Callable[[LinearState], Callable[[str], Any]]] = {
    "team": lambda state: state.get_team,
    "issue": lambda state: state.get_issue,  # a UUID or an identifier (ENG-12)
    "issueLabel": lambda state: state.get_label,
    "issueRelation": lambda state: state.get_relation,
    "project": lambda state: state.get_project,
}
"""``Query.<field>(id:)``: the object, or Linear's "Entity not found" error."""

_LISTS: dict[str, tuple[Callable[[LinearState], Mapping[str, Any]], str | None]] = {
    "teams": (lambda state: state.teams, "team"),
    "issues": (lambda state: state.issues, "issue"),
    "issueLabels": (lambda state: state.labels, "label"),
    "issueRelations": (lambda state: state.relations, None),  # Linear gives this list no filter
    "workflowStates": (lambda state: state.states, "state"),
    "cycles": (lambda state: state.cycles, "cycle"),
    "projects": (lambda state: state.projects, "project"),
}
"""``Query.<field>(filter:, first:, after:, ...)``: what the state holds, and the entity its filter describes."""


def _lookup(field: str) -> Resolver:
    def resolve(_root: None, info: GraphQLResolveInfo, id: str) -> Any:
        return _LOOKUPS[field](_ctx(info).state)(id)

    return resolve


def _list(field: str) -> Resolver:
    def resolve(_root: None, info: GraphQLResolveInfo, **args: Any) -> Any:
        registry, entity = _LISTS[field]
        return _connection(list(registry(_ctx(info).state).values()), info, args, field, entity)

    return resolve


for _field in _LOOKUPS:
    _REGISTRY.register(f"Query.{_field}", _lookup(_field))
for _field in _LISTS:
    _REGISTRY.register(f"Query.{_field}", _list(_field))


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

    found = _kept([issue for issue in ctx.state.issues.values() if hit(issue)], info, args, "searchIssues", "issue")
    page = paginate(found, args, locate=lambda cursor: _locate(ctx.state, cursor))
    return {**page, "totalCount": float(len(found))}


# --------------------------------------------------------------------------------------------------- objects
_MEMBER_LISTS: dict[str, tuple[Callable[[Any], Sequence[Any]], str | None]] = {
    "Team.states": (lambda team: team.states, "state"),
    "Team.labels": (lambda team: team.labels, "label"),
    "Team.cycles": (lambda team: team.cycles, "cycle"),
    "Issue.labels": (lambda issue: issue.labels, "label"),
    "Issue.children": (lambda issue: issue.children, "issue"),
    "Issue.relations": (lambda issue: issue.relations, None),  # where the issue is the source
    "Issue.inverseRelations": (lambda issue: issue.inverse_relations, None),  # where it is the target
    "Project.teams": (lambda project: project.teams, "team"),
}
"""``Type.<connection>`` read straight from the model object, with the entity its filter describes."""


def _member_list(target: str) -> Resolver:
    members, entity = _MEMBER_LISTS[target]
    field = target.partition(".")[2]

    def resolve(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        return _connection(members(source), info, args, field, entity)

    return resolve


for _target in _MEMBER_LISTS:
    _REGISTRY.register(_target, _member_list(_target))


_REGISTRY.register("Organization.teams", _list("teams"))  # the workspace's teams: all of them


@resolves("Organization.labels")
def _organization_labels(_org: Organization, info: GraphQLResolveInfo, **args: Any) -> Any:
    return _connection(_ctx(info).state.workspace_labels(), info, args, "labels", "label")


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


@resolves("Project.status")
def _project_status(project: Project, _info: GraphQLResolveInfo) -> Any:
    names = {"backlog": "Backlog", "planned": "Planned", "started": "In Progress", "paused": "Paused"}
    names |= {"completed": "Completed", "canceled": "Canceled"}
    return {"id": f"{project.id}-status", "type": project.status_type, "name": names[project.status_type]}


@resolves("Project.state")
def _project_state(project: Project, _info: GraphQLResolveInfo) -> str:
    return project.status_type


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
