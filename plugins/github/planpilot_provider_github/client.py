"""Sending typed GraphQL operations to GitHub through the core reliability toolkit.

One pooled httpx client per provider; every call gets GitHub's error classification, a bounded
retry (only provably unapplied mutations are retried blindly), the shared rate-limit gate and,
for mutations, pacing between requests.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Self, TypeVar

import attrs
import httpx
from sgqlc.operation import Operation

from planpilot_provider_github.errors import GraphQLError, check_graphql_errors, check_http
from planpilot_provider_github.graphql.runtime import operation_name, parse, render
from planpilot_provider_github.options import GitHubOptions
from planpilot_providers_core.errors import ProviderError, TransientProviderError
from planpilot_providers_core.reliability import (
    Applied,
    HttpClientConfig,
    NotApplied,
    Pacer,
    PooledClient,
    RateLimitGate,
    classify_failure,
    retry_call,
)

log = logging.getLogger("planpilot.providers.github")
T = TypeVar("T")

ErrorFilter = Callable[[GraphQLError], bool]
"""Picks GraphQL errors a caller expects (e.g. NOT_FOUND for a deleted node) and handles itself."""


@attrs.frozen
class Response:
    """A typed result (sgqlc objects) plus the errors the caller chose to tolerate."""

    data: Any
    tolerated: tuple[GraphQLError, ...] = ()


class GitHubGraphQL:
    """GraphQL over one pooled connection to GitHub (or GitHub Enterprise, or the emulator)."""

    def __init__(self, *, token: str, options: GitHubOptions, gate: RateLimitGate | None = None) -> None:
        self.api_url = options.api_url
        self.clock = options.clock
        self.gate = gate or RateLimitGate(clock=options.clock)
        self.retry_policy = options.retry_policy
        self.secondary_limit_wait = options.secondary_limit_wait
        self._pacer = Pacer(options.paced_interval, clock=options.clock)
        self._http = PooledClient(
            HttpClientConfig(
                base_url=options.api_url,
                headers={
                    "Authorization": f"bearer {token}",
                    "Accept": "application/json",
                    "User-Agent": "planpilot-provider-github",
                },
                max_connections=options.max_connections,
                max_keepalive_connections=options.max_connections,
                timeout=options.timeout,
            ),
            transport=options.transport,
            gate=self.gate,
        )

    def __repr__(self) -> str:
        return f"GitHubGraphQL(api_url={self.api_url!r})"

    async def __aenter__(self) -> Self:
        await self._http.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._http.__aexit__(*exc_info)

    async def query(
        self, op: Operation, variables: Mapping[str, Any], *, tolerate: ErrorFilter | None = None
    ) -> Response:
        """Run a read; reads are idempotent and retried on any transient failure."""
        name = operation_name(op)
        return await self._retried(name, lambda: self._send(name, op, variables, tolerate))

    async def mutate(
        self, op: Operation, variables: Mapping[str, Any], *, tolerate: ErrorFilter | None = None
    ) -> Response:
        """Run a mutation that is safe to send twice (GitHub answers a repeat as "already done"), paced."""
        name = operation_name(op)
        return await self._retried(name, lambda: self.mutate_once(op, variables, tolerate=tolerate))

    async def mutate_once(
        self, op: Operation, variables: Mapping[str, Any], *, tolerate: ErrorFilter | None = None
    ) -> Response:
        """Send a mutation once, paced, without retrying: for :meth:`write_once`'s ``send``."""
        await self._pacer.wait_turn()
        return await self._send(operation_name(op), op, variables, tolerate)

    async def write_once(
        self,
        operation: str,
        send: Callable[[], Awaitable[T]],
        *,
        resolve_ambiguous: Callable[[BaseException], Awaitable[Applied[T] | NotApplied]],
    ) -> T:
        """A write that must not happen twice: after a failure that may have been applied it is sent
        again only once ``resolve_ambiguous`` found it was not (or returns what it did)."""
        return await self._retried(operation, send, idempotent=False, resolve_ambiguous=resolve_ambiguous)

    async def _retried(
        self,
        operation: str,
        send: Callable[[], Awaitable[T]],
        *,
        idempotent: bool = True,
        resolve_ambiguous: Callable[[BaseException], Awaitable[Applied[T] | NotApplied]] | None = None,
    ) -> T:
        """``send`` under the retry policy and the shared gate; a network failure that outlived the
        retries leaves as the core error tree, not a raw httpx error."""
        try:
            return await retry_call(
                operation,
                send,
                policy=self.retry_policy,
                idempotent=idempotent,
                resolve_ambiguous=resolve_ambiguous,
                gate=self.gate,
                clock=self.clock,
            )
        except httpx.TransportError as exc:
            failure = classify_failure(exc)
            if not failure.retryable:
                # A LocalProtocolError quotes the offending header value, which may be the token: never echo it.
                text = "" if isinstance(exc, httpx.LocalProtocolError) or not str(exc) else f": {exc}"
                raise ProviderError(
                    f"{operation}: the request to {self.api_url} could not be sent ({type(exc).__name__}{text}); "
                    "check api_url and the token"
                ) from None
            detail = f"{operation}: no answer from GitHub at {self.api_url} ({type(exc).__name__}"
            detail += f": {exc})" if str(exc) else ")"
            raise TransientProviderError(detail, request_sent=failure.sent) from exc

    async def _send(
        self, name: str, op: Operation, variables: Mapping[str, Any], tolerate: ErrorFilter | None
    ) -> Response:
        payload = {"query": render(op), "variables": dict(variables), "operationName": name}
        response = await self._http.request(name, "POST", self.api_url, json=payload)
        try:
            body = json.loads(response.content) if response.content else None
        except ValueError:
            body = None
        check_http(response, body, name, fallback_wait=self.secondary_limit_wait)
        if not isinstance(body, dict):
            raise TransientProviderError(f"{name}: GitHub answered 200 without a JSON object", request_sent=True)
        errors = [e for e in body.get("errors") or [] if isinstance(e, Mapping)]
        tolerated = tuple(e for e in errors if tolerate is not None and tolerate(e))
        check_graphql_errors(
            [e for e in errors if e not in tolerated], response, name, fallback_wait=self.secondary_limit_wait
        )
        if body.get("data") is None:
            raise TransientProviderError(f"{name}: GitHub answered without data", request_sent=True)
        return Response(data=parse(op, {"data": body["data"]}), tolerated=tolerated)


def error_type(error: GraphQLError) -> str:
    return str(error.get("type", ""))


def error_message(error: GraphQLError) -> str:
    return str(error.get("message", ""))
