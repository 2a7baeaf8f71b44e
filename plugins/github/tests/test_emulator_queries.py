"""Reads against the emulator: schema validation, GitHub's request rules, error shapes, lookups, pagination."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from planpilot_provider_github.testing import GitHubEmulator, IssueSeed, ManualClock

REPO_QUERY = """
query Repo($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) {
    id name nameWithOwner url owner { __typename login id }
    issueTypes(first: 10) { totalCount nodes { id name isEnabled description } }
  }
}
"""


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2025, 6, 2, 12, 0, tzinfo=UTC))


@pytest.fixture
def emulator(clock: ManualClock) -> GitHubEmulator:
    return GitHubEmulator.with_default_scenario(clock=clock)


def ok(emulator: GitHubEmulator, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = emulator.request(query, variables)
    assert response.status == 200
    body = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


def test_invalid_document_is_rejected_like_github(emulator: GitHubEmulator) -> None:
    response = emulator.request('{ repository(owner: "acme", name: "roadmap") { nam } }')
    assert response.status == 200
    body = response.json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["message"] == "Cannot query field 'nam' on type 'Repository'. Did you mean 'name'?"
    assert error["locations"] == [{"line": 1, "column": 48}]
    assert error["extensions"] == {"code": "undefinedField"}


def test_missing_required_input_field_is_a_validation_error(emulator: GitHubEmulator) -> None:
    body = emulator.request(
        'mutation { addBlockedBy(input: {issueId: "I_1", blockedByIssueId: "I_2"}) { issue { id } } }'
    ).json()
    assert "data" not in body
    messages = " | ".join(e["message"] for e in body["errors"])
    assert "AddBlockedByInput.blockingIssueId" in messages


def test_syntax_error_is_a_200_with_location(emulator: GitHubEmulator) -> None:
    body = emulator.request("{ viewer { login }").json()
    [error] = body["errors"]
    assert error["message"].startswith("Syntax Error")
    assert error["extensions"]["code"] == "parseError"
    assert error["locations"]


def test_malformed_json_is_http_400(emulator: GitHubEmulator) -> None:
    response = emulator.handle("POST", "/graphql", {"Authorization": "bearer t"}, b"{not json")
    assert response.status == 400
    assert response.json()["message"] == "Problems parsing JSON"


@pytest.mark.parametrize("payload", [{}, {"query": 7}, {"variables": {}}])
def test_missing_query_attribute(emulator: GitHubEmulator, payload: dict[str, Any]) -> None:
    response = emulator.handle("POST", "/graphql", {"Authorization": "bearer t"}, json.dumps(payload).encode())
    assert response.status == 200
    assert response.json() == {"errors": [{"message": "A query attribute must be specified and must be a string."}]}


def test_bad_variable_type_is_reported_without_data(emulator: GitHubEmulator) -> None:
    body = emulator.request(REPO_QUERY, {"owner": 1, "name": None}).json()
    assert "data" not in body
    assert any("$name" in e["message"] for e in body["errors"])


def test_repository_owner_and_issue_types(emulator: GitHubEmulator) -> None:
    repo = ok(emulator, REPO_QUERY, {"owner": "acme", "name": "roadmap"})["repository"]
    assert repo["nameWithOwner"] == "acme/roadmap"
    assert repo["url"] == "https://github.com/acme/roadmap"
    assert repo["id"].startswith("R_")
    assert repo["owner"]["__typename"] == "Organization"
    assert repo["owner"]["id"].startswith("O_")
    types = repo["issueTypes"]
    assert types["totalCount"] == 5
    assert [t["name"] for t in types["nodes"]] == ["Epic", "Story", "Task", "Bug", "Feature"]
    assert all(t["id"].startswith("IT_") and t["isEnabled"] for t in types["nodes"])


def test_user_repository_has_no_issue_types(emulator: GitHubEmulator) -> None:
    repo = ok(emulator, REPO_QUERY, {"owner": "octo", "name": "side"})["repository"]
    assert repo["owner"] == {"__typename": "User", "login": "octo", "id": repo["owner"]["id"]}
    assert repo["owner"]["id"].startswith("U_")
    assert repo["issueTypes"] is None


def test_unknown_repository_is_not_found_next_to_partial_data(emulator: GitHubEmulator) -> None:
    body = emulator.request('{ repository(owner: "o", name: "r") { id } viewer { login } }').json()
    assert body["data"] == {"repository": None, "viewer": {"login": "octo"}}
    [error] = body["errors"]
    assert error == {
        "type": "NOT_FOUND",
        "path": ["repository"],
        "locations": [{"line": 1, "column": 3}],
        "message": "Could not resolve to a Repository with the name 'o/r'.",
    }


def test_missing_project_and_owner_lookups(emulator: GitHubEmulator) -> None:
    body = emulator.request(
        '{ organization(login: "acme") { projectV2(number: 9) { id } } user(login: "acme") { id } }'
    ).json()
    errors = {tuple(e["path"]): e for e in body["errors"]}
    assert errors[("organization", "projectV2")]["message"] == "Could not resolve to a ProjectV2 with the number 9."
    assert errors[("organization", "projectV2")]["type"] == "NOT_FOUND"
    assert errors[("user",)]["type"] == "NOT_FOUND"
    assert body["data"] == {"organization": {"projectV2": None}, "user": None}


def test_user_project_url_and_org_project_url(emulator: GitHubEmulator) -> None:
    data = ok(
        emulator,
        '{ organization(login: "acme") { projectV2(number: 1) { url title } }'
        ' user(login: "octo") { projectV2(number: 1) { url } } }',
    )
    assert data["organization"]["projectV2"] == {"url": "https://github.com/orgs/acme/projects/1", "title": "Roadmap"}
    assert data["user"]["projectV2"]["url"] == "https://github.com/users/octo/projects/1"


def test_project_fields_union_and_current_iteration(emulator: GitHubEmulator, clock: ManualClock) -> None:
    query = """{ organization(login: "acme") { projectV2(number: 1) { id
      fields(first: 50) { pageInfo { hasNextPage } nodes {
        ... on ProjectV2Field { id name dataType }
        ... on ProjectV2SingleSelectField { id name dataType options { id name } }
        ... on ProjectV2IterationField { id name dataType configuration {
            iterations { id title startDate duration } completedIterations { id title startDate duration } } }
      } }
      status: field(name: "Status") { ... on ProjectV2SingleSelectField { id } }
      missing: field(name: "Nope") { ... on ProjectV2Field { id } } } } }"""
    project = ok(emulator, query)["organization"]["projectV2"]
    fields = {f["name"]: f for f in project["fields"]["nodes"]}
    assert [o["name"] for o in fields["Status"]["options"]] == ["Backlog", "Todo", "In Progress", "Done"]
    assert [o["name"] for o in fields["Priority"]["options"]] == ["P0", "P1", "P2"]
    assert [o["name"] for o in fields["Size"]["options"]] == ["XS", "S", "M", "L", "XL"]
    assert fields["Status"]["id"].startswith("PVTSSF_")
    assert fields["Status"]["dataType"] == "SINGLE_SELECT"
    assert fields["Estimate"]["dataType"] == "NUMBER"
    assert fields["Estimate"]["id"].startswith("PVTF_")
    iteration = fields["Iteration"]
    assert iteration["id"].startswith("PVTIF_")
    iterations = iteration["configuration"]["iterations"]
    assert len(iterations) == 3
    assert len(iteration["configuration"]["completedIterations"]) == 1
    today = clock.now().date()

    def current(it: dict[str, Any]) -> bool:
        start = datetime.fromisoformat(it["startDate"]).date()
        return start <= today < start + timedelta(days=it["duration"])

    assert [current(it) for it in iterations] == [False, True, False]
    assert project["status"]["id"] == fields["Status"]["id"]
    assert project["missing"] is None


def test_connections_need_first_or_last(emulator: GitHubEmulator) -> None:
    body = emulator.request('{ repository(owner: "acme", name: "roadmap") { labels { totalCount } } }').json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["type"] == "MISSING_PAGINATION_BOUNDARIES"
    assert error["path"] == ["repository", "labels"]
    assert "`first` or `last`" in error["message"]


@pytest.mark.parametrize("first", [0, 101])
def test_connection_page_size_must_be_1_to_100(emulator: GitHubEmulator, first: int) -> None:
    query = 'query($n: Int) { repository(owner: "acme", name: "roadmap") { issues(first: $n) { totalCount } } }'
    body = emulator.request(query, {"n": first}).json()
    assert "data" not in body
    assert body["errors"][0]["type"] == "EXCESSIVE_PAGINATION"


def test_pagination_limits_are_checked_before_a_mutation_runs(emulator: GitHubEmulator) -> None:
    repo_id = emulator.state.repository("acme/roadmap").id
    body = emulator.request(
        'mutation($r: ID!) { createIssue(input: {repositoryId: $r, title: "x"}) { issue { labels { totalCount } } } }',
        {"r": repo_id},
    ).json()
    assert body["errors"][0]["type"] == "MISSING_PAGINATION_BOUNDARIES"
    assert emulator.state.issues("acme/roadmap") == []


def test_node_and_nodes(emulator: GitHubEmulator) -> None:
    issue = emulator.state.add_issue("acme/roadmap", "Hello", labels=["planpilot"])
    body = emulator.request(
        "query($ids: [ID!]!, $id: ID!) { node(id: $id) { __typename ... on Issue { number title } }"
        " nodes(ids: $ids) { id } }",
        {"id": issue.id, "ids": [issue.id, "I_missing", issue.repository.id]},
    ).json()
    assert body["data"]["node"] == {"__typename": "Issue", "number": 1, "title": "Hello"}
    assert body["data"]["nodes"] == [{"id": issue.id}, None, {"id": issue.repository.id}]
    [error] = body["errors"]
    assert error["type"] == "NOT_FOUND"
    assert error["path"] == ["nodes", 1]
    assert error["message"] == "Could not resolve to a node with the global id of 'I_missing'."


def test_unknown_node_is_not_found(emulator: GitHubEmulator) -> None:
    body = emulator.request('{ node(id: "X") { id } }').json()
    assert body["data"] == {"node": None}
    assert body["errors"][0]["message"] == "Could not resolve to a node with the global id of 'X'."


def test_issue_by_number_and_missing_number(emulator: GitHubEmulator) -> None:
    emulator.state.add_issue("acme/roadmap", "One", "body text", issue_type="Epic")
    body = emulator.request(
        '{ repository(owner: "acme", name: "roadmap") { a: issue(number: 1) { number url title body state'
        " issueType { name } repository { nameWithOwner } createdAt updatedAt }"
        " b: issue(number: 2) { id } } }"
    ).json()
    issue = body["data"]["repository"]["a"]
    assert issue["url"] == "https://github.com/acme/roadmap/issues/1"
    assert issue["issueType"] == {"name": "Epic"}
    assert issue["state"] == "OPEN"
    assert issue["createdAt"] == "2025-06-02T12:00:00Z"
    assert body["data"]["repository"]["b"] is None
    assert body["errors"][0]["message"] == "Could not resolve to an Issue with the number of 2."


def test_issue_listing_pages_with_stable_opaque_cursors(emulator: GitHubEmulator) -> None:
    base = datetime(2025, 1, 1, tzinfo=UTC)
    emulator.state.add_issues(
        "acme/roadmap", [IssueSeed(f"Issue {i}", created_at=base + timedelta(minutes=i)) for i in range(250)]
    )
    query = """query($after: String) { repository(owner: "acme", name: "roadmap") {
      issues(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { number } } } }"""
    seen: list[int] = []
    after = None
    pages = 0
    while True:
        issues = ok(emulator, query, {"after": after})["repository"]["issues"]
        assert issues["totalCount"] == 250
        seen += [n["number"] for n in issues["nodes"]]
        pages += 1
        if not issues["pageInfo"]["hasNextPage"]:
            break
        after = issues["pageInfo"]["endCursor"]
        assert "Issue" not in after
        assert not after.isdigit()
    assert pages == 3
    assert seen == list(range(1, 251))


def test_invalid_cursor_is_an_error(emulator: GitHubEmulator) -> None:
    body = emulator.request(
        '{ repository(owner: "acme", name: "roadmap") { issues(first: 5, after: "bogus!") { totalCount } } }'
    ).json()
    assert body["errors"][0]["type"] == "INVALID_CURSOR_ARGUMENTS"


def test_issue_listing_filters(emulator: GitHubEmulator, clock: ManualClock) -> None:
    old = datetime(2025, 1, 1, tzinfo=UTC)
    emulator.state.add_issues(
        "acme/roadmap",
        [
            IssueSeed("a", labels=("planpilot",), created_at=old),
            IssueSeed("b", labels=("other",), created_at=old),
            IssueSeed("c", labels=("planpilot", "x"), state="CLOSED", created_at=old),
            IssueSeed("d", created_at=old),
        ],
    )
    clock.advance(60)
    emulator.state.link_sub_issue(
        emulator.state.repository("acme/roadmap").issues[4], emulator.state.repository("acme/roadmap").issues[2]
    )
    query = """query($labels: [String!], $states: [IssueState!], $filter: IssueFilters, $order: IssueOrder) {
      repository(owner: "acme", name: "roadmap") {
        issues(first: 50, labels: $labels, states: $states, filterBy: $filter, orderBy: $order) {
          nodes { title } } } }"""

    def titles(**variables: Any) -> list[str]:
        return [n["title"] for n in ok(emulator, query, variables)["repository"]["issues"]["nodes"]]

    assert titles(labels=["PlanPilot", "other"]) == ["a", "b", "c"]
    assert titles(filter={"labels": ["planpilot"], "states": ["OPEN"]}) == ["a"]
    assert titles(states=["CLOSED"]) == ["c"]
    assert titles(filter={"since": "2025-06-02T12:01:00Z"}) == ["b", "d"]
    assert titles(order={"field": "CREATED_AT", "direction": "DESC"}) == ["d", "c", "b", "a"]
    assert titles(order={"field": "UPDATED_AT", "direction": "DESC"})[:2] == ["d", "b"]


def test_labels_lookup_is_case_insensitive_and_filterable(emulator: GitHubEmulator) -> None:
    emulator.state.add_label("acme/roadmap", "PlanPilot", color="00ff00", description="synced")
    emulator.state.add_label("acme/roadmap", "bug")
    data = ok(
        emulator,
        '{ repository(owner: "acme", name: "roadmap") { label(name: "planpilot") { name color description }'
        ' none: label(name: "nope") { id } labels(first: 10, query: "plan") { totalCount nodes { id name } } } }',
    )["repository"]
    assert data["label"] == {"name": "PlanPilot", "color": "00ff00", "description": "synced"}
    assert data["none"] is None
    assert data["labels"]["totalCount"] == 1
    assert data["labels"]["nodes"][0]["id"].startswith("LA_")


def test_rate_limit_field_and_viewer(emulator: GitHubEmulator) -> None:
    data = ok(emulator, "{ rateLimit { limit remaining used cost resetAt } viewer { login } }")
    assert data["viewer"] == {"login": "octo"}
    assert data["rateLimit"]["limit"] == 5000
    assert data["rateLimit"]["remaining"] == 4999
    assert data["rateLimit"]["cost"] == 1
    assert data["rateLimit"]["resetAt"].endswith("Z")


def test_unmodelled_field_fails_loudly(emulator: GitHubEmulator) -> None:
    body = emulator.request('{ repository(owner: "acme", name: "roadmap") { stargazerCount } }').json()
    assert body["errors"][0]["type"] == "EMULATOR_UNSUPPORTED"
    assert "Repository.stargazerCount" in body["errors"][0]["message"]
