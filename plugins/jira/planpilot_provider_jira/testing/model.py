"""The emulated site's objects: projects, issue types, statuses and their workflow, fields, priorities, link
types, issues and links, boards and sprints. Plain mutable records; the rules live in :mod:`.state`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import Factory, define, frozen

__all__ = [
    "Board",
    "BulkTask",
    "CustomField",
    "IndexEntry",
    "Issue",
    "IssueType",
    "Link",
    "LinkType",
    "Priority",
    "Project",
    "Sprint",
    "Status",
    "Transition",
    "User",
]


@frozen
class User:
    account_id: str
    display_name: str
    email: str


@frozen
class Status:
    id: str
    name: str
    category: str  # "new" | "indeterminate" | "done" (Jira's status category keys)


@frozen
class Transition:
    """A workflow transition: ``sources`` empty means global (from any status)."""

    id: str
    name: str
    to: Status
    sources: tuple[str, ...]  # status ids

    def available_from(self, status: Status) -> bool:
        return not self.sources or status.id in self.sources


@frozen
class IssueType:
    id: str
    name: str
    hierarchy_level: int  # 1 epic, 0 standard, -1 sub-task (Jira's hierarchyLevel)
    description: str = ""

    @property
    def subtask(self) -> bool:
        return self.hierarchy_level < 0


@frozen
class Priority:
    id: str
    name: str
    status_color: str
    is_default: bool = False


@frozen
class LinkType:
    id: str
    name: str
    inward: str
    outward: str


@frozen
class CustomField:
    """A custom field: ``kind`` is ``number``, ``select`` (``options``: id → value), ``sprint``, ``rank`` or
    ``text``; ``custom`` is Jira's type key (``schema.custom``)."""

    id: str  # customfield_NNNNN
    name: str
    kind: str
    custom: str
    options: tuple[tuple[str, str], ...] = ()

    @property
    def custom_id(self) -> int:
        return int(self.id.rsplit("_", 1)[1])

    def option(self, *, id: str | None = None, value: str | None = None) -> tuple[str, str] | None:
        for option_id, option_value in self.options:
            if (id is not None and option_id == id) or (value is not None and option_value == value):
                return option_id, option_value
        return None


@define(eq=False)
class Project:
    id: str
    key: str
    name: str
    lead: User
    style: str = "classic"  # "classic" (company-managed) or "next-gen" (team-managed)
    issue_types: list[IssueType] = Factory(list)
    statuses: list[Status] = Factory(list)
    transitions: list[Transition] = Factory(list)
    initial_status: Status | None = None
    fields: list[str] = Factory(list)
    """Custom field ids on this project's create and edit screens."""
    next_number: int = 1

    def issue_type(self, *, id: str | None = None, name: str | None = None) -> IssueType | None:
        for issue_type in self.issue_types:
            if (id is not None and issue_type.id == id) or (name is not None and issue_type.name == name):
                return issue_type
        return None


@frozen
class IndexEntry:
    """What the search index holds for an issue from ``at`` on (search lags writes)."""

    at: datetime
    deleted: bool
    project: str
    key: str
    issue_type: str
    status: str
    status_category: str
    labels: frozenset[str]
    summary: str
    description: str
    parent: str | None
    priority: str
    created: datetime
    updated: datetime
    sprint: int | None


@define(eq=False)
class Issue:
    id: int
    key: str
    project: Project
    issue_type: IssueType
    summary: str
    description: dict[str, Any] | None
    status: Status
    priority: Priority
    reporter: User
    created: datetime
    updated: datetime
    labels: list[str] = Factory(list)
    parent: Issue | None = None
    custom: dict[str, Any] = Factory(dict)  # custom field id -> stored value
    sprint: Sprint | None = None
    properties: dict[str, Any] = Factory(dict)
    resolution_date: datetime | None = None
    deleted: bool = False
    index: list[IndexEntry] = Factory(list)


@define(eq=False)
class Link:
    """``inward`` is the issue the type's inward phrase is read from the outward side: for "Blocks" with
    ``inwardIssue: A, outwardIssue: B`` on create, A blocks B (A is ``inward``)."""

    id: int
    type: LinkType
    inward: Issue
    outward: Issue


@define(eq=False)
class Sprint:
    id: int
    name: str
    state: str  # "future" | "active" | "closed"
    board_id: int
    goal: str = ""
    start: datetime | None = None
    end: datetime | None = None
    complete: datetime | None = None
    created: datetime | None = None


@define(eq=False)
class Board:
    id: int
    name: str
    type: str  # "scrum" | "kanban"
    project: Project
    filter_id: int
    sprints: list[Sprint] = Factory(list)


@define(eq=False)
class BulkTask:
    """A bulk operation (a bulk move): the emulator carries it out when it is submitted, so it is complete at once."""

    id: int
    submitted_by: User
    created: datetime
    total: int
    processed: list[int] = Factory(list)
    failed: dict[str, list[str]] = Factory(dict)
    invalid: int = 0
