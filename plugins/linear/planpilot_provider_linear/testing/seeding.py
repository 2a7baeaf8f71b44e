"""Seeding and inspection helpers on top of the workspace rules, for tests, scenarios and demos.

Every helper takes names (a team key, a label name, an issue identifier) instead of ids, takes the lock
itself, and goes through the same rules as the API (:class:`~.state.Workspace`), so a seeded world is one the
API could have produced.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from .model import Cycle, Issue, Label, Project, Relation, Team, WorkflowState
from .state import Workspace

__all__ = ["DEFAULT_STATES", "LinearState"]

DEFAULT_STATES: tuple[tuple[str, str], ...] = (
    ("Backlog", "backlog"),
    ("Todo", "unstarted"),
    ("In Progress", "started"),
    ("Done", "completed"),
    ("Canceled", "canceled"),
)
"""A new Linear team's workflow: name and type of each state, in board order."""
_STATE_COLORS = {
    "triage": "#fc7840",
    "backlog": "#bec2c8",
    "unstarted": "#e2e2e2",
    "started": "#f2c94c",
    "completed": "#5e6ad2",
    "canceled": "#95a2b3",
    "duplicate": "#95a2b3",
}


class LinearState(Workspace):
    """The emulator's workspace: the API's rules (:class:`~.state.Workspace`) plus helpers to seed and read it."""

    def add_team(
        self,
        key: str,
        name: str | None = None,
        *,
        estimation_type: str = "notUsed",
        extended: bool = False,
        allow_zero: bool = False,
        cycles_enabled: bool = False,
        triage_enabled: bool = False,
        states: Sequence[tuple[str, str]] = DEFAULT_STATES,
        parent: str | None = None,
    ) -> Team:
        """A team with ``key`` (``ENG``) and its workflow states (triage added when ``triage_enabled``)."""
        with self.lock:
            if any(team.key.lower() == key.lower() for team in self.teams.values()):
                raise ValueError(f"team {key!r} already exists")
            now = self.now()
            team = Team(
                id=self.new_id(),
                key=key.upper(),
                name=name or key.title(),
                organization=self.organization,
                created_at=now,
                updated_at=now,
                issue_estimation_type=estimation_type,
                issue_estimation_extended=extended,
                issue_estimation_allow_zero=allow_zero,
                cycles_enabled=cycles_enabled,
                triage_enabled=triage_enabled,
                parent=self.team_by_key(parent) if parent else None,
            )
            self.teams[team.id] = team
            if triage_enabled and not any(kind == "triage" for _, kind in states):
                self.add_state(key, "Triage", "triage", position=-1.0)
            for position, (state_name, kind) in enumerate(states):
                self.add_state(key, state_name, kind, position=float(position))
            return team

    def add_state(self, team: str, name: str, kind: str, *, position: float | None = None) -> WorkflowState:
        """A workflow state of ``kind`` (``backlog``, ``started``, ...) at the end of the team's board."""
        with self.lock:
            owner = self.team_by_key(team)
            now = self.now()
            state = WorkflowState(
                id=self.new_id(),
                name=name,
                type=kind,
                position=position if position is not None else float(len(owner.states)),
                color=_STATE_COLORS.get(kind, "#bec2c8"),
                team=owner,
                created_at=now,
                updated_at=now,
            )
            self.states[state.id] = state
            owner.states.append(state)
            return state

    def add_label(
        self,
        name: str,
        team: str | None = None,
        *,
        is_group: bool = False,
        parent: str | None = None,
        color: str | None = None,
        id: str | None = None,
    ) -> Label:
        """A team label (``team`` = its key) or a workspace label (no team); ``parent`` names a group label."""
        with self.lock:
            owner = self.team_by_key(team) if team else None
            parent_label = self.label_named(parent, team) if parent else None
            return self.create_label(
                name=name,
                team_id=owner.id if owner else None,
                id=id,
                color=color,
                is_group=is_group,
                parent_id=parent_label.id if parent_label else None,
            )

    def label_named(self, name: str, team: str | None = None) -> Label:
        """The label ``name`` of team ``team`` (or of the workspace); ``KeyError`` when there is none."""
        with self.lock:
            owner = self.team_by_key(team) if team else None
            found = next(
                (lab for lab in self.labels.values() if lab.team is owner and lab.name.lower() == name.lower()), None
            )
            if found is None:
                raise KeyError(f"no label {name!r} in {'team ' + team if team else 'the workspace'}")
            return found

    def add_cycle(
        self, team: str, *, starts_at: datetime, ends_at: datetime, number: int | None = None, name: str | None = None
    ) -> Cycle:
        """A cycle of ``team`` (numbered after the last one); it is active while the clock is inside it."""
        with self.lock:
            owner = self.team_by_key(team)
            if ends_at <= starts_at:
                raise ValueError("a cycle must end after it starts")
            cycle = Cycle(
                id=self.new_id(),
                number=number if number is not None else len(owner.cycles) + 1,
                name=name,
                starts_at=starts_at,
                ends_at=ends_at,
                team=owner,
                created_at=self.now(),
            )
            owner.cycles.append(cycle)
            owner.cycles_enabled = True
            self.cycles[cycle.id] = cycle
            return cycle

    def active_cycle(self, team: Team) -> Cycle | None:
        now = self.now()
        return next((c for c in team.cycles if c.starts_at <= now < c.ends_at), None)

    def add_project(self, name: str, teams: Sequence[str] = (), *, slug_id: str | None = None) -> Project:
        """A project spanning ``teams`` (keys); ``slug_id`` is the 12 hex digits at the end of its URL."""
        with self.lock:
            now = self.now()
            project = Project(
                id=self.new_id(),
                name=name,
                slug_id=slug_id or self.new_id().replace("-", "")[:12],
                organization=self.organization,
                created_at=now,
                updated_at=now,
                teams=[self.team_by_key(key) for key in teams],
            )
            self.projects[project.id] = project
            return project

    def project_named(self, name: str) -> Project:
        with self.lock:
            found = next((p for p in self.projects.values() if p.name == name), None)
            if found is None:
                raise KeyError(f"no project named {name!r}")
            return found

    def add_issue(
        self,
        team: str,
        title: str,
        *,
        description: str | None = None,
        labels: Sequence[str] = (),
        state: str | None = None,
        parent: str | None = None,
        priority: int = 0,
        estimate: int | None = None,
        cycle: int | None = None,
        project: str | None = None,
        id: str | None = None,
        created_at: datetime | None = None,
        archived: bool = False,
    ) -> Issue:
        """An issue of ``team``, through ``issueCreate``'s rules; labels by name (team's, else workspace's),
        state by name, parent by identifier, cycle by number, project by name."""
        with self.lock:
            owner = self.team_by_key(team)
            label_ids = [self._label_for_seed(name, owner).id for name in labels]
            state_id = None
            if state is not None:
                match = next((s for s in owner.states if s.name.lower() == state.lower()), None)
                if match is None:
                    raise KeyError(f"team {owner.key} has no state {state!r}")
                state_id = match.id
            cycle_id = None
            if cycle is not None:
                found = next((c for c in owner.cycles if c.number == cycle), None)
                if found is None:
                    raise KeyError(f"team {owner.key} has no cycle {cycle}")
                cycle_id = found.id
            issue = self.create_issue(
                team_id=owner.id,
                title=title,
                description=description,
                id=id,
                label_ids=label_ids,
                parent_id=parent,
                state_id=state_id,
                priority=priority,
                estimate=estimate,
                cycle_id=cycle_id,
                project_id=self.project_named(project).id if project else None,
                created_at=created_at,
            )
            if archived:
                self.archive_issue(issue.id)
            return issue

    def _label_for_seed(self, name: str, team: Team) -> Label:
        try:
            return self.label_named(name, team.key)
        except KeyError:
            return self.label_named(name)

    def relate(self, source: str, target: str, kind: str = "blocks") -> Relation:
        """``source`` <kind> ``target`` (identifiers): ``relate("ENG-1", "ENG-2")`` = ENG-1 blocks ENG-2."""
        with self.lock:
            return self.create_relation(issue_id=source, related_issue_id=target, type=kind)

    def issue(self, ref: str) -> Issue:
        """An issue by identifier or UUID (inspection; ``KeyError`` when there is none)."""
        with self.lock:
            found = self.find_issue(ref)
            if found is None:
                raise KeyError(f"no issue {ref!r}")
            return found

    def blockers_of(self, ref: str) -> list[str]:
        """Identifiers of the issues that block ``ref`` (its incoming ``blocks`` relations), in creation order."""
        with self.lock:
            return [r.issue.identifier for r in self.issue(ref).inverse_relations if r.type == "blocks"]
