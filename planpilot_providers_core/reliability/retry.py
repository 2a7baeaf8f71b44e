"""Bounded, logged retries for one provider operation, built on stamina.

Why not plain ``@stamina.retry``: we need to know whether a failed request may have been applied
(non-idempotent writes must not be blindly re-sent), to honour and cap ``Retry-After``, to share a
rate-limit pause, and to log the operation name without ever logging call arguments (tokens).
stamina still owns the attempt accounting, the overall time budget, re-raising the original error,
its test mode (``stamina.set_testing``, which also zeroes every wait made here) and the retry
instrumentation: our one log line per retry is a stamina on-retry hook, installed next to whatever
hooks the application configured, so stamina's own ``stamina.retry_scheduled`` line is not printed
for our calls as well.

Being told to wait by a rate limit is not a failure: such a refusal is waited out (on the shared
gate) and sent again without using up one of the call's attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Final, Generic, TypeAlias, TypeVar

import attrs
import httpx
import stamina
import stamina.instrumentation

from planpilot_providers_core.errors import RateLimitError, RateLimitExhaustedError, TransientProviderError
from planpilot_providers_core.reliability._validation import count, seconds
from planpilot_providers_core.reliability.clock import SYSTEM_CLOCK, Clock
from planpilot_providers_core.reliability.gate import RateLimitGate

__all__ = [
    "DEFAULT_RETRY_POLICY",
    "NOT_APPLIED",
    "RETRY_LOGGER_NAME",
    "Applied",
    "Failure",
    "NotApplied",
    "Resolution",
    "RetryPolicy",
    "classify_failure",
    "retry_call",
]

T = TypeVar("T")

RETRY_LOGGER_NAME: Final = "planpilot.providers.retry"
_log = logging.getLogger(RETRY_LOGGER_NAME)

#: The request provably never reached the server: safe to re-send even for a write.
_NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
#: Retrying cannot help: the request is malformed or the client is misconfigured.
_PERMANENT_ERRORS = (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.ProxyError, httpx.InvalidURL)
_MAX_ATTEMPTS = 5
LONG_WAIT: Final = 10.0
"""Seconds an attempt may go without an answer before the call says what it is waiting for."""


@attrs.frozen
class RetryPolicy:
    """How hard one call tries: attempts, backoff, the longest server-requested wait, a time budget.

    ``attempts`` counts every try (1 = no retry) and is capped at 5 because the engine above
    never retries and a stuck call must fail in bounded time. ``timeout`` bounds the time spent on
    those attempts. Rate-limit refusals are not attempts: each is waited out, up to
    ``max_rate_limit_waits`` times per call; ``max_retry_after`` bounds one server-requested wait,
    and a longer one raises :class:`RateLimitExhaustedError`. ``answer_timeout`` bounds the time a call
    spends on attempts that got no answer at all (timed out) and the waits after them: a server that
    accepts connections and never answers fails the call within it (60 s by default).
    """

    attempts: int = attrs.field(
        default=4, validator=count(minimum=1, maximum=_MAX_ATTEMPTS, why=" (total tries, the first included)")
    )
    wait_initial: float = attrs.field(default=0.5, validator=seconds())
    wait_max: float = attrs.field(default=8.0, validator=seconds())
    wait_jitter: float = attrs.field(default=0.5, validator=seconds())
    max_retry_after: float = attrs.field(default=120.0, validator=seconds())
    timeout: float | None = attrs.field(default=180.0, validator=seconds(positive=True, optional=True))
    max_rate_limit_waits: int = attrs.field(default=8, validator=count(minimum=0))
    answer_timeout: float | None = attrs.field(default=60.0, validator=seconds(positive=True, optional=True))

    @wait_max.validator
    def _wait_max_covers_initial(self, attribute: attrs.Attribute[float], value: float) -> None:
        if value < self.wait_initial:
            raise ValueError(f"RetryPolicy.wait_max must be >= wait_initial ({self.wait_initial!r}), got {value!r}")


DEFAULT_RETRY_POLICY: Final = RetryPolicy()


@attrs.frozen
class Applied(Generic[T]):
    """What a resolver returns when the ambiguous call had taken effect: ``value`` is its result."""

    value: T


@attrs.frozen
class NotApplied:
    """What a resolver returns when the ambiguous call provably did not happen: it is safe to send again."""

    def __repr__(self) -> str:
        return "NOT_APPLIED"


NOT_APPLIED: Final = NotApplied()

Resolution: TypeAlias = "Applied[T] | NotApplied"
"""A resolver's verdict on a write that may or may not have been applied."""


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


def _unanswered(exc: BaseException) -> bool:
    """Whether the attempt got no answer at all: a timeout, possibly wrapped by the provider."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, httpx.TimeoutException | TimeoutError):
            return True
        seen = seen.__cause__
    return False


def _describe(exc: BaseException) -> str:
    """Exception type and a short message; never args, kwargs or headers."""
    text = " ".join(str(exc).split())
    if len(text) > 200:
        text = text[:197] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@attrs.define
class _Call:
    """The retry_call in progress in this task, for the stamina hook that logs its retries."""

    operation: str
    attempts: int
    next_wait: float = 0.0
    resolve_next: bool = False


_CURRENT: contextvars.ContextVar[_Call | None] = contextvars.ContextVar("planpilot_retry_call", default=None)


class _RetryLog:
    """A stamina on-retry hook: our line for our calls, the application's hooks for everything else."""

    def __init__(self, others: tuple[stamina.instrumentation.RetryHook, ...]) -> None:
        self.others = others

    def __call__(self, details: stamina.instrumentation.RetryDetails) -> None:
        call = _CURRENT.get()
        if call is None:
            for hook in self.others:
                hook(details)
            return
        if call.resolve_next:
            return  # whether it is sent again depends on the resolver; that step logs the outcome
        _log.warning(
            "retrying %s: attempt %d of %d in %.2fs after %s",
            call.operation,
            details.retry_num + 1,
            call.attempts,
            call.next_wait,
            _describe(details.caused_by),
        )


def _install_retry_log() -> None:
    hooks = stamina.instrumentation.get_on_retry_hooks()
    if not any(isinstance(hook, _RetryLog) for hook in hooks):
        stamina.instrumentation.set_on_retry_hooks([_RetryLog(hooks)])


async def retry_call(
    operation: str,
    fn: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    idempotent: bool = True,
    resolve_ambiguous: Callable[[BaseException], Awaitable[Applied[T] | NotApplied]] | None = None,
    gate: RateLimitGate | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> T:
    """Await ``fn()`` and retry it on transient failures, per ``policy``.

    Retryable: :class:`TransientProviderError` and network errors, up to ``policy.attempts`` tries
    with exponential backoff and jitter (or the server's ``retry_after``, honoured exactly). A
    :class:`RateLimitError` is not a failed attempt: the wait it asks for is put on ``gate`` (so every
    caller sharing it pauses) and the call is sent again, at most ``policy.max_rate_limit_waits``
    times. A wait longer than ``policy.max_retry_after`` raises :class:`RateLimitExhaustedError`.
    Anything else (auth, validation, bugs) is raised at once; cancellation is never retried nor
    swallowed. When attempts run out, the last original exception is raised.

    For ``idempotent=False`` a failure that may have been applied is only retried once
    ``resolve_ambiguous(exc)`` returned ``NOT_APPLIED``; an ``Applied(value)`` verdict ends the call
    with ``value``. Without a resolver such a failure is raised.

    Each retry logs one WARNING line on ``planpilot.providers.retry`` with the operation, the attempt
    and the wait, and so does each rate-limit pause (once, by the call that starts it); arguments are
    never logged.
    """
    started = time.monotonic()
    testing = stamina.is_testing()
    attempt_started = clock.monotonic()
    # The first attempt runs on its own: nearly every call succeeds at once, and setting up stamina's
    # retry loop for each one was a fifth of the client's CPU outside the network. A failure is handed
    # to that loop as its first attempt, so stamina decides and logs exactly as if it had run it.
    try:
        with _notice_long_wait(operation, policy):
            return await _through_rate_limits(operation, fn, policy, gate, clock, testing, started)
    except Exception as error:
        first: BaseException | None = error
    _install_retry_log()
    call = _Call(operation, policy.attempts)
    current: stamina.Attempt | None = None
    pending: BaseException | None = None
    silent = 0.0  # seconds (on the call's clock) spent on attempts that got no answer, and the waits after them

    def backoff_hook(exc: BaseException) -> bool | float:
        # stamina hands us whatever the attempt raised, BaseExceptions included: a truthy answer
        # for CancelledError would swallow cancellation and defeat asyncio.timeout().
        nonlocal pending
        if not isinstance(exc, Exception):
            return False
        failure = classify_failure(exc)
        if not failure.retryable or isinstance(exc, RateLimitExhaustedError | RateLimitError):
            return False
        retry_after = failure.retry_after
        if retry_after is not None and retry_after > policy.max_retry_after:
            return False
        resolve = failure.sent and not idempotent
        if resolve and resolve_ambiguous is None:
            return False
        if retry_after is not None:
            wait = retry_after
        else:  # stamina's exponential backoff for this attempt, plus jitter
            base = current.next_wait if current is not None else policy.wait_initial
            wait = min(policy.wait_max, base + random.uniform(0, policy.wait_jitter))
        now = time.monotonic()
        if policy.timeout is not None and now - started + wait >= policy.timeout:
            return False  # the wait alone would overrun the budget: give up now, not after sleeping
        if _unanswered(exc) and not _may_wait_for_answers(clock.monotonic() - attempt_started, wait):
            return False
        call.next_wait = 0.0 if testing else wait
        call.resolve_next = resolve
        pending = exc if resolve else None
        return 0.0  # we sleep ourselves, on our clock, at the top of the next attempt

    def _may_wait_for_answers(duration: float, wait: float) -> bool:
        """Another unanswered attempt as long as this one, after ``wait``, still fits ``answer_timeout``."""
        nonlocal silent
        silent += duration
        if policy.answer_timeout is not None and silent + wait + duration > policy.answer_timeout:
            _log.warning(
                "%s: no answer after %.0fs; giving up (RetryPolicy.answer_timeout is %.0fs)",
                operation,
                silent,
                policy.answer_timeout,
            )
            return False
        silent += wait
        return True

    token = _CURRENT.set(call)
    try:
        async for attempt in stamina.retry_context(
            on=backoff_hook,
            attempts=policy.attempts,
            # What is left of the budget after the first attempt (stamina warns about 0; the hook gives up then).
            timeout=None if policy.timeout is None else max(1e-3, policy.timeout - (time.monotonic() - started)),
            wait_initial=policy.wait_initial,
            wait_max=policy.wait_max,
            wait_jitter=policy.wait_jitter,
        ):
            if current is not None and call.next_wait > 0:
                await clock.sleep(call.next_wait)
            current = attempt
            if pending is not None:
                exc, pending = pending, None
                verdict = await _resolve(call, attempt.num, exc, resolve_ambiguous)
                if isinstance(verdict, Applied):
                    return verdict.value
            with attempt:
                if first is not None:  # the attempt that already ran, as stamina's first
                    failed, first = first, None
                    raise failed
                attempt_started = clock.monotonic()
                with _notice_long_wait(operation, policy):
                    return await _through_rate_limits(operation, fn, policy, gate, clock, testing, started)
    finally:
        _CURRENT.reset(token)
    raise AssertionError("unreachable: stamina either returns or raises")  # pragma: no cover


@contextlib.contextmanager
def _notice_long_wait(operation: str, policy: RetryPolicy) -> Iterator[None]:
    """Say so when an attempt has had no answer for :data:`LONG_WAIT` seconds, and how long it may take."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # pragma: no cover - retry_call always runs in a loop
        yield
        return
    limit = policy.answer_timeout
    bound = f"the call gives up after about {limit:.0f}s without one" if limit else "no limit is set"
    handle = loop.call_later(
        LONG_WAIT,
        functools.partial(
            _log.warning, "%s: no answer yet after %.0fs; still waiting for it (%s)", operation, LONG_WAIT, bound
        ),
    )
    try:
        yield
    finally:
        handle.cancel()


async def _resolve(
    call: _Call,
    num: int,
    exc: BaseException,
    resolve_ambiguous: Callable[[BaseException], Awaitable[Applied[T] | NotApplied]] | None,
) -> Applied[T] | NotApplied:
    """Ask the resolver whether a possibly-applied write happened; log the verdict (the retry line)."""
    assert resolve_ambiguous is not None
    verdict = await resolve_ambiguous(exc)
    if isinstance(verdict, Applied):
        _log.info("%s: not sent again: it had been applied despite %s", call.operation, _describe(exc))
    elif isinstance(verdict, NotApplied):
        _log.warning(
            "retrying %s: attempt %d of %d after %.2fs; %s, and it was confirmed not applied",
            call.operation,
            num,
            call.attempts,
            call.next_wait,
            _describe(exc),
        )
    else:
        raise TypeError(
            f"{call.operation}: resolve_ambiguous must return Applied(result) or NOT_APPLIED, got {verdict!r}"
        )
    return verdict


async def _through_rate_limits(
    operation: str,
    fn: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    gate: RateLimitGate | None,
    clock: Clock,
    testing: bool,
    started: float,
) -> T:
    """``fn()``, sent again after each rate-limit refusal once its wait is over (not a failed attempt).

    The waits still count against ``policy.timeout``: a refusal whose wait would overrun it is raised.
    """
    waits = 0
    while True:
        try:
            return await fn()
        except RateLimitError as exc:
            wait = _clean_retry_after(exc.retry_after) or 0.0
            if wait > policy.max_retry_after:
                raise RateLimitExhaustedError(
                    f"{operation}: the service asked to wait {wait:.0f}s, longer than the "
                    f"{policy.max_retry_after:.0f}s allowed (RetryPolicy.max_retry_after); try again later",
                    retry_after=wait,
                ) from exc
            if waits >= policy.max_rate_limit_waits:
                raise RateLimitExhaustedError(
                    f"{operation}: still rate limited after waiting {waits} times "
                    "(RetryPolicy.max_rate_limit_waits); try again later",
                    retry_after=wait,
                ) from exc
            if policy.timeout is not None and time.monotonic() - started + wait >= policy.timeout and not testing:
                raise
            waits += 1
            # One line per pause, not one per call waiting on it: only the call that starts or extends it logs.
            extends = gate is None or gate.remaining() < wait
            _log.log(
                logging.WARNING if extends else logging.DEBUG,
                "%s: rate limited (%s); pausing %.2fs, then sending it again",
                operation,
                _describe(exc),
                wait,
            )
            if testing:
                continue
            if gate is not None:
                gate.pause_for(wait)
                await gate.wait()
            else:
                await clock.sleep(wait)
