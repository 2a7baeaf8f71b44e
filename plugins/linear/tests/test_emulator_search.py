"""searchIssues reads a lagging index (what issues(filter) discovery avoids): a write shows up only
``search_lag`` seconds later, while issues(filter) sees it at once."""

from __future__ import annotations

from typing import Any

from planpilot_provider_linear.graphql.generated import issues as issue_ops
from planpilot_provider_linear.reads import discovery_filter
from planpilot_provider_linear.testing import LinearEmulator, ManualClock
from planpilot_providers_core.contracts import ItemSearchFilters

SEARCH = """query($term: String!, $teamId: String) {
  searchIssues(term: $term, teamId: $teamId, first: 10) { nodes { identifier title } totalCount } }"""


def found(emulator: LinearEmulator, term: str, **variables: Any) -> list[str]:
    answer = emulator.request(SEARCH, {"term": term, **variables}).json()
    return [node["identifier"] for node in answer["data"]["searchIssues"]["nodes"]]


def test_writes_reach_search_after_the_lag_and_filters_at_once() -> None:
    clock = ManualClock()
    emulator = LinearEmulator.with_default_scenario(clock=clock, search_lag=30)
    issue = emulator.state.add_issue("ENG", "Payment retries", description="PLAN_ID: p1", labels=["Bug"])
    assert found(emulator, "payment") == []
    matching = bytes(issue_ops.Operations.query.issues_matching).decode()
    team = emulator.state.team_by_key("ENG")
    search = ItemSearchFilters(labels=("Bug",), body_contains="PLAN_ID: p1")
    direct = emulator.request(matching, {"filter": discovery_filter(team.id, search)}).json()
    assert [n["identifier"] for n in direct["data"]["issues"]["nodes"]] == ["ENG-1"]  # no lag
    clock.advance(30)
    assert found(emulator, "payment") == ["ENG-1"]
    assert found(emulator, "ENG-1 retries") == ["ENG-1"]  # every word, case-insensitive, identifier too
    with emulator.state.lock:
        emulator.state.update_issue(issue.id, title="Refund flow")
    assert found(emulator, "refund") == []  # the index still has the old title
    assert found(emulator, "payment") == ["ENG-1"]
    clock.advance(30)
    assert (found(emulator, "refund"), found(emulator, "payment")) == (["ENG-1"], [])


def test_search_scoped_to_a_team_and_hiding_archived_issues() -> None:
    emulator = LinearEmulator.with_default_scenario()
    emulator.state.add_team("OPS")
    emulator.state.add_issue("ENG", "Shared words")
    emulator.state.add_issue("OPS", "Shared words")
    emulator.state.add_issue("ENG", "Shared words, archived", archived=True)
    assert sorted(found(emulator, "shared")) == ["ENG-1", "OPS-1"]
    assert found(emulator, "shared", teamId=emulator.state.team_by_key("OPS").id) == ["OPS-1"]
    total = emulator.request(SEARCH, {"term": "shared"}).json()["data"]["searchIssues"]["totalCount"]
    assert total == 2
