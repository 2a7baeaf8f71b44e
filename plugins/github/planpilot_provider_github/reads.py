"""Reading issues: by id, by listing the repository, and discovery (search plus a lag-free listing).

Every read returns :class:`IssueState`. Discovery reads select each issue's size and creation-default
fields by name, so an issue whose create stopped before its board fields were set is seen as such
without a read per issue.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from planpilot_provider_github.client import GitHubGraphQL, error_type
from planpilot_provider_github.context import GitHubContext
from planpilot_provider_github.convert import IssueState, issue_state
from planpilot_provider_github.fields import default_field_names
from planpilot_provider_github.graphql.generated import issues as issue_ops
from planpilot_provider_github.graphql.generated import search as search_ops
from planpilot_provider_github.options import GitHubOptions
from planpilot_provider_github.search import PAGE_SIZE, SearchPage, build_query, search_all
from planpilot_provider_github.urls import RepoRef
from planpilot_providers_core.contracts import ItemSearchFilters
from planpilot_providers_core.errors import ItemNotFoundError


def _is_issue(node: Mapping[str, Any] | None) -> bool:
    """A node of ``nodes(ids:)`` or a search that is an issue (not null: deleted; not another kind of node)."""
    return node is not None and node.get("__typename") == "Issue"


def now(options: GitHubOptions) -> dt.datetime:
    """The time on the provider's clock (the emulator's virtual clock in tests)."""
    return dt.datetime.fromtimestamp(options.clock.time(), dt.UTC)


def _field_names(context: GitHubContext) -> dict[str, str]:
    """The ``$sizeField``/``$statusField``/... variables of the discovery reads."""
    names = default_field_names(context.fields)
    return {
        "sizeField": context.field_config.size_field,
        "statusField": names["status"],
        "priorityField": names["priority"],
        "iterationField": names["iteration"],
    }


class IssueReads:
    """The provider's issue reads; each takes the entered provider's context."""

    def __init__(self, gql: GitHubGraphQL, repo: RepoRef, options: GitHubOptions) -> None:
        self._gql = gql
        self._repo = repo
        self._options = options

    def state(self, node: Mapping[str, Any], context: GitHubContext) -> IssueState:
        """An ``Issue`` node (JSON) of any of our selections (the create response too) as ``IssueState``."""
        return issue_state(node, context.project_id, context.size_field, tshirt=context.field_config.size_from_tshirt)

    async def by_ids(self, ids: Sequence[str], context: GitHubContext) -> dict[str, IssueState]:
        """The issues among ``ids`` that exist (deleted ones and other node kinds are left out)."""
        response = await self._gql.query(
            issue_ops.Operations.query.get_issues, {"ids": list(ids)}, tolerate=lambda e: error_type(e) == "NOT_FOUND"
        )
        nodes = response.raw["nodes"] or []
        return {node["id"]: self.state(node, context) for node in nodes if _is_issue(node)}

    async def by_id(self, item_id: str, context: GitHubContext) -> IssueState:
        state = (await self.by_ids([item_id], context)).get(item_id)
        if state is None:
            raise ItemNotFoundError(f"no GitHub issue with id {item_id!r} (deleted, or not visible to this token)")
        return state

    async def listed(
        self,
        context: GitHubContext,
        filter_by: dict[str, Any],
        order_field: str,
        stop: Callable[[IssueState], bool] | None = None,
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
                    **_field_names(context),
                },
            )
            connection = response.raw["repository"]["issues"]
            page = [self.state(n, context) for n in connection["nodes"] or [] if n]
            states.extend(page)
            page_info = connection["pageInfo"]
            if not page_info["hasNextPage"] or (stop is not None and any(stop(s) for s in page)):
                return states
            after = page_info["endCursor"]

    async def discover(self, filters: ItemSearchFilters, context: GitHubContext) -> list[IssueState]:
        """Search (partitioned past the 1,000 cap) plus a listing of recently updated issues that
        does not go through the lagging search index; re-checked locally, each issue once."""
        query = build_query(context.repository, filters)

        async def page(query: str, after: str | None) -> SearchPage[IssueState]:
            return await self._search_page(query, after, context)

        searched, listed = await asyncio.gather(
            search_all(query, page, lambda s: s.created_at, pause=self._gql.clock.sleep),
            self._recently_updated(filters, context),
        )
        found: dict[str, IssueState] = {}
        for state in [*searched, *listed]:
            found.setdefault(state.id, state)
        return [s for s in found.values() if filters.matches(s.labels, s.body)]

    async def _search_page(self, query: str, after: str | None, context: GitHubContext) -> SearchPage[IssueState]:
        response = await self._gql.query(
            search_ops.Operations.query.search_issues,
            {"query": query, "first": PAGE_SIZE, "after": after, **_field_names(context)},
        )
        search = response.raw["search"]
        nodes = [self.state(n, context) for n in search["nodes"] or [] if _is_issue(n)]
        return SearchPage(
            issue_count=search["issueCount"],
            nodes=nodes,
            has_next_page=search["pageInfo"]["hasNextPage"],
            end_cursor=search["pageInfo"]["endCursor"],
        )

    async def _recently_updated(self, filters: ItemSearchFilters, context: GitHubContext) -> list[IssueState]:
        window = self._options.search_lag_window
        if not filters.labels or window <= 0:
            return []
        since = now(self._options) - dt.timedelta(seconds=window)
        filter_by = {"labels": [filters.labels[0]], "since": since.isoformat(), "states": ["OPEN", "CLOSED"]}
        return await self.listed(context, filter_by, "UPDATED_AT")
