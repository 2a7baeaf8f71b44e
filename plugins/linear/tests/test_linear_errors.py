"""Linear's answers classified into core errors, one response at a time (no server): rate limits by their
code whatever the status, with the wait a leaky bucket needs; permanent refusals said for what they are."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from planpilot_provider_linear.budgets import COMPLEXITY, REQUESTS
from planpilot_provider_linear.errors import (
    FALLBACK_WAIT,
    REFILL_SLACK,
    LinearGraphQLError,
    check_answer,
    decode,
    is_refusal,
    rate_limit_wait,
)
from planpilot_providers_core.errors import (
    AuthenticationError,
    ItemNotFoundError,
    ProviderError,
    RateLimitError,
    TransientProviderError,
)

NOW = 1_750_000_000.0
NEEDS = {REQUESTS: 1.0, COMPLEXITY: 400.0}


def answer(status: int, body: Any, **headers: str) -> httpx.Response:
    content = body.encode() if isinstance(body, str) else httpx.Response(200, json=body).content
    return httpx.Response(status, headers=headers, content=content)


def check(response: httpx.Response, **kwargs: Any) -> tuple[Any, ...]:
    return check_answer(response, decode(response), "IssueCreate", now=NOW, needs=NEEDS, **kwargs)


RATELIMITED = {"errors": [{"message": "Rate limit exceeded", "extensions": {"code": "RATELIMITED", "statusCode": 429}}]}


def test_a_400_ratelimited_is_a_rate_limit_waited_until_the_bucket_has_room() -> None:
    refused = answer(
        400,
        RATELIMITED,
        **{
            "X-RateLimit-Requests-Limit": "2500",
            "X-RateLimit-Requests-Remaining": "0",
            "X-RateLimit-Requests-Reset": str(int((NOW + 3600) * 1000)),
            "X-RateLimit-Complexity-Limit": "3000000",
            "X-RateLimit-Complexity-Remaining": "2999000",
            "X-RateLimit-Complexity-Reset": str(int((NOW + 1) * 1000)),
        },
    )
    assert is_refusal(refused)
    with pytest.raises(RateLimitError) as limited:
        check(refused)
    # One request comes back every 3600 / 2500 s; not an hour, which the reset (a full bucket) would say.
    assert limited.value.retry_after == pytest.approx(1.44 + REFILL_SLACK)


def test_the_complexity_budget_waits_for_the_points_the_request_needs() -> None:
    headers = {
        "X-RateLimit-Complexity-Limit": "3000000",
        "X-RateLimit-Complexity-Remaining": "100",
        "X-RateLimit-Complexity-Reset": str(int((NOW + 3600) * 1000)),
    }
    wait = rate_limit_wait(httpx.Headers(headers), now=NOW, needs=NEEDS)
    assert wait == pytest.approx(300 * 3600 / 3_000_000 + REFILL_SLACK)  # 300 points missing, 833 a second
    soon = {**headers, "X-RateLimit-Complexity-Reset": str(int((NOW + 0.2) * 1000))}
    assert rate_limit_wait(httpx.Headers(soon), now=NOW, needs=NEEDS) == pytest.approx(0.2 + REFILL_SLACK)  # sooner


def test_a_refusal_that_says_nothing_waits_the_fallback_and_a_retry_after_wins() -> None:
    assert rate_limit_wait(httpx.Headers(), now=NOW, needs=NEEDS) == FALLBACK_WAIT
    assert rate_limit_wait(httpx.Headers({"Retry-After": "7"}), now=NOW, needs=NEEDS) == 7.0
    endpoint = {
        "X-RateLimit-Endpoint-Requests-Remaining": "0",
        "X-RateLimit-Endpoint-Requests-Reset": f"{(NOW + 12) * 1000:.0f}",
    }
    assert rate_limit_wait(httpx.Headers(endpoint), now=NOW, needs=NEEDS) == pytest.approx(12 + REFILL_SLACK)


def test_the_sdks_type_and_a_429_are_rate_limits_too() -> None:
    typed = {"errors": [{"message": "slow down", "extensions": {"type": "Ratelimited"}}]}
    for response in (answer(200, typed), answer(429, "Too Many Requests", **{"Retry-After": "2"})):
        with pytest.raises(RateLimitError):
            check(response)
    assert is_refusal(answer(429, ""))
    assert not is_refusal(answer(400, {"errors": [{"message": "Argument Validation Error"}]}))


@pytest.mark.parametrize(
    ("status", "body", "kind", "text"),
    [
        (
            401,
            {"errors": [{"message": "Authentication required, not authenticated"}]},
            AuthenticationError,
            "LINEAR_API_KEY",
        ),
        (403, {"errors": [{"message": "Forbidden"}]}, AuthenticationError, "lacks a permission"),
        (500, {"errors": [{"message": "Internal server error"}]}, TransientProviderError, "HTTP 500"),
        (502, "<html>Bad Gateway</html>", TransientProviderError, "HTTP 502"),
        (
            400,
            {"errors": [{"message": "Cannot query field", "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}]},
            LinearGraphQLError,
            "pinned schema",
        ),
        (400, {"errors": [{"message": "Query too complex"}]}, LinearGraphQLError, "bug"),
        (
            200,
            {"data": None, "errors": [{"message": "Entity not found: Issue", "path": ["issue"]}]},
            ItemNotFoundError,
            "Issue",
        ),
        (
            200,
            {"data": None, "errors": [{"message": "x", "extensions": {"type": "lock timeout"}}]},
            TransientProviderError,
            "failed to run",
        ),
        (
            200,
            {
                "data": None,
                "errors": [
                    {
                        "message": "Argument Validation Error",
                        "extensions": {
                            "type": "invalid input",
                            "userPresentableMessage": "Estimate 4 is not on team ENG's scale.",
                        },
                    }
                ],
            },
            LinearGraphQLError,
            "Estimate 4 is not on team ENG's scale.",
        ),
        (200, {"data": None}, TransientProviderError, "without data"),
        (200, "not json", TransientProviderError, "without a JSON object"),
        (418, "teapot", ProviderError, "HTTP 418"),
    ],
)
def test_each_failure_is_its_core_error(status: int, body: Any, kind: type[Exception], text: str) -> None:
    with pytest.raises(kind) as failed:
        check(answer(status, body))
    assert text in str(failed.value)
    if isinstance(failed.value, TransientProviderError):
        assert failed.value.request_sent  # it may have been applied: a write must be resolved, not re-sent


def test_an_aliased_fields_errors_are_returned_to_its_caller() -> None:
    error = {"message": "Entity not found: IssueRelation", "path": ["a1"]}
    body = {"data": None, "errors": [error]}
    assert check(answer(200, body), tolerate=lambda e: bool(e.get("path"))) == (error,)
