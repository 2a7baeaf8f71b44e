"""The emulator answers the plugin's read operations as Linear does: the team and its board, labels, projects,
issues by id, identifier, the discovery filter and recency, Linear's pagination, and its not-found error."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from planpilot_provider_linear.graphql.generated import issues as issue_ops
from planpilot_provider_linear.graphql.generated import workspace
from planpilot_provider_linear.reads import discovery_filter
from planpilot_provider_linear.testing import DEFAULT_PROJECT_SLUG, LinearEmulator, ManualClock, Team
from planpilot_providers_core.contracts import ItemSearchFilters

Send = Callable[..., Any]  # the conftest fixture: send(operation, variables) -> Answer
Q = issue_ops.Operations.query
W = workspace.Operations.query


def test_viewer_and_workspace(send: Send, emulator: LinearEmulator) -> None:
    viewer = send(W.viewer).data["viewer"]
    assert viewer["id"] == emulator.state.viewer.id
    assert viewer["organization"] == {"id": emulator.state.organization.id, "name": "Acme", "urlKey": "acme"}


def test_team_by_key_has_the_board_a_sync_decides_from(send: Send, team: Team) -> None:
    answer = send(W.team_by_key, {"key": "ENG"})
    (found,) = answer.data["teams"]["nodes"]
    assert found["id"] == team.id
    assert found["issueEstimationType"] == "tShirt"
    assert (found["issueEstimationExtended"], found["issueEstimationAllowZero"]) == (False, False)
    states = {s["name"]: s["type"] for s in found["states"]["nodes"]}
    assert states == {
        "Backlog": "backlog",
        "Todo": "unstarted",
        "In Progress": "started",
        "Done": "completed",
        "Canceled": "canceled",
    }
    backlog = next(s for s in found["states"]["nodes"] if s["name"] == "Backlog")
    assert found["defaultIssueState"] == {"id": backlog["id"]}
    assert found["activeCycle"]["number"] == 2
    assert {label["name"] for label in found["labels"]["nodes"]} == {"Bug", "Feature", "Improvement", "Type"}
    assert [p["slugId"] for p in found["projects"]["nodes"]] == [DEFAULT_PROJECT_SLUG]
    assert found["projects"]["nodes"][0]["url"] == f"https://linear.app/acme/project/roadmap-{DEFAULT_PROJECT_SLUG}"
    assert send(W.team_by_key, {"key": "OPS"}).data["teams"]["nodes"] == []


def test_active_cycle_follows_the_clock(send: Send, clock: ManualClock) -> None:
    clock.advance(timedelta(days=14).total_seconds())
    (found,) = send(W.team_by_key, {"key": "ENG"}).data["teams"]["nodes"]
    assert found["activeCycle"]["number"] == 3
    clock.advance(timedelta(days=14).total_seconds())
    (found,) = send(W.team_by_key, {"key": "ENG"}).data["teams"]["nodes"]
    assert found["activeCycle"] is None


def test_labels_by_scope_and_by_name(send: Send, emulator: LinearEmulator, team: Team) -> None:
    emulator.state.add_team("OPS")
    emulator.state.add_label("planpilot", "OPS")  # another team's: not one ENG may apply
    emulator.state.add_label("PlanPilot")  # the workspace's
    workspace_labels = send(W.workspace_labels).data["issueLabels"]["nodes"]
    assert {label["name"] for label in workspace_labels} == {"Customer", "PlanPilot"}
    named = send(W.labels_named, {"name": "planpilot", "teamId": team.id}).data["issueLabels"]["nodes"]
    assert [(label["name"], label["team"]) for label in named] == [("PlanPilot", None)]
    page = send(W.team_labels, {"teamId": team.id, "first": 2}).data["team"]["labels"]
    assert len(page["nodes"]) == 2
    assert page["pageInfo"]["hasNextPage"] is True
    rest = send(W.team_labels, {"teamId": team.id, "after": page["pageInfo"]["endCursor"]}).data["team"]["labels"]
    assert len(page["nodes"]) + len(rest["nodes"]) == 4
    assert rest["pageInfo"]["hasNextPage"] is False


def test_project_by_slug(send: Send, team: Team) -> None:
    (project,) = send(W.project_by_slug, {"slugId": DEFAULT_PROJECT_SLUG}).data["projects"]["nodes"]
    assert project["name"] == "Roadmap"
    assert project["teams"]["nodes"] == [{"id": team.id, "key": "ENG"}]
    assert send(W.project_by_slug, {"slugId": "000000000000"}).data["projects"]["nodes"] == []


def test_issue_by_uuid_or_identifier_and_linear_not_found_error(send: Send, emulator: LinearEmulator) -> None:
    seeded = emulator.state.add_issue("ENG", "Seeded issue", description="Body", labels=["Bug"], estimate=3)
    for ref in (seeded.id, "ENG-1", "eng-1"):
        issue = send(Q.issue_by_id, {"id": ref}).data["issue"]
        assert issue["identifier"] == "ENG-1"
        assert issue["url"] == "https://linear.app/acme/issue/ENG-1/seeded-issue"
        assert issue["labelIds"] == [emulator.state.label_named("Bug", "ENG").id]
        assert (issue["estimate"], issue["priority"], issue["state"]["name"]) == (3, 0, "Backlog")
    missing = send(Q.issue_by_id, {"id": "ENG-99"})
    assert missing.status == 200
    assert missing.data is None
    (error,) = missing.errors
    assert error["message"] == "Entity not found: Issue"
    assert error["path"] == ["issue"]
    assert error["extensions"]["code"] == "INPUT_ERROR"
    assert error["extensions"]["userPresentableMessage"] == "Could not find referenced Issue."


def marker_filter(team_id: str, label: str, marker: str) -> dict[str, Any]:
    """The filter the provider's discovery sends (``reads.discovery_filter``)."""
    return discovery_filter(team_id, ItemSearchFilters(labels=(label,), body_contains=marker))


def test_issues_matching_the_discovery_filter_match_label_team_and_case_sensitive_substring(
    send: Send, emulator: LinearEmulator, team: Team
) -> None:
    state = emulator.state
    state.add_label("planpilot", "ENG")
    state.add_team("OPS")
    state.add_label("planpilot", "OPS")
    hit = state.add_issue("ENG", "Hit", description="Intro\n\nPLAN_ID: p1\nITEM_ID: T1\n", labels=["planpilot"])
    state.add_issue("ENG", "Other item", description="PLAN_ID: p1\nITEM_ID: T10", labels=["planpilot"])
    state.add_issue("ENG", "No label", description="ITEM_ID: T1")
    state.add_issue("ENG", "Wrong case", description="item_id: t1", labels=["planpilot"])
    state.add_issue("OPS", "Other team", description="ITEM_ID: T1", labels=["planpilot"])
    archived = state.add_issue("ENG", "Archived", description="ITEM_ID: T1\n", labels=["planpilot"], archived=True)

    found = send(Q.issues_matching, {"filter": marker_filter(team.id, "planpilot", "ITEM_ID: T1\n")})
    ids = [node["id"] for node in found.data["issues"]["nodes"]]
    assert sorted(ids) == sorted([hit.id, archived.id])  # includeArchived: true
    assert found.data["issues"]["nodes"][0]["archivedAt"] is not None  # newest first
    loose = send(Q.issues_matching, {"filter": marker_filter(team.id, "planpilot", "ITEM_ID: T1")})
    assert len(loose.data["issues"]["nodes"]) == 3  # a substring: T10 matches too, so a client re-checks hits


def test_archived_issues_are_hidden_unless_asked_for(send: Send, emulator: LinearEmulator) -> None:
    emulator.state.add_issue("ENG", "Live")
    emulator.state.add_issue("ENG", "Gone", archived=True)
    plain = send("query { issues { nodes { title } } }").data["issues"]["nodes"]
    assert [n["title"] for n in plain] == ["Live"]
    both = send("query { issues(includeArchived: true) { nodes { title } } }").data["issues"]["nodes"]
    assert [n["title"] for n in both] == ["Gone", "Live"]


def test_issues_by_ids(send: Send, emulator: LinearEmulator) -> None:
    a = emulator.state.add_issue("ENG", "A")
    b = emulator.state.add_issue("ENG", "B", archived=True)
    found = send(Q.issues_by_ids, {"ids": [a.id, b.id.upper(), "1d2c5b4e-0000-4000-8000-000000000000"]})
    assert sorted(n["title"] for n in found.data["issues"]["nodes"]) == ["A", "B"]


def test_paging_defaults_to_50_and_walks_every_page(send: Send, emulator: LinearEmulator, team: Team) -> None:
    for n in range(120):
        emulator.state.add_issue("ENG", f"Issue {n}", labels=["Bug"], description=f"ITEM_ID: {n}")
    query = "query($after: String) { issues(after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }"
    first = send(query).data["issues"]
    assert len(first["nodes"]) == 50
    seen: list[str] = []
    cursor = None
    while True:
        page = send(
            Q.issues_matching, {"filter": marker_filter(team.id, "Bug", "ITEM_ID"), "first": 35, "after": cursor}
        )
        issues = page.data["issues"]
        seen += [node["id"] for node in issues["nodes"]]
        if not issues["pageInfo"]["hasNextPage"]:
            break
        assert issues["pageInfo"]["endCursor"] == issues["nodes"][-1]["id"]
        cursor = issues["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 120
    assert seen[0] == emulator.state.team_issues("ENG")[-1].id  # newest first


def test_a_cursor_whose_node_left_the_list_still_pages_on(
    send: Send, emulator: LinearEmulator, clock: ManualClock
) -> None:
    made = []
    for n in range(4):
        made.append(emulator.state.add_issue("ENG", f"I{n}", labels=["Bug"]))
        clock.advance(1)
    query = """query($after: String) { issues(first: 2, after: $after, filter: {labels: {name: {eq: "Bug"}}}) {
      nodes { title } pageInfo { endCursor } } }"""
    page = send(query).data["issues"]
    assert [n["title"] for n in page["nodes"]] == ["I3", "I2"]
    emulator.state.update_issue(made[2].id, label_ids=[])  # the cursor's node no longer matches the filter
    rest = send(query, {"after": page["pageInfo"]["endCursor"]}).data["issues"]
    assert [n["title"] for n in rest["nodes"]] == ["I1", "I0"]
    bad = send(query, {"after": "not-a-node"})
    assert bad.errors[0]["extensions"]["code"] == "INPUT_ERROR"


def test_recent_issues_by_updated_at_with_a_duration(
    send: Send, emulator: LinearEmulator, team: Team, clock: ManualClock
) -> None:
    old = emulator.state.add_issue("ENG", "Old")
    clock.advance(7200)
    emulator.state.add_issue("ENG", "New")
    clock.advance(3000)
    with emulator.state.lock:
        emulator.state.update_issue(old.id, title="Old, touched")
    found = send(Q.recent_issues, {"teamId": team.id, "since": "-PT1H"}).data["issues"]["nodes"]
    assert [n["title"] for n in found] == ["Old, touched", "New"]  # most recently updated first
    since = (clock.now() - timedelta(minutes=30)).isoformat()
    assert [n["title"] for n in send(Q.recent_issues, {"teamId": team.id, "since": since}).data["issues"]["nodes"]] == [
        "Old, touched"
    ]
    bad = send(Q.recent_issues, {"teamId": team.id, "since": "yesterday"})
    assert "neither an ISO 8601 date-time nor a duration" in bad.error_messages()[0]


def test_filter_fields_the_emulator_does_not_model_are_refused_loudly(send: Send) -> None:
    answer = send('query { issues(filter: {assignee: {name: {eq: "x"}}}) { nodes { id } } }')
    (error,) = answer.errors
    assert error["extensions"]["code"] == "EMULATOR_UNSUPPORTED"
    assert "issues.filter.assignee" in error["message"]


def test_rate_limit_status_reports_the_budgets(send: Send) -> None:
    status = send(workspace.Operations.query.rate_limit_status).data["rateLimitStatus"]
    assert status["kind"] == "api-key"
    requests, points = status["limits"]
    assert (requests["type"], requests["allowedAmount"], requests["period"]) == ("requestsLimit", 2500, 3_600_000)
    assert requests["remainingAmount"] == 2499  # this request is already counted
    assert points["type"] == "complexityLimit"
    assert points["allowedAmount"] == 3_000_000


@pytest.mark.parametrize("extended", [False, True])
def test_estimate_scale_settings_are_read_back(send: Send, emulator: LinearEmulator, extended: bool) -> None:
    emulator.state.add_team("FIB", estimation_type="fibonacci", extended=extended, allow_zero=True)
    (found,) = send(W.team_by_key, {"key": "FIB"}).data["teams"]["nodes"]
    assert found["issueEstimationType"] == "fibonacci"
    assert found["issueEstimationExtended"] is extended
    assert found["issueEstimationAllowZero"] is True
