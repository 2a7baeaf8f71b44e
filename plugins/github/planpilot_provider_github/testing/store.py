"""The object graph behind the emulator: ids, registries, lookups, and the invariants every write obeys.

:class:`Store` is the base of :class:`~.state.EmulatorState`. Its ``_``-prefixed rules (link a sub-issue,
add a blocker, store a field value, delete an issue ...) are the one home of GitHub's object-level rules;
the GraphQL mutations (:mod:`.state`) and the seeding helpers (:mod:`.seeding`) both go through them.
Each rule validates first and writes after, so a refused write leaves no trace.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime
from enum import Enum
from typing import Final, TypeVar

from planpilot_providers_core.emulation import Clock, SystemClock

from .errors import UNPROCESSABLE, ApiError, node_not_found
from .model import FieldValue, Issue, IssueType, Label, Owner, OwnerKind, Project, ProjectField, ProjectItem, Repository

__all__ = ["BLOCKED_BY_LIMIT", "KEEP", "SUB_ISSUE_DEPTH_LIMIT", "SUB_ISSUE_LIMIT", "Keep", "Store"]

SUB_ISSUE_LIMIT = 100
SUB_ISSUE_DEPTH_LIMIT = 8
BLOCKED_BY_LIMIT = 50
_COLOR = re.compile(r"^[0-9a-fA-F]{6}$")

T = TypeVar("T")


class Keep(Enum):
    """``KEEP``: an optional argument that leaves the current value alone (None would clear it)."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP


class Store:
    """Registries and rules. Lookups and ``_`` rules expect the caller to hold :attr:`lock` (the request
    executor does; seeding and inspection helpers take it themselves)."""

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
            return self.find_owner(self.viewer_login) or self._add_owner(self.viewer_login, "User")

    def _add_owner(self, login: str, kind: OwnerKind) -> Owner:
        with self.lock:
            if login.lower() in self._owners:
                raise ValueError(f"owner {login!r} already exists")
            node_id, db_id = self._next_id("O" if kind == "Organization" else "U")
            owner = Owner(id=node_id, database_id=db_id, login=login, kind=kind, created_at=self.now())
            self._owners[login.lower()] = owner
            self._register(node_id, owner)
            return owner

    # ----------------------------------------------------------------------------------------- rules
    def _insert_issue(
        self, repo: Repository, *, title: str, body: str, state: str, at: datetime, author: Owner
    ) -> Issue:
        """A new issue numbered next in ``repo`` and registered; labels, type and search index are the caller's."""
        node_id, db_id = self._next_id("I")
        issue = Issue(
            id=node_id,
            database_id=db_id,
            repository=repo,
            number=repo.next_number,
            title=title,
            body=body,
            state=state,
            created_at=at,
            updated_at=at,
            author=author,
            closed_at=at if state == "CLOSED" else None,
        )
        repo.next_number += 1
        repo.issues[issue.number] = issue
        self._register(node_id, issue)
        return issue

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
