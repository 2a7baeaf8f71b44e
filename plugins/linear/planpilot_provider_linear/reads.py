"""Reading issues: one by id, many by id in batches, and discovery.

Discovery (``search_items``) is a filtered ``issues`` query, not Linear's ``searchIssues`` (full-text and
vector search, ranked, fuzzy, limited to 30 requests a minute, and the part of Linear most likely to lag):
the team, every label of the search by name ignoring case (Linear compares label names so), and the marker
as a case-sensitive substring of the description, archived issues included (an archived item is still the
plan's; a trashed one, which is what deleting does, is not). Every page is read, a cursor seen twice stops
the search with an error instead of a partial answer, and every hit is checked again exactly
(``ItemSearchFilters.matches``). Issues updated within ``recent_window`` seconds are listed as well and
checked the same way, so an issue an index has not caught up with yet is still found.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from planpilot_provider_linear.client import LinearGraphQL
from planpilot_provider_linear.errors import GraphQLError
from planpilot_provider_linear.graphql.generated import issues as issue_ops
from planpilot_provider_linear.issues import IssueState, issue_state
from planpilot_provider_linear.labels import LabelCatalog
from planpilot_provider_linear.options import LinearOptions
from planpilot_providers_core.contracts import ItemSearchFilters
from planpilot_providers_core.errors import ItemNotFoundError, ProviderError

__all__ = ["IssueReads", "discovery_filter"]

BY_IDS_PAGE = 50


def _not_found(error: GraphQLError) -> bool:
    return str(error.get("message", "")).startswith("Entity not found")


def discovery_filter(team_id: str, filters: ItemSearchFilters) -> dict[str, Any]:
    """The ``IssueFilter`` of a search: the team, each label by name (any case), the marker in the description."""
    conditions: dict[str, Any] = {"team": {"id": {"eq": team_id}}}
    if filters.labels:
        conditions["and"] = [{"labels": {"some": {"name": {"eqIgnoreCase": label}}}} for label in filters.labels]
    if filters.body_contains:
        conditions["description"] = {"contains": filters.body_contains}
    return conditions


class IssueReads:
    """Issue reads of one team; ``catalog`` names the labels the issues carry."""

    def __init__(self, gql: LinearGraphQL, catalog: LabelCatalog, options: LinearOptions) -> None:
        self._gql = gql
        self._catalog = catalog
        self._options = options

    async def find(self, issue_id: str) -> IssueState | None:
        """The issue with this id (UUID or identifier), trashed ones included; ``None`` if Linear has none."""
        answer = await self._gql.query(issue_ops.Operations.query.issue_by_id, {"id": issue_id}, tolerate=_not_found)
        return None if answer.data is None or not answer.data.issue else issue_state(answer.data.issue)

    async def by_id(self, issue_id: str, team_id: str) -> IssueState:
        """The team's issue with this id; ``ItemNotFoundError`` when there is none, it is in the trash (what
        deleting does) or it belongs to another team."""
        state = await self.find(issue_id)
        if state is None or state.trashed or state.team_id != team_id:
            why = "it is in the trash" if state is not None and state.trashed else "it does not exist"
            if state is not None and not state.trashed and state.team_id != team_id:
                why = "it belongs to another team"
            raise ItemNotFoundError(f"no Linear issue {issue_id!r} of this team: {why}")
        return state

    async def by_ids(self, issue_ids: Sequence[str]) -> dict[str, IssueState]:
        """Issues by UUID, :data:`BY_IDS_PAGE` to a request; ids Linear has none for are left out."""
        found: dict[str, IssueState] = {}
        unique = list(dict.fromkeys(issue_ids))
        for start in range(0, len(unique), BY_IDS_PAGE):
            chunk = unique[start : start + BY_IDS_PAGE]
            answer = await self._gql.query(
                issue_ops.Operations.query.issues_by_ids, {"ids": chunk, "first": len(chunk)}
            )
            for node in answer.data.issues.nodes:
                state = issue_state(node)
                found[state.id] = state
        return found

    async def discover(self, filters: ItemSearchFilters, team_id: str) -> list[IssueState]:
        """Every issue of the team matching ``filters`` exactly, each once (see the module docstring)."""
        found: dict[str, IssueState] = {}
        page = self._options.page_size
        variables = {"filter": discovery_filter(team_id, filters), "first": page}
        candidates = await self._every_page(issue_ops.Operations.query.issues_matching, variables)
        if self._options.recent_window > 0:
            since = f"-PT{max(1, round(self._options.recent_window))}S"
            recent = {"teamId": team_id, "since": since, "first": page}
            candidates += await self._every_page(issue_ops.Operations.query.recent_issues, recent)
        names = await self._catalog.names(label_id for state in candidates for label_id in state.label_ids)
        for state in candidates:
            labels = [names.get(label_id, "") for label_id in state.label_ids]
            if not state.trashed and state.team_id == team_id and filters.matches(labels, state.description):
                found.setdefault(state.id, state)
        return list(found.values())

    async def _every_page(self, op: Any, variables: dict[str, Any]) -> list[IssueState]:
        states: list[IssueState] = []
        after: str | None = None
        seen: set[str] = set()
        while True:
            answer = await self._gql.query(op, {**variables, "after": after})
            connection = answer.data.issues
            states += (issue_state(node) for node in connection.nodes)
            if not connection.page_info.has_next_page:
                return states
            after = connection.page_info.end_cursor
            if not after or after in seen:
                raise ProviderError(
                    f"searching Linear issues: page cursor {after!r} came back twice; stopping rather than "
                    "returning part of the results"
                )
            seen.add(after)
