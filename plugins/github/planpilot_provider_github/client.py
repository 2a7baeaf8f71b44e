"""Sending typed GraphQL operations to GitHub through the core reliability toolkit.

One pooled httpx client per provider; every call gets GitHub's error classification, a bounded
retry (only provably unapplied mutations are retried blindly), the shared rate-limit gate and,
for mutations, pacing between requests.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

import attrs
import httpx
from sgqlc.operation import Operation

from planpilot_provider_github.errors import SECONDARY_FALLBACK_WAIT, GraphQLError, check_graphql_errors, check_http
from planpilot_provider_github.graphql.runtime import operation_name, parse, render
from planpilot_providers_core.errors import ProviderError, TransientProviderError
from planpilot_providers_core.reliability import (
    DEFAULT_RETRY_POLICY,
    HttpClientConfig,
    Pacer,
    PooledClient,
    RateLimitGate,
    RetryPolicy,
    classify_failure,
    retry_call,
)

GITHUB_API_URL: Final = "https://api.github.com/graphql"
log = logging.getLogger("planpilot.providers.github")

ErrorFilter = Callable[[GraphQLError], bool]
"""Picks GraphQL errors a caller expects (e.g. NOT_FOUND for a deleted node) and handles itself."""


@attrs.frozen
class Response:
    """A typed result plus the errors the caller chose to tolerate.

    ``recovered`` marks a result produced by ``resolve_ambiguous`` after an ambiguous failure:
    ``data`` is then whatever the resolver found, not the operation's payload.
    """

    data: Any
    tolerated: tuple[GraphQLError, ...] = ()
    recovered: bool = False


class GitHubGraphQL:
    """GraphQL over one pooled connection to GitHub (or GitHub Enterprise, or the emulator)."""

    def __init__(
        self,
        *,
        token: str,
        api_url: str = GITHUB_API_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_policy: RetryPolicy = DEFAULT_RETRY_POLICY,
        mutation_interval: float = 1.0,
        secondary_limit_wait: float = SECONDARY_FALLBACK_WAIT,
        max_connections: int = 10,
        timeout: float = 30.0,
        gate: RateLimitGate | None = None,
    ) -> None:
        self.api_url = api_url
        self.gate = gate or RateLimitGate()
        self.retry_policy = retry_policy
        self.secondary_limit_wait = secondary_limit_wait
        self._pacer = Pacer(mutation_interval)
        self._http = PooledClient(
            HttpClientConfig(
                base_url=api_url,
                headers={
                    "Authorization": f"bearer {token}",
                    "Accept": "application/json",
                    "User-Agent": "planpilot-provider-github",
                },
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
                timeout=timeout,
            ),
            transport=transport,
            gate=self.gate,
        )

    def __repr__(self) -> str:
        return f"GitHubGraphQL(api_url={self.api_url!r})"

    async def open(self) -> None:
        await self._http.__aenter__()

    async def aclose(self) -> None:
        await self._http.__aexit__(None, None, None)

    async def query(
        self, op: Operation, variables: Mapping[str, Any], *, tolerate: ErrorFilter | None = None
    ) -> Response:
        """Run a read; reads are idempotent and retried on any transient failure."""
        name = operation_name(op)
        return await self._retried(name, lambda: self._send(name, op, variables, tolerate))

    async def mutate(
        self,
        op: Operation,
        variables: Mapping[str, Any],
        *,
        tolerate: ErrorFilter | None = None,
        idempotent: bool = True,
        resolve_ambiguous: Callable[[BaseException], Awaitable[Response | None]] | None = None,
    ) -> Response:
        """Run a mutation, paced. A non-idempotent one is retried after an ambiguous failure only
        once ``resolve_ambiguous`` has shown it was not applied (or returns what was applied)."""

        name = operation_name(op)

        async def once() -> Response:
            await self._pacer.wait_turn()
            return await self._send(name, op, variables, tolerate)

        return await self._retried(name, once, idempotent=idempotent, resolve_ambiguous=resolve_ambiguous)

    async def _retried(
        self,
        operation: str,
        send: Callable[[], Awaitable[Response]],
        *,
        idempotent: bool = True,
        resolve_ambiguous: Callable[[BaseException], Awaitable[Response | None]] | None = None,
    ) -> Response:
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
            )
        except httpx.TransportError as exc:
            failure = classify_failure(exc)
            detail = f"{operation}: no answer from GitHub at {self.api_url} ({type(exc).__name__}"
            detail += f": {exc})" if str(exc) else ")"
            if failure.retryable:
                raise TransientProviderError(detail, request_sent=failure.sent) from exc
            raise ProviderError(detail) from exc

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
