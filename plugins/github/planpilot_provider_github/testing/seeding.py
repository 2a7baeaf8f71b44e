"""Building a world for a test, a scenario or a benchmark: owners, repositories, issue types, labels, issues,
boards, fields, values and links, addressed by the names a person sees (no GraphQL, no request accounting).

:class:`Seeding` is a mixin of :class:`~.state.EmulatorState`, so ``emulator.state.add_issue(...)`` works.
Every helper takes the state lock itself and goes through the same rules (:class:`~.store.Store`) as the
GraphQL mutations, so a seeded world obeys GitHub's limits too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from attrs import frozen

from .model import (
    DATA_TYPES,
    FieldValue,
    Issue,
    IssueType,
    Iteration,
    Label,
    Owner,
    Project,
    ProjectField,
    ProjectItem,
    Repository,
    SelectOption,
)
from .store import Store

__all__ = ["BUILTIN_FIELDS", "IssueSeed", "IterationSpec", "Seeding"]

BUILTIN_FIELDS: tuple[tuple[str, str], ...] = (
    ("Title", "TITLE"),
    ("Assignees", "ASSIGNEES"),
    ("Labels", "LABELS"),
    ("Repository", "REPOSITORY"),
    ("Milestone", "MILESTONE"),
    ("Parent issue", "PARENT_ISSUE"),
)


@frozen
class IssueSeed:
    """One issue for :meth:`Seeding.add_issues`; labels are names (created on demand)."""

    title: str
    body: str = ""
    labels: tuple[str, ...] = ()
    issue_type: str | None = None
    state: str = "OPEN"
    created_at: datetime | None = None


@frozen
class IterationSpec:
    title: str
    start_date: date
    duration: int = 14


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"datetime {value!r} must be timezone-aware")
    return value.astimezone(UTC).replace(microsecond=0)


class Seeding(Store):
    """Seeding helpers; names in, live model objects out."""

    def add_organization(self, login: str) -> Owner:
        return self._add_owner(login, "Organization")

    def add_user(self, login: str) -> Owner:
        return self._add_owner(login, "User")

    def add_repository(self, owner: str, name: str) -> Repository:
        with self.lock:
            owner_obj = self.owner(owner)
            key = f"{owner_obj.login}/{name}".lower()
            if key in self._repositories:
                raise ValueError(f"repository {owner}/{name} already exists")
            node_id, db_id = self._next_id("R")
            repo = Repository(id=node_id, database_id=db_id, owner=owner_obj, name=name, created_at=self.now())
            self._repositories[key] = repo
            self._register(node_id, repo)
            return repo

    def add_issue_type(
        self, organization: str, name: str, *, description: str | None = None, enabled: bool = True
    ) -> IssueType:
        """Issue types belong to organizations; GitHub has none for user accounts."""
        with self.lock:
            owner = self.owner(organization)
            if owner.kind != "Organization":
                raise ValueError(f"{organization} is a user: issue types exist only for organizations")
            if any(t.name.lower() == name.lower() for t in owner.issue_types):
                raise ValueError(f"issue type {name!r} already exists in {organization}")
            node_id, db_id = self._next_id("IT")
            issue_type = IssueType(
                id=node_id, database_id=db_id, owner=owner, name=name, description=description, is_enabled=enabled
            )
            owner.issue_types.append(issue_type)
            self._register(node_id, issue_type)
            return issue_type

    def add_label(self, repository: str, name: str, *, color: str = "ededed", description: str | None = None) -> Label:
        with self.lock:
            return self._create_label(self.repository(repository), name, color, description)

    def _label_for_seed(self, repo: Repository, name: str) -> Label:
        return repo.labels.get(name.lower()) or self._create_label(repo, name, "ededed", None)

    def _type_for_seed(self, repo: Repository, name: str | None) -> IssueType | None:
        if name is None:
            return None
        found = next((t for t in repo.owner.issue_types if t.name.lower() == name.lower()), None)
        if found is None:
            raise ValueError(f"{repo.owner.login} has no issue type {name!r}")
        return found

    def add_issue(
        self,
        repository: str,
        title: str,
        body: str = "",
        *,
        labels: Iterable[str] = (),
        issue_type: str | None = None,
        state: str = "OPEN",
        created_at: datetime | None = None,
    ) -> Issue:
        """Seed one issue (missing labels are created). It enters the search index at ``created_at``."""
        seed = IssueSeed(title, body, tuple(labels), issue_type, state, created_at)
        return self.add_issues(repository, [seed])[0]

    def add_issues(self, repository: str, seeds: Iterable[IssueSeed]) -> list[Issue]:
        """Seed many issues in one go (thousands per second): no GraphQL, one lock acquisition."""
        with self.lock:
            repo = self.repository(repository)
            author = self.viewer()
            now = self.now()
            created: list[Issue] = []
            for seed in seeds:
                if seed.state not in {"OPEN", "CLOSED"}:
                    raise ValueError(f"issue state must be OPEN or CLOSED, not {seed.state!r}")
                at = _aware(seed.created_at) if seed.created_at else now
                issue = self._insert_issue(
                    repo, title=seed.title, body=seed.body, state=seed.state, at=at, author=author
                )
                issue.labels = [self._label_for_seed(repo, name) for name in dict.fromkeys(seed.labels)]
                issue.issue_type = self._type_for_seed(repo, seed.issue_type)
                issue.index.append(issue.snapshot(at))
                created.append(issue)
            return created

    def add_project(self, owner: str, title: str, *, number: int | None = None, builtin_fields: bool = True) -> Project:
        """A Projects v2 board; ``builtin_fields`` adds GitHub's own fields (Title, Labels, ...) like a real board."""
        with self.lock:
            owner_obj = self.owner(owner)
            number = number or max(owner_obj.projects, default=0) + 1
            if number in owner_obj.projects:
                raise ValueError(f"{owner} already has project {number}")
            node_id, db_id = self._next_id("PVT")
            project = Project(
                id=node_id, database_id=db_id, owner=owner_obj, number=number, title=title, created_at=self.now()
            )
            owner_obj.projects[number] = project
            self._register(node_id, project)
            if builtin_fields:
                for name, data_type in BUILTIN_FIELDS:
                    self.add_field(project, name, data_type)
            return project

    def add_field(
        self,
        project: Project,
        name: str,
        data_type: str,
        *,
        options: Sequence[str] = (),
        iterations: Sequence[IterationSpec] = (),
        completed_iterations: Sequence[IterationSpec] = (),
        duration: int = 14,
    ) -> ProjectField:
        with self.lock:
            if data_type not in DATA_TYPES:
                raise ValueError(f"unsupported field data type {data_type!r}; use one of {sorted(DATA_TYPES)}")
            if project.field_named(name) is not None:
                raise ValueError(f"project {project.number} already has a field {name!r}")
            prefix = {"SINGLE_SELECT": "PVTSSF", "ITERATION": "PVTIF"}.get(data_type, "PVTF")
            node_id, db_id = self._next_id(prefix)
            project_field = ProjectField(
                id=node_id,
                database_id=db_id,
                project=project,
                name=name,
                data_type=data_type,
                created_at=self.now(),
                options=[SelectOption(id=self._short_id("option"), name=o) for o in options],
                iterations=[self._iteration(spec) for spec in iterations],
                completed_iterations=[self._iteration(spec) for spec in completed_iterations],
                duration=duration,
            )
            project.fields.append(project_field)
            self._register(node_id, project_field)
            return project_field

    def _iteration(self, spec: IterationSpec) -> Iteration:
        return Iteration(
            id=self._short_id("iteration"), title=spec.title, start_date=spec.start_date, duration=spec.duration
        )

    def add_to_project(self, project: Project, issue: Issue) -> ProjectItem:
        with self.lock:
            return self._add_item(project, issue)

    def set_field(self, item: ProjectItem, field_name: str, value: str | float | date) -> FieldValue:
        """Seed a value by what a person sees: option name, iteration title, number, text or date."""
        with self.lock:
            project_field = item.project.field_named(field_name)
            if project_field is None:
                raise KeyError(f"project {item.project.number} has no field {field_name!r}")
            stored: str | float | date = value
            if project_field.data_type == "SINGLE_SELECT":
                option = next((o for o in project_field.options if o.name == value), None)
                if option is None:
                    raise KeyError(f"field {field_name!r} has no option {value!r}")
                stored = option.id
            elif project_field.data_type == "ITERATION":
                iteration = next(
                    (i for i in [*project_field.iterations, *project_field.completed_iterations] if i.title == value),
                    None,
                )
                if iteration is None:
                    raise KeyError(f"field {field_name!r} has no iteration {value!r}")
                stored = iteration.id
            elif project_field.data_type == "NUMBER":
                if isinstance(value, date):
                    raise ValueError(f"field {field_name!r} is a NUMBER field, not a date")
                stored = float(value)
            return self._store_value(item, project_field, stored)

    def link_sub_issue(self, parent: Issue, child: Issue, *, replace_parent: bool = False) -> None:
        with self.lock:
            self._link_sub_issue(parent, child, replace_parent=replace_parent)

    def link_blocked_by(self, issue: Issue, blocker: Issue) -> None:
        with self.lock:
            self._link_blocked_by(issue, blocker)

    def remove_issue(self, issue: Issue) -> None:
        with self.lock:
            self._delete(issue)
