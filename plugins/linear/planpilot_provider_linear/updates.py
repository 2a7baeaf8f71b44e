"""Updating issues: read, decide what differs (a pure function), write only that.

Plan-authoritative fields only: title, description (compared in :func:`.bodies.canonical_body` form), the
type label, labels (only ever added; a type change swaps the provider's own type label) and the estimate.
Workflow state, priority, cycle and project are creation defaults and never touched here. Many updates go as
one batched read and aliased ``issueUpdate`` mutations, each update's outcome its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from planpilot_provider_linear.aliases import Kind, Write, send_writes
from planpilot_provider_linear.bodies import canonical_body
from planpilot_provider_linear.client import LinearGraphQL
from planpilot_provider_linear.context import LinearContext
from planpilot_provider_linear.graphql.generated import issue_mutations
from planpilot_provider_linear.issues import IssueState, issue_state
from planpilot_provider_linear.labels import LabelCatalog
from planpilot_provider_linear.reads import IssueReads
from planpilot_providers_core.contracts import PlanItemType, UpdateItemInput, merge_labels
from planpilot_providers_core.errors import ItemNotFoundError

__all__ = ["IssueUpdates", "Wanted", "issue_changes"]


@attrs.frozen(kw_only=True)
class Wanted:
    """What the plan wants of an issue: ``None`` leaves a field alone."""

    title: str | None = None
    body: str | None = None
    labels: tuple[str, ...] = ()
    """Label names the issue must carry (the type label included); others are kept."""
    stale_labels: tuple[str, ...] = ()
    """Label names to take off: the provider's type labels of other types."""
    estimate: int | None = None

    @classmethod
    def of(
        cls,
        context: LinearContext,
        *,
        title: str | None,
        body: str | None,
        item_type: PlanItemType | None,
        labels: Sequence[str],
        size: str | None,
    ) -> Wanted:
        """From a create's or an update's fields; a size off the team's scale is a ``ProviderError`` here,
        before anything is written."""
        type_labels = context.type_labels
        own = (type_labels[item_type],) if item_type is not None else ()
        stale = tuple(type_labels[t] for t in PlanItemType if t is not item_type) if item_type is not None else ()
        scale = context.scale
        return cls(
            title=title,
            body=body,
            labels=merge_labels(labels, own),
            stale_labels=stale,
            estimate=scale.estimate(size) if size is not None and scale.used else None,
        )

    @classmethod
    def for_update(cls, item: UpdateItemInput, context: LinearContext) -> Wanted:
        return cls.of(
            context,
            title=item.title,
            body=item.body,
            item_type=item.item_type,
            labels=item.labels or (),
            size=item.size,
        )


def issue_changes(
    state: IssueState, wanted: Wanted, label_ids: Mapping[str, str], names: Mapping[str, str]
) -> dict[str, Any]:
    """The ``IssueUpdateInput`` that makes ``state`` what ``wanted`` asks (empty: nothing to write).

    ``label_ids`` maps the wanted label names to ids; ``names`` the issue's label ids to names.
    """
    change: dict[str, Any] = {}
    if wanted.title is not None and wanted.title != state.title:
        change["title"] = wanted.title
    if wanted.body is not None and canonical_body(wanted.body) != canonical_body(state.description):
        change["description"] = wanted.body
    have = set(state.label_ids)
    added = [label_ids[name] for name in wanted.labels if name in label_ids and label_ids[name] not in have]
    if added:
        change["addedLabelIds"] = list(dict.fromkeys(added))
    stale = {name.casefold() for name in wanted.stale_labels}
    removed = [label_id for label_id in state.label_ids if names.get(label_id, "").casefold() in stale]
    if removed:
        change["removedLabelIds"] = removed
    if wanted.estimate is not None and wanted.estimate != state.estimate:
        change["estimate"] = wanted.estimate
    return change


class IssueUpdates:
    """Writes decided by :func:`issue_changes`, one issue or many."""

    def __init__(self, gql: LinearGraphQL, reads: IssueReads, catalog: LabelCatalog, *, batch_size: int) -> None:
        self._gql = gql
        self._reads = reads
        self._catalog = catalog
        self._batch_size = batch_size

    async def _decide(self, state: IssueState, wanted: Wanted) -> dict[str, Any]:
        label_ids = await self._catalog.ids(wanted.labels)
        names = await self._catalog.names(state.label_ids)
        return issue_changes(state, wanted, label_ids, names)

    async def update(self, state: IssueState, wanted: Wanted) -> IssueState:
        """Make ``state`` what ``wanted`` asks; no request when nothing differs."""
        change = await self._decide(state, wanted)
        if not change:
            return state
        op = issue_mutations.Operations.mutation.issue_update
        answer = await self._gql.mutate(op, {"id": state.id, "input": change})
        return issue_state(answer.data.issue_update.issue)

    async def update_many(
        self, updates: Sequence[tuple[str, Wanted | Exception]], team_id: str
    ) -> list[IssueState | Exception]:
        """Each ``(issue id, wanted)`` applied, in order; one batched read, then only what differs as aliased
        updates. A ``wanted`` that is already an exception (it could not be decided) is passed through."""
        states = await self._reads.by_ids([issue_id for issue_id, _ in updates])
        results: list[IssueState | Exception] = []
        writes: list[Write] = []
        for index, (issue_id, wanted) in enumerate(updates):
            state = states.get(issue_id)
            if isinstance(wanted, Exception):
                results.append(wanted)
                continue
            if state is None or state.trashed or state.team_id != team_id:
                results.append(ItemNotFoundError(f"no Linear issue {issue_id!r} of this team to update"))
                continue
            try:
                change = await self._decide(state, wanted)
            except Exception as exc:
                results.append(exc)
                continue
            results.append(state)
            if change:
                writes.append(Write(Kind.UPDATE_ISSUE, {"id": state.id, "input": change}, index))
        outcomes = await send_writes(self._gql, "IssueUpdates", writes, per_request=self._batch_size)
        unanswered: list[int] = []
        for write, outcome in zip(writes, outcomes, strict=True):
            if outcome.error is not None:
                results[write.owner] = outcome.error
            elif outcome.data is None:
                unanswered.append(write.owner)  # applied, its answer nulled by a later alias's failure
            else:
                results[write.owner] = issue_state(outcome.data.issue)
        if unanswered:
            fresh = await self._reads.by_ids([updates[i][0] for i in unanswered])
            for i in unanswered:
                results[i] = fresh.get(updates[i][0]) or ItemNotFoundError(f"Linear issue {updates[i][0]!r} is gone")
        return results
