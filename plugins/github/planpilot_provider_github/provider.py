"""``GitHubProvider``: GitHub Issues + Projects v2 behind the core provider contract."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from planpilot_provider_github.client import GitHubGraphQL, error_message, error_type
from planpilot_provider_github.context import FieldValue, GitHubContext
from planpilot_provider_github.convert import IssueState, infer_item_type, issue_state
from planpilot_provider_github.graphql.generated import issue_mutations as issue_mut
from planpilot_provider_github.graphql.generated import issues as issue_ops
from planpilot_provider_github.graphql.generated import project_mutations as project_mut
from planpilot_provider_github.graphql.generated import repository as repository_ops
from planpilot_provider_github.graphql.generated import search as search_ops
from planpilot_provider_github.item import GitHubItem
from planpilot_provider_github.options import GitHubOptions
from planpilot_provider_github.plugin import CAPABILITIES
from planpilot_provider_github.relations import RelationOps
from planpilot_provider_github.resolve import (
    choose_type_strategy,
    creation_defaults,
    resolve_remote,
    size_field,
    size_value,
)
from planpilot_provider_github.search import PAGE_SIZE, SearchPage, build_query, search_all
from planpilot_provider_github.urls import parse_board_url, parse_target
from planpilot_providers_core import (
    AuthenticationError,
    Capability,
    CreateItemInput,
    CreateProgress,
    CreateStep,
    Item,
    ItemNotFoundError,
    ItemRelations,
    ItemSearchFilters,
    PlanItemType,
    Provider,
    ProviderConfig,
    ProviderError,
    UpdateItemInput,
    parse_options,
)
from planpilot_providers_core.reliability import NOT_APPLIED, Applied, NotApplied, classify_failure
from planpilot_providers_core.singleflight import SingleFlightCache

log = logging.getLogger("planpilot.providers.github")

LABEL_COLORS: Final = {"discovery": "ededed", "EPIC": "3e4b9e", "STORY": "0e8a16", "TASK": "c5def5"}
FIELDS_PER_REQUEST: Final = 4
RECENT_CREATE_WINDOW: Final = 300.0
"""Seconds of clock skew and latency allowed when looking for an issue an ambiguous create may have made."""
_LABEL_TAKEN: Final = "already been taken"


def _now(options: GitHubOptions) -> dt.datetime:
    return dt.datetime.fromtimestamp(options.clock.time(), dt.UTC)


def _today(options: GitHubOptions) -> dt.date:
    return _now(options).date()


class GitHubProvider(Provider[GitHubContext]):
    """GitHub Issues + Projects v2 over typed GraphQL (sgqlc), with the core reliability toolkit.

    Options (``create_provider("github", ..., **options)``) are the fields of :class:`GitHubOptions`:
    ``api_url``, ``transport``, ``mutation_interval``, ``max_connections``, ``timeout``,
    ``retry_policy``, ``search_lag_window``, ``secondary_limit_wait`` and ``clock``.
    """

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self.options = parse_options(GitHubOptions, config)
        self._repo = parse_target(config.target)
        self._board = parse_board_url(config.board_url, self.options.board_hosts)
        self._field_config = config.field_config
        self._gql = GitHubGraphQL(token=config.token, options=self.options)
        self.relations = RelationOps(
            self._gql, require=self.require, ensure_entered=self.ensure_entered, ensure_writable=self.ensure_writable
        )
        self._labels: SingleFlightCache[str, str] = SingleFlightCache()
        self._claimed_creates: set[str] = set()

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
        config = self._field_config
        strategy = choose_type_strategy(config, resolved)
        self._labels = SingleFlightCache({name.casefold(): label_id for name, label_id in resolved.labels.items()})
        unused_type = Capability.ITEM_TYPES_LABEL if strategy.strategy == "issue-type" else Capability.ITEM_TYPES_NATIVE
        context = GitHubContext(
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
            size_field=size_field(config, resolved.fields),
            creation_defaults=creation_defaults(config, resolved.fields, _today(self.options)),
            read_only=self.read_only,
        )
        if not self.read_only:
            await self._label_ids([self.config.label, *context.type_labels.values()], context)
        return context

    # -- labels ----------------------------------------------------------------------------

    async def _label_ids(self, names: Iterable[str], context: GitHubContext | None = None) -> list[str]:
        """Ids of these labels, creating missing ones once however many callers need them."""
        context = context or self.context
        ids = []
        for name in dict.fromkeys(names):
            ids.append(await self._labels.get(name.casefold(), functools.partial(self._create_label, name, context)))
        return ids

    async def _create_label(self, name: str, context: GitHubContext) -> str:
        plan_type = next((t for t, label in context.type_labels.items() if label == name), None)
        color = LABEL_COLORS[plan_type.value if plan_type else "discovery"]
        response = await self._gql.mutate(
            issue_mut.Operations.mutation.create_label,
            {
                "input": {
                    "repositoryId": context.repository_id,
                    "name": name,
                    "color": color,
                    "description": "Managed by PlanPilot",
                }
            },
            tolerate=lambda e: _LABEL_TAKEN in error_message(e).lower(),
        )
        label = response.data.create_label
        if label and label.label:
            return str(label.label.id)
        # Someone else created it between our read and our write: fetch its id.
        found = await self._gql.query(
            repository_ops.Operations.query.repository_label,
            {"owner": self._repo.owner, "name": self._repo.name, "label": name},
        )
        if not found.data.repository.label:
            raise ProviderError(f"label {name!r} exists according to GitHub but cannot be read")
        return str(found.data.repository.label.id)

    # -- reads -----------------------------------------------------------------------------

    def _state(self, node: Any) -> IssueState:
        context = self.context
        return issue_state(node, context.project_id, context.size_field, tshirt=self._field_config.size_from_tshirt)

    def _current_type(self, state: IssueState) -> PlanItemType:
        context = self.context
        type_labels = context.type_labels or dict(self._field_config.create_type_map)
        return infer_item_type(state, context.issue_type_ids, type_labels)

    def _item(self, state: IssueState, **written: Any) -> GitHubItem:
        """The item as read in ``state``, with the fields this call has just ``written`` over it."""
        fields: dict[str, Any] = {
            "title": state.title,
            "body": state.body,
            "labels": tuple(state.labels),
            "size": state.size,
            **written,
        }
        fields.setdefault("item_type", self._current_type(state))
        return GitHubItem(
            id=state.id, key=state.key, url=state.url, number=state.number, relations=self.relations, **fields
        )

    async def _read_issues(self, ids: Sequence[str]) -> dict[str, IssueState]:
        _ = self.context  # a ProviderError when not entered, before any request
        response = await self._gql.query(
            issue_ops.Operations.query.get_issues, {"ids": list(ids)}, tolerate=lambda e: error_type(e) == "NOT_FOUND"
        )
        return {node.id: self._state(node) for node in response.data.nodes if node and node.__typename__ == "Issue"}

    async def _read_issue(self, item_id: str) -> IssueState:
        state = (await self._read_issues([item_id])).get(item_id)
        if state is None:
            raise ItemNotFoundError(f"no GitHub issue with id {item_id!r} (deleted, or not visible to this token)")
        return state

    async def get_item(self, item_id: str) -> GitHubItem:
        return self._item(await self._read_issue(item_id))

    async def search_items(self, filters: ItemSearchFilters) -> list[Item]:
        """Search (partitioned past the 1,000 cap) plus a listing of recently updated issues that
        does not go through the lagging search index; re-checked locally, each issue once."""
        context = self.context
        query = build_query(context.repository, filters)
        searched, listed = await asyncio.gather(
            search_all(query, self._search_page, lambda s: s.created_at), self._recently_updated(filters)
        )
        found: dict[str, IssueState] = {}
        for state in [*searched, *listed]:
            found.setdefault(state.id, state)
        return [self._item(s) for s in found.values() if filters.matches(s.labels, s.body)]

    async def _search_page(self, query: str, after: str | None) -> SearchPage[IssueState]:
        response = await self._gql.query(
            search_ops.Operations.query.search_issues,
            {"query": query, "first": PAGE_SIZE, "after": after, "sizeField": self._field_config.size_field},
        )
        search = response.data.search
        nodes = [self._state(n) for n in search.nodes or [] if n and n.__typename__ == "Issue"]
        return SearchPage(
            issue_count=search.issue_count,
            nodes=nodes,
            has_next_page=search.page_info.has_next_page,
            end_cursor=search.page_info.end_cursor,
        )

    async def _list_issues(
        self, filter_by: dict[str, Any], order_field: str, stop: Callable[[IssueState], bool] | None = None
    ) -> list[IssueState]:
        """Page through ``repository.issues`` (no search index, no lag) until ``stop(state)`` is true."""
        states: list[IssueState] = []
        after: str | None = None
        while True:
            response = await self._gql.query(
                issue_ops.Operations.query.list_issues,
                {
                    "owner": self._repo.owner,
                    "name": self._repo.name,
                    "first": PAGE_SIZE,
                    "after": after,
                    "filterBy": filter_by,
                    "orderBy": {"field": order_field, "direction": "DESC"},
                    "sizeField": self._field_config.size_field,
                },
            )
            connection = response.data.repository.issues
            page = [self._state(n) for n in connection.nodes or [] if n]
            states.extend(page)
            if not connection.page_info.has_next_page or (stop is not None and any(stop(s) for s in page)):
                return states
            after = connection.page_info.end_cursor

    async def _recently_updated(self, filters: ItemSearchFilters) -> list[IssueState]:
        if not filters.labels or self.options.search_lag_window <= 0:
            return []
        since = _now(self.options) - dt.timedelta(seconds=self.options.search_lag_window)
        filter_by = {"labels": [filters.labels[0]], "since": since.isoformat(), "states": ["OPEN", "CLOSED"]}
        return await self._list_issues(filter_by, "UPDATED_AT")

    # -- create ----------------------------------------------------------------------------

    def _type_and_labels(
        self, context: GitHubContext, item_type: PlanItemType, labels: Iterable[str]
    ) -> tuple[str | None, list[str]]:
        wanted = [context.discovery_label, *labels]
        type_id: str | None = None
        if context.create_type_strategy == "label":
            wanted.append(context.type_labels[item_type])
        else:
            type_id = context.issue_type_ids[item_type]
        unique: dict[str, str] = {}
        for name in wanted:  # GitHub label names are case-insensitive
            unique.setdefault(name.casefold(), name)
        return type_id, list(unique.values())

    async def create_item(self, item: CreateItemInput) -> GitHubItem:
        """One ``createIssue`` sets body, labels, type and project membership; one more request sets
        the field values. Anything missing afterwards is ensured step by step."""
        context = self.context
        type_id, label_names = self._type_and_labels(context, item.item_type, item.labels)
        values = list(context.creation_defaults)
        if item.size is not None:
            values.append(size_value(self._field_config, context.size_field, item.size))
        label_ids = await self._label_ids(label_names)
        issue_input: dict[str, Any] = {
            "repositoryId": context.repository_id,
            "title": item.title,
            "body": item.body,
            "labelIds": label_ids,
            "projectV2Ids": [context.project_id],
        }
        if type_id is not None:
            issue_input["issueTypeId"] = type_id
        if item.parent_id is not None:
            issue_input["parentIssueId"] = item.parent_id  # the sub-issue link in the same request
        started = self.options.clock.time()

        async def create_issue() -> IssueState:
            response = await self._gql.mutate_once(issue_mut.Operations.mutation.create_issue, {"input": issue_input})
            return self._state(response.data.create_issue.issue)

        progress = CreateProgress(retryable=lambda exc: classify_failure(exc).retryable)
        with progress:
            state = await self._gql.write_once(
                "CreateIssue", create_issue, resolve_ambiguous=lambda _exc: self._find_created(item, started)
            )
            self._claimed_creates.add(state.id)
            progress.created(state.id, state.key, state.url)
            if item.parent_id is not None:
                progress.done(CreateStep.PARENT_SET)  # parentIssueId went in the same request
            await self._ensure_created_state(context, state, type_id, label_names, label_ids, values, progress)
        return self._item(
            state,
            title=item.title,
            body=item.body,
            item_type=item.item_type,
            labels=[*state.labels, *label_names],
            size=item.size if item.size is not None else state.size,
        )

    async def _ensure_created_state(
        self,
        context: GitHubContext,
        state: IssueState,
        type_id: str | None,
        label_names: list[str],
        label_ids: list[str],
        values: list[FieldValue],
        progress: CreateProgress,
    ) -> None:
        if type_id is not None and state.issue_type_id != type_id:
            await self._update_issue({"id": state.id, "issueTypeId": type_id})
        progress.done(CreateStep.ISSUE_TYPE_SET)
        missing = [label_id for name, label_id in zip(label_names, label_ids, strict=True) if not state.has_label(name)]
        if missing:
            await self._add_labels(state.id, missing)
        progress.done(CreateStep.LABELS_SET)
        item_id = state.project_item_id or await self._add_to_project(context, state.id)
        progress.done(CreateStep.PROJECT_ITEM_ADDED)
        if values:
            await self._set_fields(context, item_id, values)
            progress.done(CreateStep.PROJECT_FIELDS_SET)

    async def _find_created(self, item: CreateItemInput, started: float) -> Applied[IssueState] | NotApplied:
        """After an ambiguous ``createIssue``: the issue it made, if any, read without the search index."""
        cutoff = dt.datetime.fromtimestamp(started - RECENT_CREATE_WINDOW, dt.UTC)
        recent = await self._list_issues(
            {"states": ["OPEN", "CLOSED"]}, "CREATED_AT", stop=lambda s: s.created_at < cutoff
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
                return Applied(await self._read_issue(state.id))
        return NOT_APPLIED

    # -- writes shared by create and update -------------------------------------------------

    async def _update_issue(self, issue_input: dict[str, Any]) -> None:
        await self._gql.mutate(issue_mut.Operations.mutation.update_issue, {"input": issue_input})

    async def _add_labels(self, issue_id: str, label_ids: list[str]) -> None:
        await self._gql.mutate(
            issue_mut.Operations.mutation.add_labels, {"input": {"labelableId": issue_id, "labelIds": label_ids}}
        )

    async def _add_to_project(self, context: GitHubContext, issue_id: str) -> str:
        response = await self._gql.mutate(
            project_mut.Operations.mutation.add_project_item,
            {"input": {"projectId": context.project_id, "contentId": issue_id}},
        )
        return str(response.data.add_project_v2_item_by_id.item.id)

    async def _set_fields(self, context: GitHubContext, item_id: str, values: Sequence[FieldValue]) -> None:
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

    # -- update and delete -----------------------------------------------------------------

    async def update_item(self, item_id: str, item: UpdateItemInput) -> GitHubItem:
        """Apply plan-authoritative differences only; one read, and no write when nothing differs.

        Labels are only added. Status, priority and iteration are creation defaults: they are set
        only when the issue was not yet on the board (a create that failed midway) or the field is
        still empty, never changed once a value is there.
        """
        context = self.context
        state = await self._read_issue(item_id)
        item_type = item.item_type or self._current_type(state)
        type_id, wanted_labels = self._type_and_labels(context, item_type, item.labels or ())
        if (
            context.create_type_strategy == "label"
            and item.item_type is None
            and not any(state.has_label(label) for label in context.type_labels.values())
        ):
            wanted_labels.remove(context.type_labels[item_type])
        issue_input: dict[str, Any] = {"id": state.id}
        if item.title is not None and item.title != state.title:
            issue_input["title"] = item.title
        if item.body is not None and item.body != state.body:
            issue_input["body"] = item.body
        if type_id is not None and item.item_type is not None and state.issue_type_id != type_id:
            issue_input["issueTypeId"] = type_id
        values = [] if item.size is None else [size_value(self._field_config, context.size_field, item.size)]
        if len(issue_input) > 1:
            await self._update_issue(issue_input)
        missing = [name for name in wanted_labels if not state.has_label(name)]
        if missing:
            await self._add_labels(state.id, await self._label_ids(missing))
        other_type_labels = {v.casefold() for t, v in context.type_labels.items() if t != item_type}
        stale_type_labels = [  # only when the type is being set: our own label of the old type goes
            state.labels[name]
            for name in state.labels
            if item.item_type is not None
            and context.create_type_strategy == "label"
            and name.casefold() in other_type_labels
        ]
        if stale_type_labels:
            await self._gql.mutate(
                issue_mut.Operations.mutation.remove_labels,
                {"input": {"labelableId": state.id, "labelIds": stale_type_labels}},
            )
        project_item = state.project_item_id
        if project_item is None:
            project_item = await self._add_to_project(context, state.id)
        to_set = [v for v in values if not v.matches(state.field_values.get(v.field_id))]
        if state.project_state_complete:  # only a value we saw to be empty is filled in
            to_set += [v for v in context.creation_defaults if v.field_id not in state.field_values]
        if to_set:
            await self._set_fields(context, project_item, to_set)
        labels = [n for n in [*state.labels, *missing] if state.labels.get(n) not in stale_type_labels]
        return self._item(
            state,
            title=issue_input.get("title", state.title),
            body=issue_input.get("body", state.body),
            item_type=item_type,
            labels=labels,
            size=item.size if item.size is not None else state.size,
        )

    async def delete_item(self, item_id: str) -> None:
        await self._read_issue(item_id)

        async def delete() -> None:
            await self._gql.mutate_once(issue_mut.Operations.mutation.delete_issue, {"input": {"issueId": item_id}})

        async def gone(_exc: BaseException) -> Applied[None] | NotApplied:
            return NOT_APPLIED if item_id in await self._read_issues([item_id]) else Applied(None)

        await self._gql.write_once("DeleteIssue", delete, resolve_ambiguous=gone)

    async def fetch_relations(self, items: Sequence[Item]) -> dict[str, ItemRelations]:
        return await self.relations.fetch([item.id for item in items])
