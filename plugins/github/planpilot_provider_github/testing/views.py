"""Read-only pictures of the emulator's issues for assertions and ``GET /_emulator/state``.

:class:`Inspection` is a mixin of :class:`~.state.EmulatorState`: ``emulator.state.issues("acme/roadmap")``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from attrs import frozen

from .model import FieldValue, Issue, ProjectItem
from .store import Store

__all__ = ["Inspection", "IssueView", "ordered_values"]


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@frozen
class IssueView:
    """A read-only picture of one issue for assertions; relations are issue numbers in the same repository."""

    id: str
    number: int
    url: str
    title: str
    body: str
    state: str
    state_reason: str | None
    duplicate_of: int | None
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
            "body": self.body,
            "state": self.state,
            "stateReason": self.state_reason,
            "duplicateOf": self.duplicate_of,
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


def ordered_values(item: ProjectItem) -> list[FieldValue]:
    """Stored values in field position order (the order GitHub lists them)."""
    position = {f.id: i for i, f in enumerate(item.project.fields)}
    return sorted(item.values.values(), key=lambda v: position.get(v.field.id, len(position)))


class Inspection(Store):
    """Views of the current state (no search lag), each taken under the lock."""

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
                state_reason=issue.state_reason(enable_duplicate=True),
                duplicate_of=issue.duplicate_of.number if issue.duplicate_of else None,
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
