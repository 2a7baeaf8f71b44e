"""Complete discovery on top of GitHub search, which caps every query at 1,000 results.

A query whose ``issueCount`` exceeds the cap is split into disjoint ``created:`` ranges (bisected
at one-second granularity, the precision of ``createdAt``) until every part fits; a part that
still does not fit within a single second cannot be split and raises instead of truncating.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from typing import Final, Generic, TypeVar

import attrs

from planpilot_providers_core.contracts import ItemSearchFilters
from planpilot_providers_core.errors import ProviderError

SEARCH_CAP: Final = 1000
READS_OF_A_CHANGING_PART: Final = 5
"""How often a part whose pages came back short of its count is read again before discovery fails."""
PAGE_SIZE: Final = 100

T = TypeVar("T")


def _quote(term: str) -> str:
    # GitHub search has no escape for a quote inside a quoted term; results are re-checked locally.
    return '"' + term.replace('"', " ").replace("\\", " ").strip() + '"'


def build_query(repo: str, filters: ItemSearchFilters) -> str:
    """The search string for the conjunctive filter (labels AND body text) in one repository."""
    parts = [f"repo:{repo}", "is:issue"]
    parts += [f"label:{_quote(label)}" for label in filters.labels]
    if filters.body_contains:
        parts += [_quote(filters.body_contains), "in:body"]
    return " ".join(parts)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@attrs.frozen
class CreatedRange:
    """An inclusive range of creation times, whole seconds (None = unbounded)."""

    start: dt.datetime | None = None
    end: dt.datetime | None = None

    def qualifier(self) -> str:
        if self.start is None and self.end is None:
            return ""
        start = _stamp(self.start) if self.start else "*"
        end = _stamp(self.end) if self.end else "*"
        return f"created:{start}..{end}"

    def query(self, base_query: str, order: str) -> str:
        """``base_query`` limited to this range, sorted by creation time (``asc`` or ``desc``)."""
        return " ".join(filter(None, (base_query, self.qualifier(), f"sort:created-{order}")))

    def split(self, low: dt.datetime, high: dt.datetime) -> tuple[CreatedRange, CreatedRange] | None:
        """Two disjoint halves covering this range, using known first/last creation times as bounds."""
        start = (self.start or low).replace(microsecond=0)
        end = (self.end or high).replace(microsecond=0)
        if end <= start:
            return None
        middle = start + (end - start) // 2
        middle = middle.replace(microsecond=0)
        return CreatedRange(start, middle), CreatedRange(middle + dt.timedelta(seconds=1), end)


@attrs.frozen
class SearchPage(Generic[T]):
    """One answer from the search API, reduced to what partitioning needs."""

    issue_count: int
    nodes: Sequence[T]
    has_next_page: bool
    end_cursor: str | None


SearchFetch = Callable[[str, str | None], Awaitable[SearchPage[T]]]
"""(query, after-cursor) -> page, sorted by creation time ascending."""


async def search_all(
    base_query: str,
    fetch: SearchFetch[T],
    created_at: Callable[[T], dt.datetime],
    *,
    cap: int = SEARCH_CAP,
    pause: Callable[[float], Awaitable[None]] | None = None,
) -> list[T]:
    """Every result of ``base_query``, partitioning by creation time whenever a part exceeds ``cap``.

    A part whose pages come back short of its count is read again, after ``pause`` (a wait of 0.5 s, 1 s,
    2 s ... on the provider's clock; none without it), at most :data:`READS_OF_A_CHANGING_PART` times.
    """
    results: list[T] = []
    pending = [CreatedRange()]
    while pending:
        part = pending.pop()
        query = part.query(base_query, "asc")
        for attempt in range(1, READS_OF_A_CHANGING_PART + 1):
            first = await fetch(query, None)
            if first.issue_count > cap:
                await _split(base_query, part, first, fetch, created_at, pending)
                break
            part_results = list(first.nodes)
            page = first
            while page.has_next_page:
                page = await fetch(query, page.end_cursor)
                part_results.extend(page.nodes)
            if len(part_results) >= first.issue_count:
                results.extend(part_results)
                break
            # Issues left the results while we paged (another sync closing duplicates takes their label
            # off): the pages skipped some. Read the part again, once the other run is likely done; never
            # return it short.
            if attempt == READS_OF_A_CHANGING_PART:
                raise ProviderError(
                    f"GitHub search returned {len(part_results)} of the {first.issue_count} issues it counted for "
                    f"{query!r}, {attempt} times; refusing a partial discovery (the index keeps changing: run again)"
                )
            if pause is not None:
                await pause(0.5 * 2 ** (attempt - 1))
    return results


async def _split(
    base_query: str,
    part: CreatedRange,
    first: SearchPage[T],
    fetch: SearchFetch[T],
    created_at: Callable[[T], dt.datetime],
    pending: list[CreatedRange],
) -> None:
    low = created_at(first.nodes[0]) if first.nodes else part.start
    high = part.end
    if high is None:
        newest = await fetch(part.query(base_query, "desc"), None)
        high = created_at(newest.nodes[0]) if newest.nodes else None
    if low is None or high is None:
        raise ProviderError(f"GitHub search for {base_query!r} counted {first.issue_count} issues but returned none")
    halves = part.split(low, high)
    if halves is None:
        raise ProviderError(
            f"more than {SEARCH_CAP} issues match {base_query!r} within one second of creation time "
            f"({part.qualifier()}); GitHub search cannot return them all, so discovery stops instead of "
            "returning a partial result. Narrow the discovery label to this plan"
        )
    pending.extend(halves)
