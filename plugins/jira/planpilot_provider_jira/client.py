"""Jira's REST API through core's reliability toolkit: one pooled client, every call retried per the policy,
paced per issue for writes, and every failure turned into a core error with Jira's own words in it.

Jira answers a refused request with an ``ErrorCollection`` (``{"errorMessages": [...], "errors": {field: msg}}``,
notes §8.1): its messages go into the error, the request and its headers never do.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from typing import Any, Final

import httpx

from planpilot_provider_jira.budgets import IssueWritePacer
from planpilot_providers_core import ItemNotFoundError, ProviderError, TransientProviderError
from planpilot_providers_core.reliability import (
    COST_EXTENSION,
    SYSTEM_CLOCK,
    Applied,
    Clock,
    NotApplied,
    PooledClient,
    RetryPolicy,
    raise_for_status,
    retry_call,
)

__all__ = ["JiraApi", "Json", "Resolver", "error_text"]

log = logging.getLogger("planpilot.providers.jira")

Json = Any
Resolver = Callable[[BaseException], Awaitable["Applied[Any] | NotApplied"]]
_EXCERPT: Final = 300


def error_text(body: Any) -> str:
    """The messages of a Jira ``ErrorCollection`` as one line (``""`` when the body is not one)."""
    if not isinstance(body, Mapping):
        return ""
    parts = [str(m) for m in body.get("errorMessages") or () if m]
    errors = body.get("errors")
    if isinstance(errors, Mapping):
        parts += [f"{field}: {message}" for field, message in errors.items()]
    text = "; ".join(" ".join(part.split()) for part in parts)
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 3] + "..."


def _json(response: httpx.Response, operation: str) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise ProviderError(
            f"{operation}: Jira answered HTTP {response.status_code} with a body that is not JSON"
        ) from None


class JiraApi:
    """Calls to one Jira site (its base URL is the pooled client's)."""

    def __init__(
        self,
        client: PooledClient,
        policy: RetryPolicy,
        *,
        pacer: IssueWritePacer | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._client = client
        self._policy = policy
        self._pacer = pacer
        self._clock = clock

    async def call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        item_id: str | None = None,
        issues: Iterable[str] = (),
        resolve: Resolver | None = None,
        accept: Collection[int] = (),
        points: float | None = None,
        json: Any = None,
        params: Any = None,
    ) -> Any:
        """The JSON answer (``None`` for none).

        ``item_id``: a 404 means that item does not exist (``ItemNotFoundError``). ``issues``: the issues a
        write changes, paced under Jira's per-issue limits. ``resolve``: the write must not be sent twice, and
        after an ambiguous failure the resolver says whether it happened. ``accept``: statuses (besides 2xx)
        whose body the caller reads itself. ``points``: the quota points the request may cost (reads).
        """
        written = tuple(issues)
        extensions = {COST_EXTENSION: {"points per hour": points}} if points is not None else None

        async def attempt() -> Any:
            if self._pacer is not None and written:
                await self._pacer.turn(written)
            kwargs: dict[str, Any] = {}
            if json is not None:
                kwargs["json"] = json
            if params is not None:
                kwargs["params"] = params
            if extensions is not None:
                kwargs["extensions"] = extensions
            response = await self._client.request(operation, method, path, **kwargs)
            if response.status_code in accept:
                return _json(response, operation)
            self._check(response, operation, item_id)
            return _json(response, operation)

        return await retry_call(
            operation,
            attempt,
            policy=self._policy,
            idempotent=resolve is None,
            resolve_ambiguous=resolve,
            gate=self._client.gate,
            clock=self._clock,
        )

    @staticmethod
    def _check(response: httpx.Response, operation: str, item_id: str | None) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        if status == 404 and item_id is not None:
            raise ItemNotFoundError(f"{operation}: Jira has no issue {item_id!r} that this account can see (HTTP 404)")
        if status in (400, 404, 409, 410, 413, 422):
            try:
                detail = error_text(response.json())
            except ValueError:
                detail = ""
            said = f": {detail}" if detail else ""
            if status == 409:  # "could not be updated due to a conflicting update": read again and retry
                raise TransientProviderError(f"{operation}: Jira reported a conflicting update (HTTP 409){said}")
            meaning = {
                400: "Jira refused the request",
                404: "Jira found nothing there (or this account may not see it)",
                410: "Jira has removed this API",
                413: "a per-issue limit of Jira was reached (e.g. 2,000 links)",
                422: "Jira's configuration (workflow or fields) does not allow it",
            }[status]
            raise ProviderError(f"{operation}: {meaning} (HTTP {status}){said}")
        raise_for_status(response, operation, item_id=item_id)
