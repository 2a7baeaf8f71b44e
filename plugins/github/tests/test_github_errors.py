"""GitHub's ways of signalling rate limits, permission problems and invalid documents, classified."""

from typing import Any

import httpx
import pytest

from planpilot_provider_github.errors import GitHubGraphQLError, check_graphql_errors, check_http
from planpilot_providers_core.errors import (
    AuthenticationError,
    ItemNotFoundError,
    ProviderError,
    RateLimitError,
    TransientProviderError,
)

NOW = 1_700_000_000.0


def _response(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, headers=headers or {}, request=httpx.Request("POST", "https://api.github.com/graphql")
    )


def _clock() -> float:
    return NOW


def test_401_is_authentication_error_without_token() -> None:
    with pytest.raises(AuthenticationError, match="GITHUB_TOKEN") as info:
        check_http(_response(401), {"message": "Bad credentials"}, "RepositoryContext", now=_clock)
    assert "Bad credentials" in str(info.value)


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_limit_with_retry_after(status: int) -> None:
    body = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}
    with pytest.raises(RateLimitError) as info:
        check_http(_response(status, {"retry-after": "7"}), body, "CreateIssue", now=_clock)
    assert info.value.retry_after == 7
    assert info.value.request_sent is False


def test_secondary_limit_falls_back_to_reset_then_sixty_seconds() -> None:
    body = {"message": "You have exceeded a secondary rate limit."}
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW + 30))}
    with pytest.raises(RateLimitError) as info:
        check_http(_response(403, headers), body, "CreateIssue", now=_clock)
    assert info.value.retry_after == pytest.approx(31)
    with pytest.raises(RateLimitError) as info:
        check_http(_response(403, {"x-ratelimit-remaining": "12"}), body, "CreateIssue", now=_clock)
    assert info.value.retry_after == 60


def test_429_without_headers_waits_a_minute() -> None:
    with pytest.raises(RateLimitError) as info:
        check_http(_response(429), None, "SearchIssues", now=_clock)
    assert info.value.retry_after == 60


def test_primary_exhaustion_on_403_waits_until_reset() -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW + 5))}
    with pytest.raises(RateLimitError) as info:
        check_http(_response(403, headers), {"message": "API rate limit exceeded"}, "SearchIssues", now=_clock)
    assert info.value.retry_after == pytest.approx(6)


def test_403_that_is_not_a_rate_limit_names_the_missing_permission() -> None:
    headers = {"x-accepted-github-permissions": "issues=write", "x-ratelimit-remaining": "4000"}
    with pytest.raises(AuthenticationError) as info:
        check_http(
            _response(403, headers), {"message": "Resource not accessible by integration"}, "CreateIssue", now=_clock
        )
    assert "issues=write" in str(info.value)
    assert "Resource not accessible by integration" in str(info.value)


def test_5xx_is_transient_and_possibly_applied() -> None:
    with pytest.raises(TransientProviderError) as info:
        check_http(
            _response(502), {"message": "We couldn't respond to your request in time"}, "CreateIssue", now=_clock
        )
    assert info.value.request_sent is True
    assert not isinstance(info.value, RateLimitError)


def test_other_4xx_is_permanent() -> None:
    with pytest.raises(ProviderError) as info:
        check_http(_response(400), {"message": "Problems parsing JSON"}, "CreateIssue", now=_clock)
    assert not isinstance(info.value, TransientProviderError)
    assert "Problems parsing JSON" in str(info.value)


@pytest.mark.parametrize(
    "error",
    [
        {"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."},
        {
            "type": "RATE_LIMIT",
            "code": "graphql_rate_limit",
            "message": "API rate limit already exceeded for user ID 1.",
        },
    ],
)
def test_200_rate_limit_types(error: dict[str, Any]) -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW + 10))}
    with pytest.raises(RateLimitError) as info:
        check_graphql_errors([error], _response(200, headers), "SearchIssues", now=_clock)
    assert info.value.retry_after == pytest.approx(11)


def test_200_rate_limited_with_remaining_budget_still_a_rate_limit() -> None:
    error = {"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}
    with pytest.raises(RateLimitError):
        check_graphql_errors([error], _response(200, {"x-ratelimit-remaining": "4"}), "SearchIssues", now=_clock)


def test_200_secondary_limit_message() -> None:
    error = {"message": "You have exceeded a secondary rate limit. Please wait."}
    with pytest.raises(RateLimitError):
        check_graphql_errors([error], _response(200, {"retry-after": "3"}), "CreateIssue", now=_clock)


def test_forbidden_is_permanent_permission_error() -> None:
    error = {"type": "FORBIDDEN", "message": "Resource not accessible by personal access token"}
    with pytest.raises(AuthenticationError, match="permission"):
        check_graphql_errors([error], _response(200), "CreateIssue", now=_clock)


def test_not_found_and_validation_errors_are_permanent() -> None:
    with pytest.raises(ItemNotFoundError):
        check_graphql_errors([{"type": "NOT_FOUND", "message": "Could not resolve"}], _response(200), "GetIssues")
    invalid = {"message": "Field 'nam' doesn't exist on type 'IssueType'", "extensions": {"code": "undefinedField"}}
    with pytest.raises(GitHubGraphQLError, match="invalid") as info:
        check_graphql_errors([invalid], _response(200), "GetIssues")
    assert not isinstance(info.value, TransientProviderError)


def test_something_went_wrong_is_transient() -> None:
    error = {"message": "Something went wrong while executing your query. Please try again later."}
    with pytest.raises(TransientProviderError):
        check_graphql_errors([error], _response(200), "SearchIssues")


def test_no_errors_passes() -> None:
    check_graphql_errors([], _response(200), "SearchIssues")
    check_http(_response(200), {}, "SearchIssues")
