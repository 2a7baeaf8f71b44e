"""The emulated Jira site and what each write does to it.

Seeding methods (``add_*``) take :attr:`JiraState.lock` themselves; the operations the API calls (``create_issue``,
``edit_issue``, ...) expect the caller to hold it, and each checks everything before it changes anything, so a
refused write leaves no trace. The search index is each issue's history of :class:`~.model.IndexEntry`: a
search with a lag reads the entry that was current ``lag`` seconds ago, while reading an issue by key always
sees the latest state (Atlassian, "search-and-reconcile"; notes §2.3).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from planpilot_providers_core.emulation import Clock

from .adf import adf_problem, adf_text
from .errors import JiraError
from .fields import Changes, read_changes
from .jql import JqlQuery
from .model import (
    Board,
    BulkTask,
    CustomField,
    IndexEntry,
    Issue,
    IssueType,
    Link,
    LinkType,
    Priority,
    Project,
    Sprint,
    Status,
    Transition,
    User,
)

__all__ = ["LINK_LIMIT", "PROPERTY_VALUE_LIMIT", "JiraState"]

LINK_LIMIT = 2000  # linked issues per issue (Atlassian's 2024 per-issue limits; breaching one gives 413)
PROPERTY_VALUE_LIMIT = 32768
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class JiraState:
    """Everything on one emulated site."""

    def __init__(self, clock: Clock, *, lock: threading.RLock | None = None, cloud_id: str = "") -> None:
        self.clock = clock
        self.lock = lock or threading.RLock()
        self.cloud_id = cloud_id or "a436116f-02ce-4520-8fbb-7301462a1674"
        self.site_name = "emulated"
        self.viewer = User("5b10a2844c20165700ede21g", "Emulated User", "user@example.com")
        self.projects: dict[str, Project] = {}
        self.custom_fields: dict[str, CustomField] = {}
        self.priorities: list[Priority] = []
        self.link_types: list[LinkType] = []
        self.issues: dict[int, Issue] = {}
        self.keys: dict[str, Issue] = {}
        self.links: dict[int, Link] = {}
        self.boards: dict[int, Board] = {}
        self.sprints: dict[int, Sprint] = {}
        self.labels: set[str] = set()
        self.tasks: dict[int, BulkTask] = {}
        self.search_lag = 0.0
        self._version = 0  # bumped by every change the index sees
        self._last_search: tuple[Any, list[Issue]] | None = None
        self._next_issue_id = 10000
        self._next_link_id = 10000
        self._next_project_id = 10000
        self._next_task_id = 10000

    def now(self) -> datetime:
        return self.clock.now()

    # ----------------------------------------------------------------------------------------- seeding
    def add_project(
        self,
        key: str,
        name: str,
        *,
        issue_types: Sequence[IssueType],
        statuses: Sequence[Status],
        transitions: Sequence[Transition],
        fields: Iterable[str] = (),
        style: str = "classic",
    ) -> Project:
        """A project with its issue types, workflow (the first status is the initial one) and screen fields."""
        with self.lock:
            if key.upper() in self.projects:
                raise ValueError(f"project {key} exists already")
            unknown = [f for f in fields if f not in self.custom_fields]
            if unknown:
                raise ValueError(f"add the custom fields {unknown} first (add_custom_field)")
            project = Project(
                id=str(self._next_project_id),
                key=key.upper(),
                name=name,
                lead=self.viewer,
                style=style,
                issue_types=list(issue_types),
                statuses=list(statuses),
                transitions=list(transitions),
                initial_status=statuses[0],
                fields=list(fields),
            )
            self._next_project_id += 1
            self.projects[project.key] = project
            return project

    def add_custom_field(self, field: CustomField) -> CustomField:
        with self.lock:
            self.custom_fields[field.id] = field
            return field

    def add_priority(self, priority: Priority) -> Priority:
        with self.lock:
            self.priorities.append(priority)
            return priority

    def add_link_type(self, link_type: LinkType) -> LinkType:
        with self.lock:
            self.link_types.append(link_type)
            return link_type

    def add_board(self, board_id: int, name: str, project: str, *, type: str = "scrum") -> Board:
        with self.lock:
            board = Board(board_id, name, type, self.project(project), filter_id=10000 + board_id)
            self.boards[board_id] = board
            return board

    def add_sprint(
        self,
        board_id: int,
        sprint_id: int,
        name: str,
        state: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        goal: str = "",
    ) -> Sprint:
        if state not in {"future", "active", "closed"}:
            raise ValueError(f"a sprint's state is future, active or closed, not {state!r}")
        with self.lock:
            board = self.boards[board_id]
            sprint = Sprint(sprint_id, name, state, board_id, goal, start, end, created=start)
            if state == "closed":
                sprint.complete = end
            board.sprints.append(sprint)
            self.sprints[sprint_id] = sprint
            return sprint

    def add_labels(self, *labels: str) -> None:
        """Labels that exist on the site already (``GET /rest/api/3/label`` lists them)."""
        with self.lock:
            self.labels.update(labels)

    def add_issue(
        self,
        project: str,
        summary: str,
        *,
        issue_type: str = "Task",
        description: dict[str, Any] | None = None,
        labels: Sequence[str] = (),
        parent: str | None = None,
        status: str | None = None,
        priority: str | None = None,
        custom: Mapping[str, Any] | None = None,
        created: datetime | None = None,
        indexed: bool = True,
    ) -> Issue:
        """An issue that exists already (no API rules beyond a valid description; ``indexed``: search sees it
        at once, as it would an issue made long ago)."""
        with self.lock:
            owner = self.project(project)
            kind = owner.issue_type(name=issue_type)
            if kind is None:
                raise ValueError(f"project {owner.key} has no issue type {issue_type!r}")
            if description is not None and (problem := adf_problem(description)) is not None:
                raise ValueError(f"description is not valid ADF: {problem}")
            when = created or self.now()
            issue = self._insert(owner, kind, summary, description, when)
            issue.labels = list(dict.fromkeys(labels))
            self.labels.update(labels)
            issue.parent = self.issue(parent) if parent else None
            if status is not None:
                issue.status = next(s for s in owner.statuses if s.name == status)
                issue.resolution_date = when if issue.status.category == "done" else None
            if priority is not None:
                issue.priority = next(p for p in self.priorities if p.name == priority)
            issue.custom.update(custom or {})
            self._reindex(issue, at=_EPOCH if indexed else None)
            return issue

    def add_link(self, blocker: str, blocked: str, type_name: str = "Blocks") -> Link:
        """``blocker`` blocks ``blocked`` (for another type: ``blocker`` is the inward side)."""
        with self.lock:
            link_type = next(t for t in self.link_types if t.name == type_name)
            return self._link(link_type, self.issue(blocker), self.issue(blocked))

    # ----------------------------------------------------------------------------------------- lookups
    def find_project(self, key_or_id: str) -> Project | None:
        project = self.projects.get(key_or_id.upper())
        if project is None:
            project = next((p for p in self.projects.values() if p.id == key_or_id), None)
        return project

    def project(self, key_or_id: str) -> Project:
        project = self.find_project(key_or_id)
        if project is None:
            raise JiraError(404, [f"No project could be found with key '{key_or_id}'."])
        return project

    def find_issue(self, key_or_id: str) -> Issue | None:
        issue: Issue | None
        issue = self.issues.get(int(key_or_id)) if key_or_id.isdigit() else self.keys.get(key_or_id.upper())
        return issue if issue is not None and not issue.deleted else None

    def issue(self, key_or_id: str) -> Issue:
        issue = self.find_issue(key_or_id)
        if issue is None:
            raise JiraError(404, ["Issue does not exist or you do not have permission to see it."])
        return issue

    def status_names(self) -> set[str]:
        return {s.name for p in self.projects.values() for s in p.statuses}

    def links_of(self, issue: Issue) -> list[Link]:
        """The issue's links, oldest first."""
        return [
            link
            for link in self.links.values()
            if (link.inward is issue or link.outward is issue) and not (link.inward.deleted or link.outward.deleted)
        ]

    def children(self, issue: Issue) -> list[Issue]:
        return [i for i in self.issues.values() if i.parent is issue and not i.deleted]

    # ----------------------------------------------------------------------------------------- JQL lookup
    def project_key(self, value: str) -> str | None:
        project = self.find_project(value) or next((p for p in self.projects.values() if p.name == value), None)
        return project.key if project else None

    def issue_type_name(self, value: str) -> str | None:
        for project in self.projects.values():
            for issue_type in project.issue_types:
                if value.lower() in {issue_type.name.lower(), issue_type.id}:
                    return issue_type.name
        return None

    def status_name(self, value: str) -> str | None:
        for project in self.projects.values():
            for status in project.statuses:
                if value.lower() in {status.name.lower(), status.id}:
                    return status.name
        return None

    def priority_name(self, value: str) -> str | None:
        return next((p.name for p in self.priorities if value.lower() in {p.name.lower(), p.id}), None)

    def issue_key(self, value: str) -> str | None:
        issue = self.find_issue(value)
        return issue.key if issue else None

    # ----------------------------------------------------------------------------------------- writes
    def create_issue(self, payload: Mapping[str, Any]) -> Issue:
        """``POST /rest/api/3/issue``: ``fields``/``update`` checked, then the optional ``transition`` and
        ``properties`` applied in the same call."""
        changes = read_changes(self, payload.get("fields"), payload.get("update"), issue=None)
        assert changes.project is not None
        assert changes.issue_type is not None
        assert changes.summary is not None
        transition = self._transition_for_create(changes.project, payload.get("transition"))
        properties = _properties(payload.get("properties"))
        issue = self._insert(changes.project, changes.issue_type, changes.summary, changes.description, self.now())
        self._apply(issue, changes)
        if transition is not None:
            self._move(issue, transition)
        issue.properties.update(properties)
        self._reindex(issue)
        return issue

    def edit_issue(self, issue: Issue, payload: Mapping[str, Any]) -> None:
        """``PUT /rest/api/3/issue/{id}``; a ``transition`` in the body is ignored, as Jira ignores it."""
        changes = read_changes(self, payload.get("fields"), payload.get("update"), issue=issue)
        properties = _properties(payload.get("properties"))
        self._apply(issue, changes)
        issue.properties.update(properties)
        self._touch(issue)

    def delete_issue(self, issue: Issue, *, delete_subtasks: bool) -> None:
        children = self.children(issue)
        if any(child.issue_type.subtask for child in children) and not delete_subtasks:
            raise JiraError(400, ["The issue has subtasks. Set deleteSubtasks=true to delete them with it."])
        for child in children:
            if child.issue_type.subtask:
                self._delete(child)
            else:
                child.parent = None
                self._touch(child)
        self._delete(issue)

    def available_transitions(self, issue: Issue) -> list[Transition]:
        return [t for t in issue.project.transitions if t.available_from(issue.status)]

    def do_transition(self, issue: Issue, payload: Mapping[str, Any]) -> None:
        """``POST .../transitions``: the transition must be available from the issue's status; ``fields``,
        ``update`` and ``properties`` in the body are applied with it (as on create and edit)."""
        given = payload.get("transition")
        if not isinstance(given, dict) or not ("id" in given or "looped" in given):
            raise JiraError(400, ["Missing 'transition' identifier"])
        transition_id = str(given.get("id", ""))
        transition = next((t for t in self.available_transitions(issue) if t.id == transition_id), None)
        if transition is None:
            raise JiraError(400, [f"Transition id '{transition_id}' is not valid for this issue."])
        changes = None
        if payload.get("fields") or payload.get("update"):
            changes = read_changes(self, payload.get("fields"), payload.get("update"), issue=issue)
        properties = _properties(payload.get("properties"))
        if changes is not None:
            self._apply(issue, changes)
        self._move(issue, transition)
        issue.properties.update(properties)
        self._touch(issue)

    def link(self, payload: Mapping[str, Any]) -> Link:
        """``POST /rest/api/3/issueLink``; a link that exists already is answered as created, not made twice."""
        given = payload.get("type") or {}
        link_type = next(
            (
                t
                for t in self.link_types
                if ("id" in given and t.id == str(given["id"])) or ("name" in given and t.name == given["name"])
            ),
            None,
        )
        if link_type is None:
            raise JiraError(404, ["No issue link type with name or id given was found."])
        inward = self._linked(payload.get("inwardIssue"))
        outward = self._linked(payload.get("outwardIssue"))
        if inward is outward:
            raise JiraError(400, ["You cannot link an issue to itself."])  # emulator wording
        for existing in self.links.values():
            if existing.type is link_type and existing.inward is inward and existing.outward is outward:
                return existing
        for issue in (inward, outward):
            if len(self.links_of(issue)) >= LINK_LIMIT:
                raise JiraError(413, [f"Issue {issue.key} has reached the limit of {LINK_LIMIT} issue links."])
        return self._link(link_type, inward, outward)

    def unlink(self, link_id: str) -> None:
        link = self.find_link(link_id)
        if link is None:
            raise JiraError(404, ["No issue link with id '" + link_id + "' exists."])
        del self.links[link.id]
        self._touch(link.inward)
        self._touch(link.outward)

    def find_link(self, link_id: str) -> Link | None:
        link = self.links.get(int(link_id)) if link_id.isdigit() else None
        if link is None or link.inward.deleted or link.outward.deleted:
            return None
        return link

    def move_to_sprint(self, sprint: Sprint, keys: Sequence[str]) -> None:
        """``POST /rest/agile/1.0/sprint/{id}/issue`` (at most 50, to an open or active sprint)."""
        if sprint.state == "closed":
            raise JiraError(400, ["Issues can only be moved to open or active sprints."])
        issues = self._agile_issues(keys)
        for issue in issues:
            if issue.issue_type.subtask:
                raise JiraError(400, [f"Issue {issue.key} is a sub-task: it moves with its parent."])
        for issue in issues:
            if issue.sprint is not sprint:
                issue.sprint = sprint
                self._touch(issue)

    def move_to_backlog(self, keys: Sequence[str]) -> None:
        for issue in self._agile_issues(keys):
            if issue.sprint is not None:
                issue.sprint = None
                self._touch(issue)

    def set_property(self, issue: Issue, key: str, value: Any) -> bool:
        """Store an issue property; True when it is new."""
        import json

        if len(json.dumps(value)) > PROPERTY_VALUE_LIMIT:
            raise JiraError(400, [f"The property value exceeds the limit of {PROPERTY_VALUE_LIMIT} characters."])
        if not key or len(key) > 255:
            raise JiraError(400, ["The property key must be 1 to 255 characters long."])
        created = key not in issue.properties
        issue.properties[key] = value
        self._touch(issue)
        return created

    def move_issues(self, mappings: Mapping[str, Any]) -> BulkTask:
        """``POST /rest/api/3/bulk/issues/move``: each mapping (``"<project>,<issueTypeId>[,<parent>]"``) gives
        its issues that type (and parent). Within the project only; an issue whose new type does not fit its
        parent, or whose children would not fit it, fails with the reason, and the others move. A move to the
        type and parent an issue already has changes nothing. Statuses stay (one workflow per project here)."""
        targets = []
        for key, mapping in mappings.items():
            parts = [part.strip() for part in str(key).split(",")]
            if len(parts) not in (2, 3) or not all(parts):
                raise JiraError(400, [f"The mapping key '{key}' must be <project>,<issueTypeId>[,<parent>]."])
            project = self.project(parts[0])
            issue_type = project.issue_type(id=parts[1])
            if issue_type is None:
                raise JiraError(400, [f"The issue type {parts[1]} does not exist in project {project.key}."])
            parent = self.find_issue(parts[2]) if len(parts) == 3 else None
            if len(parts) == 3 and parent is None:
                raise JiraError(400, [f"The target parent {parts[2]} does not exist."])
            if issue_type.subtask and parent is None:
                raise JiraError(400, [f"Moving to the sub-task type {issue_type.name} needs a target parent."])
            targets.append((project, issue_type, parent, len(parts) == 3, list(mapping.get("issueIdsOrKeys") or [])))
        task = BulkTask(self._next_task_id, self.viewer, self.now(), total=sum(len(t[4]) for t in targets))
        self._next_task_id += 1
        for project, issue_type, parent, parent_given, keys in targets:
            for key in keys:
                issue = self.find_issue(str(key))
                if issue is None:
                    task.invalid += 1
                    continue
                problem = self._move_problem(issue, project, issue_type, parent, parent_given)
                if problem is not None:
                    task.failed[str(issue.id)] = [problem]
                    continue
                issue.issue_type = issue_type
                if parent_given:
                    issue.parent = parent
                elif issue.parent is not None and not _fits(issue_type, issue.parent.issue_type.hierarchy_level):
                    issue.parent = None
                self._touch(issue)
                task.processed.append(issue.id)
        self.tasks[task.id] = task
        return task

    def _move_problem(
        self, issue: Issue, project: Project, issue_type: IssueType, parent: Issue | None, parent_given: bool
    ) -> str | None:
        if issue.project is not project:
            return "The Jira emulator moves issues within their project only."
        if parent_given and parent is issue:
            return "An issue cannot be its own parent."
        if parent_given and parent is not None and not _fits(issue_type, parent.issue_type.hierarchy_level):
            return f"Issue type {issue_type.name} cannot have a parent of type {parent.issue_type.name}."
        for child in self.children(issue):
            if not _fits(child.issue_type, issue_type.hierarchy_level):
                return f"Its child issue {child.key} cannot stay under an issue of type {issue_type.name}."
        return None

    # ----------------------------------------------------------------------------------------- search
    def search(self, query: JqlQuery, *, reconcile: Iterable[int] = ()) -> list[Issue]:
        """Every issue the index (``search_lag`` seconds behind) matches, sorted as asked; ``reconcile`` ids are
        read at their latest state (Jira's ``reconcileIssues``)."""
        cutoff = self.now() - timedelta(seconds=self.search_lag)
        fresh = set(reconcile)
        # Paging asks the same question once per page: answer it once while nothing changed. With no lag every
        # entry is visible at any instant, so the cutoff matters only with a lag.
        key = (query, tuple(sorted(fresh)), self._version, cutoff if self.search_lag else None)
        if self._last_search is not None and self._last_search[0] == key:
            return list(self._last_search[1])
        found: list[tuple[IndexEntry, int]] = []
        for issue in self.issues.values():
            entry = issue.index[-1] if issue.id in fresh else _visible(issue, cutoff)
            if entry is None or entry.deleted:
                continue
            if query.matches(entry, issue.id):
                found.append((entry, issue.id))
        found.sort(key=query.sort_key())
        result = [self.issues[issue_id] for _, issue_id in found]
        self._last_search = (key, result)
        return list(result)

    # ----------------------------------------------------------------------------------------- internals
    def _insert(
        self, project: Project, kind: IssueType, summary: str, description: dict[str, Any] | None, at: datetime
    ) -> Issue:
        assert project.initial_status is not None
        default = next((p for p in self.priorities if p.is_default), self.priorities[0])
        issue = Issue(
            id=self._next_issue_id,
            key=f"{project.key}-{project.next_number}",
            project=project,
            issue_type=kind,
            summary=summary,
            description=description,
            status=project.initial_status,
            priority=default,
            reporter=self.viewer,
            created=at,
            updated=at,
        )
        self._next_issue_id += 1
        project.next_number += 1
        self.issues[issue.id] = issue
        self.keys[issue.key] = issue
        return issue

    def _apply(self, issue: Issue, changes: Changes) -> None:
        if changes.issue_type is not None:
            issue.issue_type = changes.issue_type
        if changes.summary is not None:
            issue.summary = changes.summary
        if changes.description_set:
            issue.description = changes.description
        if changes.labels is not None:
            issue.labels = list(changes.labels)
        for verb, label in changes.label_ops:
            if verb == "add" and label not in issue.labels:
                issue.labels.append(label)
            elif verb == "remove" and label in issue.labels:
                issue.labels.remove(label)
        self.labels.update(issue.labels)
        if changes.priority is not None:
            issue.priority = changes.priority
        if changes.parent_set:
            issue.parent = changes.parent
        issue.custom.update(changes.custom)
        if changes.sprint_set:
            issue.sprint = changes.sprint

    def _transition_for_create(self, project: Project, given: Any) -> Transition | None:
        if given is None:
            return None
        transition_id = str(given.get("id", "")) if isinstance(given, dict) else ""
        assert project.initial_status is not None
        for transition in project.transitions:
            if transition.id == transition_id and transition.available_from(project.initial_status):
                return transition
        raise JiraError(400, [f"Transition id '{transition_id}' is not valid for this issue."])

    def _move(self, issue: Issue, transition: Transition) -> None:
        issue.status = transition.to
        issue.resolution_date = self.now() if transition.to.category == "done" else None

    def _linked(self, given: Any) -> Issue:
        if not isinstance(given, dict) or not ("key" in given or "id" in given):
            raise JiraError(404, ["Issue does not exist or you do not have permission to see it."])
        return self.issue(str(given.get("key") or given.get("id")))

    def _link(self, link_type: LinkType, inward: Issue, outward: Issue) -> Link:
        link = Link(self._next_link_id, link_type, inward, outward)
        self._next_link_id += 1
        self.links[link.id] = link
        self._touch(inward)
        self._touch(outward)
        return link

    def _agile_issues(self, keys: Sequence[str]) -> list[Issue]:
        if len(keys) > 50:
            raise JiraError(400, ["The maximum number of issues that can be moved in one operation is 50."])
        issues = []
        for key in keys:
            issue = self.find_issue(key)
            if issue is None:
                raise JiraError(400, [f"Issue {key} does not exist or you do not have permission to see it."])
            issues.append(issue)
        return issues

    def _touch(self, issue: Issue) -> None:
        issue.updated = self.now()
        self._reindex(issue)

    def _delete(self, issue: Issue) -> None:
        issue.deleted = True
        for link in [lk for lk in self.links.values() if lk.inward is issue or lk.outward is issue]:
            del self.links[link.id]
        self._reindex(issue)

    def _reindex(self, issue: Issue, *, at: datetime | None = None) -> None:
        entry = IndexEntry(
            at=at or self.now(),
            deleted=issue.deleted,
            project=issue.project.key,
            key=issue.key,
            issue_type=issue.issue_type.name,
            status=issue.status.name,
            status_category=issue.status.category,
            labels=frozenset(issue.labels),
            summary=issue.summary,
            description=adf_text(issue.description) if issue.description else "",
            parent=issue.parent.key if issue.parent else None,
            priority=issue.priority.name,
            created=issue.created,
            updated=issue.updated,
            sprint=issue.sprint.id if issue.sprint else None,
        )
        issue.index.append(entry)
        self._version += 1
        # Keep only what a search with the current lag can still see: the entries newer than the cutoff and the
        # one current at it.
        cutoff = self.now() - timedelta(seconds=self.search_lag)
        while len(issue.index) > 1 and issue.index[1].at <= cutoff:
            issue.index.pop(0)


def _fits(issue_type: IssueType, parent_level: int) -> bool:
    """Whether an issue of ``issue_type`` may sit under a parent of ``parent_level`` (one level up)."""
    return parent_level == issue_type.hierarchy_level + 1


def _visible(issue: Issue, cutoff: datetime) -> IndexEntry | None:
    for entry in reversed(issue.index):
        if entry.at <= cutoff:
            return entry
    return None


def _properties(given: Any) -> dict[str, Any]:
    if given is None:
        return {}
    if not isinstance(given, list):
        raise JiraError(400, ["properties must be a list of {key, value}."])
    return {str(p.get("key")): p.get("value") for p in given if isinstance(p, dict) and p.get("key")}
