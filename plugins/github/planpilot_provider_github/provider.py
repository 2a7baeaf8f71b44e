"""``GitHubProvider``: GitHub Issues + Projects v2 behind the core provider contract.

The class wires the parts together and keeps the contract's order of events; the work is done by
:mod:`.resolve` (enter), :mod:`.reads` (get, discovery), :mod:`.changes` (what to write, pure) and
:mod:`.writes` (writing it), with :mod:`.labels` and :mod:`.relations` alongside; :mod:`.batch_updates`
and :meth:`.relations.RelationOps.reconcile_many` write many items per request, and :mod:`.pacing` keeps
every request within GitHub's budgets (:mod:`.estimate` says how long the rest takes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from planpilot_provider_github.batch_updates import BatchUpdates
from planpilot_provider_github.changes import Wanted, create_marks, decide_changes
from planpilot_provider_github.client import GitHubGraphQL
from planpilot_provider_github.context import GitHubContext
from planpilot_provider_github.convert import IssueState
from planpilot_provider_github.estimate import workload_units, write_requests
from planpilot_provider_github.fields import creation_defaults, plan_field_value, size_field, size_value
from planpilot_provider_github.item import GitHubItem, issue_item
from planpilot_provider_github.labels import LabelCatalog
from planpilot_provider_github.options import GitHubOptions
from planpilot_provider_github.plugin import CAPABILITIES
from planpilot_provider_github.reads import IssueReads, now
from planpilot_provider_github.relations import RelationOps
from planpilot_provider_github.resolve import choose_type_strategy, resolve_remote
from planpilot_provider_github.urls import parse_board_url, parse_target
from planpilot_provider_github.writes import IssueWrites
from planpilot_providers_core import (
    AuthenticationError,
    Capability,
    CreateItemInput,
    CreateProgress,
    CreateStep,
    Estimate,
    Item,
    ItemLimits,
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


class GitHubProvider(Provider[GitHubContext]):
    """GitHub Issues + Projects v2 over typed GraphQL (sgqlc), with the core reliability toolkit.

    Options (``create_provider("github", ..., **options)``) are the fields of :class:`GitHubOptions`:
    ``api_url``, ``transport``, ``budgets``, ``mutation_interval``, ``max_connections``, ``timeout``,
    ``retry_policy``, ``search_lag_window``, ``secondary_limit_wait`` and ``clock``.
    """

    item_limits = ItemLimits(title=256, body=65536)
    """GitHub refuses longer ones ("Title is too long (maximum is 256 characters)", likewise 65,536 for
    a body); a sync checks its plan against them before the first write."""

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self.options = parse_options(GitHubOptions, config)
        self._repo = parse_target(config.target)
        self._board = parse_board_url(config.board_url, self.options.board_hosts)
        self._gql = GitHubGraphQL(token=config.token, options=self.options)
        self.relations = RelationOps(
            self._gql, require=self.require, ensure_entered=self.ensure_entered, ensure_writable=self.ensure_writable
        )
        self._labels = LabelCatalog(self._gql, self._repo)
        self._reads = IssueReads(self._gql, self._repo, self.options)
        self._writes = IssueWrites(self._gql, self._reads, self._labels)
        self._batch = BatchUpdates(self._gql, self._reads, self._labels)

    @classmethod
    def validate_config(cls, config: ProviderConfig) -> None:
        """Target, board URL (on github.com or the Enterprise host) and options, before any token is read."""
        options = parse_options(GitHubOptions, config)
        parse_target(config.target)
        parse_board_url(config.board_url, options.board_hosts)

    def __repr__(self) -> str:
        board = f"{self._board.login}/{self._board.number}"
        return f"GitHubProvider(target={self._repo.full_name!r}, board={board!r}, api_url={self.options.api_url!r})"

    # -- lifecycle -------------------------------------------------------------------------

    async def resolve_context(self) -> GitHubContext:
        if not self.config.token.strip():
            raise AuthenticationError("no GitHub token: set GITHUB_TOKEN or GH_TOKEN (or log in with 'gh auth login')")
        await self.open_resource(self._gql)
        resolved = await resolve_remote(self._gql, self._repo, self._board)
        config = self.config.field_config
        strategy = choose_type_strategy(config, resolved)
        self._labels.reset(resolved.labels)
        unused_type = Capability.ITEM_TYPES_LABEL if strategy.strategy == "issue-type" else Capability.ITEM_TYPES_NATIVE
        # Missing labels are created by the first write that needs them, never here: a run refused after
        # entering (another plan's id, a plan the board cannot take) must have written nothing.
        return GitHubContext(
            provider=self.name,
            capabilities=CAPABILITIES - {unused_type},
            repository_id=resolved.repository_id,
            repository=resolved.repository,
            owner_is_org=resolved.owner_is_org,
            project_id=resolved.project_id,
            project_title=resolved.project_title,
            project_url=resolved.project_url,
            create_type_strategy=strategy.strategy,
            type_strategy_reason=strategy.reason,
            issue_type_ids=strategy.issue_type_ids,
            type_labels=dict(config.create_type_map) if strategy.strategy == "label" else {},
            discovery_label=self.config.label,
            fields=resolved.fields,
            field_config=config,
            size_field=size_field(config, resolved.fields),
            creation_defaults=creation_defaults(config, resolved.fields, now(self.options).date()),
            read_only=self.read_only,
        )

    def size_problems(self, size: str) -> list[str]:
        """A plan size the board's size field cannot hold (no such option, no size field), naming the choices."""
        try:
            size_value(self.context.field_config, self.context.size_field, size)
        except ProviderError as exc:
            return [str(exc)]
        return []

    def field_problems(self, fields: Mapping[str, str]) -> list[str]:
        """Each plan field checked against the board: an unknown field or option names the choices."""
        problems = []
        for name, value in fields.items():
            try:
                plan_field_value(self.context.fields, name, value)
            except ProviderError as exc:
                problems.append(str(exc))
        return problems

    # -- reads -----------------------------------------------------------------------------

    def _item(self, state: IssueState, context: GitHubContext) -> GitHubItem:
        return issue_item(state, context, self.relations)

    async def get_item(self, item_id: str) -> GitHubItem:
        context = self.context
        return self._item(await self._reads.by_id(item_id, context), context)

    async def search_items(self, filters: ItemSearchFilters) -> list[Item]:
        """Search (partitioned past the 1,000 cap) plus a listing of recently updated issues that
        does not go through the lagging search index; re-checked locally, each issue once."""
        context = self.context
        return [self._item(state, context) for state in await self._reads.discover(filters, context)]

    async def fetch_relations(self, items: Sequence[Item]) -> dict[str, ItemRelations]:
        return await self.relations.fetch([item.id for item in items])

    # -- writes ----------------------------------------------------------------------------

    async def create_item(self, item: CreateItemInput) -> GitHubItem:
        """One ``createIssue`` sets body, labels, type, parent and project membership; one more request
        sets the field values. Anything still missing is decided and written like an update."""
        context = self.context
        wanted = Wanted.for_create(item, context)  # a size the board lacks fails here, before any write
        type_id, label_names = create_marks(wanted, context)
        label_ids = await self._labels.ids(label_names, context)
        issue_input: dict[str, Any] = {
            "repositoryId": context.repository_id,
            "title": item.title,
            "body": item.body,
            "labelIds": list(label_ids.values()),
            "projectV2Ids": [context.project_id],
        }
        if type_id is not None:
            issue_input["issueTypeId"] = type_id
        if item.parent_id is not None:
            issue_input["parentIssueId"] = item.parent_id  # the sub-issue link in the same request
        progress = CreateProgress(retryable=lambda exc: classify_failure(exc).retryable)
        with progress:
            state = await self._writes.create_issue(issue_input, item, context)
            progress.created(state.id, state.key, state.url)
            if item.parent_id is not None:
                progress.done(CreateStep.PARENT_SET)  # parentIssueId went in the same request
            changes = decide_changes(state, wanted, context)
            state = await self._writes.apply(state, changes, context, progress)
        return self._item(state, context)

    async def update_item(self, item_id: str, item: UpdateItemInput) -> GitHubItem:
        """Apply plan-authoritative differences only; one read, and no write when nothing differs.

        Labels are only added. Status, priority and iteration are creation defaults: they are set
        only when the issue was not yet on the board (a create that failed midway) or the field is
        still empty, never changed once a value is there. An item that reads ``complete=False`` is
        finished here, whatever the plan fields say.
        """
        context = self.context
        wanted = Wanted.for_update(item, context)  # a size the board lacks fails here, before any write
        state = await self._reads.by_id(item_id, context)
        changes = decide_changes(state, wanted, context)
        return self._item(await self._writes.apply(state, changes, context), context)

    async def update_items(self, updates: Sequence[tuple[str, UpdateItemInput]]) -> list[Item | Exception]:
        """Many updates in a few requests: one batched read, the same decision as :meth:`update_item`
        for each, then every issue, label and board write as aliased mutations; one result per update."""
        context = self.context
        results = await self._batch.update(updates, context)
        return [result if isinstance(result, Exception) else self._item(result, context) for result in results]

    async def reconcile_many(self, changes: Sequence[RelationChange]) -> list[Exception | None]:
        """Many items' parents and blockers in a few requests (the sync's batched read stands in for a
        fresh one); one result per change."""
        return await self.relations.reconcile_many([(change.item.id, change.wanted) for change in changes])

    async def close_duplicate(self, item_id: str, kept: Item, *, label: str) -> None:
        """``closeIssue`` with ``stateReason: DUPLICATE`` and ``duplicateIssueId`` (GitHub shows it as a
        duplicate of ``kept``), then the discovery label comes off; the issue is never deleted."""
        context = self.context
        state = await self._reads.by_id(item_id, context)
        if item_id == kept.id:
            raise ProviderError(f"cannot close {state.key} as a duplicate of itself")
        await self._writes.close_duplicate(state, kept.id, label)

    async def delete_item(self, item_id: str) -> None:
        context = self.context
        await self._reads.by_id(item_id, context)
        await self._writes.delete_issue(item_id, context)

    # -- budgets ---------------------------------------------------------------------------------

    def estimate(self, work: Workload) -> Estimate | None:
        """How long ``work`` takes at GitHub's pace: the budgets as they stand, or the writes one after another
        at their measured round trip when that is slower; ``None`` with neither budgets nor a measured write."""
        pacing = self._gql.pacing
        try:
            context = self.context
            field_requests = 1 if context.creation_defaults or context.size_field is not None else 0
        except ProviderError:  # not entered: assume the usual board
            field_requests = 1
        units = workload_units(work, field_requests=field_requests)
        per_write = pacing.write_seconds
        round_trips = None if per_write is None else write_requests(work, field_requests=field_requests) * per_write
        if pacing.tracker is None:
            return None if round_trips is None else Estimate(seconds=round_trips, units=units)
        eta = pacing.tracker.eta(units)
        if round_trips is not None and round_trips > eta.seconds:
            return Estimate(seconds=round_trips, units=units)
        return Estimate(seconds=eta.seconds, binding=eta.binding, units=units)

    def budget_report(self) -> Mapping[str, float] | None:
        """Units spent per budget, requests sent, limit responses met and seconds waited for budgets."""
        return self._gql.pacing.report()
