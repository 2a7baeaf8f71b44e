"""Spending GitHub's budgets deliberately: wait for room, send, and let what GitHub answers tighten them.

Every request takes its units (:mod:`.costs`) from a :class:`BudgetTracker` configured with
:class:`~.budgets.GitHubLimits` just before it is sent, inside one of at most ``max_in_flight`` slots, so
the tracker's windows see each request when GitHub does. Reads go as soon as there is room: nothing spaces
them, and nothing spaces mutations either unless ``mutation_interval`` asks for it.

GitHub's side of the conversation:

* ``x-ratelimit-limit`` lowers the primary budget to the token's own limit, and ``x-ratelimit-remaining``
  (less what is still in flight) caps it until ``x-ratelimit-reset``: points the same token spent
  elsewhere are not spent twice;
* a refusal (403 or 200 "secondary rate limit", content creation, ``RATE_LIMITED``) is a limit response:
  the budget it names is blocked for the wait GitHub asks, and a window found narrower than configured is
  narrowed to what GitHub did accept, so the same limit is not met twice. The refused request is sent
  again once its budget has room, which is a wait, never one of the call's attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import attrs
import httpx
from sgqlc.operation import Operation

from planpilot_provider_github.budgets import CONTENT_PER_HOUR, CONTENT_PER_MINUTE, PRIMARY, SECONDARY, GitHubLimits
from planpilot_provider_github.costs import RequestCost, request_cost
from planpilot_provider_github.errors import refused_budget
from planpilot_providers_core.errors import RateLimitError, RateLimitExhaustedError
from planpilot_providers_core.reliability import Clock, Pacer, RetryPolicy
from planpilot_providers_core.reliability.budget import BudgetTracker
from planpilot_providers_core.reliability.budgeted import RateLimitHeaders, budget_report

__all__ = ["GitHubPacing", "Sent"]

log = logging.getLogger("planpilot.providers.github")

PRIMARY_HEADERS = RateLimitHeaders(
    budget=PRIMARY, limit="x-ratelimit-limit", remaining="x-ratelimit-remaining", reset="x-ratelimit-reset"
)
"""GitHub's primary budget as its answers state it (epoch seconds for the reset, rounded down)."""


@attrs.frozen
class Sent:
    """A response, and the stamp of the units its request took (to refund them when it was refused)."""

    response: httpx.Response
    stamp: float


class GitHubPacing:
    """The budgets, slots and counters of one provider's requests (``limits=None``: no budgets, as before:
    requests go as soon as a connection is free and rate limits are left to the shared gate)."""

    def __init__(
        self,
        *,
        limits: GitHubLimits | None,
        clock: Clock,
        concurrency: int,
        mutation_interval: float,
        policy: RetryPolicy,
    ) -> None:
        self.limits = limits
        self.clock = clock
        self.tracker = BudgetTracker(limits.budgets(), clock=clock) if limits is not None else None
        self._size = min(limits.max_in_flight, concurrency) if limits is not None else concurrency
        self._slots: tuple[asyncio.Semaphore, asyncio.Semaphore] | None = None
        self._slots_loop: asyncio.AbstractEventLoop | None = None
        self._pacer = Pacer(mutation_interval, clock=clock)
        self._policy = policy
        self.requests = 0
        """Requests sent (refused ones included)."""
        self.limit_responses = 0
        """Refusals met: 403/200 secondary and content-creation limits, primary ``RATE_LIMITED`` bodies."""
        self._in_flight_primary = 0
        self._reset: float | None = None
        self.write_seconds: float | None = None
        """A moving average of a mutation's round trip: writes go one at a time, so it bounds an ETA too."""

    def __repr__(self) -> str:
        budgets = "off" if self.tracker is None else ", ".join(self.tracker.budgets)
        return f"GitHubPacing(budgets={budgets}, in_flight={self._size})"

    def _semaphores(self, limits: GitHubLimits) -> tuple[asyncio.Semaphore, asyncio.Semaphore]:
        # Created per running loop: an asyncio primitive binds to the loop it first waits on.
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots_loop is not loop:
            self._slots = (asyncio.Semaphore(self._size), asyncio.Semaphore(limits.writes_in_flight))
            self._slots_loop = loop
        return self._slots

    @contextlib.asynccontextmanager
    async def _slot(self, limits: GitHubLimits, mutation: bool) -> AsyncIterator[None]:
        """One of the in-flight slots, and for a mutation one of the write slots too."""
        reads, writes = self._semaphores(limits)
        async with contextlib.AsyncExitStack() as stack:
            if mutation:
                await stack.enter_async_context(writes)
            await stack.enter_async_context(reads)
            yield

    async def ready(self, op: Operation) -> None:
        """Wait until a request of ``op`` fits every budget, taking nothing: called before a call's retries
        start their clock, so a wait for the budget never counts against the call's time budget."""
        if self.tracker is not None:
            await self.tracker.wait_for(request_cost(op).units())

    async def send(self, op: Operation, send: Callable[[], Awaitable[httpx.Response]]) -> Sent:
        """``send()`` one request of ``op`` once its units fit every budget: they are taken when it goes
        (waiting holds no slot) and stamped again when its answer comes (see ``BudgetTracker.restamp``)."""
        cost = request_cost(op)
        if cost.mutation:
            await self._pacer.wait_turn()
        tracker, limits = self.tracker, self.limits
        if tracker is None or limits is None:
            self.requests += 1
            return Sent(await self._timed(send, cost.mutation), 0.0)
        units = cost.units()
        while True:
            await tracker.wait_for(units)
            async with self._slot(limits, cost.mutation):
                if tracker.wait_needed(units) > 0:
                    continue  # someone took the room while this one waited for a slot
                stamp = tracker.spend(units)
                self.requests += 1
                self._in_flight_primary += cost.primary
                try:
                    response = await self._timed(send, cost.mutation)
                except BaseException:
                    tracker.restamp(units, stamp)  # it may have been counted: keep it a whole window
                    raise
                finally:
                    self._in_flight_primary -= cost.primary
                stamp = tracker.restamp(units, stamp)
            self._observe(response)
            return Sent(response, stamp)

    async def _timed(self, send: Callable[[], Awaitable[httpx.Response]], mutation: bool) -> httpx.Response:
        started = self.clock.monotonic()
        response = await send()
        if mutation:
            took = self.clock.monotonic() - started
            self.write_seconds = took if self.write_seconds is None else 0.8 * self.write_seconds + 0.2 * took
        return response

    def _observe(self, response: httpx.Response) -> None:
        """Take the token's primary limit and what is left of it until the reset from the headers (less what is
        still in flight, which GitHub has not counted yet)."""
        assert self.tracker is not None
        self._reset = PRIMARY_HEADERS.narrow(
            self.tracker,
            response.headers,
            self.clock.time(),
            last_reset=self._reset,
            in_flight=self._in_flight_primary,
            longest=3600.0,
        )

    def absorb(
        self, exc: RateLimitError, sent: Sent, body: object, op: Operation, operation: str, refusals: int
    ) -> None:
        """Count a refusal and block (and, found narrower, narrow) the budget it names, so the request can
        be sent again once that budget has room. Raises ``exc`` without budgets, and
        :class:`RateLimitExhaustedError` past the policy's refusals or for a wait longer than the budget's
        window (or ``max_retry_after``) allows."""
        tracker = self.tracker
        if tracker is None:
            raise exc
        self.limit_responses += 1
        cost = request_cost(op)
        tracker.refund(cost.units(), sent.stamp)  # refused: GitHub did not count it
        response = sent.response
        kind = refused_budget(response, body)
        wait = exc.retry_after if exc.retry_after is not None else 60.0
        names, learn = self._refused(tracker, kind, wait, "retry-after" in response.headers, cost)
        allowed = max(self._policy.max_retry_after, *(tracker.budgets[n].window + 60.0 for n in names))
        if refusals >= self._policy.max_rate_limit_waits or wait > allowed:
            why = "too many refusals" if refusals >= self._policy.max_rate_limit_waits else f"a {wait:.0f}s wait"
            raise RateLimitExhaustedError(
                f"{operation}: GitHub keeps refusing ({', '.join(names)}: {why}); try again later", retry_after=wait
            ) from exc
        for name in names:
            tracker.block(name, wait)
            if learn:
                self._learn(tracker, name)
        log.warning(
            "%s: GitHub refused it (limit response: %s); waiting %.0fs for that budget, then sending it again",
            operation,
            ", ".join(names),
            wait,
        )

    @staticmethod
    def _refused(
        tracker: BudgetTracker, kind: str, wait: float, told: bool, cost: RequestCost
    ) -> tuple[tuple[str, ...], bool]:
        """The budgets a refusal blocks, and whether it is clear which window refused (to learn from)."""
        if kind == "primary":
            return (PRIMARY,), False
        if kind == "content":
            if not told:  # no retry-after: either window may be the one
                return (CONTENT_PER_MINUTE, CONTENT_PER_HOUR), False
            if wait > tracker.budgets[CONTENT_PER_MINUTE].window:
                return (CONTENT_PER_HOUR,), True
            # Room within the minute: the minute's window, unless the hour's is the fuller by our count.
            fuller = max(
                (CONTENT_PER_MINUTE, CONTENT_PER_HOUR),
                key=lambda name: (tracker.used(name) + cost.content) / tracker.budgets[name].usable,
            )
            return (fuller,), True
        return (SECONDARY,), True

    @staticmethod
    def _learn(tracker: BudgetTracker, name: str) -> None:
        """A window at least half full by our own spends, refused: GitHub's limit is narrower than ours, and
        what it accepted (what the window holds, the refused request refunded) is the limit from now on.
        Less than half: the room went to someone else (an earlier run, the same token elsewhere, the
        concurrency limit), which the block alone answers."""
        accepted = tracker.used(name)
        if tracker.budgets[name].usable / 2 <= accepted < tracker.budgets[name].limit:
            tracker.set_limit(name, max(1.0, accepted))
            log.warning("GitHub's %s limit is narrower than configured; pacing at %g from now on", name, accepted)

    def report(self) -> dict[str, float] | None:
        """Units spent per budget, requests, limit responses met and seconds waited for budgets."""
        if self.tracker is None:
            return None
        return budget_report(self.tracker, requests=self.requests, limit_responses=self.limit_responses)
