"""Entering: the team by its key (workflow states, estimate scale, active cycle, labels), the workspace's labels,
the project a board URL names, and the creation defaults ``FieldConfig`` asks for, each checked against
what the team has, so a misconfiguration fails before anything is written."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from planpilot_provider_linear.client import LinearGraphQL
from planpilot_provider_linear.context import CreationDefaults
from planpilot_provider_linear.graphql.generated import workspace
from planpilot_provider_linear.issues import TeamScale
from planpilot_provider_linear.labels import Label, label_of
from planpilot_providers_core.contracts import FieldConfig
from planpilot_providers_core.errors import ProviderError

__all__ = [
    "PRIORITIES",
    "RemoteTeam",
    "WorkflowState",
    "creation_defaults",
    "duplicate_state",
    "priority_number",
    "read_team",
]

log = logging.getLogger("planpilot.providers.linear")

PRIORITIES = {
    "urgent": 1,
    "high": 2,
    "medium": 3,
    "low": 4,
    "none": 0,
    "no priority": 0,
    "p0": 1,
    "p1": 2,
    "p2": 3,
    "p3": 4,
}
"""Priority names a ``FieldConfig.priority`` may give: Linear's own, and P0 (urgent) to P3 (low)."""


@attrs.frozen
class WorkflowState:
    id: str
    name: str
    type: str
    position: float


@attrs.frozen(kw_only=True)
class RemoteTeam:
    """What entering read of the team and the workspace."""

    id: str
    key: str
    name: str
    scale: TeamScale
    states: tuple[WorkflowState, ...]
    cycles_enabled: bool
    active_cycle: tuple[str, str] | None
    """(id, display name) of the cycle running now."""
    labels: tuple[Label, ...]


async def _pages(
    gql: LinearGraphQL, op: Any, variables: dict[str, Any], first: Any, connection_of: Callable[[Any], Any]
) -> list[Any]:
    """Every node of a connection whose first page is ``first``, paging on with ``op`` (``connection_of`` finds
    the connection in its answer)."""
    nodes = list(first.nodes)
    page = first.page_info
    while page.has_next_page:
        connection = connection_of((await gql.query(op, {**variables, "after": page.end_cursor})).data)
        nodes += connection.nodes
        page = connection.page_info
    return nodes


async def read_team(gql: LinearGraphQL, key: str) -> RemoteTeam:
    """The team ``key`` names, with its labels and the workspace's; a clear error when it is not visible."""
    answer = await gql.query(workspace.Operations.query.team_by_key, {"key": key})
    teams = list(answer.data.teams.nodes)
    if not teams:
        raise ProviderError(
            f"Linear has no team with key {key!r} that this credential can see; check --target (the prefix of the "
            "team's issue identifiers) and that the API key's access includes the team"
        )
    team = teams[0]
    team_labels = await _pages(
        gql, workspace.Operations.query.team_labels, {"teamId": team.id}, team.labels, lambda data: data.team.labels
    )
    first = await gql.query(workspace.Operations.query.workspace_labels, {})
    workspace_labels = await _pages(
        gql, workspace.Operations.query.workspace_labels, {}, first.data.issue_labels, lambda data: data.issue_labels
    )
    states = tuple(WorkflowState(s.id, s.name, s.type, float(s.position)) for s in team.states.nodes)
    cycle = team.active_cycle
    return RemoteTeam(
        id=str(team.id),
        key=str(team.key),
        name=str(team.name),
        scale=TeamScale.of(
            str(team.issue_estimation_type),
            extended=bool(team.issue_estimation_extended),
            allow_zero=bool(team.issue_estimation_allow_zero),
        ),
        states=tuple(sorted(states, key=lambda s: s.position)),
        cycles_enabled=bool(team.cycles_enabled),
        active_cycle=(str(cycle.id), cycle.name or f"Cycle {round(cycle.number)}") if cycle else None,
        labels=(
            *(label_of(node, str(team.id)) for node in team_labels),
            *(label_of(node, None) for node in workspace_labels),
        ),
    )


async def read_project(gql: LinearGraphQL, slug_id: str, team: RemoteTeam, board_url: str) -> tuple[str, str]:
    """(id, name) of the project a board URL names, checked to include the team."""
    answer = await gql.query(workspace.Operations.query.project_by_slug, {"slugId": slug_id})
    projects = list(answer.data.projects.nodes)
    if not projects:
        raise ProviderError(
            f"Linear has no project {board_url!r} that this credential can see; check --board-url (copy it from "
            "the project's page)"
        )
    project = projects[0]
    if team.id not in {str(node.id) for node in project.teams.nodes}:
        raise ProviderError(
            f"Linear project {project.name!r} does not include team {team.key}; add the team to the project in "
            "Linear, or choose another --board-url"
        )
    return str(project.id), str(project.name)


def _state(states: Sequence[WorkflowState], wanted: str) -> WorkflowState:
    """A state by name, else by type (``backlog`` is the team's first backlog state), ignoring case."""
    key = wanted.strip().casefold()
    for state in states:
        if state.name.casefold() == key:
            return state
    for state in states:
        if state.type.casefold() == key:
            return state
    names = ", ".join(state.name for state in states) or "none"
    raise ProviderError(
        f"the team has no workflow state {wanted!r} for new issues (its states: {names}); set "
        "FieldConfig.status to one of them, a state type such as 'backlog', or None for the team's default"
    )


def duplicate_state(states: Sequence[WorkflowState]) -> WorkflowState | None:
    """Where Linear puts a duplicate: a ``duplicate`` state if the team has one, else its first ``canceled``."""
    for kind in ("duplicate", "canceled"):
        found = next((state for state in states if state.type == kind), None)
        if found is not None:
            return found
    return None


def priority_number(wanted: str) -> int:
    """Linear's priority number for a name (``High``, ``P1``) or a number 0 to 4."""
    key = wanted.strip().casefold()
    if key in PRIORITIES:
        return PRIORITIES[key]
    if key.isdigit() and 0 <= int(key) <= 4:
        return int(key)
    raise ProviderError(
        f"priority {wanted!r} is not one of Linear's: Urgent, High, Medium, Low, No priority (or P0 to P3, "
        "or 0 to 4); set FieldConfig.priority to one of them, or None"
    )


async def _cycle(gql: LinearGraphQL, team: RemoteTeam, wanted: str) -> tuple[str, str] | None:
    if not team.cycles_enabled:
        log.info("team %s does not use cycles; new issues get none", team.key)
        return None
    if wanted.strip().casefold() == "active":
        if team.active_cycle is None:
            log.warning("team %s has no active cycle; new issues get none", team.key)
        return team.active_cycle
    key = wanted.strip().casefold().removeprefix("cycle").strip()
    cycles: list[Any] = []
    after: str | None = None
    while True:
        answer = await gql.query(workspace.Operations.query.team_cycles, {"teamId": team.id, "after": after})
        connection = answer.data.team.cycles
        cycles += connection.nodes
        if not connection.page_info.has_next_page:
            break
        after = connection.page_info.end_cursor
    cycles.sort(key=lambda cycle: cycle.number)
    for cycle in cycles:
        name = cycle.name or f"Cycle {round(cycle.number)}"
        if key in (str(round(cycle.number)), (cycle.name or "").casefold()) or wanted.casefold() == name.casefold():
            return str(cycle.id), name
    names = ", ".join(cycle.name or f"Cycle {round(cycle.number)}" for cycle in cycles) or "none"
    raise ProviderError(
        f"team {team.key} has no cycle {wanted!r} (its cycles: {names}); set FieldConfig.iteration to one of them, "
        "'active', or None"
    )


async def creation_defaults(
    gql: LinearGraphQL, team: RemoteTeam, config: FieldConfig, project: tuple[str, str] | None
) -> CreationDefaults:
    """The state, priority, cycle and project new issues get, each checked against the team."""
    state = _state(team.states, config.status) if config.status is not None else None
    cycle = await _cycle(gql, team, config.iteration) if config.iteration is not None else None
    return CreationDefaults(
        state_id=state.id if state else None,
        state_name=state.name if state else None,
        priority=priority_number(config.priority) if config.priority is not None else None,
        cycle_id=cycle[0] if cycle else None,
        cycle_name=cycle[1] if cycle else None,
        project_id=project[0] if project else None,
        project_name=project[1] if project else None,
    )
