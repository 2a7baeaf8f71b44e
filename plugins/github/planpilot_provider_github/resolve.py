"""Resolving remote state on enter: repository, labels, issue types, the project and its fields,
and the type strategy that follows from them.

The repository and the project are read concurrently (two requests); labels, issue types and
fields are paged only when a first page of 100 was not enough.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

import attrs

from planpilot_provider_github.client import GitHubGraphQL
from planpilot_provider_github.context import Iteration, ProjectField
from planpilot_provider_github.graphql.generated import project as project_ops
from planpilot_provider_github.graphql.generated import repository as repository_ops
from planpilot_provider_github.urls import BoardRef, RepoRef
from planpilot_providers_core.contracts import FieldConfig, PlanItemType
from planpilot_providers_core.errors import ItemNotFoundError, ProviderError

log = logging.getLogger("planpilot.providers.github")


@attrs.frozen(kw_only=True)
class Resolved:
    repository_id: str
    repository: str
    owner_is_org: bool
    labels: Mapping[str, str]
    """Label name -> id for every label of the repository."""
    issue_types: Mapping[str, str]
    """Enabled issue type name -> id."""
    project_id: str
    project_title: str
    project_url: str
    fields: Mapping[str, ProjectField]


async def _all_nodes(first_page: Any, next_page: Callable[[str], Awaitable[Any]]) -> list[Any]:
    """Nodes of a connection whose first page is in hand; ``next_page(cursor)`` reads the one after."""
    nodes, page = list(first_page.nodes or []), first_page
    while page.page_info.has_next_page:
        page = await next_page(page.page_info.end_cursor)
        nodes.extend(page.nodes or [])
    return nodes


def _field(node: Any) -> ProjectField | None:
    if not getattr(node, "id", None):
        return None
    options = {o.name: o.id for o in getattr(node, "options", None) or []}
    iterations: tuple[Iteration, ...] = ()
    config = getattr(node, "configuration", None)
    if config is not None:
        iterations = tuple(
            Iteration(id=i.id, title=i.title, start_date=i.start_date, duration=i.duration)
            for i in [*config.iterations, *config.completed_iterations]
        )
    return ProjectField(
        id=node.id, name=node.name, data_type=str(node.data_type), options=options, iterations=iterations
    )


async def resolve_remote(gql: GitHubGraphQL, repo: RepoRef, board: BoardRef) -> Resolved:
    repo_ops = repository_ops.Operations.query
    proj_op = (
        project_ops.Operations.query.organization_project
        if board.owner_is_org
        else project_ops.Operations.query.user_project
    )
    owner_kind = "organization" if board.owner_is_org else "user"
    try:
        repo_result, project_result = await asyncio.gather(
            gql.query(repo_ops.repository_context, {"owner": repo.owner, "name": repo.name}),
            gql.query(proj_op, {"login": board.login, "number": board.number}),
        )
    except ItemNotFoundError as exc:
        raise ProviderError(
            f"GitHub could not find what the configuration names ({exc}); check --target {repo.full_name!r} "
            f"and the board URL (project {board.number} of {owner_kind} {board.login!r}), "
            "and that the token can see both"
        ) from exc
    repository = repo_result.data.repository
    owner = project_result.data.organization if board.owner_is_org else project_result.data.user
    project = owner.project_v2 if owner else None  # sgqlc: a JSON null object is falsy, not None
    if not repository or not project:
        missing = (
            f"repository {repo.full_name}"
            if not repository
            else f"project {board.number} of {owner_kind} {board.login}"
        )
        raise ProviderError(f"GitHub could not find {missing}, or the token cannot see it")

    variables = {"owner": repo.owner, "name": repo.name}

    async def more_labels(after: str) -> Any:
        return (await gql.query(repo_ops.repository_labels, {**variables, "after": after})).data.repository.labels

    async def more_issue_types(after: str) -> Any:
        result = await gql.query(repo_ops.repository_issue_types, {**variables, "after": after})
        return result.data.repository.issue_types

    async def more_fields(after: str) -> Any:
        result = await gql.query(project_ops.Operations.query.project_fields, {"projectId": project.id, "after": after})
        return result.data.node.fields

    labels = await _all_nodes(repository.labels, more_labels)
    issue_types = await _all_nodes(repository.issue_types, more_issue_types) if repository.issue_types else []
    fields = await _all_nodes(project.fields, more_fields)
    parsed_fields = [f for f in (_field(n) for n in fields if n) if f is not None]
    return Resolved(
        repository_id=repository.id,
        repository=repository.name_with_owner,
        owner_is_org=repository.owner.__typename__ == "Organization",
        labels={label.name: label.id for label in labels if label},
        issue_types={t.name: t.id for t in issue_types if t and t.is_enabled},
        project_id=project.id,
        project_title=project.title,
        project_url=str(project.url),
        fields={f.name: f for f in parsed_fields},
    )


@attrs.frozen(kw_only=True)
class TypeStrategy:
    strategy: Literal["issue-type", "label"]
    reason: str
    issue_type_ids: Mapping[PlanItemType, str]


def choose_type_strategy(config: FieldConfig, resolved: Resolved) -> TypeStrategy:
    """Native issue types when configured and possible, else type labels (logged, and visible in ``check``).

    Native types need an organisation-owned repository with an enabled issue type for every mapped
    name. A caller that must not fall back requires ``Capability.ITEM_TYPES_NATIVE``; the capability
    check on enter then fails with ``ProviderCapabilityError(capability="types.native")``.
    """
    if config.create_type_strategy == "label":
        return TypeStrategy(strategy="label", reason="configured", issue_type_ids={})
    if not resolved.owner_is_org:
        reason = f"{resolved.repository} is owned by a user; GitHub issue types exist only in organizations"
    else:
        by_name = {name.casefold(): type_id for name, type_id in resolved.issue_types.items()}
        ids = {t: by_name.get(name.casefold()) for t, name in config.create_type_map.items()}
        missing = [config.create_type_map[t] for t, type_id in ids.items() if type_id is None]
        if not missing:
            return TypeStrategy(
                strategy="issue-type",
                reason="configured; every mapped issue type exists",
                issue_type_ids={t: i for t, i in ids.items() if i is not None},
            )
        known = ", ".join(sorted(resolved.issue_types)) or "none"
        reason = f"issue type(s) {', '.join(missing)} not enabled in the organization (enabled: {known})"
    log.warning("using type labels instead of issue types: %s", reason)
    return TypeStrategy(strategy="label", reason=reason, issue_type_ids={})
