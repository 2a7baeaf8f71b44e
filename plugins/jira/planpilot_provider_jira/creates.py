"""Creating issues: never twice, and many per request where that cuts requests.

Jira has no idempotency key, and its search lags writes (notes §8.3). So every create request carries, in the
issue property ``planpilot``, a token chosen for that create. When a create's answer is lost (a timeout, a
dropped connection, a 5xx after the request was sent), the issue it may have made is looked for without the
search index: keys are given out in order per project, so the issues newer than the newest one not updated
within the index lag are read by key (``bulkfetch``) and their tokens compared. Found: the create happened, and
its issue is used. Not found: it did not, and it is sent again.

Creates that run at the same time go out together (:class:`Creator`): up to 50 in one ``POST /issue/bulk``,
whose answer says per element whether it was created (``issues``, in request order) or why not (``errors`` by
``failedElementNumber``). An element refused for a transient reason (429, 5xx) is sent again in a later batch;
one refused for good fails its own create only. A bulk answer lost on the way is resolved like a single one:
the tokens found are created, the others are sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any, Final

import attrs

from planpilot_provider_jira.client import JiraApi, error_text
from planpilot_providers_core import ProviderError, TransientProviderError
from planpilot_providers_core.reliability import NOT_APPLIED, Applied, NotApplied

__all__ = ["BULK_LIMIT", "Created", "Creator"]

log = logging.getLogger("planpilot.providers.jira")

BULK_LIMIT: Final = 50
_GATHER_TURNS: Final = 3
"""Event-loop turns a batch waits for creates started at the same moment to join it (no wall time)."""
_RESEND_LIMIT: Final = 4


@attrs.frozen
class Created:
    id: str
    key: str


FindCreated = Callable[[Collection[str]], Awaitable[Mapping[str, Created]]]
"""Tokens -> the issues that carry them (looked up without the search index)."""


@attrs.define
class _Pending:
    payload: Mapping[str, Any]
    token: str
    future: asyncio.Future[Created]
    resends: int = 0


class _Resend:
    """A bulk element refused for a transient reason: send it again."""

    def __init__(self, why: str) -> None:
        self.why = why


Outcome = Created | Exception | _Resend


class Creator:
    """Sends creates: each on its own (``bulk=False``), or gathered into bulk requests."""

    def __init__(self, api: Callable[[], JiraApi], find: FindCreated, *, bulk: bool) -> None:
        self._api = api
        self._find = find
        self._bulk = bulk
        self._queue: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None

    async def create(self, payload: Mapping[str, Any], token: str) -> Created:
        """The issue ``payload`` made (its ``properties`` carry ``token``); raises if it was not made."""
        if not self._bulk:
            outcome = (await self._send([_Pending(payload, token, asyncio.get_running_loop().create_future())]))[token]
            if isinstance(outcome, Created):
                return outcome
            raise outcome if isinstance(outcome, Exception) else TransientProviderError(outcome.why)
        pending = _Pending(payload, token, asyncio.get_running_loop().create_future())
        self._queue.append(pending)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        return await asyncio.shield(pending.future)

    async def close(self) -> None:
        flusher, self._flusher = self._flusher, None
        if flusher is not None and not flusher.done():
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
        for pending in self._queue:
            if not pending.future.done():
                pending.future.set_exception(ProviderError("the provider was exited before the create was sent"))
        self._queue.clear()

    async def _flush(self) -> None:
        while self._queue:
            for _ in range(_GATHER_TURNS):
                await asyncio.sleep(0)
            batch, self._queue = self._queue[:BULK_LIMIT], self._queue[BULK_LIMIT:]
            try:
                outcomes = await self._send(batch)
            except asyncio.CancelledError:
                for pending in batch:
                    _settle(pending, ProviderError("the create was cancelled before Jira answered"))
                raise
            except Exception as exc:
                outcomes = {pending.token: exc for pending in batch}
            for pending in batch:
                outcome = outcomes.get(pending.token) or ProviderError("Jira's answer did not account for this create")
                if isinstance(outcome, _Resend):
                    if pending.resends < _RESEND_LIMIT:
                        pending.resends += 1
                        self._queue.append(pending)
                        continue
                    outcome = TransientProviderError(outcome.why)
                _settle(pending, outcome)

    async def _send(self, batch: Sequence[_Pending]) -> dict[str, Outcome]:
        if len(batch) == 1:
            return await self._send_one(batch[0])
        return await self._send_bulk(batch)

    async def _send_one(self, pending: _Pending) -> dict[str, Outcome]:
        token = pending.token

        async def resolve(exc: BaseException) -> Applied[Any] | NotApplied:
            found = await self._find([token])
            if token in found:
                log.info("createIssue had created %s although its answer was lost", found[token].key)
                return Applied({"id": found[token].id, "key": found[token].key})
            return NOT_APPLIED

        answer = await self._api().call(
            "createIssue", "POST", "/rest/api/3/issue", json=pending.payload, resolve=resolve
        )
        return {token: _created(answer, "createIssue")}

    async def _send_bulk(self, batch: Sequence[_Pending]) -> dict[str, Outcome]:
        tokens = [pending.token for pending in batch]

        async def resolve(exc: BaseException) -> Applied[Any] | NotApplied:
            found = await self._find(tokens)
            if not found:
                return NOT_APPLIED
            log.info("createIssues had created %d of %d issues although its answer was lost", len(found), len(tokens))
            return Applied({"found": found})

        body = {"issueUpdates": [pending.payload for pending in batch]}
        answer = await self._api().call(
            "createIssues", "POST", "/rest/api/3/issue/bulk", json=body, resolve=resolve, accept=(400,)
        )
        if isinstance(answer, Mapping) and "found" in answer:
            found: Mapping[str, Created] = answer["found"]
            return {
                t: found.get(t) or _Resend("the bulk create's answer was lost before this one was made") for t in tokens
            }
        outcomes = _bulk_outcomes(answer, tokens)
        if outcomes is None:  # an answer that does not account for every element: look them up instead
            found = await self._find(tokens)
            return {t: found.get(t) or _Resend("Jira's bulk answer did not account for it") for t in tokens}
        return outcomes


def _settle(pending: _Pending, outcome: Created | Exception) -> None:
    if pending.future.done():
        return
    if isinstance(outcome, Created):
        pending.future.set_result(outcome)
    else:
        pending.future.set_exception(outcome)


def _created(answer: Any, operation: str) -> Created:
    if not isinstance(answer, Mapping) or "id" not in answer or "key" not in answer:
        raise ProviderError(f"{operation}: Jira's answer names no created issue")
    return Created(id=str(answer["id"]), key=str(answer["key"]))


def _bulk_outcomes(answer: Any, tokens: Sequence[str]) -> dict[str, Outcome] | None:
    """Per element: created (``issues`` fill the elements not in ``errors``, in order), refused, or resend."""
    if not isinstance(answer, Mapping):
        return None
    errors = answer.get("errors") or []
    issues = answer.get("issues") or []
    if not isinstance(errors, list) or not isinstance(issues, list):
        if answer.get("errorMessages") or answer.get("errors"):
            refusal = ProviderError(f"createIssues: Jira refused the bulk create (HTTP 400): {error_text(answer)}")
            return dict.fromkeys(tokens, refusal)
        return None
    failed: dict[int, Any] = {}
    for error in errors:
        number = error.get("failedElementNumber") if isinstance(error, Mapping) else None
        if not isinstance(number, int) or not 0 <= number < len(tokens) or number in failed:
            return None
        failed[number] = error
    if len(failed) + len(issues) != len(tokens):
        return None
    outcomes: dict[str, Outcome] = {}
    created = iter(issues)
    for index, token in enumerate(tokens):
        error = failed.get(index)
        if error is None:
            outcomes[token] = _created(next(created), "createIssues")
            continue
        status = error.get("status")
        why = error_text(error.get("elementErrors")) or f"status {status}"
        if isinstance(status, int) and (status == 429 or status >= 500):
            outcomes[token] = _Resend(f"createIssues: Jira could not create it for now ({why})")
        else:
            outcomes[token] = ProviderError(f"createIssues: Jira refused to create it (status {status}): {why}")
    return outcomes
