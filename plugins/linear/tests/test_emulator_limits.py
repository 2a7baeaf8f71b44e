"""Complexity and rate limits as Linear models them: the documented scoring, the 10,000-point cap, leaky
buckets of requests and points per hour (per kind of credential), searchIssues' own limit, the headers with
resets in epoch milliseconds, and the RATELIMITED refusal that applies nothing."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest
from graphql import parse

from planpilot_provider_linear.graphql.generated import issue_mutations
from planpilot_provider_linear.testing import (
    LimitKind,
    LinearEmulator,
    LinearLimits,
    VirtualClock,
    complexity,
    linear_schema,
    points,
)

VIEWER = "query { viewer { id } }"
CREATED = 'query($n: Int) { user(id: "me") { createdIssues(first: $n) { nodes { id title description } } } }'


def body(response: Any) -> Any:
    return response.json()


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        ('query { user(id: "me") { name } }', {}, 2),  # Linear's example: 1 + 0.1, rounded up
        (CREATED, {}, 66),  # Linear's example: 1 + 50 x (1 + 0.3) at the default page size
        (CREATED, {"n": 10}, 14),  # and 1 + 10 x 1.3 with first: 10
        ("query { viewer { id name } }", {}, 2),
        ("query { teams(first: 2) { nodes { id } pageInfo { hasNextPage } } }", {}, 4),  # 2 x 1.1 + 1.1
        ("query { teams(first: 3) { edges { cursor node { id } } } }", {}, 7),  # 3 x (1 + 0.1 + 1.1)
        ("query { viewer { ... on User { id } } }", {}, 2),  # fragments count where they apply
    ],
)
def test_complexity_follows_linears_documented_model(query: str, variables: dict[str, Any], expected: int) -> None:
    tenths = complexity(linear_schema(), parse(query), variables, None)
    assert tenths is not None
    assert points(tenths) == expected


def test_a_query_over_the_cap_is_refused_before_it_runs() -> None:
    emulator = LinearEmulator.with_default_scenario()
    team = emulator.state.team_by_key("ENG")
    big = "query { issues(first: 250) { nodes { id children(first: 50) { nodes { id title } } } } }"
    response = emulator.request(big)
    assert response.status == 400
    (error,) = body(response)["errors"]
    assert error["message"] == "Query too complex"
    assert error["extensions"]["code"] == "INPUT_ERROR"
    assert error["extensions"]["userPresentableMessage"] == (
        "The query is too complex. Complexity: 15275. Maximum allowed complexity: 10000."
    )  # 250 x (1 + 0.1 + 50 x 1.2)
    many = ", ".join(f'{{teamId: "{team.id}", title: "t{n}"}}' for n in range(5))
    nested = "children(first: 250) { nodes { children(first: 50) { nodes { id } } } }"
    mutation = f"mutation {{ issueBatchCreate(input: {{issues: [{many}]}}) {{ issues {{ {nested} }} }} }}"
    assert emulator.request(mutation).status == 400
    assert emulator.state.issues == {}  # nothing ran
    assert emulator.stats.too_complex == 2
    assert emulator.stats.complexity_spent == 0


def test_every_answer_carries_the_budget_headers_with_resets_in_epoch_ms() -> None:
    emulator = LinearEmulator.with_default_scenario()
    before = time.time()
    response = emulator.request(CREATED, {"n": 10})
    headers = response.headers
    assert headers["X-RateLimit-Requests-Limit"] == "2500"
    assert headers["X-RateLimit-Requests-Remaining"] == "2499"
    assert headers["X-Complexity"] == "14"
    assert headers["X-RateLimit-Complexity-Limit"] == "3000000"
    assert headers["X-RateLimit-Complexity-Remaining"] == "2999986"
    # full again when what was spent has leaked back: 1 request at 2,500/h, 14 points at 3,000,000/h
    requests_reset = int(headers["X-RateLimit-Requests-Reset"]) / 1000
    assert before + 1.44 - 0.01 <= requests_reset <= time.time() + 1.44 + 0.01
    assert int(headers["X-RateLimit-Complexity-Reset"]) > 10**12  # milliseconds, not seconds


def test_the_request_budget_runs_dry_then_refills_continuously() -> None:
    clock = VirtualClock()
    emulator = LinearEmulator.with_default_scenario(clock=clock, limits=LinearLimits(requests=3))
    for remaining in ("2", "1", "0"):
        assert emulator.request(VIEWER).headers["X-RateLimit-Requests-Remaining"] == remaining
    refused = emulator.request(VIEWER)
    assert refused.status == 400
    assert body(refused) == {
        "errors": [{"message": "Rate limit exceeded", "extensions": {"code": "RATELIMITED", "statusCode": 429}}]
    }
    assert refused.headers["X-RateLimit-Requests-Remaining"] == "0"
    assert int(refused.headers["X-RateLimit-Requests-Reset"]) == math.ceil((clock.time() + 3600) * 1000)
    assert emulator.stats.limited == {"requests": 1}
    clock.advance(1199)
    assert emulator.request(VIEWER).status == 400  # a token leaks back every 1,200 s
    clock.advance(1)
    assert emulator.request(VIEWER).status == 200


def test_the_complexity_budget_refuses_a_request_it_cannot_pay_for_and_charges_nothing() -> None:
    clock = VirtualClock()
    emulator = LinearEmulator.with_default_scenario(clock=clock, limits=LinearLimits(complexity=100))
    team = emulator.state.team_by_key("ENG")
    create = bytes(issue_mutations.Operations.mutation.issue_create).decode()
    assert emulator.request(CREATED).headers["X-RateLimit-Complexity-Remaining"] == "34"  # 100 - 66
    refused = emulator.request(CREATED)
    assert refused.status == 400
    assert body(refused)["errors"][0]["extensions"]["code"] == "RATELIMITED"
    assert refused.headers["X-RateLimit-Requests-Remaining"] == "2499"  # the refused request cost nothing
    assert emulator.request(create, {"input": {"teamId": team.id, "title": "fits"}}).status == 200  # 10 points
    clock.advance(36 * 60)  # 100 points an hour: 60 come back in 36 minutes
    assert emulator.request(CREATED).status == 200
    assert emulator.stats.limited == {"complexity": 1}
    assert emulator.stats.complexity_spent == 66 + 10 + 66


def test_search_issues_has_its_own_limit_of_30_a_minute() -> None:
    clock = VirtualClock()
    emulator = LinearEmulator.with_default_scenario(clock=clock)
    search = 'query { searchIssues(term: "x", first: 5) { nodes { id } totalCount } }'
    for _ in range(30):
        response = emulator.request(search)
        assert response.status == 200
    assert response.headers["X-RateLimit-Endpoint-Name"] == "searchIssues"
    assert response.headers["X-RateLimit-Endpoint-Requests-Limit"] == "30"
    assert response.headers["X-RateLimit-Endpoint-Requests-Remaining"] == "0"
    refused = emulator.request(search)
    assert refused.status == 400
    assert body(refused)["errors"][0]["extensions"]["code"] == "RATELIMITED"
    assert emulator.request(VIEWER).status == 200  # other queries are not held back
    clock.advance(2)
    assert emulator.request(search).status == 200
    assert emulator.stats.limited == {LimitKind.ENDPOINT.value: 1}


def test_oauth_tokens_spend_the_oauth_budgets() -> None:
    emulator = LinearEmulator.with_default_scenario()
    oauth = emulator.request(VIEWER, authorization="Bearer lin_oauth_abc")
    assert oauth.headers["X-RateLimit-Requests-Limit"] == "5000"
    assert oauth.headers["X-RateLimit-Complexity-Limit"] == "2000000"
    key = emulator.request(VIEWER, authorization="lin_api_abc")
    assert key.headers["X-RateLimit-Requests-Remaining"] == "2499"  # a budget of its own
    status = body(emulator.request("query { rateLimitStatus { kind } }", authorization="Bearer t"))
    assert status["data"]["rateLimitStatus"]["kind"] == "oauth"


def test_limits_validate_their_settings() -> None:
    with pytest.raises(ValueError, match="requests"):
        LinearLimits(requests=0)
    with pytest.raises(ValueError, match="period"):
        LinearLimits(period=-1.0)
