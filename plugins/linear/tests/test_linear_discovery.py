"""Discovery that is complete and exact: the team's issues with every label (any case) and the marker in the
description, every page, each hit checked again; archived issues found, trashed ones and other teams' not;
and an issue a lagging index would miss still found among the recently updated ones."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from planpilot_provider_linear.provider import LinearProvider
from planpilot_provider_linear.testing import LinearEmulator
from planpilot_providers_core import ItemSearchFilters
from planpilot_providers_core.errors import ProviderError

MakeLinear = Callable[..., LinearProvider]


class Lagging(httpx.AsyncBaseTransport):
    """The emulator, except that the discovery query does not show issues whose title says "fresh" yet (as an
    index that has not caught up would not); ``loop_cursor`` makes it hand out the same cursor forever."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, loop_cursor: bool = False) -> None:
        self.inner = inner
        self.loop_cursor = loop_cursor

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(await request.aread())
        if self.loop_cursor and payload.get("variables", {}).get("after") == "same-cursor":
            payload["variables"]["after"] = None  # the same page again, as a server looping on a cursor would
            request = httpx.Request(request.method, request.url, headers=request.headers, json=payload)
        response = await self.inner.handle_async_request(request)
        if payload.get("operationName") != "IssuesMatching":
            return response
        body = json.loads(await response.aread())
        issues = body["data"]["issues"]
        issues["nodes"] = [node for node in issues["nodes"] if "fresh" not in node["title"]]
        if self.loop_cursor:
            issues["pageInfo"] = {"hasNextPage": True, "endCursor": "same-cursor"}
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return httpx.Response(response.status_code, headers=headers, json=body)


def seed(emulator: LinearEmulator, title: str, description: str, labels: list[str], **kwargs: Any) -> str:
    return emulator.state.add_issue(
        kwargs.pop("team", "ENG"), title, description=description, labels=labels, **kwargs
    ).id


async def test_discovery_is_exact_and_sees_archived_but_not_trashed_or_other_teams_issues(
    make_linear: MakeLinear, live_emulator: LinearEmulator
) -> None:
    state = live_emulator.state
    state.add_label("planpilot", "ENG")
    state.add_team("OPS")
    state.add_label("planpilot", "OPS")
    hit = seed(live_emulator, "hit", "PLAN_ID:p1\nmarker: m-1\n", ["planpilot"])
    archived = seed(live_emulator, "archived", "marker: m-1", ["planpilot"], archived=True)
    trashed = seed(live_emulator, "trashed", "marker: m-1", ["planpilot"])
    with state.lock:
        state.delete_issue(trashed)
    seed(live_emulator, "longer marker", "marker: m-10", ["planpilot"])  # contains "marker: m-1"... and more
    seed(live_emulator, "other team", "marker: m-1", ["planpilot"], team="OPS")
    seed(live_emulator, "no label", "marker: m-1", [])
    seed(live_emulator, "title only: marker: m-1", "unrelated", ["planpilot"])
    async with make_linear() as linear:
        found = await linear.search_items(ItemSearchFilters(labels=("PLANPILOT",), body_contains="marker: m-1\n"))
        loose = await linear.search_items(ItemSearchFilters(labels=("planpilot",), body_contains="marker: m-1"))
    assert {item.id for item in found} == {hit}
    assert {item.title for item in loose} == {"hit", "archived", "longer marker"}
    assert archived in {item.id for item in loose}


async def test_every_page_is_read(make_linear: MakeLinear, live_emulator: LinearEmulator) -> None:
    for n in range(23):
        seed(live_emulator, f"issue {n}", f"marker: paged\nn={n}", ["Bug"])
    async with make_linear(page_size=5, recent_window=0) as linear:
        live_emulator.stats.reset()
        found = await linear.search_items(ItemSearchFilters(labels=("bug",), body_contains="marker: paged"))
    assert len({item.id for item in found}) == len(found) == 23
    assert live_emulator.stats.as_dict()["operations"] == {"IssuesMatching": 5}


@pytest.mark.parametrize("window", [900, 0])
async def test_a_recently_updated_issue_is_found_though_the_filtered_query_lags(
    make_linear: MakeLinear, live_emulator: LinearEmulator, window: int
) -> None:
    fresh = seed(live_emulator, "fresh issue", "marker: lag", ["Bug"])
    seed(live_emulator, "older issue", "marker: lag", ["Bug"])
    async with make_linear(transport=Lagging(live_emulator.transport()), recent_window=window) as linear:
        found = await linear.search_items(ItemSearchFilters(labels=("Bug",), body_contains="marker: lag"))
    titles = {item.title for item in found}
    if window:
        assert titles == {"fresh issue", "older issue"}
        assert fresh in {item.id for item in found}
    else:  # without the recent listing, the lag would hide it: what the window is for
        assert titles == {"older issue"}


async def test_a_cursor_handed_out_twice_fails_the_search_instead_of_truncating_it(
    make_linear: MakeLinear, live_emulator: LinearEmulator
) -> None:
    seed(live_emulator, "one", "marker: loop", ["Bug"])
    async with make_linear(transport=Lagging(live_emulator.transport(), loop_cursor=True)) as linear:
        with pytest.raises(ProviderError, match="came back twice"):
            await linear.search_items(ItemSearchFilters(labels=("Bug",), body_contains="marker: loop"))


async def test_an_issue_carrying_a_label_made_after_entering_is_read_with_its_name(
    make_linear: MakeLinear, live_emulator: LinearEmulator
) -> None:
    async with make_linear() as linear:
        live_emulator.state.add_label("Late", "ENG")
        issue = seed(live_emulator, "late label", "marker: late", ["planpilot", "Late"])
        (found,) = await linear.search_items(ItemSearchFilters(labels=("late",), body_contains="marker: late"))
    assert found.id == issue
    assert set(found.labels) == {"planpilot", "Late"}
