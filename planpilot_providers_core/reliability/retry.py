"""Bounded, logged retries for one provider operation, built on stamina.

Why not plain ``@stamina.retry``: we need to know whether a failed request may have been applied
(non-idempotent writes must not be blindly re-sent), to honour and cap ``Retry-After``, to share a
rate-limit pause, and to log the operation name without ever logging call arguments (tokens).
stamina still owns the attempt accounting, the overall time budget, re-raising the original error
and its test mode (``stamina.set_testing``), which also zeroes every wait made here.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import attrs
import httpx
import stamina

from planpilot_providers_core.errors import RateLimitExhaustedError, TransientProviderError
from planpilot_providers_core.reliability._validation import count, seconds
from planpilot_providers_core.reliability.gate import RateLimitGate

T = TypeVar("T")

RETRY_LOGGER_NAME = "planpilot.providers.retry"
_log = logging.getLogger(RETRY_LOGGER_NAME)

#: The request provably never reached the server: safe to re-send even for a write.
_NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
#: Retrying cannot help: the request is malformed or the client is misconfigured.
_PERMANENT_ERRORS = (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.ProxyError, httpx.InvalidURL)
_MAX_ATTEMPTS = 5
#: Indirection so tests can record the waits instead of sleeping them.
_sleep = asyncio.sleep


@attrs.frozen
class RetryPolicy:
    """How hard one call tries: attempts, backoff, the longest server-requested wait, a time budget.

    ``attempts`` counts every try (1 = no retry) and is capped at 5 because the engine above
    never retries and a stuck call must fail in bounded time. ``max_retry_after`` bounds a
    ``Retry-After`` we are willing to honour; longer ones raise :class:`RateLimitExhaustedError`.
    """

    attempts: int = attrs.field(
        default=4, validator=count(minimum=1, maximum=_MAX_ATTEMPTS, why=" (total tries, the first included)")
    )
    wait_initial: float = attrs.field(default=0.5, validator=seconds())
    wait_max: float = attrs.field(default=8.0, validator=seconds())
    wait_jitter: float = attrs.field(default=0.5, validator=seconds())
    max_retry_after: float = attrs.field(default=120.0, validator=seconds())
    timeout: float | None = attrs.field(default=180.0, validator=seconds(positive=True, optional=True))

    @wait_max.validator
    def _wait_max_covers_initial(self, attribute: attrs.Attribute[float], value: float) -> None:
        if value < self.wait_initial:
            raise ValueError(f"RetryPolicy.wait_max must be >= wait_initial ({self.wait_initial!r}), got {value!r}")


DEFAULT_RETRY_POLICY = RetryPolicy()


@attrs.frozen
class Failure:
    """What an exception means for a retry.

    ``sent`` is False only when the request provably did not reach (or was refused unprocessed by)
    the server; anything else may have been applied.
    """

    retryable: bool
    sent: bool
    retry_after: float | None = None


def _clean_retry_after(value: float | None) -> float | None:
    if value is None or math.isnan(value):
        return None
    return max(0.0, float(value))


def classify_failure(exc: BaseException) -> Failure:
    """Classify an exception raised by a provider operation; see :func:`retry_call` for the rules."""
    if isinstance(exc, TransientProviderError):
        return Failure(True, exc.request_sent, _clean_retry_after(exc.retry_after))
    if isinstance(exc, _NOT_SENT_ERRORS):
        return Failure(True, False)
    if isinstance(exc, _PERMANENT_ERRORS):
        return Failure(False, False)
    if isinstance(exc, httpx.TransportError):  # read/write timeouts, dropped connections: maybe applied
        return Failure(True, True)
    return Failure(False, True)


@attrs.define
class _PendingRetry:
    """A retry the backoff hook approved; carried out at the top of the next stamina attempt."""

    exc: Exception
    own_wait: float
    use_gate: bool
    resolve: bool


def _describe(exc: BaseException) -> str:
    """Exception type and a short message; never args, kwargs or headers."""
    text = " ".join(str(exc).split())
    if len(text) > 200:
        text = text[:197] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def retry_call(
    operation: str,
    fn: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    idempotent: bool = True,
    resolve_ambiguous: Callable[[BaseException], Awaitable[T | None]] | None = None,
    gate: RateLimitGate | None = None,
) -> T:
    """Await ``fn()`` and retry it on transient failures, per ``policy``.

    Retryable: :class:`TransientProviderError` (``RateLimitError`` included) and network errors.
    A server-requested wait (``retry_after``) is honoured exactly, or handed to ``gate`` so every
    caller sharing it pauses; one longer than ``policy.max_retry_after`` raises
    :class:`RateLimitExhaustedError`. Anything else (auth, validation, bugs) is raised at once,
    and cancellation is never retried nor swallowed.

    For ``idempotent=False`` a failure that may have been applied is only retried after
    ``resolve_ambiguous(exc)`` says it was not (returns None); a non-None value is taken as the
    call's result. Without a resolver such a failure is raised. When attempts run out, the last
    original exception is raised.

    Each retry logs one WARNING line on ``planpilot.providers.retry`` naming the operation and
    the attempt; arguments are never logged.
    """
    started = time.monotonic()
    testing = stamina.is_testing()
    current: stamina.Attempt | None = None
    pending: _PendingRetry | None = None
    exhausted: BaseException | None = None

    def backoff_hook(exc: Exception) -> bool | float:
        # stamina hands us whatever the attempt raised, BaseExceptions included: a truthy answer
        # for CancelledError would swallow cancellation and defeat asyncio.timeout().
        nonlocal pending, exhausted
        if not isinstance(exc, Exception):
            return False
        failure = classify_failure(exc)
        if not failure.retryable:
            return False
        retry_after = failure.retry_after
        if retry_after is not None and retry_after > policy.max_retry_after:
            exhausted = exc
            return False
        resolve = failure.sent and not idempotent
        if resolve and resolve_ambiguous is None:
            return False
        use_gate = False
        if retry_after is not None and gate is not None:
            wait, own_wait, use_gate = gate.pause_for(retry_after), 0.0, True
        elif retry_after is not None:
            wait = own_wait = retry_after
        else:  # stamina's exponential backoff for this attempt, plus jitter
            base = current.next_wait if current is not None else policy.wait_initial
            wait = own_wait = min(policy.wait_max, base + random.uniform(0, policy.wait_jitter))
        if testing:
            own_wait = 0.0
        elif policy.timeout is not None and time.monotonic() - started + wait >= policy.timeout:
            return False  # the wait alone would overrun the budget: give up now, not after sleeping
        pending = _PendingRetry(exc, own_wait, use_gate and not testing, resolve)
        return 0.0  # we wait ourselves at the top of the next attempt, right after logging it

    try:
        async for attempt in stamina.retry_context(
            on=backoff_hook,
            attempts=policy.attempts,
            timeout=policy.timeout,
            wait_initial=policy.wait_initial,
            wait_max=policy.wait_max,
            wait_jitter=policy.wait_jitter,
        ):
            current = attempt
            if pending is not None:
                retry, pending = pending, None
                resolved = await _before_retry(operation, retry, attempt.num, policy, gate, resolve_ambiguous)
                if resolved is not None:
                    return resolved
            with attempt:
                return await fn()
    except Exception as exc:
        if exc is exhausted:
            failure = classify_failure(exc)
            raise RateLimitExhaustedError(
                f"{operation}: the service asked to wait {failure.retry_after:.0f}s, longer than the "
                f"{policy.max_retry_after:.0f}s allowed (RetryPolicy.max_retry_after); try again later",
                retry_after=failure.retry_after,
            ) from exc
        raise
    raise AssertionError("unreachable: stamina either returns or raises")  # pragma: no cover


async def _before_retry(
    operation: str,
    retry: _PendingRetry,
    num: int,
    policy: RetryPolicy,
    gate: RateLimitGate | None,
    resolve_ambiguous: Callable[[BaseException], Awaitable[T | None]] | None,
) -> T | None:
    """Log, wait and (for a possibly-applied write) resolve; a non-None result ends the call."""
    cause = _describe(retry.exc)
    waited = retry.own_wait + (gate.remaining() if retry.use_gate and gate is not None else 0.0)
    if not retry.resolve:
        _log.warning("retrying %s: attempt %d of %d in %.2fs after %s", operation, num, policy.attempts, waited, cause)
    if retry.own_wait > 0:
        await _sleep(retry.own_wait)
    if retry.use_gate and gate is not None:
        await gate.wait()
    if not retry.resolve:
        return None
    assert resolve_ambiguous is not None
    resolved = await resolve_ambiguous(retry.exc)
    if resolved is not None:
        _log.info("%s: not retried: it had been applied despite %s", operation, cause)
        return resolved
    _log.warning(
        "retrying %s: attempt %d of %d after %.2fs; %s, and it was confirmed not applied",
        operation,
        num,
        policy.attempts,
        waited,
        cause,
    )
    return None
