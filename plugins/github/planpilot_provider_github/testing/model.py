"""In-memory GitHub objects. Attribute names are the snake_case of the GraphQL field names on purpose:
the default resolver maps ``nameWithOwner`` to ``name_with_owner``, so plain fields need no resolver."""

from __future__ import annotations

import datetime as _dt
from datetime import date, datetime, timedelta
from typing import Literal

from attrs import Factory, define, frozen

__all__ = [
    "DATA_TYPES",
    "SETTABLE_DATA_TYPES",
    "FieldValue",
    "IndexEntry",
    "Issue",
    "IssueType",
    "Iteration",
    "IterationConfiguration",
    "Label",
    "LabelFieldValue",
    "Owner",
    "OwnerKind",
    "Project",
    "ProjectField",
    "ProjectItem",
    "Repository",
    "SelectOption",
]

OwnerKind = Literal["Organization", "User"]
IssueState = Literal["OPEN", "CLOSED"]

# Field data types a project can be seeded with; the first five can be written with updateProjectV2ItemFieldValue.
SETTABLE_DATA_TYPES = frozenset({"SINGLE_SELECT", "NUMBER", "TEXT", "DATE", "ITERATION"})
DATA_TYPES = SETTABLE_DATA_TYPES | {"TITLE", "ASSIGNEES", "LABELS", "REPOSITORY", "MILESTONE", "PARENT_ISSUE"}


@define(eq=False)
class Owner:
    """An organization or a user: owns repositories, projects and (organizations only) issue types."""

    id: str
    database_id: int
    login: str
    kind: OwnerKind
    created_at: datetime
    issue_types: list[IssueType] = Factory(list)
    projects: dict[int, Project] = Factory(dict)

    @property
    def graphql_typename(self) -> str:
        return self.kind

    @property
    def url(self) -> str:
        return f"https://github.com/{self.login}"

    @property
    def resource_path(self) -> str:
        return f"/{self.login}"

    @property
    def name(self) -> str:
        return self.login

    @property
    def avatar_url(self) -> str:
        return f"https://avatars.githubusercontent.com/u/{self.database_id}"


@define(eq=False)
class Label:
    id: str
    database_id: int
    repository: Repository
    name: str
    color: str
    description: str | None
    created_at: datetime

    graphql_typename = "Label"

    @property
    def url(self) -> str:
        return f"{self.repository.url}/labels/{self.name}"

    @property
    def is_default(self) -> bool:
        return False


@define(eq=False)
class IssueType:
    id: str
    database_id: int
    owner: Owner
    name: str
    description: str | None
    is_enabled: bool
    color: str = "GRAY"

    graphql_typename = "IssueType"

    @property
    def is_private(self) -> bool:
        return False


@define(eq=False)
class Repository:
    id: str
    database_id: int
    owner: Owner
    name: str
    created_at: datetime
    labels: dict[str, Label] = Factory(dict)  # keyed by lower-cased name: names are unique case-insensitively
    issues: dict[int, Issue] = Factory(dict)
    next_number: int = 1

    graphql_typename = "Repository"

    @property
    def name_with_owner(self) -> str:
        return f"{self.owner.login}/{self.name}"

    @property
    def url(self) -> str:
        return f"https://github.com/{self.name_with_owner}"

    @property
    def resource_path(self) -> str:
        return f"/{self.name_with_owner}"

    @property
    def has_issues_enabled(self) -> bool:
        return True

    @property
    def is_private(self) -> bool:
        return False


@frozen
class IndexEntry:
    """What the search index knows about an issue from ``at`` on; search with a lag reads an older entry."""

    at: datetime
    title: str
    body: str
    state: str
    labels: frozenset[str]  # lower-cased names
    type_name: str | None  # lower-cased
    deleted: bool


@define(eq=False)
class Issue:
    id: str
    database_id: int
    repository: Repository
    number: int
    title: str
    body: str
    state: str
    created_at: datetime
    updated_at: datetime
    author: Owner | None
    labels: list[Label] = Factory(list)
    issue_type: IssueType | None = None
    parent: Issue | None = None
    sub_issues: list[Issue] = Factory(list)
    blocked_by: list[Issue] = Factory(list)
    blocking: list[Issue] = Factory(list)
    project_items: list[ProjectItem] = Factory(list)
    closed_at: datetime | None = None
    closed_reason: str | None = None
    """``IssueStateReason`` of a closed issue: COMPLETED, NOT_PLANNED or DUPLICATE."""
    duplicate_of: Issue | None = None
    """The issue this one was closed as a duplicate of (``closeIssue(duplicateIssueId:)``)."""
    deleted: bool = False
    index: list[IndexEntry] = Factory(list)

    graphql_typename = "Issue"

    @property
    def url(self) -> str:
        return f"{self.repository.url}/issues/{self.number}"

    @property
    def resource_path(self) -> str:
        return f"{self.repository.resource_path}/issues/{self.number}"

    @property
    def closed(self) -> bool:
        return self.state == "CLOSED"

    @property
    def locked(self) -> bool:
        return False

    @property
    def body_text(self) -> str:
        return self.body

    @property
    def title_html(self) -> str:
        return self.title

    def state_reason(self, *, enable_duplicate: bool = False) -> str | None:
        """GitHub's ``stateReason``: a duplicate reads NOT_PLANNED unless asked with ``enableDuplicate``."""
        if self.state != "CLOSED":
            return None
        reason = self.closed_reason or "COMPLETED"
        return "NOT_PLANNED" if reason == "DUPLICATE" and not enable_duplicate else reason

    def ancestors(self) -> list[Issue]:
        """Parent first, root last."""
        chain: list[Issue] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    def subtree_height(self) -> int:
        """Levels in the subtree rooted here: 1 for a leaf."""
        return 1 + max((child.subtree_height() for child in self.sub_issues), default=0)

    def snapshot(self, at: datetime) -> IndexEntry:
        return IndexEntry(
            at=at,
            title=self.title,
            body=self.body,
            state=self.state,
            labels=frozenset(label.name.lower() for label in self.labels),
            type_name=self.issue_type.name.lower() if self.issue_type else None,
            deleted=self.deleted,
        )


@frozen
class SelectOption:
    id: str
    name: str
    color: str = "GRAY"
    description: str = ""

    @property
    def name_html(self) -> str:
        return self.name

    @property
    def description_html(self) -> str:
        return self.description


@frozen
class Iteration:
    id: str
    title: str
    start_date: date
    duration: int

    @property
    def title_html(self) -> str:
        return self.title

    @property
    def end_date(self) -> date:
        return self.start_date + timedelta(days=self.duration)


@frozen
class IterationConfiguration:
    iterations: list[Iteration]
    completed_iterations: list[Iteration]
    duration: int
    start_day: int


@define(eq=False)
class ProjectField:
    id: str
    database_id: int
    project: Project
    name: str
    data_type: str
    created_at: datetime
    options: list[SelectOption] = Factory(list)
    iterations: list[Iteration] = Factory(list)
    completed_iterations: list[Iteration] = Factory(list)
    duration: int = 14
    start_day: int = 1

    @property
    def graphql_typename(self) -> str:
        if self.data_type == "SINGLE_SELECT":
            return "ProjectV2SingleSelectField"
        if self.data_type == "ITERATION":
            return "ProjectV2IterationField"
        return "ProjectV2Field"

    @property
    def updated_at(self) -> datetime:
        return self.created_at

    @property
    def configuration(self) -> IterationConfiguration:
        return IterationConfiguration(
            iterations=list(self.iterations),
            completed_iterations=list(self.completed_iterations),
            duration=self.duration,
            start_day=self.start_day,
        )

    def option(self, option_id: str) -> SelectOption | None:
        return next((o for o in self.options if o.id == option_id), None)

    def iteration(self, iteration_id: str) -> Iteration | None:
        return next((i for i in [*self.iterations, *self.completed_iterations] if i.id == iteration_id), None)


@define(eq=False)
class Project:
    id: str
    database_id: int
    owner: Owner
    number: int
    title: str
    created_at: datetime
    fields: list[ProjectField] = Factory(list)
    items: dict[str, ProjectItem] = Factory(dict)  # keyed by the content (issue) id

    graphql_typename = "ProjectV2"

    @property
    def url(self) -> str:
        scope = "orgs" if self.owner.kind == "Organization" else "users"
        return f"https://github.com/{scope}/{self.owner.login}/projects/{self.number}"

    @property
    def resource_path(self) -> str:
        return self.url.removeprefix("https://github.com")

    @property
    def updated_at(self) -> datetime:
        return self.created_at

    @property
    def closed(self) -> bool:
        return False

    @property
    def public(self) -> bool:
        return False

    @property
    def short_description(self) -> str | None:
        return None

    def field_named(self, name: str) -> ProjectField | None:
        return next((f for f in self.fields if f.name == name), None)


@define(eq=False)
class ProjectItem:
    id: str
    database_id: int
    project: Project
    issue: Issue
    created_at: datetime
    updated_at: datetime
    values: dict[str, FieldValue] = Factory(dict)  # keyed by field id

    graphql_typename = "ProjectV2Item"

    @property
    def content(self) -> Issue:
        return self.issue

    @property
    def type(self) -> str:
        return "ISSUE"

    @property
    def is_archived(self) -> bool:
        return False


@define(eq=False)
class FieldValue:
    """One stored value: ``value`` is an option id, iteration id, text, float or date by field type."""

    id: str
    database_id: int
    item: ProjectItem
    field: ProjectField
    value: str | float | date
    created_at: datetime
    updated_at: datetime

    @property
    def graphql_typename(self) -> str:
        return {
            "SINGLE_SELECT": "ProjectV2ItemFieldSingleSelectValue",
            "NUMBER": "ProjectV2ItemFieldNumberValue",
            "DATE": "ProjectV2ItemFieldDateValue",
            "ITERATION": "ProjectV2ItemFieldIterationValue",
        }.get(self.field.data_type, "ProjectV2ItemFieldTextValue")

    def _option(self) -> SelectOption | None:
        return self.field.option(str(self.value)) if self.field.data_type == "SINGLE_SELECT" else None

    def _iteration(self) -> Iteration | None:
        return self.field.iteration(str(self.value)) if self.field.data_type == "ITERATION" else None

    # ProjectV2ItemFieldSingleSelectValue
    @property
    def option_id(self) -> str | None:
        option = self._option()
        return option.id if option else None

    @property
    def name(self) -> str | None:
        option = self._option()
        return option.name if option else None

    @property
    def name_html(self) -> str | None:
        return self.name

    @property
    def color(self) -> str:
        option = self._option()
        return option.color if option else "GRAY"

    @property
    def description(self) -> str | None:
        option = self._option()
        return option.description if option else None

    @property
    def description_html(self) -> str | None:
        return self.description

    # ProjectV2ItemFieldNumberValue / TextValue / DateValue
    @property
    def number(self) -> float | None:
        return float(self.value) if isinstance(self.value, float | int) else None

    @property
    def text(self) -> str | None:
        return self.value if isinstance(self.value, str) and self.field.data_type in {"TEXT", "TITLE"} else None

    @property
    def date(self) -> _dt.date | None:
        return self.value if isinstance(self.value, _dt.date) else None

    # ProjectV2ItemFieldIterationValue
    @property
    def iteration_id(self) -> str:
        iteration = self._iteration()
        return iteration.id if iteration else str(self.value)

    @property
    def title(self) -> str:
        iteration = self._iteration()
        return iteration.title if iteration else ""

    @property
    def title_html(self) -> str:
        return self.title

    @property
    def start_date(self) -> _dt.date | None:
        iteration = self._iteration()
        return iteration.start_date if iteration else None

    @property
    def duration(self) -> int:
        iteration = self._iteration()
        return iteration.duration if iteration else 0

    def display(self) -> str | float | None:
        """The human value: option name, iteration title, number, text or ISO date."""
        data_type = self.field.data_type
        if data_type == "SINGLE_SELECT":
            return self.name
        if data_type == "ITERATION":
            return self.title
        if isinstance(self.value, date):
            return self.value.isoformat()
        return self.value


@define(eq=False)
class LabelFieldValue:
    """The read-only Labels value GitHub shows on every labelled item (never stored)."""

    id: str
    item: ProjectItem
    field: ProjectField

    graphql_typename = "ProjectV2ItemFieldLabelValue"
