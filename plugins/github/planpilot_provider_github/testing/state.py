"""The emulator's in-memory GitHub: registries, seeding and inspection for tests, and the domain rules the
GraphQL mutations apply. Every rule validates first and writes after, so a failing mutation leaves no trace."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from attrs import frozen

from .clock import Clock, SystemClock
from .errors import NOT_FOUND, UNPROCESSABLE, ApiError, node_not_found
from .model import (
    DATA_TYPES,
    SETTABLE_DATA_TYPES,
    FieldValue,
    Issue,
    IssueType,
    Iteration,
    Label,
    Owner,
    OwnerKind,
    Project,
    ProjectField,
    ProjectItem,
    Repository,
    SelectOption,
)

__all__ = [
    "BLOCKED_BY_LIMIT",
    "SUB_ISSUE_DEPTH_LIMIT",
    "SUB_ISSUE_LIMIT",
    "EmulatorState",
    "IssueSeed",
    "IssueView",
    "IterationSpec",
    "ordered_values",
]

SUB_ISSUE_LIMIT = 100
SUB_ISSUE_DEPTH_LIMIT = 8
BLOCKED_BY_LIMIT = 50
BUILTIN_FIELDS: tuple[tuple[str, str], ...] = (
    ("Title", "TITLE"),
    ("Assignees", "ASSIGNEES"),
    ("Labels", "LABELS"),
    ("Repository", "REPOSITORY"),
    ("Milestone", "MILESTONE"),
    ("Parent issue", "PARENT_ISSUE"),
)
_VALUE_KEYS = {
    "SINGLE_SELECT": "singleSelectOptionId",
    "ITERATION": "iterationId",
    "NUMBER": "number",
    "TEXT": "text",
    "DATE": "date",
}
_COLOR = re.compile(r"^[0-9a-fA-F]{6}$")
_ISSUE_URL = re.compile(r"^https://github\.com/([^/]+)/([^/]+)/issues/(\d+)$")

T = TypeVar("T")


@frozen
class IssueSeed:
    """One issue for :meth:`EmulatorState.add_issues`; labels are names (created on demand)."""

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


@frozen
class IssueView:
    """A read-only picture of one issue for assertions; relations are issue numbers in the same repository."""

    id: str
    number: int
    url: str
    title: str
    body: str
    state: str
    created_at: datetime
    updated_at: datetime
    labels: tuple[str, ...]
    issue_type: str | None
    parent: int | None
    sub_issues: tuple[int, ...]
    blocked_by: tuple[int, ...]
    blocking: tuple[int, ...]
    project_fields: Mapping[str, Mapping[str, Any]]  # "owner/number" -> {field name: display value}
    deleted: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "url": self.url,
            "title": self.title,
            "state": self.state,
            "createdAt": _iso(self.created_at),
            "updatedAt": _iso(self.updated_at),
            "labels": list(self.labels),
            "issueType": self.issue_type,
            "parent": self.parent,
            "subIssues": list(self.sub_issues),
            "blockedBy": list(self.blocked_by),
            "blocking": list(self.blocking),
            "projectFields": {key: dict(values) for key, values in self.project_fields.items()},
            "deleted": self.deleted,
        }


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"datetime {value!r} must be timezone-aware")
    return value.astimezone(UTC).replace(microsecond=0)


class EmulatorState:
    """All GitHub objects of one emulator. Seeding and inspection methods take ``lock`` themselves; the
    mutation rules (``create_issue`` ...) expect the caller (the request executor) to hold it."""

    def __init__(self, clock: Clock | None = None, *, viewer_login: str = "octo", lock: threading.RLock | None = None):
        self.clock: Clock = clock or SystemClock()
        self.viewer_login = viewer_login
        self.lock = lock or threading.RLock()
        self._counter = 0
        self._nodes: dict[str, object] = {}
        self._owners: dict[str, Owner] = {}
        self._repositories: dict[str, Repository] = {}

    # ----------------------------------------------------------------------------------------- ids, time
    def now(self) -> datetime:
        return self.clock.now().astimezone(UTC).replace(microsecond=0)

    def _next_id(self, prefix: str) -> tuple[str, int]:
        self._counter += 1
        raw = base64.urlsafe_b64encode(self._counter.to_bytes(6, "big")).decode().rstrip("=")
        return f"{prefix}_kwDO{raw}", self._counter

    def _short_id(self, kind: str) -> str:
        self._counter += 1
        return hashlib.sha1(f"{kind}:{self._counter}".encode()).hexdigest()[:8]

    def _register(self, node_id: str, obj: object) -> None:
        self._nodes[node_id] = obj

    # ----------------------------------------------------------------------------------------- lookups
    def node(self, node_id: str) -> object | None:
        """The live object behind a global id, or None (unknown or deleted)."""
        return self._nodes.get(node_id)

    def get_node(self, node_id: str, cls: type[T]) -> T:
        obj = self._nodes.get(node_id)
        if not isinstance(obj, cls):
            raise node_not_found(node_id)
        return obj

    def find_owner(self, login: str) -> Owner | None:
        return self._owners.get(login.lower())

    def find_repository(self, owner: str, name: str) -> Repository | None:
        return self._repositories.get(f"{owner}/{name}".lower())

    def owner(self, login: str) -> Owner:
        found = self.find_owner(login)
        if found is None:
            raise KeyError(f"no owner named {login!r}")
        return found

    def repository(self, name_with_owner: str) -> Repository:
        found = self._repositories.get(name_with_owner.lower())
        if found is None:
            raise KeyError(f"no repository named {name_with_owner!r}")
        return found

    def repositories(self) -> list[Repository]:
        return list(self._repositories.values())

    def project(self, owner: str, number: int) -> Project:
        found = self.owner(owner).projects.get(number)
        if found is None:
            raise KeyError(f"{owner} has no project {number}")
        return found

    def viewer(self) -> Owner:
        """The authenticated user; created on first use so an empty emulator still has a viewer."""
        with self.lock:
            return self.find_owner(self.viewer_login) or self.add_user(self.viewer_login)

    # ----------------------------------------------------------------------------------------- seeding
    def _add_owner(self, login: str, kind: OwnerKind) -> Owner:
        with self.lock:
            if login.lower() in self._owners:
                raise ValueError(f"owner {login!r} already exists")
            node_id, db_id = self._next_id("O" if kind == "Organization" else "U")
            owner = Owner(id=node_id, database_id=db_id, login=login, kind=kind, created_at=self.now())
            self._owners[login.lower()] = owner
            self._register(node_id, owner)
            return owner

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
                node_id, db_id = self._next_id("I")
                issue = Issue(
                    id=node_id,
                    database_id=db_id,
                    repository=repo,
                    number=repo.next_number,
                    title=seed.title,
                    body=seed.body,
                    state=seed.state,
                    created_at=at,
                    updated_at=at,
                    author=author,
                    labels=[self._label_for_seed(repo, name) for name in dict.fromkeys(seed.labels)],
                    issue_type=self._type_for_seed(repo, seed.issue_type),
                    closed_at=at if seed.state == "CLOSED" else None,
                )
                repo.next_number += 1
                repo.issues[issue.number] = issue
                self._register(node_id, issue)
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

    # ----------------------------------------------------------------------------------------- inspection
    def issue_view(self, issue: Issue) -> IssueView:
        with self.lock:
            fields: dict[str, dict[str, Any]] = {}
            for item in issue.project_items:
                key = f"{item.project.owner.login}/{item.project.number}"
                fields[key] = {v.field.name: v.display() for v in ordered_values(item)}
            return IssueView(
                id=issue.id,
                number=issue.number,
                url=issue.url,
                title=issue.title,
                body=issue.body,
                state=issue.state,
                created_at=issue.created_at,
                updated_at=issue.updated_at,
                labels=tuple(label.name for label in issue.labels),
                issue_type=issue.issue_type.name if issue.issue_type else None,
                parent=issue.parent.number if issue.parent else None,
                sub_issues=tuple(child.number for child in issue.sub_issues),
                blocked_by=tuple(b.number for b in issue.blocked_by),
                blocking=tuple(b.number for b in issue.blocking),
                project_fields=fields,
                deleted=issue.deleted,
            )

    def issues(self, repository: str, *, include_deleted: bool = False) -> list[IssueView]:
        """Every issue of a repository by number, as seen now (no search lag)."""
        with self.lock:
            repo = self.repository(repository)
            return [self.issue_view(issue) for issue in repo.issues.values() if include_deleted or not issue.deleted]

    def issue(self, repository: str, number: int) -> IssueView:
        with self.lock:
            found = self.repository(repository).issues.get(number)
            if found is None:
                raise KeyError(f"{repository} has no issue #{number}")
            return self.issue_view(found)

    def summary(self) -> dict[str, Any]:
        """JSON-ready picture of every repository's issues, for ``GET /_emulator/state``."""
        with self.lock:
            return {
                "repositories": {
                    repo.name_with_owner: {
                        "id": repo.id,
                        "labels": [label.name for label in repo.labels.values()],
                        "issues": [
                            self.issue_view(issue).as_json() for issue in repo.issues.values() if not issue.deleted
                        ],
                    }
                    for repo in self._repositories.values()
                }
            }

    # ----------------------------------------------------------------------------------------- rules
    def _reindex(self, issue: Issue) -> None:
        """Record what search will see from now on (search with a lag keeps reading the older entries)."""
        now = self.now()
        last = issue.index[-1] if issue.index else None
        at = max(now, last.at) if last else now
        entry = issue.snapshot(at)
        if last is not None and last.at == at:
            issue.index[-1] = entry
        else:
            issue.index.append(entry)

    def _touch(self, issue: Issue) -> None:
        issue.updated_at = max(self.now(), issue.created_at)
        self._reindex(issue)

    def _create_label(self, repo: Repository, name: str, color: str, description: str | None) -> Label:
        if not name.strip():
            raise ApiError(UNPROCESSABLE, "Name can't be blank")
        if not _COLOR.match(color):
            raise ApiError(UNPROCESSABLE, "Color is invalid")
        if name.lower() in repo.labels:
            raise ApiError(UNPROCESSABLE, "Name has already been taken")
        node_id, db_id = self._next_id("LA")
        label = Label(
            id=node_id,
            database_id=db_id,
            repository=repo,
            name=name,
            color=color.lower(),
            description=description,
            created_at=self.now(),
        )
        repo.labels[name.lower()] = label
        self._register(node_id, label)
        return label

    def _labels(self, repo: Repository, label_ids: Iterable[str]) -> list[Label]:
        labels: list[Label] = []
        for label_id in dict.fromkeys(label_ids):
            label = self.get_node(label_id, Label)
            if label.repository is not repo:
                raise ApiError(
                    UNPROCESSABLE, f"Label '{label.name}' does not belong to the repository {repo.name_with_owner}."
                )
            labels.append(label)
        return labels

    def _issue_type(self, repo: Repository, type_id: str) -> IssueType:
        issue_type = self.get_node(type_id, IssueType)
        if repo.owner.kind != "Organization" or issue_type.owner is not repo.owner:
            raise ApiError(
                UNPROCESSABLE,
                f"Issue type '{issue_type.name}' is not available in the repository {repo.name_with_owner}.",
            )
        if not issue_type.is_enabled:
            raise ApiError(UNPROCESSABLE, f"Issue type '{issue_type.name}' is disabled.")
        return issue_type

    def _check_sub_issue(self, parent: Issue, child: Issue | None, *, replace_parent: bool) -> None:
        if child is not None:
            if child is parent:
                raise ApiError(UNPROCESSABLE, "An issue cannot be a sub-issue of itself.")
            if child.parent is parent:
                raise ApiError(UNPROCESSABLE, "Issue may not contain duplicate sub-issues")
            if child.parent is not None and not replace_parent:
                raise ApiError(UNPROCESSABLE, "Sub issue may only have one parent")
            if child in parent.ancestors():
                raise ApiError(UNPROCESSABLE, "Sub issue cannot be an ancestor of the parent issue.")
        if len(parent.sub_issues) >= SUB_ISSUE_LIMIT:
            raise ApiError(UNPROCESSABLE, f"Parent issue may not have more than {SUB_ISSUE_LIMIT} sub-issues.")
        height = child.subtree_height() if child is not None else 1
        if len(parent.ancestors()) + 1 + height > SUB_ISSUE_DEPTH_LIMIT:
            raise ApiError(
                UNPROCESSABLE, f"Sub-issues may not be nested more than {SUB_ISSUE_DEPTH_LIMIT} levels deep."
            )

    def _link_sub_issue(self, parent: Issue, child: Issue, *, replace_parent: bool) -> None:
        self._check_sub_issue(parent, child, replace_parent=replace_parent)
        if child.parent is not None:
            old = child.parent
            old.sub_issues.remove(child)
            self._touch(old)
        child.parent = parent
        parent.sub_issues.append(child)
        self._touch(parent)
        self._touch(child)

    def _link_blocked_by(self, issue: Issue, blocker: Issue) -> None:
        if issue is blocker:
            raise ApiError(UNPROCESSABLE, "An issue cannot be blocked by itself.")
        if blocker in issue.blocked_by:
            raise ApiError(UNPROCESSABLE, "Issue dependency already exists.")
        if len(issue.blocked_by) >= BLOCKED_BY_LIMIT:
            raise ApiError(UNPROCESSABLE, f"An issue may not be blocked by more than {BLOCKED_BY_LIMIT} issues.")
        if len(blocker.blocking) >= BLOCKED_BY_LIMIT:
            raise ApiError(UNPROCESSABLE, f"An issue may not block more than {BLOCKED_BY_LIMIT} issues.")
        issue.blocked_by.append(blocker)
        blocker.blocking.append(issue)
        self._touch(issue)

    def _add_item(self, project: Project, issue: Issue) -> ProjectItem:
        existing = project.items.get(issue.id)
        if existing is not None:
            return existing
        node_id, db_id = self._next_id("PVTI")
        now = self.now()
        item = ProjectItem(id=node_id, database_id=db_id, project=project, issue=issue, created_at=now, updated_at=now)
        project.items[issue.id] = item
        issue.project_items.append(item)
        self._register(node_id, item)
        return item

    def _store_value(self, item: ProjectItem, project_field: ProjectField, value: str | float | date) -> FieldValue:
        now = self.now()
        current = item.values.get(project_field.id)
        if current is not None:
            current.value = value
            current.updated_at = now
        else:
            node_id, db_id = self._next_id("PVTFSV")
            current = FieldValue(
                id=node_id,
                database_id=db_id,
                item=item,
                field=project_field,
                value=value,
                created_at=now,
                updated_at=now,
            )
            item.values[project_field.id] = current
            self._register(node_id, current)
        item.updated_at = now
        return current

    def _delete(self, issue: Issue) -> None:
        if issue.parent is not None:
            issue.parent.sub_issues.remove(issue)
            issue.parent = None
        for child in issue.sub_issues:
            child.parent = None
        issue.sub_issues.clear()
        for blocker in issue.blocked_by:
            blocker.blocking.remove(issue)
        for blocked in issue.blocking:
            blocked.blocked_by.remove(issue)
        issue.blocked_by.clear()
        issue.blocking.clear()
        for item in issue.project_items:
            item.project.items.pop(issue.id, None)
            self._nodes.pop(item.id, None)
        issue.project_items.clear()
        issue.deleted = True
        self._nodes.pop(issue.id, None)
        self._reindex(issue)

    # ----------------------------------------------------------------------------------------- mutations
    def create_issue(self, data: Mapping[str, Any]) -> Issue:
        repo = self.get_node(data["repositoryId"], Repository)
        title = data["title"]
        if not title.strip():
            raise ApiError(UNPROCESSABLE, "Title can't be blank")
        labels = self._labels(repo, data.get("labelIds") or ())
        issue_type = self._issue_type(repo, data["issueTypeId"]) if data.get("issueTypeId") else None
        projects = [self.get_node(pid, Project) for pid in dict.fromkeys(data.get("projectV2Ids") or ())]
        parent = self.get_node(data["parentIssueId"], Issue) if data.get("parentIssueId") else None
        if parent is not None:
            self._check_sub_issue(parent, None, replace_parent=False)
        now = self.now()
        node_id, db_id = self._next_id("I")
        issue = Issue(
            id=node_id,
            database_id=db_id,
            repository=repo,
            number=repo.next_number,
            title=title,
            body=data.get("body") or "",
            state="OPEN",
            created_at=now,
            updated_at=now,
            author=self.viewer(),
            labels=labels,
            issue_type=issue_type,
        )
        repo.next_number += 1
        repo.issues[issue.number] = issue
        self._register(node_id, issue)
        for project in projects:
            self._add_item(project, issue)
        if parent is not None:
            issue.parent = parent
            parent.sub_issues.append(issue)
            self._touch(parent)
        self._reindex(issue)
        return issue

    def update_issue(self, data: Mapping[str, Any]) -> Issue:
        issue = self.get_node(data["id"], Issue)
        repo = issue.repository
        if "title" in data and data["title"] is not None and not data["title"].strip():
            raise ApiError(UNPROCESSABLE, "Title can't be blank")
        labels = self._labels(repo, data["labelIds"]) if data.get("labelIds") is not None else None
        issue_type: IssueType | None = issue.issue_type
        if "issueTypeId" in data:
            issue_type = self._issue_type(repo, data["issueTypeId"]) if data["issueTypeId"] else None
        if data.get("title") is not None:
            issue.title = data["title"]
        if data.get("body") is not None:
            issue.body = data["body"]
        if labels is not None:
            issue.labels = labels
        issue.issue_type = issue_type
        state = data.get("state")
        if state is not None and state != issue.state:
            issue.state = state
            issue.closed_at = self.now() if state == "CLOSED" else None
        self._touch(issue)
        return issue

    def delete_issue(self, issue_id: str) -> Repository:
        issue = self.get_node(issue_id, Issue)
        self._delete(issue)
        return issue.repository

    def add_labels(self, labelable_id: str, label_ids: Sequence[str]) -> Issue:
        issue = self.get_node(labelable_id, Issue)
        labels = self._labels(issue.repository, label_ids)
        added = [label for label in labels if label not in issue.labels]
        if added:
            issue.labels.extend(added)
            self._touch(issue)
        return issue

    def remove_labels(self, labelable_id: str, label_ids: Sequence[str]) -> Issue:
        issue = self.get_node(labelable_id, Issue)
        labels = self._labels(issue.repository, label_ids)
        kept = [label for label in issue.labels if label not in labels]
        if len(kept) != len(issue.labels):
            issue.labels = kept
            self._touch(issue)
        return issue

    def create_label(self, data: Mapping[str, Any]) -> Label:
        repo = self.get_node(data["repositoryId"], Repository)
        return self._create_label(repo, data["name"], data["color"], data.get("description"))

    def add_project_item(self, project_id: str, content_id: str) -> ProjectItem:
        project = self.get_node(project_id, Project)
        issue = self.get_node(content_id, Issue)
        return self._add_item(project, issue)

    def _item_and_field(self, data: Mapping[str, Any]) -> tuple[ProjectItem, ProjectField]:
        project = self.get_node(data["projectId"], Project)
        item = self.get_node(data["itemId"], ProjectItem)
        if item.project is not project:
            raise ApiError(NOT_FOUND, f"The item '{item.id}' does not belong to the project.")
        project_field = self.get_node(data["fieldId"], ProjectField)
        if project_field.project is not project:
            raise ApiError(NOT_FOUND, f"The field '{project_field.id}' does not belong to the project.")
        if project_field.data_type not in SETTABLE_DATA_TYPES:
            raise ApiError(
                UNPROCESSABLE,
                f"The field '{project_field.name}' of type {project_field.data_type} cannot be updated "
                "with this mutation.",
            )
        return item, project_field

    def update_field_value(self, data: Mapping[str, Any]) -> ProjectItem:
        item, project_field = self._item_and_field(data)
        given = {key: value for key, value in data["value"].items() if value is not None}
        expected = _VALUE_KEYS[project_field.data_type]
        if set(given) != {expected}:
            raise ApiError(
                UNPROCESSABLE,
                f"The field '{project_field.name}' is a {project_field.data_type} field: the value must set "
                f"exactly `{expected}` (got {sorted(given) or 'nothing'}).",
            )
        raw = given[expected]
        stored: str | float | date
        if expected == "singleSelectOptionId":
            if project_field.option(raw) is None:
                raise ApiError(UNPROCESSABLE, "The single select option Id does not belong to the field")
            stored = raw
        elif expected == "iterationId":
            if project_field.iteration(raw) is None:
                raise ApiError(UNPROCESSABLE, "The iteration Id does not belong to the field")
            stored = raw
        elif expected == "date":
            try:
                stored = date.fromisoformat(str(raw))
            except ValueError:
                raise ApiError(UNPROCESSABLE, f"'{raw}' is not a valid date (expected YYYY-MM-DD).") from None
        elif expected == "number":
            stored = float(raw)
        else:
            stored = str(raw)
        self._store_value(item, project_field, stored)
        return item

    def clear_field_value(self, data: Mapping[str, Any]) -> ProjectItem:
        item, project_field = self._item_and_field(data)
        removed = item.values.pop(project_field.id, None)
        if removed is not None:
            self._nodes.pop(removed.id, None)
            item.updated_at = self.now()
        return item

    def _sub_issue_target(self, data: Mapping[str, Any]) -> Issue:
        if data.get("subIssueId"):
            return self.get_node(data["subIssueId"], Issue)
        url = data.get("subIssueUrl")
        match = _ISSUE_URL.match(url or "")
        repo = self.find_repository(match.group(1), match.group(2)) if match else None
        issue = repo.issues.get(int(match.group(3))) if repo and match else None
        if issue is None or issue.deleted:
            raise ApiError(NOT_FOUND, "Either subIssueId or a valid subIssueUrl is required.")
        return issue

    def add_sub_issue(self, data: Mapping[str, Any]) -> tuple[Issue, Issue]:
        parent = self.get_node(data["issueId"], Issue)
        child = self._sub_issue_target(data)
        self._link_sub_issue(parent, child, replace_parent=bool(data.get("replaceParent")))
        return parent, child

    def remove_sub_issue(self, data: Mapping[str, Any]) -> tuple[Issue, Issue]:
        parent = self.get_node(data["issueId"], Issue)
        child = self.get_node(data["subIssueId"], Issue)
        if child.parent is not parent:
            raise ApiError(NOT_FOUND, f"Issue #{child.number} is not a sub-issue of #{parent.number}.")
        parent.sub_issues.remove(child)
        child.parent = None
        self._touch(parent)
        self._touch(child)
        return parent, child

    def add_blocked_by(self, data: Mapping[str, Any]) -> tuple[Issue, Issue]:
        issue = self.get_node(data["issueId"], Issue)
        blocker = self.get_node(data["blockingIssueId"], Issue)
        self._link_blocked_by(issue, blocker)
        return issue, blocker

    def remove_blocked_by(self, data: Mapping[str, Any]) -> tuple[Issue, Issue]:
        issue = self.get_node(data["issueId"], Issue)
        blocker = self.get_node(data["blockingIssueId"], Issue)
        if blocker not in issue.blocked_by:
            raise ApiError(NOT_FOUND, f"Issue #{issue.number} is not blocked by #{blocker.number}.")
        issue.blocked_by.remove(blocker)
        blocker.blocking.remove(issue)
        self._touch(issue)
        return issue, blocker


def ordered_values(item: ProjectItem) -> list[FieldValue]:
    """Stored values in field position order (the order GitHub lists them)."""
    position = {f.id: i for i, f in enumerate(item.project.fields)}
    return sorted(item.values.values(), key=lambda v: position.get(v.field.id, len(position)))
