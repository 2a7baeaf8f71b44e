"""``search(type: ISSUE)``: qualifiers, ranges, the 1,000-result cap, query limits and the search index lag."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from planpilot_provider_github.testing import GitHubEmulator, IssueSeed, ManualClock
from planpilot_provider_github.testing.search import Range, parse_query, parse_range

REPO = "acme/roadmap"
SEARCH = """query Search($q: String!, $after: String) {
  search(query: $q, type: ISSUE, first: 100, after: $after) {
    issueCount pageInfo { hasNextPage endCursor }
    nodes { ... on Issue { number title labels(first: 10) { nodes { name } } } }
  }
}"""
START = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def emulator(clock: ManualClock) -> GitHubEmulator:
    return GitHubEmulator.with_default_scenario(clock=clock)


def search(emulator: GitHubEmulator, query: str, after: str | None = None) -> dict[str, Any]:
    body = emulator.request(SEARCH, {"q": query, "after": after}).json()
    assert "errors" not in body, body
    return body["data"]["search"]  # type: ignore[no-any-return]


def numbers(emulator: GitHubEmulator, query: str) -> list[int]:
    return sorted(node["number"] for node in search(emulator, query)["nodes"])


def search_error(emulator: GitHubEmulator, query: str) -> dict[str, Any]:
    body = emulator.request(SEARCH, {"q": query}).json()
    assert body["data"] is None
    [error] = body["errors"]
    return error  # type: ignore[no-any-return]


def test_parse_query_qualifiers() -> None:
    query = parse_query(
        'repo:acme/roadmap is:issue is:open label:"in progress" label:planpilot "PLAN_ID:abc" in:body '
        "created:>=2025-01-01 sort:created-asc hello"
    )
    assert query.repos == ["acme/roadmap"]
    assert query.state == "OPEN"
    assert query.label_groups == [frozenset({"in progress"}), frozenset({"planpilot"})]
    assert query.terms == ["plan_id:abc", "hello"]
    assert (query.in_title, query.in_body) == (False, True)
    assert query.sort_field == "created"
    assert not query.sort_descending
    assert query.created == [Range(lower=datetime(2025, 1, 1, tzinfo=UTC))]
    assert not query.matches_nothing
    assert parse_query("PLAN_ID:abc").matches_nothing  # unquoted: an unknown qualifier, as on GitHub
    assert parse_query("label:a,b").label_groups == [frozenset({"a", "b"})]


DAY = datetime(2025, 3, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        (">=2025-03-10", [DAY], [DAY - timedelta(seconds=1)]),
        (">2025-03-10", [DAY + timedelta(days=1)], [DAY + timedelta(hours=23)]),
        ("<=2025-03-10", [DAY + timedelta(hours=23, minutes=59)], [DAY + timedelta(days=1)]),
        ("<2025-03-10", [DAY - timedelta(seconds=1)], [DAY]),
        ("2025-03-10..2025-03-11", [DAY, DAY + timedelta(hours=47)], [DAY + timedelta(days=2)]),
        ("2025-03-10..*", [DAY, DAY + timedelta(days=900)], [DAY - timedelta(seconds=1)]),
        ("*..2025-03-10", [DAY - timedelta(days=900), DAY + timedelta(hours=23)], [DAY + timedelta(days=1)]),
        ("2025-03-10", [DAY + timedelta(hours=5)], [DAY + timedelta(days=1)]),
        (">=2025-03-10T12:00:00Z", [DAY + timedelta(hours=12)], [DAY + timedelta(hours=11, minutes=59, seconds=59)]),
        (">2025-03-10T12:00:00Z", [DAY + timedelta(hours=12, seconds=1)], [DAY + timedelta(hours=12)]),
        ("<=2025-03-10T12:00:00+02:00", [DAY + timedelta(hours=10)], [DAY + timedelta(hours=10, seconds=1)]),
        ("<2025-03-10T12:00:00Z", [DAY + timedelta(hours=11, minutes=59)], [DAY + timedelta(hours=12)]),
        (
            "2025-03-10T01:00:00+07:00..2025-03-10T15:30:15+07:00",
            [DAY - timedelta(hours=6), DAY + timedelta(hours=8, minutes=30, seconds=15)],
            [DAY + timedelta(hours=8, minutes=30, seconds=16)],
        ),
    ],
)
def test_created_ranges(text: str, inside: list[datetime], outside: list[datetime]) -> None:
    bound = parse_range(text)
    assert all(when in bound for when in inside)
    assert not any(when in bound for when in outside)


def test_labels_are_anded_and_text_matches_title_or_body(emulator: GitHubEmulator) -> None:
    emulator.state.add_issues(
        REPO,
        [
            IssueSeed("Alpha", "PLAN_ID:abc ITEM_ID:1", labels=("planpilot", "in progress")),
            IssueSeed("Beta", "PLAN_ID:abc ITEM_ID:2", labels=("planpilot",)),
            IssueSeed("PLAN_ID:abc in title", "nothing here", labels=("planpilot",)),
            IssueSeed("Gamma", "plan_id:ABC lower", labels=("other",)),
        ],
    )
    assert numbers(emulator, f'repo:{REPO} is:issue label:"planpilot" "PLAN_ID:abc" in:body') == [1, 2]
    assert numbers(emulator, f'repo:{REPO} label:planpilot label:"in progress"') == [1]
    assert numbers(emulator, f"repo:{REPO} label:other,in-progress") == [4]
    assert numbers(emulator, f'repo:{REPO} "PLAN_ID:abc"') == [1, 2, 3, 4]
    assert numbers(emulator, f"repo:{REPO} ITEM_ID plan") == [1, 2]
    assert numbers(emulator, f"repo:{REPO} PLAN_ID:abc in:body") == []
    assert numbers(emulator, f"repo:{REPO} -label:planpilot") == [4]


def test_state_qualifiers_and_sort(emulator: GitHubEmulator) -> None:
    base = datetime(2025, 1, 1, tzinfo=UTC)
    emulator.state.add_issues(
        REPO,
        [
            IssueSeed("old", created_at=base),
            IssueSeed("closed", state="CLOSED", created_at=base + timedelta(days=1)),
            IssueSeed("new", created_at=base + timedelta(days=2)),
        ],
    )
    assert [n["title"] for n in search(emulator, f"repo:{REPO}")["nodes"]] == ["new", "closed", "old"]
    assert [n["title"] for n in search(emulator, f"repo:{REPO} sort:created-asc")["nodes"]] == ["old", "closed", "new"]
    assert numbers(emulator, f"repo:{REPO} is:open") == [1, 3]
    assert numbers(emulator, f"repo:{REPO} is:closed") == [2]
    assert numbers(emulator, f"repo:{REPO} created:2025-01-02..2025-01-03") == [2, 3]
    assert numbers(emulator, f"repo:{REPO} created:<2025-01-02") == [1]
    assert numbers(emulator, f"repo:{REPO} is:pr") == []
    assert numbers(emulator, "repo:octo/side") == []


def test_search_never_pages_past_1000_results(emulator: GitHubEmulator) -> None:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    seeds = [
        IssueSeed(f"Item {i}", f"PLAN_ID:big ITEM_ID:{i}", labels=("planpilot",), created_at=base + timedelta(hours=i))
        for i in range(2500)
    ]
    emulator.state.add_issues(REPO, seeds)
    query = f'repo:{REPO} is:issue label:planpilot "PLAN_ID:big" in:body sort:created-asc'
    seen: list[int] = []
    after = None
    for _ in range(20):
        page = search(emulator, query, after)
        assert page["issueCount"] == 2500
        seen += [node["number"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == 1000
    assert seen == list(range(1, 1001))
    beyond = search(emulator, query, after=page["pageInfo"]["endCursor"])
    assert beyond["nodes"] == []
    assert not beyond["pageInfo"]["hasNextPage"]
    # Splitting by created: ranges reaches the rest, as GitHub recommends.
    split = base + timedelta(hours=1000)
    rest = search(emulator, f"{query} created:>={split.isoformat()}")
    assert rest["issueCount"] == 1500


def test_query_length_and_operator_limits(emulator: GitHubEmulator) -> None:
    long_text = "x" * 257
    error = search_error(emulator, f'repo:{REPO} label:planpilot "{long_text[:-2]}"')
    assert "Validation failed" in error["message"]
    assert error["path"] == ["search"]
    assert search(emulator, f"repo:{REPO} label:planpilot {'y' * 250}")["issueCount"] == 0  # qualifiers not counted
    six = " AND ".join(["a"] * 7)
    assert "Validation failed" in search_error(emulator, f"repo:{REPO} {six}")["message"]
    five = " AND ".join(["a"] * 6)
    assert search(emulator, f"repo:{REPO} {five}")["issueCount"] == 0


def test_unknown_repository_cannot_be_searched(emulator: GitHubEmulator) -> None:
    error = search_error(emulator, "repo:acme/nope label:x")
    assert error["message"].startswith("The listed users and repositories cannot be searched")


LISTING = """query { repository(owner: "acme", name: "roadmap") {
  issues(first: 100, labels: ["planpilot"]) { nodes { number } } } }"""
ADD_LABELS = """mutation($id: ID!, $labels: [ID!]!) {
  addLabelsToLabelable(input: {labelableId: $id, labelIds: $labels}) { clientMutationId } }"""


def test_search_index_lag_hides_new_issues_but_not_listings(clock: ManualClock) -> None:
    emulator = GitHubEmulator.with_default_scenario(clock=clock, search_lag=30)
    label = emulator.state.add_label(REPO, "planpilot")
    created = emulator.request(
        'mutation($r: ID!, $l: [ID!]) { createIssue(input: {repositoryId: $r, title: "fresh", body: "PLAN_ID:lag",'
        " labelIds: $l}) { issue { id number } } }",
        {"r": emulator.state.repository(REPO).id, "l": [label.id]},
    ).json()["data"]["createIssue"]["issue"]
    query = f'repo:{REPO} label:planpilot "PLAN_ID:lag" in:body'
    assert search(emulator, query)["issueCount"] == 0
    listing = emulator.request(LISTING).json()["data"]["repository"]["issues"]["nodes"]
    assert listing == [{"number": created["number"]}]
    node = emulator.request("query($id: ID!) { node(id: $id) { id } }", {"id": created["id"]}).json()
    assert node["data"]["node"] == {"id": created["id"]}
    clock.advance(29)
    assert search(emulator, query)["issueCount"] == 0
    clock.advance(1)
    assert search(emulator, query)["issueCount"] == 1


def test_search_sees_old_labels_within_the_lag(clock: ManualClock) -> None:
    emulator = GitHubEmulator.with_default_scenario(clock=clock, search_lag=60)
    issue = emulator.state.add_issue(REPO, "t", "PLAN_ID:x", labels=["old"], created_at=START - timedelta(hours=1))
    new = emulator.state.add_label(REPO, "new")
    emulator.request(ADD_LABELS, {"id": issue.id, "labels": [new.id]})
    assert numbers(emulator, f"repo:{REPO} label:new") == []
    found = search(emulator, f"repo:{REPO} label:old")
    assert found["issueCount"] == 1
    # Matching uses the stale index; the node itself is current.
    assert [n["name"] for n in found["nodes"][0]["labels"]["nodes"]] == ["old", "new"]
    clock.advance(61)
    assert numbers(emulator, f"repo:{REPO} label:new") == [1]


def test_deleted_issue_leaves_search(emulator: GitHubEmulator) -> None:
    issue = emulator.state.add_issue(REPO, "gone", "PLAN_ID:del")
    assert numbers(emulator, f'repo:{REPO} "PLAN_ID:del"') == [1]
    emulator.request("mutation($id: ID!) { deleteIssue(input: {issueId: $id}) { clientMutationId } }", {"id": issue.id})
    assert numbers(emulator, f'repo:{REPO} "PLAN_ID:del"') == []
