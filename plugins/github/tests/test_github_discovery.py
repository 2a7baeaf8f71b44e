"""Discovery on the emulator: past the 1,000-result cap, past the search index lag, never partial."""

import datetime as dt
from collections.abc import Callable

import pytest

from planpilot_provider_github.provider import GitHubProvider
from planpilot_provider_github.testing import GitHubEmulator, IssueSeed
from planpilot_providers_core.contracts import CreateItemInput, ItemSearchFilters
from planpilot_providers_core.errors import ProviderError

MakeGitHub = Callable[..., GitHubProvider]
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
FILTERS = ItemSearchFilters(labels=("planpilot",), body_contains="PLAN_ID:big")


def _seed(
    emulator: GitHubEmulator, count: int, *, spacing: float, body: str = "PLAN_ID:big", label: str = "planpilot"
) -> None:
    emulator.state.add_issues(
        "acme/roadmap",
        [
            IssueSeed(f"Item {n}", f"{body}\nITEM_ID:{n}", (label,), created_at=T0 + dt.timedelta(seconds=spacing * n))
            for n in range(count)
        ],
    )


async def test_2500_matching_issues_are_all_returned_exactly_once(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    _seed(emulator, 2500, spacing=61)
    _seed(emulator, 200, spacing=7, body="PLAN_ID:other")
    _seed(emulator, 200, spacing=11, label="someone-else")
    async with make_github(search_lag_window=0) as provider:
        items = await provider.search_items(FILTERS)
    ids = [item.id for item in items]
    assert len(ids) == 2500
    assert len(set(ids)) == 2500
    assert {item.title for item in items} == {f"Item {n}" for n in range(2500)}
    searches = emulator.stats.operations["SearchIssues"]
    assert 25 <= searches <= 60  # partitioned pages, not one request per issue


async def test_more_than_1000_matches_in_one_second_fails_instead_of_truncating(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    _seed(emulator, 1001, spacing=0)
    async with make_github(search_lag_window=0) as provider:
        with pytest.raises(ProviderError, match="cannot return them all"):
            await provider.search_items(FILTERS)


async def test_filter_is_conjunctive_on_labels_and_body(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    state = emulator.state
    state.add_issue("acme/roadmap", "both", "PLAN_ID:big x", labels=("planpilot", "team"))
    state.add_issue("acme/roadmap", "label only", "nothing", labels=("planpilot", "team"))
    state.add_issue("acme/roadmap", "one label", "PLAN_ID:big", labels=("planpilot",))
    async with make_github() as provider:
        items = await provider.search_items(
            ItemSearchFilters(labels=("planpilot", "team"), body_contains="PLAN_ID:big")
        )
    assert [i.title for i in items] == ["both"]


async def test_issue_created_moments_ago_is_found_despite_index_lag(make_github: MakeGitHub) -> None:
    """The emulator's index lags 10 minutes; the recent-updates listing still sees the new issue."""
    emulator = GitHubEmulator.with_default_scenario(search_lag=600)
    async with make_github(transport=emulator.transport()) as provider:
        created = await provider.create_item(CreateItemInput(title="fresh", body="PLAN_ID:big new", item_type="TASK"))
        items = await provider.search_items(FILTERS)
    assert [i.id for i in items] == [created.id]
    assert emulator.stats.operations["ListIssues"] >= 1


async def test_without_the_listing_the_lag_would_hide_the_issue(make_github: MakeGitHub) -> None:
    """Guards the test above: the emulator's lag is real, so the listing is what finds the issue."""
    emulator = GitHubEmulator.with_default_scenario(search_lag=600)
    async with make_github(transport=emulator.transport(), search_lag_window=0) as provider:
        await provider.create_item(CreateItemInput(title="fresh", body="PLAN_ID:big new", item_type="TASK"))
        assert await provider.search_items(FILTERS) == []


async def test_results_found_by_both_search_and_listing_appear_once(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    async with make_github() as provider:
        for n in range(3):
            await provider.create_item(CreateItemInput(title=f"t{n}", body="PLAN_ID:big", item_type="TASK"))
        items = await provider.search_items(FILTERS)
    assert sorted(i.title for i in items) == ["t0", "t1", "t2"]
