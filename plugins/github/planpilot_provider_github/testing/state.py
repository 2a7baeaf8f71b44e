"""The emulator's in-memory GitHub and what each GraphQL mutation does to it, with typed arguments.

:class:`EmulatorState` = the object graph and its rules (:class:`~.store.Store`) + seeding helpers
(:class:`~.seeding.Seeding`) + read-only views (:class:`~.views.Inspection`) + the mutation semantics below.
The mutation methods take ids and values as keyword arguments; the resolvers unpack GraphQL ``input`` objects
into them (:mod:`.inputs`). They expect the caller (the request executor) to hold :attr:`lock`; every one
validates first and writes after, so a failing mutation leaves no trace.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date as Date
from typing import Any

from .errors import NOT_FOUND, UNPROCESSABLE, ApiError
from .model import SETTABLE_DATA_TYPES, Issue, IssueType, Label, Project, ProjectField, ProjectItem, Repository
from .seeding import BUILTIN_FIELDS, IssueSeed, IterationSpec, Seeding
from .store import BLOCKED_BY_LIMIT, KEEP, SUB_ISSUE_DEPTH_LIMIT, SUB_ISSUE_LIMIT, Keep
from .views import Inspection, IssueView, ordered_values

__all__ = [
    "BLOCKED_BY_LIMIT",
    "BUILTIN_FIELDS",
    "KEEP",
    "SUB_ISSUE_DEPTH_LIMIT",
    "SUB_ISSUE_LIMIT",
    "EmulatorState",
    "IssueSeed",
    "IssueView",
    "IterationSpec",
    "Keep",
    "ordered_values",
]

# The one ProjectV2FieldValue key each settable field type accepts.
_VALUE_KEYS = {
    "SINGLE_SELECT": "singleSelectOptionId",
    "ITERATION": "iterationId",
    "NUMBER": "number",
    "TEXT": "text",
    "DATE": "date",
}
_ISSUE_URL = re.compile(r"^https://github\.com/([^/]+)/([^/]+)/issues/(\d+)$")


class EmulatorState(Seeding, Inspection):
    """All GitHub objects of one emulator. Seeding and inspection methods take :attr:`lock` themselves; the
    mutation methods (``create_issue`` ...) expect the caller to hold it.
    """

    # ----------------------------------------------------------------------------------------- issues
    def create_issue(
        self,
        *,
        repository_id: str,
        title: str,
        body: str | None = None,
        label_ids: Sequence[str] = (),
        issue_type_id: str | None = None,
        project_ids: Sequence[str] = (),
        parent_issue_id: str | None = None,
    ) -> Issue:
        repo = self.get_node(repository_id, Repository)
        _check_text(title, body)
        labels = self._labels(repo, label_ids)
        issue_type = self._issue_type(repo, issue_type_id) if issue_type_id else None
        projects = [self.get_node(pid, Project) for pid in dict.fromkeys(project_ids)]
        parent = self.get_node(parent_issue_id, Issue) if parent_issue_id else None
        if parent is not None:
            self._check_sub_issue(parent, None, replace_parent=False)
        issue = self._insert_issue(
            repo, title=title, body=body or "", state="OPEN", at=self.now(), author=self.viewer()
        )
        issue.labels, issue.issue_type = labels, issue_type
        for project in projects:
            self._add_item(project, issue)
        if parent is not None:
            issue.parent = parent
            parent.sub_issues.append(issue)
            self._touch(parent)
        self._reindex(issue)
        return issue

    def update_issue(
        self,
        *,
        issue_id: str,
        title: str | None = None,
        body: str | None = None,
        label_ids: Sequence[str] | None = None,
        issue_type_id: str | Keep | None = KEEP,
        state: str | None = None,
    ) -> Issue:
        """``None`` keeps a value, except ``issue_type_id``: ``None`` clears the type, :data:`KEEP` keeps it."""
        issue = self.get_node(issue_id, Issue)
        repo = issue.repository
        _check_text(title, body)
        labels = self._labels(repo, label_ids) if label_ids is not None else None
        issue_type: IssueType | None = issue.issue_type
        if issue_type_id is not KEEP:
            issue_type = self._issue_type(repo, issue_type_id) if issue_type_id else None
        if title is not None:
            issue.title = title
        if body is not None:
            issue.body = body
        if labels is not None:
            issue.labels = labels
        issue.issue_type = issue_type
        if state is not None and state != issue.state:
            issue.state = state
            issue.closed_at = self.now() if state == "CLOSED" else None
            issue.closed_reason = "COMPLETED" if state == "CLOSED" else None
            issue.duplicate_of = None
        self._touch(issue)
        return issue

    def close_issue(
        self, *, issue_id: str, state_reason: str | None = None, duplicate_issue_id: str | None = None
    ) -> Issue:
        """``closeIssue``: closed (again, if it was), with its reason; a duplicate names the issue it repeats."""
        issue = self.get_node(issue_id, Issue)
        reason = state_reason or ("DUPLICATE" if duplicate_issue_id else "COMPLETED")
        duplicate = self.get_node(duplicate_issue_id, Issue) if duplicate_issue_id else None
        if duplicate is not None and reason != "DUPLICATE":
            raise ApiError(UNPROCESSABLE, "duplicateIssueId can only be set when stateReason is DUPLICATE")
        if duplicate is issue:
            raise ApiError(UNPROCESSABLE, "An issue cannot be closed as a duplicate of itself")
        if issue.state != "CLOSED":
            issue.state = "CLOSED"
            issue.closed_at = self.now()
        issue.closed_reason = reason
        issue.duplicate_of = duplicate
        self._touch(issue)
        return issue

    def delete_issue(self, issue_id: str) -> Repository:
        issue = self.get_node(issue_id, Issue)
        self._delete(issue)
        return issue.repository

    # ----------------------------------------------------------------------------------------- labels
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

    def create_label(self, *, repository_id: str, name: str, color: str, description: str | None = None) -> Label:
        repo = self.get_node(repository_id, Repository)
        return self._create_label(repo, name, color, description)

    # ----------------------------------------------------------------------------------------- projects
    def add_project_item(self, project_id: str, content_id: str) -> ProjectItem:
        project = self.get_node(project_id, Project)
        issue = self.get_node(content_id, Issue)
        return self._add_item(project, issue)

    def _item_and_field(self, project_id: str, item_id: str, field_id: str) -> tuple[ProjectItem, ProjectField]:
        project = self.get_node(project_id, Project)
        item = self.get_node(item_id, ProjectItem)
        if item.project is not project:
            raise ApiError(NOT_FOUND, f"The item '{item.id}' does not belong to the project.")
        project_field = self.get_node(field_id, ProjectField)
        if project_field.project is not project:
            raise ApiError(NOT_FOUND, f"The field '{project_field.id}' does not belong to the project.")
        if project_field.data_type not in SETTABLE_DATA_TYPES:
            raise ApiError(
                UNPROCESSABLE,
                f"The field '{project_field.name}' of type {project_field.data_type} cannot be updated "
                "with this mutation.",
            )
        return item, project_field

    def update_field_value(
        self,
        *,
        project_id: str,
        item_id: str,
        field_id: str,
        text: str | None = None,
        number: float | None = None,
        date: str | None = None,
        single_select_option_id: str | None = None,
        iteration_id: str | None = None,
    ) -> ProjectItem:
        """Exactly one value, the one the field's type takes (GitHub's ``ProjectV2FieldValue``)."""
        item, project_field = self._item_and_field(project_id, item_id, field_id)
        values: dict[str, Any] = {
            "date": date,
            "iterationId": iteration_id,
            "number": number,
            "singleSelectOptionId": single_select_option_id,
            "text": text,
        }
        given = {key: value for key, value in values.items() if value is not None}
        expected = _VALUE_KEYS[project_field.data_type]
        if set(given) != {expected}:
            raise ApiError(
                UNPROCESSABLE,
                f"The field '{project_field.name}' is a {project_field.data_type} field: the value must set "
                f"exactly `{expected}` (got {sorted(given) or 'nothing'}).",
            )
        raw = given[expected]
        stored: str | float | Date
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
                stored = Date.fromisoformat(str(raw))
            except ValueError:
                raise ApiError(UNPROCESSABLE, f"'{raw}' is not a valid date (expected YYYY-MM-DD).") from None
        elif expected == "number":
            stored = float(raw)
        else:
            stored = str(raw)
        self._store_value(item, project_field, stored)
        return item

    def clear_field_value(self, *, project_id: str, item_id: str, field_id: str) -> ProjectItem:
        item, project_field = self._item_and_field(project_id, item_id, field_id)
        removed = item.values.pop(project_field.id, None)
        if removed is not None:
            self._nodes.pop(removed.id, None)
            item.updated_at = self.now()
        return item

    # ----------------------------------------------------------------------------------------- relations
    def _issue_at(self, url: str | None) -> Issue:
        match = _ISSUE_URL.match(url or "")
        repo = self.find_repository(match.group(1), match.group(2)) if match else None
        issue = repo.issues.get(int(match.group(3))) if repo and match else None
        if issue is None or issue.deleted:
            raise ApiError(NOT_FOUND, "Either subIssueId or a valid subIssueUrl is required.")
        return issue

    def add_sub_issue(
        self,
        *,
        issue_id: str,
        sub_issue_id: str | None = None,
        sub_issue_url: str | None = None,
        replace_parent: bool = False,
    ) -> tuple[Issue, Issue]:
        """The child is ``sub_issue_id`` or, without it, the issue at ``sub_issue_url``."""
        parent = self.get_node(issue_id, Issue)
        child = self.get_node(sub_issue_id, Issue) if sub_issue_id else self._issue_at(sub_issue_url)
        self._link_sub_issue(parent, child, replace_parent=replace_parent)
        return parent, child

    def remove_sub_issue(self, *, issue_id: str, sub_issue_id: str) -> tuple[Issue, Issue]:
        parent = self.get_node(issue_id, Issue)
        child = self.get_node(sub_issue_id, Issue)
        if child.parent is not parent:
            raise ApiError(NOT_FOUND, f"Issue #{child.number} is not a sub-issue of #{parent.number}.")
        parent.sub_issues.remove(child)
        child.parent = None
        self._touch(parent)
        self._touch(child)
        return parent, child

    def add_blocked_by(self, *, issue_id: str, blocking_issue_id: str) -> tuple[Issue, Issue]:
        issue = self.get_node(issue_id, Issue)
        blocker = self.get_node(blocking_issue_id, Issue)
        self._link_blocked_by(issue, blocker)
        return issue, blocker

    def remove_blocked_by(self, *, issue_id: str, blocking_issue_id: str) -> tuple[Issue, Issue]:
        issue = self.get_node(issue_id, Issue)
        blocker = self.get_node(blocking_issue_id, Issue)
        if blocker not in issue.blocked_by:
            raise ApiError(NOT_FOUND, f"Issue #{issue.number} is not blocked by #{blocker.number}.")
        issue.blocked_by.remove(blocker)
        blocker.blocking.remove(issue)
        self._touch(issue)
        return issue, blocker


TITLE_LIMIT = 256
BODY_LIMIT = 65536


def _check_text(title: str | None, body: str | None) -> None:
    """GitHub's limits on an issue's title and body, refused as GitHub refuses them (nothing is applied)."""
    if title is not None and not title.strip():
        raise ApiError(UNPROCESSABLE, "Title can't be blank")
    if title is not None and len(title) > TITLE_LIMIT:
        raise ApiError(UNPROCESSABLE, f"Title is too long (maximum is {TITLE_LIMIT} characters)")
    if body is not None and len(body) > BODY_LIMIT:
        raise ApiError(UNPROCESSABLE, f"Body is too long (maximum is {BODY_LIMIT} characters)")
