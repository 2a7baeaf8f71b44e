"""GitHub's budgets in the emulator: the primary cost formula, secondary points, content creation, concurrency,
retry-after, headers on the emulator clock, accounting, and the defaults that keep existing tests unlimited.

Most tests drive a stopped :class:`VirtualClock` by hand (``clock.advance``), so windows are exact and no test
sleeps; the concurrency tests run the in-process transport on the virtual loop.
"""

from __future__ import annotations

import asyncio
import json
import math
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from graphql import parse

from planpilot_provider_github.testing import (
    GitHubBudgets,
    GitHubEmulator,
    LimitKind,
    ManualClock,
    VirtualClock,
    github_schema,
    run_virtual,
    serve_in_thread,
)
from planpilot_provider_github.testing.__main__ import emulator_from_args, parser
from planpilot_provider_github.testing.cost import measure, points_for

REPO = "acme/roadmap"
START = datetime(2025, 6, 2, 12, 0, 0, tzinfo=UTC)
VIEWER = "query Viewer { viewer { login } }"
CREATE = """mutation CreateIssue($r: ID!, $t: String!) {
  createIssue(input: {repositoryId: $r, title: $t}) { issue { number } } }"""
SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
CONTENT = (
    "You have exceeded a secondary rate limit and have been temporarily blocked from content creation. "
    "Please retry your request again later."
)
SECONDARY_DOCS = (
    "https://docs.github.com/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api#secondary-rate-limits"
)
# The docs' cost example: 1 + 100 + 100 x 50 = 5,101 requests -> 51 points.
DOCS_COST_EXAMPLE = """query { viewer { login repositories(first: 100) { edges { node { id
  issues(first: 50) { edges { node { id labels(first: 60) { edges { node { id name } } } } } } } } } } }"""
# The docs' node-limit example: 50 + 50x20 + 50x20x10 + 50x20 + 50x20x10 + 10 = 22,060 nodes.
DOCS_NODE_EXAMPLE = """query { viewer { repositories(first: 50) { edges { repository: node { name
  pullRequests(first: 20) { edges { pullRequest: node { title
    comments(first: 10) { edges { comment: node { bodyHTML } } } } } }
  issues(first: 20) { totalCount edges { issue: node { title bodyHTML
    comments(first: 10) { edges { comment: node { bodyHTML } } } } } } } } }
  followers(first: 10) { edges { follower: node { login } } } } }"""


def make(clock: VirtualClock | None = None, **budget_changes: Any) -> GitHubEmulator:
    budgets = GitHubBudgets().replace(**budget_changes)
    return GitHubEmulator.with_default_scenario(clock=clock or VirtualClock(START), budgets=budgets)


def repo_id(emulator: GitHubEmulator) -> str:
    return emulator.state.repository(REPO).id


def create(emulator: GitHubEmulator, title: str = "t") -> Any:
    return emulator.request(CREATE, {"r": repo_id(emulator), "t": title})


def issue_count(emulator: GitHubEmulator) -> int:
    return len(emulator.state.issues(REPO))


def cost_of(query: str, variables: dict[str, Any] | None = None) -> tuple[int, int, int]:
    cost = measure(github_schema(), parse(query), variables, None)
    return cost.requests, cost.points, cost.nodes


# --------------------------------------------------------------------------------------------------- cost
def test_cost_formula_reproduces_the_docs_examples() -> None:
    assert cost_of(DOCS_COST_EXAMPLE) == (5101, 51, 100 + 100 * 50 + 100 * 50 * 60)
    requests, points, nodes = cost_of(DOCS_NODE_EXAMPLE)
    assert nodes == 22_060
    assert requests == 1 + 50 + 50 * 20 + 50 + 50 * 20 + 1
    assert points == 21


@pytest.mark.parametrize(
    ("query", "variables", "requests", "points"),
    [
        ("{ viewer { login } }", {}, 0, 1),  # no connection: the 1-point minimum
        ('{ repository(owner: "acme", name: "roadmap") { issues(first: 100) { totalCount } } }', {}, 1, 1),
        (  # nested connections multiply; last counts like first
            '{ repository(owner: "acme", name: "roadmap") { issues(last: 100) { nodes {'
            " labels(first: 20) { nodes { name } } projectItems(first: 10) { nodes {"
            " fieldValues(first: 20) { totalCount } } } } } } }",
            {},
            1 + 100 + 100 + 100 * 10,
            12,
        ),
        (  # sizes from variables, connections inside a named fragment and an inline fragment
            'query Q($n: Int!) { search(query: "x", type: ISSUE, first: $n) { nodes { ...F } } }'
            " fragment F on Issue { ... on Issue { subIssues(first: 50) {"
            " nodes { labels(first: 3) { totalCount } } } } }",
            {"n": 30},
            1 + 30 + 30 * 50,
            15,
        ),
    ],
)
def test_cost_formula_on_documents(query: str, variables: dict[str, Any], requests: int, points: int) -> None:
    assert cost_of(query, variables)[:2] == (requests, points)


def test_cost_rounds_half_up_with_a_minimum_of_one() -> None:
    assert [points_for(n) for n in (0, 1, 49, 50, 149, 150, 250, 5101)] == [1, 1, 1, 1, 1, 2, 3, 51]


def test_a_request_is_charged_its_formula_cost_in_headers_and_rate_limit_field() -> None:
    emulator = make()
    query = (
        '{ rateLimit { cost limit remaining used nodeCount } repository(owner: "acme", name: "roadmap") {'
        " issues(first: 100) { nodes { labels(first: 100) { nodes { name } } } } } }"
    )
    response = emulator.request(query)
    assert response.status == 200
    assert response.json()["data"]["rateLimit"] == {
        "cost": 1,  # 1 + 100 requests = 1.01 -> 1
        "limit": 5000,
        "remaining": 4999,
        "used": 1,
        "nodeCount": 100 + 100 * 100,
    }
    deep = (
        '{ search(query: "x", type: ISSUE, first: 100) { nodes { ... on Issue { labels(first: 100) { totalCount }'
        " projectItems(first: 100) { nodes { fieldValues(first: 100) { totalCount } } } } } } }"
    )
    second = emulator.request(deep)
    assert second.status == 200
    assert second.headers["x-ratelimit-used"] == str(1 + 102)  # 1 + 100 + 100 + 10,000 requests = 102 points
    assert second.headers["x-ratelimit-remaining"] == str(5000 - 103)
    mutation = emulator.request(CREATE, {"r": repo_id(emulator), "t": "m"})
    assert mutation.headers["x-ratelimit-used"] == "104"  # a mutation costs at least 1
    assert emulator.stats.primary_points_spent == 104


# --------------------------------------------------------------------------------------------------- primary
def test_primary_budget_refuses_a_query_costing_more_than_remains_without_running_it() -> None:
    emulator = make(primary_points=60)
    assert emulator.request(DOCS_COST_EXAMPLE).headers["x-ratelimit-used"] == "51"
    response = emulator.request(DOCS_COST_EXAMPLE)  # 51 > 9 remaining
    assert response.status == 200
    assert response.json() == {
        "data": None,
        "errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}],
    }
    assert response.headers["x-ratelimit-remaining"] == "9"  # GitHub's observed "RATE_LIMITED with remaining > 0"
    assert emulator.stats.limited == {"primary": 1}
    assert emulator.stats.rate_limited == 1
    for n in range(9):
        assert create(emulator, f"i{n}").status == 200
    exhausted = create(emulator, "one too many")
    assert exhausted.json()["errors"][0]["type"] == "RATE_LIMITED"
    assert exhausted.headers["x-ratelimit-remaining"] == "0"
    assert issue_count(emulator) == 9  # the refused mutation was not applied


def test_primary_window_resets_on_the_emulator_clock_and_headers_follow_it() -> None:
    clock = VirtualClock(START)
    emulator = make(clock, primary_points=2)
    clock.advance(10.4)
    first = emulator.request(VIEWER)
    reset = START.timestamp() + 10.4 + 3600
    assert first.headers["x-ratelimit-reset"] == str(math.ceil(reset))
    assert first.headers["x-ratelimit-resource"] == "graphql"
    data = emulator.request("{ rateLimit { resetAt remaining } }").json()["data"]["rateLimit"]
    assert data == {"resetAt": "2025-06-02T13:00:10Z", "remaining": 0}
    assert emulator.request(VIEWER).json()["errors"][0]["type"] == "RATE_LIMITED"
    clock.advance(3600)  # t = 3610.4: the window that began at t = 10.4 is over
    recovered = emulator.request(VIEWER)
    assert recovered.json() == {"data": {"viewer": {"login": "octo"}}}
    assert recovered.headers["x-ratelimit-remaining"] == "1"
    assert int(recovered.headers["x-ratelimit-reset"]) == math.ceil(clock.time() + 3600)


# --------------------------------------------------------------------------------------------------- secondary
def test_secondary_points_403_after_2000_points_in_a_minute_and_recovery() -> None:
    clock = VirtualClock(START)
    emulator = make(clock, primary_points=None, content_per_minute=None, content_per_hour=None)
    # 500 queries (1 point) in t = 0..5 s, then 300 mutations (5 points) in t = 5..20 s: 2,000 points
    for _ in range(500):
        assert emulator.request(VIEWER).status == 200
        clock.advance(0.01)
    for n in range(300):
        assert create(emulator, f"m{n}").status == 200
        clock.advance(0.05)
    assert emulator.stats.secondary_points_spent == 2000
    clock.advance(30 - clock.monotonic())  # t = 30 s
    refused = emulator.request(VIEWER)
    assert refused.status == 403
    body = refused.json()
    assert body["message"].startswith(SECONDARY)
    assert "please include the request ID EMU0:" in body["message"]
    assert body["documentation_url"] == SECONDARY_DOCS
    assert refused.headers["retry-after"] == "30"  # the first query (t = 0) leaves the window at t = 60
    mutation = create(emulator, "refused")
    assert mutation.status == 403
    assert mutation.headers["retry-after"] == "31"  # 5 points: the query of t = 0.04 must go too (30.04 s, rounded up)
    assert issue_count(emulator) == 300
    clock.advance(29.9)  # t = 59.9: still full
    assert emulator.request(VIEWER).status == 403
    clock.advance(0.1)  # t = 60: the first query's point is back
    assert emulator.request(VIEWER).status == 200
    assert emulator.stats.limited == {"secondary_points": 3}
    assert emulator.stats.secondary_points_spent == 2001


def test_retry_after_can_be_left_out_and_refusals_can_spend() -> None:
    clock = VirtualClock(START)
    quiet = make(clock, secondary_points=3, send_retry_after=False)
    for _ in range(3):
        quiet.request(VIEWER)
    refused = quiet.request(VIEWER)
    assert refused.status == 403
    assert "retry-after" not in refused.headers

    clock = VirtualClock(START)
    strict = make(clock, secondary_points=3, refusals_spend=True)
    for _ in range(3):
        strict.request(VIEWER)
    clock.advance(30)
    assert strict.request(VIEWER).headers["retry-after"] == "30"
    clock.advance(30)  # the first three left the window; the refused request of t = 30 still counts
    assert [strict.request(VIEWER).status for _ in range(3)] == [200, 200, 403]
    assert strict.stats.secondary_points_spent == 3 + 1 + 2 + 1


# --------------------------------------------------------------------------------------------------- content
def test_content_creation_80_per_minute_refuses_and_applies_nothing() -> None:
    clock = VirtualClock(START)
    emulator = make(clock)
    for n in range(80):
        assert create(emulator, f"c{n}").status == 200
        clock.advance(0.5)  # t = 40 s after the 80th
    refused = create(emulator, "81st")
    assert refused.status == 403
    assert refused.json() == {"message": CONTENT, "documentation_url": SECONDARY_DOCS}
    assert refused.headers["retry-after"] == "20"  # the first creation (t = 0) leaves the minute at t = 60
    assert issue_count(emulator) == 80
    assert emulator.request(VIEWER).status == 200  # reads are not content creation
    new_label = (
        'mutation L($r: ID!) { createLabel(input: {repositoryId: $r, name: "new", color: "ededed"}) { label { id } } }'
    )
    label = emulator.request(new_label, {"r": repo_id(emulator)})
    assert label.status == 403
    assert "new" not in emulator.state.repository(REPO).labels
    clock.advance(20)
    assert create(emulator, "after the minute").status == 200
    assert emulator.stats.limited == {"content_per_minute": 2}
    assert emulator.stats.content_units_spent == 81


def test_content_creation_500_per_hour() -> None:
    clock = VirtualClock(START)
    emulator = make(clock)
    for n in range(500):
        assert create(emulator, f"h{n}").status == 200, n
        clock.advance(1)  # 60 a minute: under the minute limit
    refused = create(emulator, "501st")
    assert refused.status == 403
    assert refused.json()["message"] == CONTENT
    assert refused.headers["retry-after"] == str(3600 - 500)
    assert emulator.stats.limited == {"content_per_hour": 1}
    clock.advance(3600 - 500)
    assert create(emulator, "next hour").status == 200
    assert issue_count(emulator) == 501


def _blocked_by_document(issue_ids: list[str]) -> str:
    target, *blockers = issue_ids
    fields = " ".join(
        f'b{n}: addBlockedBy(input: {{issueId: "{target}", blockingIssueId: "{blocker}"}}) {{ clientMutationId }}'
        for n, blocker in enumerate(blockers)
    )
    return f"mutation Block {{ {fields} }}"


def test_an_aliased_document_counts_each_content_field_and_nothing_applies_when_refused() -> None:
    emulator = make(content_per_minute=3)
    issues = [emulator.state.add_issue(REPO, f"i{n}") for n in range(5)]
    document = _blocked_by_document([issue.id for issue in issues])  # four addBlockedBy fields
    refused = emulator.request(document)
    assert refused.status == 403
    assert refused.json()["message"] == CONTENT
    assert emulator.state.issue(REPO, issues[0].number).blocked_by == ()
    assert emulator.stats.mutation_fields_applied == 0
    assert emulator.stats.content_units_spent == 0

    per_request = make(content_per_minute=3, content_counting="request")
    issues = [per_request.state.add_issue(REPO, f"i{n}") for n in range(5)]
    applied = per_request.request(_blocked_by_document([issue.id for issue in issues]))
    assert applied.status == 200
    assert len(per_request.state.issue(REPO, issues[0].number).blocked_by) == 4
    assert per_request.stats.content_units_spent == 1
    assert per_request.stats.secondary_points_spent == 5  # one request with mutations


def test_which_mutations_count_as_content_is_configurable() -> None:
    default = make()
    assert {
        "createIssue",
        "createLabel",
        "addProjectV2ItemById",
        "addSubIssue",
        "addBlockedBy",
        "addLabelsToLabelable",
        "addComment",
    } <= default.content_mutations
    assert "updateIssue" not in default.content_mutations
    assert all(name.startswith(("create", "add")) for name in default.content_mutations)

    only_labels = make(content_mutations={"createLabel"}, content_per_minute=1)
    assert create(only_labels, "a").status == 200
    assert create(only_labels, "b").status == 200  # createIssue no longer counts
    assert only_labels.stats.content_units_spent == 0

    with pytest.raises(ValueError, match="createIsue"):
        make(content_mutations={"createIsue"})


def test_updates_are_not_content_creation() -> None:
    emulator = make(content_per_minute=1)
    issue = emulator.state.add_issue(REPO, "x")
    for n in range(3):
        update = emulator.request(
            "mutation U($id: ID!, $t: String!) { updateIssue(input: {id: $id, title: $t}) { issue { title } } }",
            {"id": issue.id, "t": f"t{n}"},
        )
        assert update.status == 200
    assert emulator.stats.content_units_spent == 0
    assert emulator.stats.secondary_points_spent == 15


# --------------------------------------------------------------------------------------------------- order
def test_checks_run_concurrency_secondary_content_then_primary() -> None:
    emulator = make(primary_points=0, secondary_points=0, content_per_minute=0, max_concurrency=1)
    handle = emulator.handle
    body = json.dumps({"query": CREATE, "variables": {"r": repo_id(emulator), "t": "x"}}).encode()
    auth = {"authorization": "bearer t"}
    assert handle("POST", "/graphql", auth, body, concurrency=2).json()["message"].startswith(SECONDARY)
    assert emulator.stats.limited == {"concurrency": 1}
    assert handle("POST", "/graphql", auth, body, concurrency=1).status == 403
    assert emulator.stats.limited == {"concurrency": 1, "secondary_points": 1}
    emulator = make(primary_points=0, content_per_minute=0)
    assert create(emulator).json()["message"] == CONTENT
    emulator = make(primary_points=0)
    assert create(emulator).json()["errors"][0]["type"] == "RATE_LIMITED"
    assert emulator.stats.limited == {"primary": 1}
    assert emulator.stats.secondary_points_spent == 0  # refused: nothing spent anywhere


# --------------------------------------------------------------------------------------------------- concurrency
def test_concurrency_limit_refuses_the_requests_over_it() -> None:
    clock = VirtualClock(START)
    emulator = make(clock, max_concurrency=3)
    emulator.latency = 2.0

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            transport=emulator.transport(), headers={"Authorization": "bearer t"}, base_url="https://api.github.com"
        ) as client:
            return await asyncio.gather(*(client.post("/graphql", json={"query": VIEWER}) for _ in range(5)))

    responses = run_virtual(burst, clock=clock)
    assert [r.status_code for r in responses] == [200, 200, 200, 403, 403]
    assert responses[3].json()["message"].startswith(SECONDARY)
    assert responses[3].headers["retry-after"] == "1"
    assert emulator.stats.limited == {"concurrency": 2}
    assert emulator.stats.peak_in_flight == 5
    assert emulator.stats.in_flight == 0
    assert clock.monotonic() == pytest.approx(2.0)  # the latency was virtual


def test_concurrency_at_the_limit_is_fine() -> None:
    clock = VirtualClock(START)
    emulator = make(clock)  # GitHub's 100
    emulator.latency = 0.5

    async def burst() -> list[int]:
        async with httpx.AsyncClient(transport=emulator.transport(), headers={"Authorization": "bearer t"}) as client:
            responses = await asyncio.gather(
                *(client.post("https://api.github.com/graphql", json={"query": VIEWER}) for _ in range(100))
            )
        return [r.status_code for r in responses]

    assert run_virtual(burst, clock=clock) == [200] * 100
    assert emulator.stats.peak_in_flight == 100


# --------------------------------------------------------------------------------------------------- accounting
def test_stats_report_budget_accounting_in_json_and_reset() -> None:
    clock = VirtualClock(START)
    emulator = make(clock, content_per_minute=1)
    emulator.request(DOCS_COST_EXAMPLE)
    create(emulator, "a")
    create(emulator, "b")
    stats = json.loads(emulator.handle("GET", "/_emulator/stats", {}, b"").body)
    assert stats["budgets"] == {
        "primary_points_spent": 52,
        "secondary_points_spent": 6,
        "content_units_spent": 1,
        "limited": {
            "primary": 0,
            "secondary_points": 0,
            "content_per_minute": 1,
            "content_per_hour": 0,
            "concurrency": 0,
        },
        "peak_concurrency": 0,
    }
    assert stats["operations"] == {"<anonymous>": 1, "CreateIssue": 2}
    emulator.stats.reset()
    assert emulator.stats.as_dict()["budgets"]["primary_points_spent"] == 0
    assert emulator.stats.limited == {}


def test_unlimited_budgets_only_count() -> None:
    emulator = GitHubEmulator.with_default_scenario(clock=VirtualClock(START), budgets=GitHubBudgets.unlimited())
    for n in range(120):
        assert create(emulator, f"u{n}").status == 200
    response = emulator.request("{ rateLimit { cost } viewer { login } }")
    assert response.json()["data"] == {"rateLimit": None, "viewer": {"login": "octo"}}
    assert not any(name.startswith("x-ratelimit") for name in response.headers)
    assert emulator.stats.content_units_spent == 120
    assert emulator.stats.secondary_points_spent == 601


# --------------------------------------------------------------------------------------------------- defaults
def test_the_default_constructor_keeps_no_secondary_limits_and_no_budget_stats() -> None:
    emulator = GitHubEmulator.with_default_scenario(clock=ManualClock())
    for n in range(300):  # 300 creations in an instant: far over 80/min and 2,000 points/min
        assert create(emulator, f"d{n}").status == 200
    assert emulator.budgets == GitHubBudgets.primary_only()
    assert "budgets" not in emulator.stats.as_dict()
    assert emulator.request(VIEWER).headers["x-ratelimit-used"] == "301"  # 1 point per request, as before


def test_budgets_validate_their_settings() -> None:
    assert GitHubBudgets.github_defaults() == GitHubBudgets()
    defaults = GitHubBudgets()
    assert (defaults.primary_points, defaults.secondary_points, defaults.max_concurrency) == (5000, 2000, 100)
    assert (defaults.content_per_minute, defaults.content_per_hour, defaults.content_counting) == (80, 500, "field")
    with pytest.raises(ValueError, match=r"secondary_points must be a whole number >= 0, or None"):
        GitHubBudgets(secondary_points=-1)
    with pytest.raises(ValueError, match="max_concurrency"):
        GitHubBudgets(max_concurrency=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="content_minute_window must be a positive number of seconds"):
        GitHubBudgets(content_minute_window=0)
    with pytest.raises(ValueError, match="content_counting"):
        GitHubBudgets(content_counting="document")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not one string"):
        GitHubBudgets(content_mutations="createIssue")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="no setting content_limit"):
        defaults.replace(content_limit=3)
    narrowed = defaults.replace(content_per_minute=5)
    assert (narrowed.content_per_minute, defaults.content_per_minute) == (5, 80)
    with pytest.raises(ValueError, match="rate_limit/rate_limit_window"):
        GitHubEmulator(budgets=defaults, rate_limit=10)


def test_limit_kinds_are_the_stats_keys() -> None:
    assert [kind.value for kind in LimitKind] == [
        "primary",
        "secondary_points",
        "content_per_minute",
        "content_per_hour",
        "concurrency",
    ]


# --------------------------------------------------------------------------------------------------- server, CLI
def test_the_loopback_server_enforces_budgets_and_reports_them() -> None:
    emulator = GitHubEmulator.with_default_scenario(budgets=GitHubBudgets().replace(secondary_points=2))
    with serve_in_thread(emulator) as url, httpx.Client(headers={"Authorization": "bearer t"}) as client:
        statuses = [client.post(url, json={"query": VIEWER}).status_code for _ in range(3)]
        refused = client.post(url, json={"query": VIEWER})
        stats = client.get(url.removesuffix("/graphql") + "/_emulator/stats").json()
    assert statuses == [200, 200, 403]
    assert refused.status_code == 403
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert stats["budgets"]["secondary_points_spent"] == 2
    assert stats["budgets"]["limited"]["secondary_points"] == 2
    assert stats["budgets"]["peak_concurrency"] == 1


def test_the_command_line_turns_github_budgets_on() -> None:
    assert emulator_from_args(parser().parse_args([])).budgets == GitHubBudgets.primary_only()
    args = parser().parse_args(["--github-budgets", "--rate-limit", "1000"])
    assert emulator_from_args(args).budgets == GitHubBudgets().replace(primary_points=1000)
