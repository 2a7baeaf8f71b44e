"""The HTTP surface: authentication, rate-limit headers and exhaustion, latency, stats and concurrency."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from planpilot_provider_github.testing import SAML_MESSAGE, GitHubEmulator, ManualClock

VIEWER = "query Viewer { viewer { login } }"
RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-used", "x-ratelimit-reset")


def post(emulator: GitHubEmulator, authorization: str | None, query: str = VIEWER) -> httpx.Response:
    async def send() -> httpx.Response:
        headers = {"Authorization": authorization} if authorization is not None else {}
        async with httpx.AsyncClient(transport=emulator.transport(), headers=headers) as client:
            return await client.post("https://api.github.com/graphql", json={"query": query})

    return asyncio.run(send())


@pytest.fixture
def emulator() -> GitHubEmulator:
    return GitHubEmulator.with_default_scenario(clock=ManualClock())


@pytest.mark.parametrize("authorization", [None, "", "bearer ", "Basic abc"])
def test_missing_credentials_are_401(emulator: GitHubEmulator, authorization: str | None) -> None:
    response = post(emulator, authorization)
    assert response.status_code == 401
    assert response.json() == {"message": "Bad credentials", "documentation_url": "https://docs.github.com/graphql"}


def test_accepted_tokens(emulator: GitHubEmulator) -> None:
    emulator.accept_tokens("good")
    assert post(emulator, "bearer bad").status_code == 401
    assert post(emulator, "bearer good").json() == {"data": {"viewer": {"login": "octo"}}}
    assert post(emulator, "token good").status_code == 200
    assert emulator.stats.statuses == {401: 1, 200: 2}


def test_forbidden_token_gets_a_non_rate_limit_403(emulator: GitHubEmulator) -> None:
    emulator.forbid_token("sso")
    response = post(emulator, "bearer sso")
    assert response.status_code == 403
    assert response.json()["message"] == SAML_MESSAGE
    assert "retry-after" not in response.headers
    assert "secondary rate limit" not in response.text
    assert post(emulator, "bearer other").status_code == 200


def test_rate_limit_headers_and_exhaustion() -> None:
    now = [1_000_000.0]
    emulator = GitHubEmulator.with_default_scenario(
        clock=ManualClock(), rate_limit=3, rate_limit_window=60, time_source=lambda: now[0]
    )
    remaining = []
    for _ in range(3):
        response = post(emulator, "bearer t")
        assert response.json() == {"data": {"viewer": {"login": "octo"}}}
        assert all(name in response.headers for name in RATE_HEADERS)
        assert response.headers["x-ratelimit-resource"] == "graphql"
        assert response.headers["x-ratelimit-limit"] == "3"
        assert response.headers["x-ratelimit-reset"] == "1000060"
        remaining.append(response.headers["x-ratelimit-remaining"])
    assert remaining == ["2", "1", "0"]
    exhausted = post(emulator, "bearer t")
    assert exhausted.status_code == 200
    assert exhausted.headers["x-ratelimit-remaining"] == "0"
    assert exhausted.headers["x-ratelimit-used"] == "3"
    assert exhausted.json() == {
        "data": None,
        "errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}],
    }
    assert emulator.stats.rate_limited == 1
    now[0] += 60
    recovered = post(emulator, "bearer t")
    assert recovered.json() == {"data": {"viewer": {"login": "octo"}}}
    assert recovered.headers["x-ratelimit-remaining"] == "2"
    assert recovered.headers["x-ratelimit-reset"] == "1000120"


async def test_latency_and_peak_concurrency() -> None:
    emulator = GitHubEmulator.with_default_scenario(clock=ManualClock(), latency=0.1)
    async with httpx.AsyncClient(
        transport=emulator.transport(), headers={"Authorization": "bearer t"}, base_url="https://ghe.example"
    ) as client:
        started = time.perf_counter()
        responses = await asyncio.gather(*(client.post("/api/graphql", json={"query": VIEWER}) for _ in range(10)))
        elapsed = time.perf_counter() - started
    assert all(r.status_code == 200 for r in responses)
    assert 0.1 <= elapsed < 0.6  # concurrent, not serial
    assert emulator.stats.peak_in_flight == 10
    assert emulator.stats.in_flight == 0
    assert emulator.stats.requests == 10
    assert emulator.stats.operations == {"Viewer": 10}
    emulator.stats.reset()
    assert emulator.stats.as_dict() == {
        "requests": 0,
        "mutation_requests": 0,
        "mutation_fields_applied": 0,
        "operations": {},
        "faults": {},
        "statuses": {},
        "rate_limited": 0,
        "internal_errors": 0,
        "in_flight": 0,
        "peak_in_flight": 0,
    }


def test_jitter_is_seeded() -> None:
    def delays(seed: int) -> list[float]:
        emulator = GitHubEmulator(latency=0.01, jitter=0.05, seed=seed)
        return [emulator.next_delay() for _ in range(5)]

    assert delays(3) == delays(3)
    assert delays(3) != delays(4)
    assert all(0.01 <= d <= 0.06 for d in delays(3))


def test_stats_count_operations_and_mutations(emulator: GitHubEmulator) -> None:
    repo_id = emulator.state.repository("acme/roadmap").id
    emulator.request(VIEWER)
    emulator.request("{ viewer { login } }")
    emulator.request(
        'mutation Two($r: ID!) { a: createIssue(input: {repositoryId: $r, title: "a"}) { clientMutationId }'
        ' b: createIssue(input: {repositoryId: $r, title: "b"}) { clientMutationId } }',
        {"r": repo_id},
    )
    stats = emulator.stats.as_dict()
    assert stats["requests"] == 3
    assert stats["mutation_requests"] == 1
    assert stats["mutation_fields_applied"] == 2
    assert stats["operations"] == {"Viewer": 1, "<anonymous>": 1, "Two": 1}
    assert stats["internal_errors"] == 0


def test_non_graphql_paths_are_404(emulator: GitHubEmulator) -> None:
    assert emulator.handle("GET", "/graphql", {}, b"").status == 404
    assert emulator.handle("POST", "/repos/acme/roadmap/issues", {"authorization": "bearer t"}, b"{}").status == 404
    assert emulator.stats.requests == 0
