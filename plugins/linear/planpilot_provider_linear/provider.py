"""``LinearProvider``: Linear issues of one team behind the core provider contract.

The class wires the parts together and keeps the contract's order of events; the work is done by
:mod:`.resolve` (enter), :mod:`.reads` (get, discovery), :mod:`.creates` (one create, or many in one
request), :mod:`.updates` (deciding what differs, and writing only that), :mod:`.relations` and
:mod:`.labels`, all over :mod:`.client`, which paces every request by Linear's budgets (:mod:`.budgets`).

The mapping (see the README's table): a plan item is an issue of the team ``target`` names; its type is a
team label (``Epic``, ``Story``, ``Task``: Linear has no native types); its parent is ``parentId``; its
blockers are ``blocks`` relations; its size the team's estimate, a t-shirt size mapped onto the team's scale;
its body the issue's Markdown description; the discovery label and every plan label are labels of the team
(or of the workspace, when one has the name). New issues get the workflow state, priority and cycle of
``FieldConfig`` and the project of ``board_url``; after that those are the team's.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from planpilot_provider_linear.aliases import Kind, Write
from planpilot_provider_linear.bodies import canonical_body
from planpilot_provider_linear.budgets import workload_units
from planpilot_provider_linear.client import LinearGraphQL
from planpilot_provider_linear.context import LinearContext
from planpilot_provider_linear.creates import IssueCreates
from planpilot_provider_linear.graphql.generated import issue_mutations
from planpilot_provider_linear.issues import IssueState
from planpilot_provider_linear.item import LinearItem, linear_item
from planpilot_provider_linear.labels import LabelCatalog
from planpilot_provider_linear.options import LinearOptions
from planpilot_provider_linear.plugin import CAPABILITIES
from planpilot_provider_linear.reads import IssueReads
from planpilot_provider_linear.relations import RelationOps, duplicate_link
from planpilot_provider_linear.resolve import creation_defaults, duplicate_state, read_project, read_team
from planpilot_provider_linear.updates import IssueUpdates, Wanted
from planpilot_provider_linear.urls import parse_project_url, parse_team_key
from planpilot_providers_core import (
    CreateItemInput,
    CreateProgress,
    CreateStep,
    Estimate,
    Item,
    ItemRelations,
    ItemSearchFilters,
    Provider,
    ProviderConfig,
    ProviderError,
    RelationChange,
    UpdateItemInput,
    Workload,
    parse_options,
)
from planpilot_providers_core.reliability import classify_failure
from planpilot_providers_core.sync.runner import DEFAULT_MAX_CONCURRENT

__all__ = ["LinearProvider"]

log = logging.getLogger("planpilot.providers.linear")


class LinearProvider(Provider[LinearContext]):
    """Linear issues of the team ``target`` names (``ENG``), optionally in the project ``board_url`` names.

    Options (``create_provider("linear", ..., **options)``) are the fields of :class:`LinearOptions`:
    ``api_url``, ``transport``, ``budgets``, ``requests_per_hour``, ``complexity_per_hour``, ``page_size``,
    ``batch_size``, ``batch_creates``, ``recent_window``, ``max_connections``, ``timeout``, ``retry_policy``
    and ``clock``.
    """

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self.options = parse_options(LinearOptions, config)
        self._team_key = parse_team_key(config.target)
        self._project_slug = parse_project_url(config.board_url)
        self._gql = LinearGraphQL(credential=config.credential, options=self.options)
        self._labels = LabelCatalog(self._gql)
        self._reads = IssueReads(self._gql, self._labels, self.options)
        batch = self.options.batch_size
        self._creates = IssueCreates(self._gql, self._reads, batch_size=batch, batched=self.options.batch_creates)
        self._updates = IssueUpdates(self._gql, self._reads, self._labels, batch_size=batch)
        self.relations = RelationOps(
            self._gql,
            batch_size=batch,
            require=self.require,
            ensure_entered=self.ensure_entered,
            ensure_writable=self.ensure_writable,
        )

    @classmethod
    def validate_config(cls, config: ProviderConfig) -> None:
        """Team key, project URL and options, before any credential is looked up."""
        parse_options(LinearOptions, config)
        parse_team_key(config.target)
        parse_project_url(config.board_url)

    def __repr__(self) -> str:
        return (
            f"LinearProvider(team={self._team_key!r}, project={self._project_slug!r}, api_url={self.options.api_url!r})"
        )

    # -- lifecycle ---------------------------------------------------------------------------------

    async def resolve_context(self) -> LinearContext:
        await self.open_resource(self._gql)
        team = await read_team(self._gql, self._team_key)
        project = None
        if self._project_slug is not None:
            project = await read_project(self._gql, self._project_slug, team, self.config.board_url)
        field_config = self.config.field_config
        defaults = await creation_defaults(self._gql, team, field_config, project)
        closing = duplicate_state(team.states)
        self._labels.reset(team.id, team.labels)
        context = LinearContext(
            provider=self.name,
            capabilities=CAPABILITIES,
            team_id=team.id,
            team_key=team.key,
            team_name=team.name,
            scale=team.scale,
            discovery_label=self.config.label,
            type_labels=field_config.create_type_map,
            defaults=defaults,
            duplicate_state_id=closing.id if closing else None,
        )
        if not team.scale.used:
            log.info("team %s does not use estimates: plan sizes are not written", team.key)
        if not self.read_only:  # the labels every item carries, made now rather than by the first creates
            await self._labels.ids([self.config.label, *context.type_labels.values()])
        return context

    # -- reads -------------------------------------------------------------------------------------

    async def _item(self, state: IssueState) -> LinearItem:
        names = await self._labels.names(state.label_ids)
        return linear_item(state, names, self.context, self.relations)

    async def get_item(self, item_id: str) -> LinearItem:
        return await self._item(await self._reads.by_id(item_id, self.context.team_id))

    async def search_items(self, filters: ItemSearchFilters) -> list[Item]:
        return [await self._item(state) for state in await self._reads.discover(filters, self.context.team_id)]

    async def fetch_relations(self, items: Sequence[Item]) -> dict[str, ItemRelations]:
        current = await self.relations.fetch([item.id for item in items])
        return {issue_id: relations.relations() for issue_id, relations in current.items()}

    def canonical_body(self, body: str) -> str:
        return canonical_body(body)

    # -- writes ------------------------------------------------------------------------------------

    async def create_item(self, item: CreateItemInput) -> LinearItem:
        """One request creates the issue with everything: title, Markdown body with its metadata, labels (the
        type label and the discovery label included), estimate, parent, and the creation defaults (state,
        priority, cycle, project). Its id is chosen here, so a lost answer is resolved by reading it back."""
        context = self.context
        wanted = Wanted.of(
            context,
            title=item.title,
            body=item.body,
            item_type=item.item_type,
            labels=(context.discovery_label, *item.labels),
            size=item.size,
        )  # a size off the team's scale fails here, before anything is written
        label_ids = await self._labels.ids(wanted.labels)
        issue_input: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "teamId": context.team_id,
            "title": item.title,
            "description": item.body,
            "labelIds": list(dict.fromkeys(label_ids.values())),
            **context.defaults.fields(),
        }
        steps = [CreateStep.ISSUE_TYPE_SET, CreateStep.LABELS_SET]
        if item.parent_id is not None:
            issue_input["parentId"] = item.parent_id
            steps.append(CreateStep.PARENT_SET)
        if context.defaults.project_id is not None:
            steps.append(CreateStep.PROJECT_ITEM_ADDED)
        if wanted.estimate is not None:
            issue_input["estimate"] = wanted.estimate
        if wanted.estimate is not None or context.defaults.fields().keys() - {"projectId"}:
            steps.append(CreateStep.PROJECT_FIELDS_SET)
        progress = CreateProgress(retryable=lambda exc: classify_failure(exc).retryable)
        with progress:
            state = await self._creates.create(issue_input)
            progress.created(state.id, state.identifier, state.url, *steps)
            return await self._item(state)

    async def update_item(self, item_id: str, item: UpdateItemInput) -> LinearItem:
        """Plan-authoritative differences only: one read, and no write when nothing differs."""
        context = self.context
        wanted = Wanted.for_update(item, context)
        state = await self._reads.by_id(item_id, context.team_id)
        return await self._item(await self._updates.update(state, wanted))

    async def update_items(self, updates: Sequence[tuple[str, UpdateItemInput]]) -> list[Item | Exception]:
        """Many updates in few requests: one batched read, then only what differs as aliased updates."""
        context = self.context
        decided: list[tuple[str, Wanted | Exception]] = []
        for item_id, update in updates:
            try:
                decided.append((item_id, Wanted.for_update(update, context)))
            except Exception as exc:
                decided.append((item_id, exc))
        results: list[Item | Exception] = []
        for result in await self._updates.update_many(decided, context.team_id):
            results.append(result if isinstance(result, Exception) else await self._item(result))
        return results

    async def reconcile_many(self, changes: Sequence[RelationChange]) -> list[Exception | None]:
        return await self.relations.reconcile_many([(change.item.id, change.wanted) for change in changes])

    async def close_duplicate(self, item_id: str, kept: Item, *, label: str) -> None:
        """The Linear way: a ``duplicate`` relation to ``kept`` (Linear shows "duplicate of"), the team's
        duplicate state (else its canceled one), and the discovery label off, in one request; never deleted.
        What is already so is not written again."""
        context = self.context
        state = await self._reads.by_id(item_id, context.team_id)
        if state.id == kept.id:
            raise ProviderError(f"cannot close {state.identifier} as a duplicate of itself")
        names = await self._labels.names(state.label_ids)
        change: dict[str, Any] = {}
        stale = [label_id for label_id in state.label_ids if names.get(label_id, "").casefold() == label.casefold()]
        if stale:
            change["removedLabelIds"] = stale
        closing = context.duplicate_state_id
        if closing is not None and state.state_type not in ("duplicate", "canceled", "completed"):
            change["stateId"] = closing
        writes = (
            [] if kept.id in await self.relations.duplicate_of(state.id) else [duplicate_link(state.id, kept.id, 0)]
        )
        if change:
            writes.append(Write(Kind.UPDATE_ISSUE, {"id": state.id, "input": change}, 0))
        (error,) = await self.relations.write(writes, 1)
        if error is not None:
            raise error

    async def delete_item(self, item_id: str) -> None:
        """Linear's delete: the issue goes to the trash (restorable there for a while)."""
        context = self.context
        state = await self._reads.by_id(item_id, context.team_id)
        await self._gql.mutate(issue_mutations.Operations.mutation.issue_delete, {"id": state.id})

    # -- budgets -----------------------------------------------------------------------------------

    def estimate(self, work: Workload) -> Estimate | None:
        """How long ``work`` takes at Linear's pace: the budgets as they stand (``None`` without budgets).

        Creates that come together go several to a request: counted as this provider's creates have gone so
        far, or, before the first, as the reference sync runs them (``DEFAULT_MAX_CONCURRENT`` at a time).
        """
        budgets = self._gql.budgets
        if budgets is None:
            return None
        batch = self.options.batch_size
        expected = min(batch, DEFAULT_MAX_CONCURRENT) if self.options.batch_creates else 1
        per_request = self._creates.issues_per_request(expected)
        return budgets.estimate(workload_units(work, batch_size=batch, creates_per_request=per_request))

    def budget_report(self) -> Mapping[str, float] | None:
        """Requests and complexity points spent, requests sent, refusals met and seconds waited for budgets."""
        budgets = self._gql.budgets
        return None if budgets is None else budgets.report()
