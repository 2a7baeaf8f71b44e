"""``RequestBudgets``: any provider's requests paced by its tracker's limits, narrowed by its rate-limit headers."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable

import httpx
import pytest

from planpilot_providers_core.reliability import (
    COST_EXTENSION,
    Budget,
    HttpClientConfig,
    PooledClient,
    RateLimitHeaders,
    RequestBudgets,
)
from planpilot_providers_core.testing.faults import virtual_system_time

PER_MINUTE = "requests per minute"
WRITES = "writes per minute"


def budgets(**overrides: object) -> RequestBudgets:
    return RequestBudgets(
        (Budget(name=PER_MINUTE, limit=10, window=60.0), Budget(name=WRITES, limit=3, window=60.0)),
        cost=lambda request: {PER_MINUTE: 1, WRITES: 1 if request.method == "POST" else 0},
        headers=(
            RateLimitHeaders(
                budget=PER_MINUTE,
                limit="X-RateLimit-Limit",
                remaining="X-RateLimit-Remaining",
                reset="X-RateLimit-Reset",
                reset_format="epoch-ms",
            ),
        ),
        **overrides,  # type: ignore[arg-type]
    )


def client(paced: RequestBudgets, answer: Callable[[httpx.Request], httpx.Response]) -> PooledClient:
    return PooledClient(HttpClientConfig("https://tracker.test"), transport=httpx.MockTransport(answer), budgets=paced)


async def test_requests_wait_for_room_in_every_budget_they_cost() -> None:
    paced = budgets()
    sent: list[tuple[str, float]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append((request.method, time.monotonic()))
        return httpx.Response(201)

    with virtual_system_time() as clock:
        async with client(paced, answer) as http:
            for _ in range(5):
                await http.request("create", "POST", "/issues")
    # Three writes a minute: the fourth and fifth waited a minute, on the (virtual) clock.
    assert len(sent) == 5
    assert clock.offset == pytest.approx(60.0, abs=0.01)
    assert paced.report() == {
        PER_MINUTE: 5,
        WRITES: 5,
        "requests": 5,
        "limit responses": 0,
        "seconds waited for budgets": pytest.approx(60.0, abs=0.01),
    }


@pytest.mark.parametrize(
    ("reset_format", "reset"),
    [("epoch-ms", lambda now: str(int((now + 30) * 1000))), ("iso8601", None), ("seconds", lambda now: "30")],
)
async def test_headers_narrow_the_budget_until_the_reset(
    reset_format: str, reset: Callable[[float], str] | None
) -> None:
    spec = RateLimitHeaders(
        budget=PER_MINUTE,
        limit="x-l",
        remaining="x-r",
        reset="x-reset",
        reset_format=reset_format,  # type: ignore[arg-type]
    )
    paced = RequestBudgets((Budget(name=PER_MINUTE, limit=100, window=60.0),), headers=(spec,))
    with virtual_system_time() as clock:
        start = time.time() + clock.offset

        def answer(request: httpx.Request) -> httpx.Response:
            now = time.time() + clock.offset
            when = (
                reset(now)
                if reset is not None
                else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + 31))  # whole seconds, as Jira
            )
            return httpx.Response(200, headers={"x-l": "50", "x-r": "0", "x-reset": when})

        async with client(paced, answer) as http:
            await http.request("read", "GET", "/x")
            assert paced.tracker.budgets[PER_MINUTE].limit == 50  # the header's limit is lower than declared
            assert paced.estimate({PER_MINUTE: 1}).seconds >= 29
            await http.request("read", "GET", "/x")
    assert clock.offset >= 29, "the second request went before the announced reset"


async def test_a_429_is_refunded_counted_and_blocks_for_its_retry_after() -> None:
    paced = budgets()
    answers = iter([httpx.Response(429, headers={"Retry-After": "20"}), httpx.Response(200)])
    with virtual_system_time() as clock:
        async with client(paced, lambda request: next(answers)) as http:
            refused = await http.request("read", "GET", "/x")
            assert refused.status_code == 429
            assert paced.tracker.blocked_for(PER_MINUTE) == pytest.approx(20, abs=0.1)
            estimate = paced.estimate({PER_MINUTE: 1})
            assert (estimate.binding, estimate.seconds) == (PER_MINUTE, pytest.approx(20, abs=0.1))
            await http.request("read", "GET", "/x")
    assert clock.offset >= 19.9  # plus the real time that passed
    report = paced.report()
    assert (report["limit responses"], report["requests"], report[PER_MINUTE]) == (1, 2, 1)  # the refusal refunded


async def test_a_steadily_refilled_budget_is_capped_only_until_one_unit_is_back() -> None:
    """A leaky bucket (Linear) announces when it is full again, an hour away when it is empty: that is not an
    hour's block. Empty, it has room for one more unit after window / limit seconds."""
    spec = RateLimitHeaders(
        budget=PER_MINUTE, remaining="x-r", reset="x-reset", reset_format="epoch-ms", refill="steady"
    )
    paced = RequestBudgets((Budget(name=PER_MINUTE, limit=60, window=60.0),), headers=(spec,))
    sent: list[float] = []
    with virtual_system_time() as clock:

        def answer(request: httpx.Request) -> httpx.Response:
            now = time.time() + clock.offset
            sent.append(now)
            return httpx.Response(200, headers={"x-r": "0", "x-reset": str(int((now + 3600) * 1000))})

        async with client(paced, answer) as http:
            for _ in range(3):
                await http.request("read", "GET", "/x")
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent)]
    assert gaps == [pytest.approx(1.0, abs=0.05)] * 2  # one unit a second, not one an hour


async def test_a_refusal_told_by_its_body_is_refunded_and_counted() -> None:
    """Linear refuses with HTTP 400 and ``RATELIMITED`` in the body; ``refusal`` recognises it."""
    refused = httpx.Response(400, json={"errors": [{"message": "x", "extensions": {"code": "RATELIMITED"}}]})
    answers = iter([refused, httpx.Response(400, json={"errors": [{"message": "bad"}]}), httpx.Response(200)])

    def is_refusal(response: httpx.Response) -> bool:
        return b"RATELIMITED" in response.content

    paced = budgets(refusal=is_refusal)
    async with client(paced, lambda request: next(answers)) as http:
        first = await http.request("read", "GET", "/x")
        assert first.json()["errors"][0]["extensions"]["code"] == "RATELIMITED"  # still readable by the caller
        await http.request("read", "GET", "/x")
        await http.request("read", "GET", "/x")
    report = paced.report()
    assert (report["limit responses"], report["requests"], report[PER_MINUTE]) == (1, 3, 2)


def test_headers_must_name_a_declared_budget() -> None:
    with pytest.raises(ValueError, match="not declared: elsewhere"):
        RequestBudgets((Budget(name=PER_MINUTE, limit=1, window=1),), headers=(RateLimitHeaders(budget="elsewhere"),))


async def test_concurrent_requests_never_exceed_a_budget() -> None:
    paced = RequestBudgets((Budget(name=PER_MINUTE, limit=4, window=60.0),))
    stamps: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        stamps.append(time.monotonic())
        return httpx.Response(200)

    with virtual_system_time() as clock:
        async with client(paced, answer) as http:
            await asyncio.gather(*(http.request("read", "GET", "/x") for _ in range(9)))
    assert len(stamps) == 9
    assert clock.offset == pytest.approx(120.0, abs=0.05)  # 4, then 4 a minute later, then 1


async def test_a_request_can_state_its_own_cost() -> None:
    """Linear's query complexity, Jira's points: the provider says what a request costs as it sends it."""
    points = "complexity points per hour"
    paced = RequestBudgets(
        (Budget(name=PER_MINUTE, limit=100, window=60.0), Budget(name=points, limit=1000, window=3600))
    )
    async with client(paced, lambda request: httpx.Response(200)) as http:
        await http.request("search", "POST", "/graphql", extensions={COST_EXTENSION: {points: 250}})
        await http.request("read", "POST", "/graphql")
    assert (paced.report()[points], paced.report()[PER_MINUTE]) == (251, 2)
