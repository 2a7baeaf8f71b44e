"""retry_call / classify_failure / RetryPolicy: what is retried, how long we wait, what gets logged."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import stamina

from planpilot_providers_core.errors import (
    AuthenticationError,
    ProviderError,
    RateLimitError,
    RateLimitExhaustedError,
    TransientProviderError,
)
from planpilot_providers_core.reliability import (
    DEFAULT_RETRY_POLICY,
    NOT_APPLIED,
    RETRY_LOGGER_NAME,
    Applied,
    Failure,
    HttpClientConfig,
    NotApplied,
    PooledClient,
    RateLimitGate,
    RetryPolicy,
    SystemClock,
    classify_failure,
    raise_for_status,
    retry_call,
)
from planpilot_providers_core.reliability import retry as retry_module

FAST = RetryPolicy(attempts=4, wait_initial=0.001, wait_max=0.002, wait_jitter=0.0)
REQUEST = httpx.Request("POST", "https://api.example.com/graphql")


class Script:
    """An operation that raises the scripted exceptions in order, then returns ``result``."""

    def __init__(self, *outcomes: BaseException, result: str = "ok") -> None:
        self.outcomes = list(outcomes)
        self.raised: list[BaseException] = []
        self.calls = 0
        self.result = result

    async def __call__(self) -> str:
        self.calls += 1
        if self.outcomes:
            exc = self.outcomes.pop(0)
            self.raised.append(exc)
            raise exc
        return self.result


def transient(sent: bool = False, retry_after: float | None = None) -> TransientProviderError:
    return TransientProviderError("server hiccup", request_sent=sent, retry_after=retry_after)


@pytest.fixture
def recorded_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record retry_call's own waits (on its default clock) instead of sleeping them."""
    waits: list[float] = []

    async def fake_sleep(delay: float) -> None:
        waits.append(delay)

    monkeypatch.setattr(retry_module.SYSTEM_CLOCK, "sleep", fake_sleep)
    return waits


# --- classification ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (transient(sent=False), Failure(True, False)),
        (transient(sent=True, retry_after=3), Failure(True, True, 3.0)),
        (transient(sent=True, retry_after=-3), Failure(True, True, 0.0)),
        (RateLimitError("slow down", retry_after=5), Failure(True, False, 5.0)),
        (httpx.ConnectError("refused", request=REQUEST), Failure(True, False)),
        (httpx.ConnectTimeout("slow connect", request=REQUEST), Failure(True, False)),
        (httpx.PoolTimeout("pool full", request=REQUEST), Failure(True, False)),
        (httpx.ReadTimeout("slow read", request=REQUEST), Failure(True, True)),
        (httpx.WriteTimeout("slow write", request=REQUEST), Failure(True, True)),
        (httpx.ReadError("reset", request=REQUEST), Failure(True, True)),
        (httpx.RemoteProtocolError("dropped", request=REQUEST), Failure(True, True)),
        (httpx.UnsupportedProtocol("ftp://", request=REQUEST), Failure(False, False)),
        (httpx.LocalProtocolError("bad header", request=REQUEST), Failure(False, False)),
        (httpx.ProxyError("proxy", request=REQUEST), Failure(False, False)),
        (httpx.InvalidURL("bad url"), Failure(False, False)),
        (AuthenticationError("nope"), Failure(False, True)),
        (ProviderError("validation"), Failure(False, True)),
        (ValueError("bug"), Failure(False, True)),
        (asyncio.CancelledError(), Failure(False, True)),
        (KeyboardInterrupt(), Failure(False, True)),
    ],
)
def test_classify_failure(exc: BaseException, expected: Failure) -> None:
    assert classify_failure(exc) == expected


# --- basic retry semantics -----------------------------------------------------------------------


async def test_transient_then_success() -> None:
    op = Script(transient(), httpx.ConnectError("refused", request=REQUEST))
    assert await retry_call("get_item", op, policy=FAST) == "ok"
    assert op.calls == 3


@pytest.mark.parametrize(
    "exc",
    [
        AuthenticationError("token rejected"),
        ProviderError("field does not exist"),
        ValueError("a bug"),
        httpx.UnsupportedProtocol("no", request=REQUEST),
        httpx.InvalidURL("bad"),
        httpx.HTTPStatusError("404", request=REQUEST, response=httpx.Response(404)),
    ],
)
async def test_permanent_errors_are_raised_at_once(exc: Exception) -> None:
    op = Script(exc)
    with pytest.raises(type(exc)) as info:
        await retry_call("get_item", op, policy=FAST)
    assert info.value is exc
    assert op.calls == 1


@pytest.mark.parametrize("attempts", [1, 3, 5])
async def test_attempts_cap_raises_last_original_error(attempts: int) -> None:
    op = Script(*(transient() for _ in range(10)))
    policy = RetryPolicy(attempts=attempts, wait_initial=0.001, wait_max=0.001, wait_jitter=0)
    with pytest.raises(TransientProviderError) as info:
        await retry_call("get_item", op, policy=policy)
    assert op.calls == attempts
    assert info.value is op.raised[-1]


async def test_default_policy_makes_four_attempts_in_stamina_testing_mode() -> None:
    op = Script(*(transient() for _ in range(10)))
    with stamina.set_testing(True, attempts=4), pytest.raises(TransientProviderError):
        await retry_call("get_item", op)
    assert op.calls == DEFAULT_RETRY_POLICY.attempts == 4


async def test_exponential_backoff_uses_policy(recorded_waits: list[float]) -> None:
    op = Script(transient(), transient(), transient())
    policy = RetryPolicy(attempts=4, wait_initial=0.5, wait_max=1.5, wait_jitter=0.0)
    assert await retry_call("get_item", op, policy=policy) == "ok"
    assert recorded_waits == [0.5, 1.0, 1.5]  # 0.5 * 2**n, clamped at wait_max


async def test_backoff_jitter_is_bounded(recorded_waits: list[float]) -> None:
    op = Script(*(transient() for _ in range(3)))
    policy = RetryPolicy(attempts=4, wait_initial=0.5, wait_max=8.0, wait_jitter=0.25)
    await retry_call("get_item", op, policy=policy)
    for wait, base in zip(recorded_waits, [0.5, 1.0, 2.0], strict=True):
        assert base <= wait <= base + 0.25


async def test_stamina_testing_mode_zeroes_our_waits(recorded_waits: list[float]) -> None:
    op = Script(RateLimitError("slow down", retry_after=100), transient())
    with stamina.set_testing(True, attempts=4):
        assert await retry_call("get_item", op) == "ok"
    assert recorded_waits == []


# --- Retry-After ---------------------------------------------------------------------------------


async def test_retry_after_is_waited_exactly(recorded_waits: list[float]) -> None:
    op = Script(RateLimitError("slow down", retry_after=30), transient(retry_after=2.5))
    assert await retry_call("get_item", op) == "ok"
    assert recorded_waits == [30.0, 2.5]


async def test_retry_after_really_sleeps() -> None:
    op = Script(RateLimitError("slow down", retry_after=0.08))
    started = time.monotonic()
    assert await retry_call("get_item", op, policy=FAST) == "ok"
    assert time.monotonic() - started >= 0.08


async def test_retry_after_over_cap_raises_exhausted() -> None:
    limited = RateLimitError("slow down", retry_after=121)
    op = Script(limited)
    with pytest.raises(RateLimitExhaustedError) as info:
        await retry_call("create_issue", op)
    assert op.calls == 1
    assert info.value.retry_after == 121
    assert info.value.__cause__ is limited
    assert "create_issue" in str(info.value)
    assert "max_retry_after" in str(info.value)


async def test_retry_after_at_cap_is_honoured(recorded_waits: list[float]) -> None:
    op = Script(RateLimitError("slow down", retry_after=5))
    assert await retry_call("get_item", op, policy=RetryPolicy(max_retry_after=5)) == "ok"
    assert recorded_waits == [5.0]


async def test_retry_after_with_gate_pauses_the_gate_instead_of_sleeping(recorded_waits: list[float]) -> None:
    gate = RateLimitGate(clock=SystemClock())  # its own clock, whose sleeps are not recorded
    seen_remaining: list[float] = []
    started = time.monotonic()

    async def op() -> str:
        seen_remaining.append(gate.remaining())
        if len(seen_remaining) == 1:
            raise RateLimitError("slow down", retry_after=0.08)
        return "ok"

    assert await retry_call("get_item", op, policy=FAST, gate=gate) == "ok"
    assert recorded_waits == []  # no wait of our own: the gate did the waiting
    assert time.monotonic() - started >= 0.08
    assert seen_remaining == [0.0, 0.0]


async def test_retry_after_beyond_the_time_budget_gives_up_without_sleeping(
    recorded_waits: list[float],
) -> None:
    limited = RateLimitError("slow down", retry_after=60)
    op = Script(limited)
    with pytest.raises(RateLimitError) as info:
        await retry_call("get_item", op, policy=RetryPolicy(timeout=30))
    assert info.value is limited
    assert recorded_waits == []
    assert op.calls == 1


# --- non-idempotent operations -------------------------------------------------------------------


@pytest.mark.parametrize(
    "exc",
    [
        RateLimitError("slow down", retry_after=0),
        transient(sent=False),
        httpx.ConnectError("refused", request=REQUEST),
        httpx.PoolTimeout("pool", request=REQUEST),
    ],
)
async def test_non_idempotent_not_sent_failure_is_retried(exc: Exception) -> None:
    op = Script(exc)
    assert await retry_call("create_issue", op, policy=FAST, idempotent=False) == "ok"
    assert op.calls == 2


@pytest.mark.parametrize(
    "exc",
    [httpx.ReadTimeout("slow read", request=REQUEST), transient(sent=True)],
)
async def test_non_idempotent_ambiguous_without_resolver_is_raised(exc: Exception) -> None:
    op = Script(exc)
    with pytest.raises(type(exc)) as info:
        await retry_call("create_issue", op, policy=FAST, idempotent=False)
    assert info.value is exc
    assert op.calls == 1


async def test_idempotent_ambiguous_failure_is_retried_without_resolver() -> None:
    op = Script(httpx.ReadTimeout("slow read", request=REQUEST))
    assert await retry_call("get_item", op, policy=FAST) == "ok"
    assert op.calls == 2


def resolver_returning(
    value: str | None, seen: list[BaseException]
) -> Callable[[BaseException], Awaitable[Applied[str] | NotApplied]]:
    """A resolver finding ``value`` applied, or (``None``) finding that nothing happened."""

    async def resolve(exc: BaseException) -> Applied[str] | NotApplied:
        seen.append(exc)
        return NOT_APPLIED if value is None else Applied(value)

    return resolve


async def test_ambiguous_resolved_as_applied_returns_value_without_retry(
    caplog: pytest.LogCaptureFixture,
) -> None:
    timeout = httpx.ReadTimeout("slow read", request=REQUEST)
    op = Script(timeout)
    seen: list[BaseException] = []
    with caplog.at_level(logging.INFO, logger=RETRY_LOGGER_NAME):
        result = await retry_call(
            "create_issue",
            op,
            policy=FAST,
            idempotent=False,
            resolve_ambiguous=resolver_returning("#42", seen),
        )
    assert result == "#42"
    assert op.calls == 1
    assert seen == [timeout]
    assert [r.levelno for r in caplog.records if r.name == RETRY_LOGGER_NAME] == [logging.INFO]


async def test_ambiguous_resolved_as_not_applied_is_retried() -> None:
    op = Script(transient(sent=True), result="#43")
    seen: list[BaseException] = []
    result = await retry_call(
        "create_issue", op, policy=FAST, idempotent=False, resolve_ambiguous=resolver_returning(None, seen)
    )
    assert result == "#43"
    assert op.calls == 2
    assert len(seen) == 1


async def test_resolver_is_not_consulted_for_not_sent_failures() -> None:
    op = Script(httpx.ConnectError("refused", request=REQUEST))
    seen: list[BaseException] = []
    assert (
        await retry_call(
            "create_issue", op, policy=FAST, idempotent=False, resolve_ambiguous=resolver_returning("x", seen)
        )
        == "ok"
    )
    assert seen == []


async def test_resolver_errors_propagate() -> None:
    op = Script(httpx.ReadTimeout("slow read", request=REQUEST))

    async def resolve(exc: BaseException) -> Applied[str] | NotApplied:
        raise AuthenticationError("lookup refused")

    with pytest.raises(AuthenticationError, match="lookup refused"):
        await retry_call("create_issue", op, policy=FAST, idempotent=False, resolve_ambiguous=resolve)
    assert op.calls == 1


# --- cancellation and timeouts -------------------------------------------------------------------


async def test_cancel_during_attempt_propagates() -> None:
    started = asyncio.Event()
    calls = 0

    async def op() -> str:
        nonlocal calls
        calls += 1
        started.set()
        await asyncio.sleep(10)
        return "never"

    task = asyncio.create_task(retry_call("get_item", op, policy=FAST))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert calls == 1


async def test_cancel_during_backoff_propagates() -> None:
    failed = asyncio.Event()
    calls = 0

    async def op() -> str:
        nonlocal calls
        calls += 1
        failed.set()
        raise transient()

    policy = RetryPolicy(wait_initial=10, wait_max=10, wait_jitter=0)
    task = asyncio.create_task(retry_call("get_item", op, policy=policy))
    await failed.wait()
    await asyncio.sleep(0.01)  # now in the 10 s backoff
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 5  # not the 10 s backoff
    assert calls == 1


async def test_base_exceptions_are_never_retried() -> None:
    op = Script(KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        await retry_call("get_item", op, policy=FAST)
    assert op.calls == 1


async def test_asyncio_timeout_fires_on_time_around_a_failing_call() -> None:
    calls = 0

    async def op() -> str:  # slow, then a retryable failure, forever
        nonlocal calls
        calls += 1
        await asyncio.sleep(5)
        raise httpx.ReadTimeout("slow", request=REQUEST)

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await retry_call("get_item", op, policy=FAST)
    assert time.monotonic() - started < 2.5  # not the 5 s the call would take (a loaded machine is slow)
    assert calls == 1


async def test_asyncio_timeout_fires_during_backoff() -> None:
    op = Script(*(transient() for _ in range(5)))
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await retry_call("get_item", op, policy=RetryPolicy(wait_initial=5, wait_max=5))
    assert time.monotonic() - started < 2.5  # not the 5 s backoff


# --- logging -------------------------------------------------------------------------------------


async def test_one_log_line_per_retry_without_the_token(caplog: pytest.LogCaptureFixture) -> None:
    secret = "ghp_SUPERSECRETTOKEN123"
    statuses = iter([503, 502, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Bearer {secret}"
        return httpx.Response(next(statuses), text="upstream trouble")

    config = HttpClientConfig("https://api.example.com", headers={"Authorization": f"Bearer {secret}"})
    async with PooledClient(config, transport=httpx.MockTransport(handler)) as pooled:

        async def op() -> int:
            response = raise_for_status(await pooled.request("get_item", "GET", "/items/1"), "get_item")
            return response.status_code

        with caplog.at_level(logging.DEBUG):
            assert await retry_call("get_item", op, policy=FAST) == 200

    ours = [r for r in caplog.records if r.name == RETRY_LOGGER_NAME]
    assert [r.levelno for r in ours] == [logging.WARNING, logging.WARNING]
    assert "retrying get_item: attempt 2 of 4 in " in ours[0].getMessage()
    assert "TransientProviderError" in ours[0].getMessage()
    assert "HTTP 503" in ours[0].getMessage()
    assert "attempt 3 of 4" in ours[1].getMessage()
    assert secret not in caplog.text
    assert all(secret not in r.getMessage() for r in caplog.records)


async def test_no_log_line_without_retry(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger=RETRY_LOGGER_NAME), pytest.raises(AuthenticationError):
        await retry_call("get_item", Script(AuthenticationError("no")), policy=FAST)
    assert [r for r in caplog.records if r.name == RETRY_LOGGER_NAME] == []


async def test_ambiguous_retry_logs_once_after_resolution(caplog: pytest.LogCaptureFixture) -> None:
    op = Script(httpx.ReadTimeout("slow read", request=REQUEST))
    with caplog.at_level(logging.DEBUG, logger=RETRY_LOGGER_NAME):
        await retry_call(
            "create_issue", op, policy=FAST, idempotent=False, resolve_ambiguous=resolver_returning(None, [])
        )
    ours = [r for r in caplog.records if r.name == RETRY_LOGGER_NAME]
    assert len(ours) == 1
    assert "retrying create_issue: attempt 2 of 4" in ours[0].getMessage()
    assert "not applied" in ours[0].getMessage()


async def test_a_resolver_must_give_a_verdict() -> None:
    """Returning a bare value (or None) would be ambiguous itself: it is refused, naming the two verdicts."""

    async def sloppy(exc: BaseException) -> Any:
        return None

    op = Script(httpx.ReadTimeout("slow read", request=REQUEST))
    with pytest.raises(TypeError, match=r"Applied.*NOT_APPLIED"):
        await retry_call("create_issue", op, policy=FAST, idempotent=False, resolve_ambiguous=sloppy)


async def test_stamina_prints_no_raw_event_for_our_retries(caplog: pytest.LogCaptureFixture) -> None:
    """Our line replaces stamina's own ``stamina.retry_scheduled`` event; one line per retry in all."""
    with caplog.at_level(logging.DEBUG):
        await retry_call("get_item", Script(transient(), transient()), policy=FAST)
    assert not [r for r in caplog.records if r.name.startswith("stamina")], caplog.text
    assert len([r for r in caplog.records if r.name == RETRY_LOGGER_NAME]) == 2


async def test_stamina_hooks_still_run_for_other_callers(caplog: pytest.LogCaptureFixture) -> None:
    """Installing our hook keeps the application's (stamina's default logging) for its own retries."""
    await retry_call("get_item", Script(transient()), policy=FAST)  # installs our hook
    caplog.clear()

    @stamina.retry(on=ValueError, attempts=2, wait_initial=0, wait_jitter=0)
    def flaky(calls: list[int]) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("once")

    with caplog.at_level(logging.DEBUG):
        flaky([])
    assert [r for r in caplog.records if r.name == "stamina"], "stamina's own hook no longer runs"
    assert not [r for r in caplog.records if r.name == RETRY_LOGGER_NAME]


async def test_rate_limit_waits_do_not_use_up_attempts(recorded_waits: list[float]) -> None:
    """Being told to wait is not a failure: with 2 attempts, 3 rate limits and 1 error still succeed."""
    op = Script(*(RateLimitError("slow down", retry_after=1) for _ in range(3)), transient())
    policy = RetryPolicy(attempts=2, wait_initial=0.001, wait_max=0.001, wait_jitter=0)
    assert await retry_call("get_item", op, policy=policy) == "ok"
    assert op.calls == 5
    assert recorded_waits[:3] == [1.0, 1.0, 1.0]


async def test_rate_limit_waits_are_bounded(recorded_waits: list[float]) -> None:
    op = Script(*(RateLimitError("slow down", retry_after=1) for _ in range(5)))
    with pytest.raises(RateLimitExhaustedError, match="max_rate_limit_waits"):
        await retry_call("get_item", op, policy=RetryPolicy(max_rate_limit_waits=3))
    assert op.calls == 4


# --- policy validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"attempts": 0}, "attempts"),
        ({"attempts": 6}, "attempts"),
        ({"attempts": True}, "attempts"),
        ({"attempts": 2.0}, "attempts"),
        ({"wait_initial": -0.1}, "wait_initial"),
        ({"wait_initial": math.nan}, "wait_initial"),
        ({"wait_jitter": -1}, "wait_jitter"),
        ({"wait_max": math.inf}, "wait_max"),
        ({"wait_initial": 2.0, "wait_max": 1.0}, "wait_max"),
        ({"max_retry_after": -5}, "max_retry_after"),
        ({"max_retry_after": "60"}, "max_retry_after"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": -1.0}, "timeout"),
    ],
)
def test_retry_policy_rejects_bad_values(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=rf"RetryPolicy\.{field} must be"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_retry_policy_defaults_and_limits() -> None:
    expected = RetryPolicy(
        attempts=4,
        wait_initial=0.5,
        wait_max=8.0,
        wait_jitter=0.5,
        max_retry_after=120.0,
        timeout=180.0,
        max_rate_limit_waits=8,
    )
    assert expected == DEFAULT_RETRY_POLICY
    assert RetryPolicy(attempts=1).attempts == 1
    assert RetryPolicy(attempts=5).attempts == 5
    assert RetryPolicy(timeout=None).timeout is None
