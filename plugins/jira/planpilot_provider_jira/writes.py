"""Issue writes: the create request and what follows it, and updates that write only what differs.

A create puts everything Jira takes in its first request (type, summary, ADF description, labels, parent,
priority, size, sprint when the create screen has the field, the first workflow transition once it is known,
and the ``planpilot`` property with the create's token), so most creates are one request, or a share of one bulk
request. What a create cannot carry (a status more than one transition away, a sprint whose field is not on the
create screen) is listed as *pending* in the property and done right after; the last of those writes clears the
list. An issue whose list is not empty was left half made: it reads ``complete=False``, and ``update_item``
finishes it. Status, priority and sprint are creation defaults: afterwards they are set only when a plan item's
``fields`` name them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from planpilot_provider_jira.bodies import adf_size, adf_to_markdown, canonical_markdown, markdown_to_adf
from planpilot_provider_jira.client import JiraApi
from planpilot_provider_jira.context import FieldRef, IssueTypeRef, JiraContext, StatusRef
from planpilot_provider_jira.creates import Created, Creator
from planpilot_provider_jira.labels import encode_label, label_problem
from planpilot_provider_jira.mapping import (
    PROPERTY,
    IssueView,
    field_write,
    issue_type_for,
    item_fields,
    plan_type_of,
    read_issue,
    size_write,
)
from planpilot_provider_jira.moves import move_issue
from planpilot_provider_jira.workflow import Workflow
from planpilot_providers_core import (
    CreateItemInput,
    CreateProgress,
    CreateStep,
    ItemNotFoundError,
    ProviderError,
    UpdateItemInput,
    merge_labels,
)
from planpilot_providers_core.reliability import Clock, classify_failure

__all__ = ["DESCRIPTION_LIMIT", "IssueWrites"]

DESCRIPTION_LIMIT = 32_767
"""Jira's limit for a text field, which a description's ADF counts against."""


@attrs.frozen
class _Wants:
    """The creation defaults and board fields one issue should get."""

    status: StatusRef | None = None
    sprint: tuple[str, int] | None = None  # (name, id)
    fields: Mapping[str, Any] = attrs.field(factory=dict)
    """Field id -> value, for the create or edit request."""


class IssueWrites:
    """Creates and updates for one provider; ``access(write)`` passes its guards and gives API and context."""

    def __init__(
        self,
        access: Callable[[bool], tuple[JiraApi, JiraContext]],
        creator: Creator,
        workflow: Workflow,
        wrote: Callable[[Sequence[str]], None],
        clock: Clock,
    ) -> None:
        self._access = access
        self._clock = clock
        self._creator = creator
        self._workflow = workflow
        self._wrote = wrote
        self.levels: dict[str, int] = {}
        """Issue id -> hierarchy level, as last seen: what a parent allows under it."""

    # -- reading ----------------------------------------------------------------------------------------
    async def read(self, item_id: str) -> IssueView:
        api, context = self._access(False)
        issue = await api.call(
            "getIssue",
            "GET",
            f"/rest/api/3/issue/{item_id}",
            item_id=item_id,
            params={"fields": ",".join(item_fields(context)), "properties": PROPERTY},
        )
        view = read_issue(context, issue)
        if view.project_id not in (None, context.project_id):
            raise ItemNotFoundError(f"getIssue: {item_id!r} is not an issue of project {context.project_key}")
        self.seen([view])
        return view

    def seen(self, views: Sequence[IssueView]) -> None:
        for view in views:
            if view.type_ref is not None:
                self.levels[view.id] = view.type_ref.level

    async def level(self, api: JiraApi, context: JiraContext, issue_id: str) -> int:
        if issue_id not in self.levels:
            issue = await api.call(
                "getIssue", "GET", f"/rest/api/3/issue/{issue_id}", item_id=issue_id, params={"fields": "issuetype"}
            )
            self.seen([read_issue(context, issue)])
        return self.levels.get(issue_id, 0)

    # -- what a plan item wants -------------------------------------------------------------------------------
    def _wants(
        self, context: JiraContext, issue_type: IssueTypeRef, fields: Mapping[str, str], *, defaults: bool
    ) -> _Wants:
        """The status, sprint and field values for ``fields`` (a plan item's), over the creation defaults when
        ``defaults``; a value the project cannot take is an error here, before anything is written."""
        status = None
        if defaults and context.status is not None:
            status = self._status(context, issue_type, context.status)
        sprint = (context.sprint.name, context.sprint.id) if defaults and context.sprint is not None else None
        values: dict[str, Any] = {}
        if defaults and context.priority is not None:
            values["priority"] = {"id": context.priority[1]}
        for name, value in fields.items():
            ref = _field(context, name)
            if ref.kind == "status":
                status = self._status(context, issue_type, value)
            elif ref.kind == "sprint":
                option = ref.option(value)
                if option is None:
                    raise ProviderError(
                        f"board {context.board_id} has no open sprint {value!r}; sprints: {', '.join(ref.options)}"
                    )
                sprint = (option[0], int(option[1]))
            else:
                values[ref.id] = field_write(ref, value)
        return _Wants(status=status, sprint=sprint, fields=values)

    @staticmethod
    def _status(context: JiraContext, issue_type: IssueTypeRef, name: str) -> StatusRef:
        statuses = context.statuses.get(issue_type.id, {})
        found = statuses.get(name.casefold())
        if found is None:
            raise ProviderError(
                f"the workflow of {issue_type.name} has no status {name!r}; statuses: "
                + ", ".join(s.name for s in statuses.values())
            )
        return found

    # -- create -----------------------------------------------------------------------------------------------
    async def create(self, item: CreateItemInput, label: str, url: Callable[[str], str]) -> IssueView:
        api, context = self._access(True)
        _check_summary(item.title)
        labels = merge_labels((label,), item.labels)
        for problem in filter(None, map(label_problem, labels)):
            raise ProviderError(problem)
        parent_level = None if item.parent_id is None else await self.level(api, context, item.parent_id)
        issue_type = issue_type_for(context, item.item_type, parent_level)
        wants = self._wants(context, issue_type, item.fields, defaults=True)
        screen = context.create_screens.get(issue_type.id, frozenset())
        description = markdown_to_adf(item.body)
        _check_description(description)

        fields: dict[str, Any] = {
            "project": {"id": context.project_id},
            "issuetype": {"id": issue_type.id},
            "summary": item.title,
            "description": description,
            "labels": [encode_label(name) for name in labels],
        }
        if item.parent_id is not None:
            fields["parent"] = {"id": item.parent_id}
        later: dict[str, Any] = {}  # what the create screen does not take: set by an edit right after
        for field_id, value in wants.fields.items():
            (fields if field_id in screen else later)[field_id] = value
        if item.size is not None:
            size = size_write(context, item.size)
            assert context.size is not None  # size_write raised otherwise
            (fields if context.size.id in screen else later)[context.size.id] = size
        pending: list[str] = []
        sprint = wants.sprint if not issue_type.subtask else None  # a sub-task is in its parent's sprint
        if sprint is not None:
            if context.sprint_field is not None and context.sprint_field in screen:
                fields[context.sprint_field] = sprint[1]
            else:
                pending.append("sprint")
        payload: dict[str, Any] = {"fields": fields}
        if wants.status is not None:
            step = self._workflow.first_step(issue_type.id, wants.status.name)
            if step is not None:
                payload["transition"] = {"id": step.id}
            elif self._workflow.needs_walk(issue_type.id, wants.status.name):
                pending.append("status")
        token = uuid.uuid4().hex
        payload["properties"] = [{"key": PROPERTY, "value": {"token": token, "pending": pending}}]

        progress = CreateProgress(retryable=lambda exc: classify_failure(exc).retryable)
        with progress:
            created = await self._creator.create(payload, token)
            self.levels[created.id] = issue_type.level
            self._wrote([created.id])
            steps = [CreateStep.ISSUE_TYPE_SET, CreateStep.LABELS_SET]
            steps += [CreateStep.PARENT_SET] if item.parent_id is not None else []
            board_fields = bool(wants.fields or item.size or sprint or wants.status)
            if not (later or pending) and board_fields:
                steps.append(CreateStep.PROJECT_FIELDS_SET)
            progress.created(created.id, created.key, url(created.key), *steps)
            status = wants.status if (wants.status is not None and "status" not in pending) else None
            if later:
                await self._edit(api, created.id, {"fields": later})
            if pending:
                status = await self._finish(api, context, created, issue_type, wants, pending, token)
            if later or pending:
                progress.done(CreateStep.PROJECT_FIELDS_SET)
        return self._view_after_create(context, created, item, issue_type, labels, description, status, wants)

    def _view_after_create(
        self,
        context: JiraContext,
        created: Created,
        item: CreateItemInput,
        issue_type: IssueTypeRef,
        labels: Sequence[str],
        description: Any,
        status: StatusRef | None,
        wants: _Wants,
    ) -> IssueView:
        """The issue as the create made it (what Jira now holds), without reading it back."""
        shown: dict[str, str | None] = {}
        for name, ref in context.fields.items():
            if ref.kind == "status" and status is not None:
                shown[name] = status.name
            elif ref.kind == "sprint" and wants.sprint is not None and not issue_type.subtask:
                shown[name] = wants.sprint[0]
            elif ref.kind == "priority" and context.priority is not None:
                shown[name] = context.priority[0]
        for name, value in item.fields.items():
            shown[_field(context, name).name] = value
        return IssueView(
            id=created.id,
            key=created.key,
            project_id=context.project_id,
            summary=item.title,
            body=adf_to_markdown(description),
            type_ref=issue_type,
            item_type=plan_type_of(context, issue_type),
            labels=tuple(labels),
            raw_labels=tuple(encode_label(label) for label in labels),
            size=item.size,
            fields=shown,
            status=status,
            parent_id=item.parent_id,
            pending=(),
            token=None,
            description=description,
        )

    async def _finish(
        self,
        api: JiraApi,
        context: JiraContext,
        issue: Created,
        issue_type: IssueTypeRef,
        wants: _Wants,
        pending: Sequence[str],
        token: str,
    ) -> StatusRef | None:
        """Apply the pending creation defaults, then clear the list (with the last transition, or on its own)."""
        done = [{"key": PROPERTY, "value": {"token": token, "pending": []}}]
        if "sprint" in pending and wants.sprint is not None:
            await self._move_to_sprint(api, issue.id, wants.sprint[1])
        status: StatusRef | None = None
        cleared = False
        if "status" in pending and wants.status is not None:
            current = await self._current_status(api, issue.id, issue_type)
            if current.id != wants.status.id:
                status = await self._workflow.move(api, issue.id, issue_type.id, current, wants.status, properties=done)
                cleared = True
            else:
                status = current
        if not cleared:
            await api.call(
                "setIssueProperty",
                "PUT",
                f"/rest/api/3/issue/{issue.id}/properties/{PROPERTY}",
                item_id=issue.id,
                issues=[issue.id],
                json=done[0]["value"],
            )
        self._wrote([issue.id])
        return status

    async def _current_status(self, api: JiraApi, issue_id: str, issue_type: IssueTypeRef) -> StatusRef:
        known = self._workflow.initial.get(issue_type.id)
        if known is not None:
            return known
        issue = await api.call(
            "getIssue", "GET", f"/rest/api/3/issue/{issue_id}", item_id=issue_id, params={"fields": "status"}
        )
        raw = (issue.get("fields") or {}).get("status") or {}
        category = (raw.get("statusCategory") or {}).get("key") or "new"
        status = StatusRef(id=str(raw.get("id")), name=str(raw.get("name")), category=str(category))
        self._workflow.initial.setdefault(issue_type.id, status)
        return status

    async def _move_to_sprint(self, api: JiraApi, issue_id: str, sprint_id: int) -> None:
        await api.call(
            "moveIssuesToSprintAndRank",
            "POST",
            f"/rest/agile/1.0/sprint/{sprint_id}/issue",
            issues=[issue_id],
            json={"issues": [issue_id]},
        )

    async def _edit(self, api: JiraApi, issue_id: str, body: Mapping[str, Any]) -> None:
        await api.call(
            "editIssue", "PUT", f"/rest/api/3/issue/{issue_id}", item_id=issue_id, issues=[issue_id], json=body
        )
        self._wrote([issue_id])

    # -- update -----------------------------------------------------------------------------------------------
    async def update(self, view: IssueView, item: UpdateItemInput) -> IssueView:
        """Write what differs between ``view`` (just read) and ``item``; nothing when nothing does."""
        api, context = self._access(True)
        fields: dict[str, Any] = {}
        update: dict[str, Any] = {}
        changed: dict[str, Any] = {}
        issue_type = view.type_ref
        if item.title is not None and item.title != view.summary:
            _check_summary(item.title)
            fields["summary"] = changed["summary"] = item.title
        if item.body is not None and canonical_markdown(view.body) != canonical_markdown(item.body):
            description = markdown_to_adf(item.body)
            _check_description(description)
            fields["description"] = description
            changed["description"] = description
        moved_type: IssueTypeRef | None = None
        if item.item_type is not None and item.item_type != view.item_type:
            parent_level = None if view.parent_id is None else await self.level(api, context, view.parent_id)
            parent_id = view.parent_id
            try:
                wanted_type = issue_type_for(context, item.item_type, parent_level)
            except ProviderError:  # the new type cannot stay under this parent: the relations phase sets one
                wanted_type, parent_id = issue_type_for(context, item.item_type, None), None
            if issue_type is not None and (wanted_type.level, wanted_type.subtask) != (
                issue_type.level,
                issue_type.subtask,
            ):
                moved_type = wanted_type  # across hierarchy levels: only a move does it (see .moves)
                await move_issue(api, context, self._clock, view.id, wanted_type, parent_id)
                self._wrote([view.id])
                changed["parent_id"] = parent_id
            else:
                fields["issuetype"] = {"id": wanted_type.id}
            issue_type = changed["type_ref"] = wanted_type
            self.levels[view.id] = wanted_type.level
        have = {label.casefold() for label in view.labels}
        added = [label for label in item.labels or () if label.casefold() not in have]
        for problem in filter(None, map(label_problem, added)):
            raise ProviderError(problem)
        if added:
            update["labels"] = [{"add": encode_label(label)} for label in added]
            changed["labels"] = (*view.labels, *added)
        if item.size is not None and item.size != view.size:
            value = size_write(context, item.size)
            assert context.size is not None
            fields[context.size.id] = value
            changed["size"] = item.size
        wants = _Wants()
        if issue_type is not None:
            wanted_fields = {
                name: value
                for name, value in (item.fields or {}).items()
                if (view.fields.get(_field(context, name).name) or "").casefold() != value.casefold()
            }
            wants = self._wants(context, issue_type, wanted_fields, defaults=bool(view.pending))
        fields.update(wants.fields)
        if fields or update:
            body: dict[str, Any] = {}
            if fields:
                body["fields"] = fields
            if update:
                body["update"] = update
            await self._edit(api, view.id, body)
        status = view.status
        moved = False
        sprint_wanted = wants.sprint is not None and (view.pending or item.fields)
        if sprint_wanted and wants.sprint is not None and issue_type is not None and not issue_type.subtask:
            await self._move_to_sprint(api, view.id, wants.sprint[1])
            moved = True
        if wants.status is not None and issue_type is not None and status is not None and status.id != wants.status.id:
            done = [{"key": PROPERTY, "value": {"token": view.token, "pending": []}}] if view.pending else []
            status = await self._workflow.move(api, view.id, issue_type.id, status, wants.status, properties=done)
            moved = True
            if view.pending:
                changed["pending"] = ()
        if view.pending and "pending" not in changed:
            await api.call(
                "setIssueProperty",
                "PUT",
                f"/rest/api/3/issue/{view.id}/properties/{PROPERTY}",
                item_id=view.id,
                issues=[view.id],
                json={"token": view.token, "pending": []},
            )
            changed["pending"] = ()
        if moved:
            self._wrote([view.id])
        if not changed and not moved and moved_type is None:
            return view
        shown = dict(view.fields)
        for name, value in (item.fields or {}).items():
            shown[_field(context, name).name] = value
        if wants.status is not None and status is not None:
            shown["Status"] = status.name
        description = changed.pop("description", view.description)
        view = attrs.evolve(view, **changed, fields=shown, status=status, description=description)
        return attrs.evolve(view, body=adf_to_markdown(description), item_type=plan_type_of(context, view.type_ref))

    async def close_duplicate(self, view: IssueView, kept_id: str, label: str) -> None:
        """Take the discovery label off (every spelling of it), link the issue as duplicating ``kept_id``
        (Jira's "Duplicate" type), and move it to a done status; each step only if it is not done yet."""
        api, context = self._access(True)
        wanted = label.casefold()
        stale = [raw for raw, shown in zip(view.raw_labels, view.labels, strict=True) if shown.casefold() == wanted]
        if stale:
            await self._edit(api, view.id, {"update": {"labels": [{"remove": raw} for raw in stale]}})
        if context.duplicate_link is not None:
            body = {
                "type": {"name": context.duplicate_link.name},
                "inwardIssue": {"id": view.id},  # the inward side "duplicates" the outward one
                "outwardIssue": {"id": kept_id},
            }
            # Safe to send again: Jira answers a link that exists as created and makes no second one.
            await api.call("linkIssues", "POST", "/rest/api/3/issueLink", issues=[view.id, kept_id], json=body)
        issue_type = view.type_ref
        status = view.status
        if issue_type is not None and status is not None and status.category != "done":
            statuses = context.statuses.get(issue_type.id, {})
            done = statuses.get("done") or next((s for s in statuses.values() if s.category == "done"), None)
            if done is None:
                raise ProviderError(f"the workflow of {issue_type.name} has no done status to close {view.key} with")
            await self._workflow.move(api, view.id, issue_type.id, status, done)
        self._wrote([view.id, kept_id])

    async def update_many(
        self, views: Mapping[str, IssueView | Exception], updates: Sequence[tuple[str, UpdateItemInput]]
    ) -> list[IssueView | Exception]:
        async def one(item_id: str, item: UpdateItemInput) -> IssueView | Exception:
            view = views.get(item_id)
            if view is None:
                return ItemNotFoundError(f"update: Jira has no issue {item_id!r} in this project")
            if isinstance(view, Exception):
                return view
            try:
                return await self.update(view, item)
            except Exception as exc:
                return exc

        return list(await asyncio.gather(*(one(item_id, item) for item_id, item in updates)))


def _field(context: JiraContext, name: str) -> FieldRef:
    wanted = name.casefold()
    found = next((ref for key, ref in context.fields.items() if key.casefold() == wanted), None)
    if found is None:
        raise ProviderError(f"Jira has no field {name!r} a plan can set; fields: {', '.join(context.fields)}")
    return found


def _check_summary(title: str) -> None:
    if "\n" in title or "\r" in title:
        raise ProviderError(f"Jira refuses a summary with a line break in it: {title[:60]!r}")
    if len(title) > 255:
        raise ProviderError(f"Jira takes summaries of at most 255 characters; this one has {len(title)}")


def _check_description(description: Any) -> None:
    size = adf_size(description)
    if size > DESCRIPTION_LIMIT:
        raise ProviderError(
            f"the body is {size:,} characters as Jira stores it (ADF), more than the {DESCRIPTION_LIMIT:,} Jira "
            "takes; shorten the item's text"
        )
