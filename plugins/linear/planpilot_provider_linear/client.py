"""Sending typed GraphQL operations to Linear through core's reliability toolkit.

One pooled httpx client per provider, paced by Linear's budgets (each request states its complexity), every
call retried by ``retry_call`` under the shared rate-limit gate, every answer classified by :mod:`.errors`.
Reads and writes that are safe to send twice are retried freely; a write that must not happen twice (an
issue create) is sent again only after its resolver found it was not applied.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Self, TypeVar

import attrs
import httpx
from sgqlc.operation import Operation

from planpilot_provider_linear.budgets import API_KEY_LIMITS, COMPLEXITY, OAUTH_LIMITS, REQUESTS, linear_budgets
from planpilot_provider_linear.complexity import MAX_COMPLEXITY, points
from planpilot_provider_linear.credentials import authorization, is_api_key
from planpilot_provider_linear.errors import GraphQLError, check_answer, decode, is_refusal
from planpilot_provider_linear.options import LinearOptions
from planpilot_providers_core.credentials import Credential
from planpilot_providers_core.errors import ProviderError, TransientProviderError
from planpilot_providers_core.reliability import (
    COST_EXTENSION,
    Applied,
    HttpClientConfig,
    NotApplied,
    PooledClient,
    RateLimitGate,
    RequestBudgets,
    classify_failure,
    retry_call,
)
from planpilot_providers_core.sgqlc_runtime import operation_name, parse, render

__all__ = ["Answer", "ErrorFilter", "LinearGraphQL"]

log = logging.getLogger("planpilot.providers.linear")
T = TypeVar("T")

ErrorFilter = Callable[[GraphQLError], bool]
"""Picks GraphQL errors a caller expects and maps itself (an aliased field's, an unknown id's)."""


@attrs.frozen
class Answer:
    """A typed result (sgqlc objects; ``None`` when Linear nulled the data) and the errors the caller tolerated."""

    data: Any
    tolerated: tuple[GraphQLError, ...] = ()


class LinearGraphQL:
    """GraphQL over one pooled connection to Linear (or the emulator)."""

    def __init__(self, *, credential: Credential, options: LinearOptions) -> None:
        self.api_url = options.api_url
        self.clock = options.clock
        self.retry_policy = options.retry_policy
        self.gate = RateLimitGate(clock=options.clock)
        requests, complexity = API_KEY_LIMITS if is_api_key(credential) else OAUTH_LIMITS
        self.budgets: RequestBudgets | None = None
        if options.budgets:
            self.budgets = linear_budgets(
                requests=options.requests_per_hour or requests,
                complexity=options.complexity_per_hour or complexity,
                refusal=is_refusal,
                clock=options.clock,
            )
        config = HttpClientConfig(
            base_url=options.api_url,
            headers={
                "Authorization": authorization(credential),
                "Accept": "application/json",
                "User-Agent": "planpilot-provider-linear",
            },
            max_connections=options.max_connections,
            max_keepalive_connections=options.max_connections,
            timeout=options.timeout,
        )
        self._http = PooledClient(config, transport=options.transport, gate=self.gate, budgets=self.budgets)

    def __repr__(self) -> str:
        return f"LinearGraphQL(api_url={self.api_url!r})"

    async def __aenter__(self) -> Self:
        await self._http.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._http.__aexit__(*exc_info)

    async def query(
        self, op: Operation, variables: Mapping[str, Any], *, tolerate: ErrorFilter | None = None
    ) -> Answer:
        """Run a read; reads are retried on any transient failure."""
        name = operation_name(op)
        return await self._retried(name, lambda: self.send(op, variables, tolerate=tolerate))

    async def mutate(
        self, op: Operation, variables: Mapping[str, Any], *, tolerate: ErrorFilter | None = None
    ) -> Answer:
        """Run a mutation that is safe to send twice (an update, a write with a client-chosen id whose repeat
        Linear refuses as existing, which the caller tolerates as done)."""
        name = operation_name(op)
        return await self._retried(name, lambda: self.send(op, variables, tolerate=tolerate))

    async def write_once(
        self,
        operation: str,
        send: Callable[[], Awaitable[T]],
        *,
        resolve: Callable[[BaseException], Awaitable[Applied[T] | NotApplied]],
    ) -> T:
        """A write that must not happen twice: after a failure that may have been applied it is sent again
        only once ``resolve`` found it was not (or returns what it did)."""
        return await self._retried(operation, send, idempotent=False, resolve=resolve)

    async def _retried(
        self,
        operation: str,
        send: Callable[[], Awaitable[T]],
        *,
        idempotent: bool = True,
        resolve: Callable[[BaseException], Awaitable[Applied[T] | NotApplied]] | None = None,
    ) -> T:
        return await retry_call(
            operation,
            send,
            policy=self.retry_policy,
            idempotent=idempotent,
            resolve_ambiguous=resolve,
            gate=self.gate,
            clock=self.clock,
        )

    async def send(self, op: Operation, variables: Mapping[str, Any], *, tolerate: ErrorFilter | None = None) -> Answer:
        """One request, no retry: the answer, or the core error for what went wrong (never a raw httpx error)."""
        name = operation_name(op)
        cost = points(op, variables)
        if cost > MAX_COMPLEXITY:  # Linear would refuse it unrun: a request this provider must never build
            raise ProviderError(
                f"{name}: {cost} complexity points, over Linear's cap of {MAX_COMPLEXITY}; this is a bug in the "
                "provider's sizing: please report it"
            )
        payload = {"query": render(op), "variables": dict(variables), "operationName": name}
        try:
            response = await self._http.request(
                name, "POST", self.api_url, json=payload, extensions={COST_EXTENSION: {COMPLEXITY: cost}}
            )
        except httpx.TransportError as exc:
            raise _transport_error(name, self.api_url, exc) from exc
        body = decode(response)
        tolerated = check_answer(
            response, body, name, now=self.clock.time(), needs={REQUESTS: 1, COMPLEXITY: cost}, tolerate=tolerate
        )
        data = body.get("data") if isinstance(body, Mapping) else None
        return Answer(data=None if data is None else parse(op, {"data": data}), tolerated=tolerated)


def _transport_error(operation: str, api_url: str, exc: httpx.TransportError) -> ProviderError:
    """A network failure as a core error: retryable (and maybe applied) or, when the request could not even be
    built (a bad URL or header), permanent; a LocalProtocolError may quote a header, so it is never echoed."""
    failure = classify_failure(exc)
    kind = type(exc).__name__
    if not failure.retryable:
        return ProviderError(f"{operation}: the request to {api_url} could not be sent ({kind}); check --api-url")
    detail = f": {exc}" if str(exc) and not isinstance(exc, httpx.LocalProtocolError) else ""
    return TransientProviderError(
        f"{operation}: no answer from Linear at {api_url} ({kind}{detail})", request_sent=failure.sent
    )
