"""Creating issues without ever creating one twice, and several in one request when they come together.

Every issue gets its id from the provider (a UUID v4, ``IssueCreateInput.id``) before the request goes. A
failure that may have been applied (a timeout, a dropped connection, a 5xx) is never answered by sending
again blindly: the id is read back first (notes/linear-api.md §7), and only an id Linear does not have is
sent again (a repeat of an id Linear has is refused, so even a wrong guess cannot duplicate).

Creates that start together (the sync runs several at once; a batch of plan items) go as one
``issueBatchCreate`` (at most ``batch_size`` issues, one transaction): one request instead of many. After an
ambiguous failure the batch's ids are read back in one request. A batch Linear refuses (one invalid issue
refuses them all) is sent again one issue at a time, so each create gets its own, exact, error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any

from planpilot_provider_linear.client import LinearGraphQL
from planpilot_provider_linear.errors import LinearGraphQLError
from planpilot_provider_linear.graphql.generated import issue_mutations
from planpilot_provider_linear.issues import IssueState, issue_state
from planpilot_provider_linear.reads import IssueReads
from planpilot_providers_core.errors import AuthenticationError, ItemNotFoundError, ProviderError
from planpilot_providers_core.reliability import NOT_APPLIED, Applied, NotApplied, classify_failure

__all__ = ["IssueCreates"]

log = logging.getLogger("planpilot.providers.linear")

Input = Mapping[str, Any]
_Waiting = tuple[Input, "asyncio.Future[IssueState]"]


def _refused(exc: BaseException) -> bool:
    """Whether Linear answered and refused the create: its GraphQL errors (an id it does not know is one) come
    before anything is applied, and a refused credential applies nothing either."""
    return isinstance(exc, LinearGraphQLError | ItemNotFoundError | AuthenticationError)


def _may_be_applied(exc: BaseException) -> bool:
    """Whether a failed create may have happened anyway: not when Linear refused it or it never left."""
    return not _refused(exc) and classify_failure(exc).sent


class IssueCreates:
    """``create(input)`` for one ``IssueCreateInput`` with its ``id`` set; see the module docstring."""

    def __init__(self, gql: LinearGraphQL, reads: IssueReads, *, batch_size: int, batched: bool) -> None:
        self._gql = gql
        self._reads = reads
        self._batch_size = batch_size
        self._batched = batched and batch_size > 1
        self.issues_created = 0
        """Issues this provider created (its answers say so), and the create requests that made them: what one
        create costs in requests, for estimates."""
        self.create_requests = 0
        self._queue: list[_Waiting] = []
        self._flush_pending = False
        self._flushes: set[asyncio.Task[None]] = set()

    async def create(self, issue_input: Input) -> IssueState:
        if not self._batched:
            return await self._one(issue_input)
        future: asyncio.Future[IssueState] = asyncio.get_running_loop().create_future()
        self._queue.append((issue_input, future))
        if not self._flush_pending:
            self._flush_pending = True
            flush = asyncio.ensure_future(self._flush())
            self._flushes.add(flush)
            flush.add_done_callback(self._flushes.discard)
        return await future

    async def _flush(self) -> None:
        """Send what is queued, :attr:`_batch_size` to a request, the requests concurrently."""
        await asyncio.sleep(0)  # creates started together join the queue before the first request goes
        self._flush_pending = False
        queued, self._queue = self._queue, []
        batches = [queued[n : n + self._batch_size] for n in range(0, len(queued), self._batch_size)]
        await asyncio.gather(*(self._guarded(batch) for batch in batches))

    async def _guarded(self, batch: Sequence[_Waiting]) -> None:
        """:meth:`_send`, and no caller left waiting forever whatever happens to it."""
        try:
            await self._send(batch)
        except BaseException as exc:
            for _, future in batch:
                _resolve(future, None, exc if isinstance(exc, Exception) else ProviderError("create cancelled"))
            raise

    async def _send(self, batch: Sequence[_Waiting]) -> None:
        if len(batch) == 1:
            await _settle(batch[0][1], self._one(batch[0][0]))
            return
        inputs = [issue_input for issue_input, _ in batch]
        try:
            created = await self._many(inputs)
        except Exception as exc:
            if _refused(exc) and not isinstance(exc, AuthenticationError):
                # One issue Linear refuses refuses the batch: each on its own, so each gets its own answer.
                log.info("issueBatchCreate of %d refused (%s); creating them one by one", len(batch), exc)
                await asyncio.gather(*(_settle(future, self._one(issue_input)) for issue_input, future in batch))
                return
            created = await self._quietly_found([str(i["id"]) for i in inputs]) if _may_be_applied(exc) else {}
            for issue_input, future in batch:
                state = created.get(str(issue_input["id"]))
                _resolve(future, state, exc)
            return
        missing = [(issue_input, future) for issue_input, future in batch if str(issue_input["id"]) not in created]
        for issue_input, future in batch:
            if str(issue_input["id"]) in created:
                _resolve(future, created[str(issue_input["id"])], None)
        await asyncio.gather(*(_settle(future, self._one(issue_input)) for issue_input, future in missing))

    async def _one(self, issue_input: Input) -> IssueState:
        issue_id = str(issue_input["id"])
        op = issue_mutations.Operations.mutation.issue_create

        async def send() -> IssueState:
            answer = await self._gql.send(op, {"input": dict(issue_input)})
            self._count(1)
            return issue_state(answer.data.issue_create.issue)

        async def resolve(exc: BaseException) -> Applied[IssueState] | NotApplied:
            found = await self._reads.find(issue_id)
            return NOT_APPLIED if found is None else Applied(found)

        try:
            return await self._gql.write_once("IssueCreate", send, resolve=resolve)
        except Exception as exc:
            if _may_be_applied(exc):  # the last try's answer was lost too: look once more before giving up
                found = (await self._quietly_found([issue_id])).get(issue_id)
                if found is not None:
                    return found
            raise

    async def _many(self, inputs: Sequence[Input]) -> dict[str, IssueState]:
        op = issue_mutations.Operations.mutation.issue_batch_create
        ids = [str(issue_input["id"]) for issue_input in inputs]

        async def send() -> dict[str, IssueState]:
            answer = await self._gql.send(op, {"input": {"issues": [dict(i) for i in inputs]}})
            self._count(len(inputs))
            return {state.id: state for state in map(issue_state, answer.data.issue_batch_create.issues)}

        async def resolve(exc: BaseException) -> Applied[dict[str, IssueState]] | NotApplied:
            found = await self._reads.by_ids(ids)  # one transaction: all of them, or none
            return Applied(found) if found else NOT_APPLIED

        return await self._gql.write_once("IssueBatchCreate", send, resolve=resolve)

    def _count(self, issues: int) -> None:
        self.issues_created += issues
        self.create_requests += 1

    def issues_per_request(self, expected: float) -> float:
        """Issues one create request has made so far, on average; ``expected`` before any was made."""
        return self.issues_created / self.create_requests if self.create_requests else expected

    async def _quietly_found(self, ids: Sequence[str]) -> dict[str, IssueState]:
        """The issues of ``ids`` Linear has, or nothing when it cannot be asked either (the caller's error stands)."""
        try:
            return await self._reads.by_ids(ids)
        except ProviderError:
            return {}


def _resolve(future: asyncio.Future[IssueState], state: IssueState | None, exc: BaseException | None) -> None:
    if future.done():  # its caller went away
        return
    if state is not None:
        future.set_result(state)
    else:
        assert exc is not None
        future.set_exception(exc)


async def _settle(future: asyncio.Future[IssueState], create: Awaitable[IssueState]) -> None:
    try:
        state = await create
    except Exception as exc:
        _resolve(future, None, exc)
    else:
        _resolve(future, state, None)
