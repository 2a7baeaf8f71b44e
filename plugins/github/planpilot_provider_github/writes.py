"""Sending issue and board writes: the create request, then :class:`Changes` applied in a fixed order.

``createIssue`` sets body, labels, type, parent and board membership in one request; whatever it did
not finish, and every update, goes through :meth:`IssueWrites.apply`, which records the canonical
create steps as it goes. The two writes that must not happen twice (create, delete) are sent once and,
after an ambiguous failure, resolved by reading without the search index.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Final

from planpilot_provider_github.changes import Changes
from planpilot_provider_github.client import GitHubGraphQL
from planpilot_provider_github.context import FieldValue, GitHubContext
from planpilot_provider_github.convert import IssueState
from planpilot_provider_github.graphql.generated import issue_mutations as issue_mut
from planpilot_provider_github.graphql.generated import project_mutations as project_mut
from planpilot_provider_github.labels import LabelCatalog
from planpilot_provider_github.reads import IssueReads
from planpilot_providers_core import CreateItemInput, CreateProgress, CreateStep
from planpilot_providers_core.reliability import NOT_APPLIED, Applied, NotApplied

log = logging.getLogger("planpilot.providers.github")

FIELDS_PER_REQUEST: Final = 4
RECENT_CREATE_WINDOW: Final = 300.0
"""Seconds of clock skew and latency allowed when looking for an issue an ambiguous create may have made."""


class IssueWrites:
    """The provider's issue writes; each takes the entered provider's context."""

    def __init__(self, gql: GitHubGraphQL, reads: IssueReads, labels: LabelCatalog) -> None:
        self._gql = gql
        self._reads = reads
        self._labels = labels
        self._claimed_creates: set[str] = set()
        """Issues this provider created: an ambiguous create never adopts one of them as its own."""

    # -- create and delete: never twice ---------------------------------------------------------

    async def create_issue(
        self, issue_input: Mapping[str, Any], item: CreateItemInput, context: GitHubContext
    ) -> IssueState:
        """``createIssue`` once; after an ambiguous failure, the issue it made if it made one."""
        started = self._gql.clock.time()

        async def send() -> IssueState:
            response = await self._gql.mutate_once(issue_mut.Operations.mutation.create_issue, {"input": issue_input})
            return self._reads.state(response.raw["createIssue"]["issue"], context)

        async def find_created(_exc: BaseException) -> Applied[IssueState] | NotApplied:
            return await self._find_created(item, started, context)

        state = await self._gql.write_once(
            "CreateIssue", send, resolve_ambiguous=find_created, op=issue_mut.Operations.mutation.create_issue
        )
        self._claimed_creates.add(state.id)
        return state

    async def _find_created(
        self, item: CreateItemInput, started: float, context: GitHubContext
    ) -> Applied[IssueState] | NotApplied:
        """After an ambiguous ``createIssue``: the issue it made, if any, read without the search index."""
        cutoff = dt.datetime.fromtimestamp(started - RECENT_CREATE_WINDOW, dt.UTC)
        recent = await self._reads.listed(
            context, {"states": ["OPEN", "CLOSED"]}, "CREATED_AT", stop=lambda s: s.created_at < cutoff
        )
        for state in sorted(recent, key=lambda s: s.created_at):
            if (
                state.created_at >= cutoff
                and state.title == item.title
                and state.body == item.body
                and state.id not in self._claimed_creates
            ):
                log.info(
                    "ambiguous createIssue had created %s; continuing with it instead of creating again", state.key
                )
                return Applied(await self._reads.by_id(state.id, context))
        return NOT_APPLIED

    async def delete_issue(self, item_id: str, context: GitHubContext) -> None:
        async def send() -> None:
            await self._gql.mutate_once(issue_mut.Operations.mutation.delete_issue, {"input": {"issueId": item_id}})

        async def gone(_exc: BaseException) -> Applied[None] | NotApplied:
            return NOT_APPLIED if item_id in await self._reads.by_ids([item_id], context) else Applied(None)

        await self._gql.write_once(
            "DeleteIssue", send, resolve_ambiguous=gone, op=issue_mut.Operations.mutation.delete_issue
        )

    async def close_duplicate(self, state: IssueState, kept_id: str, label: str) -> None:
        """Close the issue as a duplicate of ``kept_id`` (GitHub links the two), then take the discovery
        label off it. In that order: should the second request fail, the issue is closed but still found,
        and the next sync closes it again (a repeat is harmless) and removes the label; the other order
        could leave an open duplicate nothing finds."""
        await self._gql.mutate(
            issue_mut.Operations.mutation.close_issue,
            {"input": {"issueId": state.id, "stateReason": "DUPLICATE", "duplicateIssueId": kept_id}},
        )
        label_ids = [label_id for name, label_id in state.labels.items() if name.casefold() == label.casefold()]
        if label_ids:
            await self._gql.mutate(
                issue_mut.Operations.mutation.remove_labels, {"input": {"labelableId": state.id, "labelIds": label_ids}}
            )

    # -- changes: safe to repeat ----------------------------------------------------------------

    async def apply(
        self, state: IssueState, changes: Changes, context: GitHubContext, progress: CreateProgress | None = None
    ) -> IssueState:
        """Write ``changes`` (issue, labels, board item, field values, in that order) and return the issue
        as it now reads; ``progress`` records the create steps as each completes."""
        done = progress.done if progress is not None else _ignore
        if changes.issue_fields:
            await self._gql.mutate(
                issue_mut.Operations.mutation.update_issue, {"input": {"id": state.id, **changes.issue_fields}}
            )
        done(CreateStep.ISSUE_TYPE_SET)
        label_ids = await self._labels.ids(changes.add_labels, context)
        if label_ids:
            await self._gql.mutate(
                issue_mut.Operations.mutation.add_labels,
                {"input": {"labelableId": state.id, "labelIds": list(dict.fromkeys(label_ids.values()))}},
            )
        if changes.remove_labels:
            await self._gql.mutate(
                issue_mut.Operations.mutation.remove_labels,
                {"input": {"labelableId": state.id, "labelIds": list(changes.remove_labels.values())}},
            )
        done(CreateStep.LABELS_SET)
        project_item_id = state.project_item_id
        if changes.add_to_project or project_item_id is None:
            project_item_id = await self._add_to_project(state.id, context)
        done(CreateStep.PROJECT_ITEM_ADDED)
        if changes.set_fields:
            await self._set_fields(project_item_id, changes.set_fields, context)
            done(CreateStep.PROJECT_FIELDS_SET)
        return changes.applied_to(state, label_ids=label_ids, project_item_id=project_item_id)

    async def _add_to_project(self, issue_id: str, context: GitHubContext) -> str:
        """The issue's item on our board; ``addProjectV2ItemById`` returns the existing one if there is one."""
        response = await self._gql.mutate(
            project_mut.Operations.mutation.add_project_item,
            {"input": {"projectId": context.project_id, "contentId": issue_id}},
        )
        return str(response.data.add_project_v2_item_by_id.item.id)

    async def _set_fields(self, item_id: str, values: Sequence[FieldValue], context: GitHubContext) -> None:
        """Up to four field values per request (aliased mutations in one document)."""
        ops = project_mut.Operations.mutation
        by_count = {
            1: ops.set_project_fields1,
            2: ops.set_project_fields2,
            3: ops.set_project_fields3,
            4: ops.set_project_fields4,
        }
        for start in range(0, len(values), FIELDS_PER_REQUEST):
            chunk = values[start : start + FIELDS_PER_REQUEST]
            variables = {
                f"i{n}": {
                    "projectId": context.project_id,
                    "itemId": item_id,
                    "fieldId": v.field_id,
                    "value": dict(v.value),
                }
                for n, v in enumerate(chunk)
            }
            await self._gql.mutate(by_count[len(chunk)], variables)


def _ignore(*_steps: str) -> None:
    """Progress of an update: there are no create steps to record."""
