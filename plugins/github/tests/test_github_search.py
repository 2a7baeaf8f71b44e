"""Search query building and complete discovery past GitHub's 1,000-result cap (pure logic)."""

import datetime as dt
import re

import pytest

from planpilot_provider_github.search import SEARCH_CAP, CreatedRange, SearchPage, build_query, search_all
from planpilot_providers_core.contracts import ItemSearchFilters
from planpilot_providers_core.errors import ProviderError

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
_RANGE = re.compile(r"created:(\S+)\.\.(\S+)")


def _parse(stamp: str) -> dt.datetime | None:
    return None if stamp == "*" else dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


class FakeSearch:
    """Answers like GitHub search over ``created`` stamps: count all, page at most 1,000, 100 a page."""

    def __init__(self, created: list[dt.datetime], *, drop_last: bool = False) -> None:
        self.created = sorted(created)
        self.queries: list[str] = []
        self.drop_last = drop_last

    async def fetch(self, query: str, after: str | None) -> SearchPage[tuple[int, dt.datetime]]:
        self.queries.append(query)
        rows = list(enumerate(self.created))
        if m := _RANGE.search(query):
            start, end = _parse(m[1]), _parse(m[2])
            rows = [r for r in rows if (start is None or r[1] >= start) and (end is None or r[1] <= end)]
        if "sort:created-desc" in query:
            rows.reverse()
        count = len(rows)
        reachable = rows[:SEARCH_CAP]
        if self.drop_last:
            reachable = reachable[:-1]
        offset = int(after or 0)
        page = reachable[offset : offset + 100]
        next_offset = offset + len(page)
        return SearchPage(
            issue_count=count, nodes=page, has_next_page=next_offset < len(reachable), end_cursor=str(next_offset)
        )


def test_build_query_is_conjunctive_and_quoted() -> None:
    query = build_query(
        "acme/roadmap", ItemSearchFilters(labels=("planpilot", "in progress"), body_contains="PLAN_ID:abc")
    )
    assert query == 'repo:acme/roadmap is:issue label:"planpilot" label:"in progress" "PLAN_ID:abc" in:body'


def test_build_query_neutralises_quotes_in_terms() -> None:
    query = build_query("acme/roadmap", ItemSearchFilters(labels=('say "hi"',), body_contains='a"b'))
    assert query.count('"') == 4


async def test_small_result_is_paged_without_partitioning() -> None:
    fake = FakeSearch([T0 + dt.timedelta(minutes=i) for i in range(250)])
    results = await search_all("repo:a/b", fake.fetch, lambda r: r[1])
    assert sorted(r[0] for r in results) == list(range(250))
    assert all("created:" not in q for q in fake.queries)
    assert len(fake.queries) == 3


async def test_2500_matches_are_partitioned_and_all_returned_once() -> None:
    fake = FakeSearch([T0 + dt.timedelta(seconds=37 * i) for i in range(2500)])
    results = await search_all("repo:a/b", fake.fetch, lambda r: r[1])
    ids = [r[0] for r in results]
    assert len(ids) == 2500
    assert sorted(ids) == list(range(2500))
    assert any("created:" in q for q in fake.queries)


async def test_more_than_cap_within_one_second_fails_fast() -> None:
    fake = FakeSearch([T0] * (SEARCH_CAP + 1))
    with pytest.raises(ProviderError, match="within one second"):
        await search_all("repo:a/b", fake.fetch, lambda r: r[1])


async def test_fewer_results_than_counted_is_an_error_not_a_partial_list() -> None:
    fake = FakeSearch([T0 + dt.timedelta(minutes=i) for i in range(30)], drop_last=True)
    with pytest.raises(ProviderError, match="refusing a partial discovery"):
        await search_all("repo:a/b", fake.fetch, lambda r: r[1])


async def test_a_part_that_shrank_while_paged_is_read_again() -> None:
    """Another sync closing duplicates takes their label off while we page: the pages skip some. The part
    is read again, and the discovery is complete."""

    class Shrinking(FakeSearch):
        async def fetch(self, query: str, after: str | None) -> SearchPage[tuple[int, dt.datetime]]:
            page = await super().fetch(query, after)
            if after is not None and len(self.queries) == 2:  # the first read's second page: one fewer
                self.created.pop(0)
                page = await super().fetch(query, after)
            return page

    fake = Shrinking([T0 + dt.timedelta(minutes=i) for i in range(150)])
    results = await search_all("repo:a/b", fake.fetch, lambda r: r[1])
    assert len(results) == 149
    assert len(fake.queries) > 4, "read twice"


def test_created_range_split_is_disjoint_and_covering() -> None:
    whole = CreatedRange()
    halves = whole.split(T0, T0 + dt.timedelta(seconds=11))
    assert halves is not None
    left, right = halves
    assert left.start == T0
    assert right.end == T0 + dt.timedelta(seconds=11)
    assert left.end is not None
    assert right.start == left.end + dt.timedelta(seconds=1)
    assert CreatedRange(T0, T0).split(T0, T0) is None
    assert left.qualifier() == "created:2026-01-01T00:00:00Z..2026-01-01T00:00:05Z"
