"""The emulator's Linear objects: plain mutable records the resolvers read attribute by attribute
(``labelIds`` -> ``label_ids``). Every rule about them lives in :mod:`.state`; this module only holds data
and what follows from it: an issue's identifier and URL, a team's default state and estimate scale
(:mod:`planpilot_provider_linear.estimates`)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import ClassVar

from attrs import Factory, define

from planpilot_provider_linear.estimates import estimate_scale

__all__ = [
    "PRIORITY_LABELS",
    "STATE_TYPES",
    "Cycle",
    "Issue",
    "Label",
    "Organization",
    "Project",
    "Relation",
    "Team",
    "User",
    "WorkflowState",
]

STATE_TYPES = ("triage", "backlog", "unstarted", "started", "completed", "canceled", "duplicate")
"""``WorkflowState.type`` values (notes §5)."""
PRIORITY_LABELS = {0: "No priority", 1: "Urgent", 2: "High", 3: "Medium", 4: "Low"}
"""``priority`` values of ``IssueCreateInput`` (its description) and their labels."""

_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:60].strip("-")


@define(eq=False)
class Organization:
    graphql_typename: ClassVar[str] = "Organization"
    id: str
    name: str
    url_key: str
    created_at: datetime


@define(eq=False)
class User:
    graphql_typename: ClassVar[str] = "User"
    id: str
    name: str
    display_name: str
    email: str
    organization: Organization
    created_at: datetime
    active: bool = True
    admin: bool = False


@define(eq=False)
class WorkflowState:
    graphql_typename: ClassVar[str] = "WorkflowState"
    id: str
    name: str
    type: str
    position: float
    color: str
    team: Team
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    archived_at: datetime | None = None


@define(eq=False)
class Label:
    graphql_typename: ClassVar[str] = "IssueLabel"
    id: str
    name: str
    color: str
    team: Team | None  # None: a workspace label, available to every team
    organization: Organization
    created_at: datetime
    updated_at: datetime
    is_group: bool = False
    parent: Label | None = None
    description: str | None = None
    archived_at: datetime | None = None
    retired_at: datetime | None = None


@define(eq=False)
class Cycle:
    graphql_typename: ClassVar[str] = "Cycle"
    id: str
    number: int
    name: str | None
    starts_at: datetime
    ends_at: datetime
    team: Team
    created_at: datetime


@define(eq=False)
class Project:
    graphql_typename: ClassVar[str] = "Project"
    id: str
    name: str
    slug_id: str
    organization: Organization
    created_at: datetime
    updated_at: datetime
    teams: list[Team] = Factory(list)
    status_type: str = "started"
    archived_at: datetime | None = None

    @property
    def url(self) -> str:
        return f"https://linear.app/{self.organization.url_key}/project/{slugify(self.name)}-{self.slug_id}"


@define(eq=False)
class Team:
    graphql_typename: ClassVar[str] = "Team"
    id: str
    key: str
    name: str
    organization: Organization
    created_at: datetime
    updated_at: datetime
    issue_estimation_type: str = "notUsed"
    issue_estimation_allow_zero: bool = False
    issue_estimation_extended: bool = False
    default_issue_estimate: float = 1.0
    cycles_enabled: bool = False
    triage_enabled: bool = False
    states: list[WorkflowState] = Factory(list)
    labels: list[Label] = Factory(list)
    cycles: list[Cycle] = Factory(list)
    issue_count: int = 0  # the last number given to one of its issues
    parent: Team | None = None
    description: str | None = None
    archived_at: datetime | None = None

    @property
    def estimate_scale(self) -> tuple[int, ...]:
        return estimate_scale(
            self.issue_estimation_type,
            extended=self.issue_estimation_extended,
            allow_zero=self.issue_estimation_allow_zero,
        )

    @property
    def default_issue_state(self) -> WorkflowState | None:
        """Where an issue created without ``stateId`` goes: triage when enabled, else the first backlog state
        (notes §1.1)."""
        wanted = "triage" if self.triage_enabled else "backlog"
        ordered = sorted(self.states, key=lambda s: s.position)
        return next((s for s in ordered if s.type == wanted), ordered[0] if ordered else None)


@define(eq=False)
class Relation:
    graphql_typename: ClassVar[str] = "IssueRelation"
    id: str
    type: str  # blocks | duplicate | related | similar; the source issue <type> the related issue
    issue: Issue
    related_issue: Issue
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None = None


@define(eq=False)
class Issue:
    graphql_typename: ClassVar[str] = "Issue"
    id: str
    team: Team
    number: int
    title: str
    description: str | None
    state: WorkflowState
    creator: User
    created_at: datetime
    updated_at: datetime
    priority: int = 0
    estimate: int | None = None
    labels: list[Label] = Factory(list)
    parent: Issue | None = None
    project: Project | None = None
    cycle: Cycle | None = None
    children: list[Issue] = Factory(list)
    relations: list[Relation] = Factory(list)  # where this issue is the source
    inverse_relations: list[Relation] = Factory(list)  # where it is the target
    archived_at: datetime | None = None
    trashed: bool | None = None
    sort_order: float = 0.0
    previous_identifiers: list[str] = Factory(list)
    # (when, title, description): what the search index saw, so searchIssues can lag behind writes
    search_history: list[tuple[datetime, str, str]] = Factory(list)

    @property
    def identifier(self) -> str:
        return f"{self.team.key}-{self.number}"

    @property
    def url(self) -> str:
        org = self.team.organization.url_key
        slug = slugify(self.title)
        return f"https://linear.app/{org}/issue/{self.identifier}" + (f"/{slug}" if slug else "")

    @property
    def label_ids(self) -> list[str]:
        return [label.id for label in self.labels]

    @property
    def priority_label(self) -> str:
        return PRIORITY_LABELS.get(self.priority, "No priority")

    @property
    def branch_name(self) -> str:
        return f"{self.identifier.lower()}-{slugify(self.title)}".rstrip("-")
