"""The enhanced JQL search: the JQL subset and its refusals, fuzzy text matching, nextPageToken paging, the
search index lag and reconcileIssues, approximate count, and the removed old search."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from planpilot_provider_jira.testing import JiraEmulator, ManualClock
from planpilot_provider_jira.testing.builders import adf_paragraphs, create_body


def _search(emulator: JiraEmulator, jql: str, **params: Any) -> Any:
    response = emulator.request("POST", "/rest/api/3/search/jql", {"jql": jql, **params})
    assert response.status == 200, response.body
    return response.json()


def _keys(emulator: JiraEmulator, jql: str) -> list[str]:
    return [i["key"] for i in _search(emulator, jql, fields=["summary"], maxResults=100)["issues"]]


def _refusal(emulator: JiraEmulator, jql: str) -> str:
    response = emulator.request("POST", "/rest/api/3/search/jql", {"jql": jql})
    assert response.status == 400, response.body
    body = response.json()
    assert body["errors"] == {}
    message: str = body["errorMessages"][0]
    return message


@pytest.fixture
def seeded(emulator: JiraEmulator, clock: ManualClock) -> JiraEmulator:
    state = emulator.state
    state.add_issue(
        "PROJ",
        "Roadmap epic",
        issue_type="Epic",
        labels=["planpilot"],
        description=adf_paragraphs("PLAN_ID: abc123", "ITEM_ID: E1"),
    )
    clock.advance(60)
    state.add_issue(
        "PROJ",
        "Planned work items",
        issue_type="Story",
        labels=["planpilot", "Team-A"],
        parent="PROJ-1",
        description=adf_paragraphs("PLAN_ID: abc123", "ITEM_ID: E1-extra"),
    )
    clock.advance(60)
    state.add_issue("PROJ", "Unrelated", labels=["other"], description=adf_paragraphs("nothing to see"))
    return emulator


def test_default_search_returns_ids_only_and_fields_on_request(seeded: JiraEmulator) -> None:
    body = _search(seeded, "project = PROJ")
    assert body["issues"] == [{"id": "10002"}, {"id": "10001"}, {"id": "10000"}]  # newest first without ORDER BY
    assert body["isLast"] is True
    assert "nextPageToken" not in body
    body = _search(seeded, "project = PROJ ORDER BY key ASC", fields=["summary", "labels"], expand="names")
    assert [i["key"] for i in body["issues"]] == ["PROJ-1", "PROJ-2", "PROJ-3"]
    assert body["issues"][1]["fields"] == {"summary": "Planned work items", "labels": ["planpilot", "Team-A"]}
    assert body["names"] == {"summary": "Summary", "labels": "Labels"}


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ('project = PROJ AND labels = "planpilot"', ["PROJ-2", "PROJ-1"]),
        ("project = PROJ AND labels in (other, missing)", ["PROJ-3"]),
        ("project = PROJ AND labels = team-a", ["PROJ-2"]),
        ("project = PROJ AND labels != planpilot", ["PROJ-3"]),
        ("project = PROJ AND labels IS EMPTY", []),
        ("project = PROJ AND issuetype = Epic", ["PROJ-1"]),
        ("project = PROJ AND type in (Story, Task)", ["PROJ-3", "PROJ-2"]),
        ("project = PROJ AND parent = PROJ-1", ["PROJ-2"]),
        ("key in (PROJ-1, PROJ-3)", ["PROJ-3", "PROJ-1"]),
        ("project = PROJ AND status = 'To Do' AND NOT labels = other", ["PROJ-2", "PROJ-1"]),
        ("(labels = other OR issuetype = Epic) AND project = PROJ ORDER BY created ASC", ["PROJ-1", "PROJ-3"]),
        ("project = PROJ AND created >= -1m", ["PROJ-3", "PROJ-2"]),
        ('project = PROJ AND created < "2025-06-02 12:01" ORDER BY key', ["PROJ-1"]),
        ("project = PROJ AND updated > -1m ORDER BY key DESC", ["PROJ-3"]),
    ],
)
def test_jql_subset(seeded: JiraEmulator, jql: str, expected: list[str]) -> None:
    assert _keys(seeded, jql) == expected


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ('project = PROJ AND text ~ "\\"ITEM_ID: E1\\""', ["PROJ-2", "PROJ-1"]),  # a phrase also hits E1-extra
        ('project = PROJ AND description ~ "abc123"', ["PROJ-2", "PROJ-1"]),
        ('project = PROJ AND text ~ "plan"', ["PROJ-2", "PROJ-1"]),  # summary "Planned", and PLAN_ID in both
        ('project = PROJ AND summary ~ "plans"', ["PROJ-2"]),  # stemmed: plans ~ Planned
        ('project = PROJ AND summary ~ "item work"', ["PROJ-2"]),  # any order
        ('project = PROJ AND summary ~ "roadm*"', ["PROJ-1"]),
        ('project = PROJ AND description ~ "abc123" AND description !~ "extra"', ["PROJ-1"]),
        ('project = PROJ AND text ~ "the"', []),  # stop words only: nothing to match
    ],
)
def test_text_search_is_fuzzy_so_hits_are_only_candidates(seeded: JiraEmulator, jql: str, expected: list[str]) -> None:
    assert _keys(seeded, jql) == expected


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("", "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."),
        (
            "order by key desc",
            "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.",
        ),
        ("foo = bar", "Field 'foo' does not exist or you do not have permission to view it."),
        ("assignee = currentUser()", "The Jira emulator does not support the field 'assignee' in JQL."),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("issuetype = Bug", "The value 'Bug' does not exist for the field 'issuetype'."),
        ("key = PROJ-99", "An issue with key 'PROJ-99' does not exist for field 'key'."),
        ("summary = x", "The operator '=' is not supported by the 'summary' field."),
        ("project ~ PROJ", "The operator '~' is not supported by the 'project' field."),
        ('summary ~ "*map"', "The text query '*map' for field 'summary' is not allowed to start with a wildcard."),
        (
            "project = DO",
            "Error in the JQL Query: 'DO' is a reserved JQL word. You must surround it in quotation marks to use "
            "it in a query. (line 1, character 11)",
        ),
        ("project PROJ", "Error in the JQL Query: Expecting operator but got 'PROJ'."),
        ("project = PROJ ORDER BY rank", "The Jira emulator does not support the field 'rank' in ORDER BY."),
        ("project = PROJ AND created > tomorrow", "Date value 'tomorrow' for field 'created' is invalid."),
    ],
)
def test_jql_outside_the_subset_is_refused_with_jiras_400(seeded: JiraEmulator, jql: str, message: str) -> None:
    assert _refusal(seeded, jql).startswith(message)


def test_a_reserved_word_works_quoted(make_emulator: Any) -> None:
    emulator = make_emulator()
    assert _refusal(emulator, 'project = "DO"') == "The value 'DO' does not exist for the field 'project'."


def test_every_page_is_read_through_next_page_token(emulator: JiraEmulator) -> None:
    for n in range(7):
        emulator.state.add_issue("PROJ", f"Issue {n}")
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        params: dict[str, Any] = {"jql": "project = PROJ ORDER BY key", "maxResults": 3, "fields": "summary"}
        if token:
            params["nextPageToken"] = token
        response = emulator.request("GET", "/rest/api/3/search/jql?" + urlencode(params))
        body = response.json()
        pages += 1
        seen += [i["key"] for i in body["issues"]]
        token = body.get("nextPageToken")
        assert body["isLast"] is (token is None)
        if token is None:
            break
    assert pages == 3
    assert seen == [f"PROJ-{n}" for n in range(1, 8)]


def test_pages_with_fields_are_capped_so_a_short_page_is_not_the_end(emulator: JiraEmulator) -> None:
    for n in range(120):
        emulator.state.add_issue("PROJ", f"Issue {n}")
    body = _search(emulator, "project = PROJ", fields=["summary"], maxResults=500)
    assert len(body["issues"]) == 100
    assert body["isLast"] is False
    ids = _search(emulator, "project = PROJ", maxResults=500)
    assert len(ids["issues"]) == 120


def test_a_token_from_another_query_is_refused(emulator: JiraEmulator) -> None:
    for n in range(3):
        emulator.state.add_issue("PROJ", f"Issue {n}")
    token = _search(emulator, "project = PROJ", maxResults=1)["nextPageToken"]
    response = emulator.request("POST", "/rest/api/3/search/jql", {"jql": "labels = x", "nextPageToken": token})
    assert response.status == 400
    assert "next page token" in response.json()["errorMessages"][0]


def test_search_lags_writes_while_reads_by_key_do_not(make_emulator: Any, clock: ManualClock) -> None:
    emulator = make_emulator(search_lag=30)
    key = emulator.request("POST", "/rest/api/3/issue", create_body("Fresh", labels=["planpilot"])).json()["key"]
    issue_id = int(emulator.state.issue(key).id)
    assert _keys(emulator, "labels = planpilot") == []
    assert emulator.request("GET", f"/rest/api/3/issue/{key}?fields=labels").json()["fields"]["labels"] == ["planpilot"]
    reconciled = _search(emulator, "labels = planpilot", reconcileIssues=[issue_id], fields=["summary"])
    assert [i["key"] for i in reconciled["issues"]] == [key]
    clock.advance(1)
    emulator.request("PUT", f"/rest/api/3/issue/{key}", {"update": {"labels": [{"remove": "planpilot"}]}})
    clock.advance(28)
    assert _keys(emulator, "labels = planpilot") == []  # 29 s after the create: not indexed yet
    clock.advance(1)
    assert _keys(emulator, "labels = planpilot") == [key]  # the create is indexed, the edit 1 s later not yet
    clock.advance(1)
    assert _keys(emulator, "labels = planpilot") == []
    assert emulator.request("POST", "/rest/api/3/search/approximate-count", {"jql": "project = PROJ"}).json() == {
        "count": 1
    }


def test_reconcile_takes_at_most_50_ids(emulator: JiraEmulator) -> None:
    response = emulator.request(
        "POST", "/rest/api/3/search/jql", {"jql": "project = PROJ", "reconcileIssues": list(range(10000, 10051))}
    )
    assert response.status == 400


def test_the_old_search_is_gone(emulator: JiraEmulator) -> None:
    response = emulator.request("GET", "/rest/api/3/search?jql=project%20%3D%20PROJ")
    assert response.status == 410
    assert "CHANGE-2046" in response.json()["errorMessages"][0]
    assert emulator.request("POST", "/rest/api/3/search", {"jql": "project = PROJ"}).status == 410
