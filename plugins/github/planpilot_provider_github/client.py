"""Sending typed GraphQL operations to GitHub through the core reliability toolkit.

One pooled httpx client per provider; every call gets GitHub's error classification, a bounded
retry (only provably unapplied mutations are retried blindly), the shared rate-limit gate and
GitHub's budgets (:mod:`.pacing`): each request waits for room in every budget it spends, before
its call's retries start their clock, and a refusal is waited out on its budget, not as an attempt.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Self, TypeVar

import httpx
from sgqlc.operation import Operation

from planpilot_provider_github.errors import GraphQLError, check_graphql_errors, check_http
from planpilot_provider_github.options import GitHubOptions
from planpilot_provider_github.pacing import GitHubPacing
from planpilot_providers_core.errors import ProviderError, RateLimitError, TransientProviderError
from planpilot_providers_core.reliability import (
    Applied,
    HttpClientConfig,
    NotApplied,
    PooledClient,
    RateLimitGate,
    classify_failure,
    retry_call,
)
from planpilot_providers_core.sgqlc_runtime import operation_name, parse, render

log = logging.getLogger("planpilot.providers.github")
T = TypeVar("T")

ErrorFilter = Callable[[GraphQLError], bool]
"""Picks GraphQL errors a caller expects (e.g. NOT_FOUND for a deleted node) and handles itself."""


class Response:
    """A typed result (sgqlc objects) plus the errors the caller chose to tolerate.

    ``data`` is built from the JSON on first access: sgqlc's typed population is the client's largest
    cost after the network, and most write results (field values set, labels added) are never read;
    issue reads convert :attr:`raw` themselves.
    """

    __slots__ = ("_json", "_op", "_parsed", "tolerated")

    def __init__(self, op: Operation, data: Mapping[str, Any], tolerated: tuple[GraphQLError, ...] = ()) -> None:
        self._op = op
        self._json = data
        self._parsed: Any = _UNPARSED
        self.tolerated = tolerated

    def __repr__(self) -> str:
        return f"Response({operation_name(self._op)}, tolerated={self.tolerated!r})"

    @property
    def raw(self) -> Mapping[str, Any]:
        """The answer's ``data`` as GitHub sent it (camelCase JSON), for the hot reads that convert it
        straight into the provider's own values (see :mod:`.convert`); its shape is the operation's selection."""
        return self._json

    @property
    def data(self) -> Any:
        """The typed result of the operation (``data`` of the answer)."""
        if self._parsed is _UNPARSED:
            self._parsed = parse(self._op, {"data": self._json})
        return self._parsed


_UNPARSED: Any = object()


class GitHubGraphQL:
    """GraphQL over one pooled connection to GitHub (or GitHub Enterprise, or the emulator)."""

    def __init__(self, *, token: str, options: GitHubOptions, gate: RateLimitGate | None = None) -> None:
        self.api_url = options.api_url
        self.clock = options.clock
        self.gate = gate or RateLimitGate(clock=options.clock)
        self.retry_policy = options.retry_policy
        self.secondary_limit_wait = options.secondary_limit_wait
        config = HttpClientConfig(
            base_url=options.api_url,
            headers={
                "Authorization": f"bearer {token}",
                "Accept": "application/json",
                "User-Agent": "planpilot-provider-github",
            },
            max_connections=options.max_connections,
            max_keepalive_connections=options.max_connections,
            timeout=options.timeout,
        )
        self.pacing = GitHubPacing(
            limits=options.limits,
            clock=options.clock,
            concurrency=config.concurrency,
            mutation_interval=options.paced_interval,
            policy=options.retry_policy,
        )
        self._http = PooledClient(config, transport=options.transport, gate=self.gate)

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
        return await self._retried(name, lambda: self._send(name, op, variables, tolerate), op=op)

    async def mutate(
        self, op: Operation, variables: Mapping[str, Any], *, tolerate: ErrorFilter | None = None
    ) -> Response:
        """Run a mutation that is safe to send twice (GitHub answers a repeat as "already done")."""
        name = operation_name(op)
        return await self._retried(name, lambda: self.mutate_once(op, variables, tolerate=tolerate), op=op)

    async def mutate_fields(self, op: Operation, variables: Mapping[str, Any]) -> Response:
        """Run a mutation of several aliased fields that is safe to send twice; an error of one field
        (it has a ``path``) does not fail the others: it comes back in ``tolerated`` for its caller to map."""
        return await self.mutate(op, variables, tolerate=lambda error: bool(error.get("path")))

    async def mutate_once(
        self, op: Operation, variables: Mapping[str, Any], *, tolerate: ErrorFilter | None = None
    ) -> Response:
        """Send a mutation once, without retrying: for :meth:`write_once`'s ``send``."""
        return await self._send(operation_name(op), op, variables, tolerate)

    async def write_once(
        self,
        operation: str,
        send: Callable[[], Awaitable[T]],
        *,
        resolve_ambiguous: Callable[[BaseException], Awaitable[Applied[T] | NotApplied]],
        op: Operation | None = None,
    ) -> T:
        """A write that must not happen twice: after a failure that may have been applied it is sent
        again only once ``resolve_ambiguous`` found it was not (or returns what it did). ``op``, the
        operation ``send`` sends, lets the call wait for its budgets before its retries start."""
        return await self._retried(operation, send, idempotent=False, resolve_ambiguous=resolve_ambiguous, op=op)

    async def _retried(
        self,
        operation: str,
        send: Callable[[], Awaitable[T]],
        *,
        idempotent: bool = True,
        resolve_ambiguous: Callable[[BaseException], Awaitable[Applied[T] | NotApplied]] | None = None,
        op: Operation | None = None,
    ) -> T:
        """``send`` under the retry policy and the shared gate, once ``op`` has room in its budgets (so
        waiting for them never eats into the call's time budget); a network failure that outlived the
        retries leaves as the core error tree, not a raw httpx error."""
        if op is not None:
            await self.pacing.ready(op)
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
        refusals = 0
        while True:  # a refusal is sent again once its budget has room: a wait, not an attempt
            sent = await self.pacing.send(op, lambda: self._http.request(name, "POST", self.api_url, json=payload))
            response = sent.response
            try:
                body = json.loads(response.content) if response.content else None
            except ValueError:
                body = None
            try:
                tolerated = self._check(name, response, body, tolerate)
            except RateLimitError as exc:
                self.pacing.absorb(exc, sent, body, op, name, refusals)
                refusals += 1
                continue
            break
        assert isinstance(body, dict)
        data = body.get("data")
        if not isinstance(data, dict):
            raise TransientProviderError(f"{name}: GitHub answered without data", request_sent=True)
        return Response(op, data, tolerated)

    def _check(
        self, name: str, response: httpx.Response, body: object, tolerate: ErrorFilter | None
    ) -> tuple[GraphQLError, ...]:
        """Raise for a refusal or a failure GitHub reported; return the errors the caller tolerates."""
        now = self.clock.time  # x-ratelimit-reset and retry-after dates are on the provider's clock
        check_http(response, body, name, now=now, fallback_wait=self.secondary_limit_wait)
        if not isinstance(body, dict):
            raise TransientProviderError(f"{name}: GitHub answered 200 without a JSON object", request_sent=True)
        errors = [e for e in body.get("errors") or [] if isinstance(e, Mapping)]
        tolerated = tuple(e for e in errors if tolerate is not None and tolerate(e))
        check_graphql_errors(
            [e for e in errors if e not in tolerated], response, name, now=now, fallback_wait=self.secondary_limit_wait
        )
        return tolerated


def error_type(error: GraphQLError) -> str:
    return str(error.get("type", ""))


def error_message(error: GraphQLError) -> str:
    return str(error.get("message", ""))
