"""Discovery that is complete and exact on top of Jira's enhanced JQL search, which lags writes.

* **The query** (``POST /rest/api/3/search/jql``) restricts by project and by every label (``labels = "…"``,
  exact). Jira's ``text ~`` is a stemmed, tokenised word match whose tokens depend on its analyser, so it can
  both over-match (titles, stems) and miss (a marker inside a longer word); it is only used to narrow by the
  whole whitespace-separated words strictly inside the text sought, which any analyser indexes the same way.
  Every hit is re-checked exactly (labels ignoring case, the text as a substring of the Markdown body).
* **Every page** is read through ``nextPageToken`` until Jira says it was the last; a page token seen twice or
  a page that claims more without a token stops the search with an error instead of a partial result.
* **The index lag** ("from a few seconds to minutes"): issues this provider wrote within ``index_lag`` are
  read directly (``POST /rest/api/3/issue/bulkfetch``, which does not lag), and so is every issue whose key
  came after the newest one not updated within ``index_lag`` (keys are given out in order per project): an
  issue created seconds ago, by this run or any other, is found without the index.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from planpilot_provider_jira.budgets import read_cost
from planpilot_provider_jira.client import JiraApi
from planpilot_provider_jira.context import JiraContext
from planpilot_provider_jira.labels import encode_label
from planpilot_provider_jira.mapping import PROPERTY, IssueView, item_fields, read_issue
from planpilot_providers_core import ItemSearchFilters, ProviderError
from planpilot_providers_core.reliability import Clock

__all__ = ["BULK_FETCH_LIMIT", "Discovery", "bulk_fetch", "jql_string", "newer_issues", "search_query"]

BULK_FETCH_LIMIT: Final = 100
MAX_PAGES: Final = 10_000
MAX_PROBE_WINDOWS: Final = 50
"""At most 5,000 issues created within the lag window are read directly; more make discovery fail loudly."""
SEARCH_PATH: Final = "/rest/api/3/search/jql"
BULK_FETCH_PATH: Final = "/rest/api/3/issue/bulkfetch"


def jql_string(value: str) -> str:
    """``value`` as a JQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _inner_words(text: str) -> list[str]:
    """The whitespace-separated words strictly inside ``text`` (not touching its ends, which may be parts of
    longer words in a body that contains ``text``)."""
    words = text.split()
    if not words:
        return []
    if not text[:1].isspace():
        words = words[1:]
    if words and not text[-1:].isspace():
        words = words[:-1]
    return [w for w in words if re.search(r"\w", w)]


def search_query(context: JiraContext, filters: ItemSearchFilters) -> str:
    clauses = [f"project = {jql_string(context.project_key)}"]
    clauses += [f"labels = {jql_string(encode_label(label))}" for label in filters.labels]
    words = _inner_words(filters.body_contains)
    if words:
        phrase = " ".join(words)
        clauses.append(f"text ~ {jql_string(jql_string(phrase))}")
    return " AND ".join(clauses) + " ORDER BY key ASC"


async def bulk_fetch(
    api: JiraApi, ids: Sequence[str], fields: Sequence[str], *, properties: Sequence[str] = ()
) -> tuple[list[Any], set[str]]:
    """The issues with these ids or keys (100 per request, in parallel), and the ids or keys Jira has none for."""

    async def chunk(part: Sequence[str]) -> tuple[list[Any], set[str]]:
        body: dict[str, Any] = {"issueIdsOrKeys": list(part), "fields": list(fields)}
        if properties:
            body["properties"] = list(properties)
        answer = await api.call(
            "bulkFetchIssues", "POST", BULK_FETCH_PATH, json=body, points=read_cost(len(part))["points per hour"]
        )
        missing = {str(e.get("id")) for e in answer.get("issueErrors") or ()}
        return list(answer.get("issues") or ()), missing

    parts = [ids[n : n + BULK_FETCH_LIMIT] for n in range(0, len(ids), BULK_FETCH_LIMIT)]
    issues: list[Any] = []
    missing: set[str] = set()
    for found, absent in await asyncio.gather(*(chunk(part) for part in parts)):
        issues += found
        missing |= absent
    return issues, missing


async def _settled_floor(api: JiraApi, context: JiraContext, index_lag: float) -> int:
    """The number of the newest key among issues not updated within ``index_lag``: every key given out since
    (to a new issue, or one moved into the project) is higher, and none of those is trusted to the index."""
    minutes = max(1, math.ceil(index_lag / 60))
    jql = f"project = {jql_string(context.project_key)} AND updated <= {jql_string(f'-{minutes}m')} ORDER BY key DESC"
    answer = await api.call(
        "searchAndReconsileIssuesUsingJqlPost",
        "POST",
        SEARCH_PATH,
        json={"jql": jql, "maxResults": 1, "fields": ["created"]},
        points=read_cost(1)["points per hour"],
    )
    issues = answer.get("issues") or []
    if not issues:
        return 0
    return _key_number(str(issues[0].get("key", "")))


def _project_id(issue: Mapping[str, Any]) -> str | None:
    project = (issue.get("fields") or {}).get("project")
    return str(project["id"]) if isinstance(project, Mapping) and "id" in project else None


def _key_number(key: str) -> int:
    number = key.rpartition("-")[2]
    return int(number) if number.isdigit() else 0


async def newer_issues(
    api: JiraApi, context: JiraContext, *, index_lag: float, fields: Sequence[str], properties: Sequence[str] = ()
) -> list[Any]:
    """Every issue of the project whose key was given out within ``index_lag``, read without the index."""
    start = await _settled_floor(api, context, index_lag) + 1
    found: list[Any] = []
    for _ in range(MAX_PROBE_WINDOWS):
        keys = [f"{context.project_key}-{n}" for n in range(start, start + BULK_FETCH_LIMIT)]
        issues, _missing = await bulk_fetch(api, keys, fields, properties=properties)
        found += [issue for issue in issues if _project_id(issue) in (None, context.project_id)]
        top = max((_key_number(str(i.get("key", ""))) for i in issues), default=0)
        if top < start + BULK_FETCH_LIMIT - 1:
            return found
        start += BULK_FETCH_LIMIT
    raise ProviderError(
        f"more than {MAX_PROBE_WINDOWS * BULK_FETCH_LIMIT} issues of {context.project_key} were created or updated "
        "within the index lag window; discovery stops instead of trusting Jira's lagging search index. Run again "
        "later, or lower --option index_lag"
    )


class Discovery:
    """``search_items`` for one provider: the search, the issues it wrote lately, the newest issues."""

    def __init__(self, api: Callable[[], JiraApi], *, page_size: int, index_lag: float, clock: Clock) -> None:
        self._api = api
        self._page_size = page_size
        self._index_lag = index_lag
        self._clock = clock
        self._written: dict[str, float] = {}

    def wrote(self, issue_ids: Iterable[str]) -> None:
        """Issues this provider just wrote: read directly by searches within the lag window."""
        now = self._clock.monotonic()
        for issue_id in issue_ids:
            self._written[issue_id] = now

    def _recent(self) -> list[str]:
        horizon = self._clock.monotonic() - self._index_lag
        for issue_id in [i for i, at in self._written.items() if at < horizon]:
            del self._written[issue_id]
        return list(self._written)

    async def search(self, context: JiraContext, filters: ItemSearchFilters) -> list[IssueView]:
        """Every issue matching ``filters`` exactly once, or an error; never a partial list."""
        api = self._api()
        fields = item_fields(context)
        # One request after the other: a rate limit met by one is waited out before the next is sent.
        searched = await self._pages(api, search_query(context, filters), fields)
        fresh = await self._direct(api, context, fields)
        views: dict[str, IssueView] = {}
        for issue in searched:
            view = read_issue(context, issue)
            views[view.id] = view
        for issue in fresh:  # read without the index: newer than what the search saw
            view = read_issue(context, issue)
            if view.project_id in (None, context.project_id):
                views[view.id] = view
        return [
            view
            for view in sorted(views.values(), key=lambda v: (len(v.key), v.key))
            if filters.matches(view.labels, view.body)
        ]

    async def _pages(self, api: JiraApi, jql: str, fields: Sequence[str]) -> list[Any]:
        issues: list[Any] = []
        token: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            body: dict[str, Any] = {
                "jql": jql,
                "maxResults": self._page_size,
                "fields": list(fields),
                "properties": [PROPERTY],
            }
            if token is not None:
                body["nextPageToken"] = token
            page = await api.call(
                "searchAndReconsileIssuesUsingJqlPost",
                "POST",
                SEARCH_PATH,
                json=body,
                points=read_cost(self._page_size)["points per hour"],
            )
            issues += page.get("issues") or []
            token = page.get("nextPageToken") or None
            if token is None:
                if page.get("isLast") is False:
                    raise ProviderError(
                        "searchAndReconsileIssuesUsingJqlPost: Jira said more results follow but gave no page "
                        f"token for {jql!r}; refusing a partial discovery"
                    )
                return issues
            if token in seen:
                raise ProviderError(
                    f"searchAndReconsileIssuesUsingJqlPost: Jira returned the same page token twice for {jql!r}; "
                    "stopping instead of returning a partial or repeated result"
                )
            seen.add(token)
        raise ProviderError(f"search for {jql!r} did not end after {MAX_PAGES} pages; refusing a partial discovery")

    async def _direct(self, api: JiraApi, context: JiraContext, fields: Sequence[str]) -> list[Any]:
        if self._index_lag <= 0:
            return []
        recent = self._recent()
        written = (await bulk_fetch(api, recent, fields, properties=[PROPERTY]))[0] if recent else []
        newest = await newer_issues(api, context, index_lag=self._index_lag, fields=fields, properties=[PROPERTY])
        return [*written, *newest]
