"""The request pipeline the in-process transport and the loopback server share: authentication, JSON, fault
injection, the complexity cap, the rate limits, schema validation and execution under one lock.

Answers, in order (notes/linear-api.md; see :mod:`.errors` and :mod:`.limits` for the bodies):

1. ``POST .../graphql`` only (``/_emulator/...`` is the admin side door); anything else is a 404;
2. the credential (§0): a personal API key is sent bare (``Authorization: <key>``), an OAuth token as
   ``Authorization: Bearer <token>``; a key with ``Bearer`` (keys start ``lin_api_``), a missing credential,
   or one not on the accepted lists is answered 401 ``AUTHENTICATION_ERROR``;
3. a body that is not a JSON object with a ``query`` string: 400;
4. an injected fault that strikes before the operation runs;
5. a syntax or schema error: 400 ``GRAPHQL_PARSE_FAILED``/``GRAPHQL_VALIDATION_FAILED``, nothing runs;
6. over 10,000 complexity points: 400 "Query too complex", nothing runs (§6.2);
7. a budget without room (requests, points, or the endpoint's own): 400 ``RATELIMITED``, nothing runs (§6.4);
8. execution: 200 with ``data`` and any ``errors`` (a resolver's refusal is an error with Linear's
   ``extensions``; partial success is possible, §0); then an injected after-commit fault may replace the answer.

Every answer past authentication carries the ``X-RateLimit-*`` headers (§6.3), resets in epoch milliseconds.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from attrs import define, field
from graphql import ExecutionResult, FieldNode, OperationType, execute_sync, get_operation_ast

from planpilot_providers_core.emulation import (
    Clock,
    EmulatorResponse,
    EmulatorTransport,
    FaultInjector,
    FaultPlan,
    SystemClock,
    epoch_source,
    json_response,
    serve_in_thread,
)

from .complexity import complexity, points
from .errors import authentication_error, format_error, is_internal, request_error, too_complex
from .faults import FaultKind, http_fault
from .limits import ENDPOINT_LIMITED, AuthKind, LimitKind, LinearLimits, RateLimiter, rate_limited_body
from .resolvers import RequestContext, default_resolver
from .schema import linear_schema, prepare_document
from .seeding import LinearState
from .stats import LinearStats

__all__ = ["API_PATH", "AuthPolicy", "LinearEmulator"]

log = logging.getLogger(__name__)
API_PATH = "/graphql"
PERSONAL_KEY_PREFIX = "lin_api_"
_BEARER = re.compile(r"^\s*bearer\s+(\S+)\s*$", re.IGNORECASE)


@define
class AuthPolicy:
    """Which credentials work. With neither list set, any credential sent the right way does; with either
    set, only the listed ones do, each in its own form (a key bare, an OAuth token with ``Bearer``).
    The credentials stay out of its repr."""

    api_keys: frozenset[str] | None = field(default=None, repr=False)
    oauth_tokens: frozenset[str] | None = field(default=None, repr=False)

    @property
    def restricted(self) -> bool:
        return self.api_keys is not None or self.oauth_tokens is not None

    def authenticate(self, header: str) -> AuthKind | None:
        """The kind of credential in an ``Authorization`` header, or None when Linear would answer 401."""
        bearer = _BEARER.match(header)
        if bearer is not None:
            token = bearer.group(1)
            if token.startswith(PERSONAL_KEY_PREFIX):
                return None  # a personal key must not carry "Bearer" (notes §0)
            if self.restricted and token not in (self.oauth_tokens or ()):
                return None
            return AuthKind.OAUTH
        key = header.strip()
        if not key or any(c.isspace() for c in key):
            return None
        if self.restricted and key not in (self.api_keys or ()):
            return None
        return AuthKind.API_KEY


class LinearEmulator:
    """An in-memory Linear GraphQL API over the pinned schema. Seed it through :attr:`state`, reach it through
    :meth:`transport` (httpx, in-process) or :meth:`serve` (loopback), and read :attr:`stats`."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        seed: int = 0,
        latency: float = 0.0,
        jitter: float = 0.0,
        search_lag: float = 0.0,
        limits: LinearLimits | None = None,
        oauth_limits: LinearLimits | None = None,
        api_keys: Iterable[str] | None = None,
        oauth_tokens: Iterable[str] | None = None,
        fault_plan: FaultPlan[FaultKind] | None = None,
        strict_estimates: bool = True,
        refuse_duplicate_relations: bool = False,
    ) -> None:
        """``limits``/``oauth_limits``: the budgets of API keys and OAuth tokens (Linear's numbers by default);
        ``api_keys``/``oauth_tokens``: the only credentials accepted (default: any); ``search_lag``: seconds
        before a write shows in ``searchIssues``; ``strict_estimates``: refuse estimates off the team's scale;
        ``refuse_duplicate_relations``: refuse a second identical relation instead of storing it."""
        self.lock = threading.RLock()
        self.clock: Clock = clock or SystemClock()
        self.state = LinearState(
            self.clock,
            seed=seed,
            lock=self.lock,
            strict_estimates=strict_estimates,
            refuse_duplicate_relations=refuse_duplicate_relations,
        )
        self.latency = latency
        self.jitter = jitter
        self.search_lag = search_lag
        self.limits = {
            AuthKind.API_KEY: limits or LinearLimits.api_key(),
            AuthKind.OAUTH: oauth_limits or LinearLimits.oauth(),
        }
        self.limiter = RateLimiter(self.limits.__getitem__, epoch_source(self.clock))
        self.auth = AuthPolicy(
            api_keys=frozenset(api_keys) if api_keys is not None else None,
            oauth_tokens=frozenset(oauth_tokens) if oauth_tokens is not None else None,
        )
        self.faults: FaultInjector[FaultKind] = FaultInjector(fault_plan)
        self.stats = LinearStats()
        self._jitter_rng = random.Random(seed)
        linear_schema()  # build (or reuse) the schema now, not inside the first, timed request

    @classmethod
    def with_default_scenario(cls, **kwargs: Any) -> LinearEmulator:
        """Team ``ENG`` with its workflow, labels, a t-shirt estimate scale, a project and an active cycle
        (:mod:`.scenario`)."""
        from .scenario import install_default_scenario

        emulator = cls(**kwargs)
        install_default_scenario(emulator.state)
        return emulator

    # ----------------------------------------------------------------------------------------- knobs
    @property
    def fault_plan(self) -> FaultPlan[FaultKind] | None:
        return self.faults.plan

    @fault_plan.setter
    def fault_plan(self, plan: FaultPlan[FaultKind] | None) -> None:
        with self.lock:
            self.faults.set_plan(plan)

    def inject(self, kind: FaultKind | str, operation: str | None = None, times: int = 1) -> None:
        """Fail the next ``times`` requests (named ``operation``, or any request) with ``kind``."""
        with self.lock:
            self.faults.inject(FaultKind(kind), operation, times)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def accept(self, *, api_keys: Iterable[str] = (), oauth_tokens: Iterable[str] = ()) -> None:
        """Only these credentials authenticate from now on (others get 401)."""
        self.auth = AuthPolicy(api_keys=frozenset(api_keys), oauth_tokens=frozenset(oauth_tokens))

    def next_delay(self) -> float:
        """Seconds the next request waits before it is handled (latency plus seeded jitter)."""
        with self.lock:
            return max(0.0, self.latency + (self._jitter_rng.uniform(0, self.jitter) if self.jitter > 0 else 0.0))

    def transport(self) -> EmulatorTransport:
        """An ``httpx.AsyncBaseTransport`` answering ``POST .../graphql`` on any host."""
        return EmulatorTransport(self)

    @contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve on ``host:port`` (0 = a free port) in a background thread; yields the URL ending ``/graphql``."""
        with serve_in_thread(self, host, port, path=API_PATH) as url:
            yield url

    def request(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        operation_name: str | None = None,
        authorization: str = "lin_api_emulator",
    ) -> EmulatorResponse:
        """Send one GraphQL request synchronously (no latency): handy in tests and scripts."""
        payload: dict[str, Any] = {"query": query, "variables": dict(variables or {})}
        if operation_name is not None:
            payload["operationName"] = operation_name
        return self.handle("POST", API_PATH, {"authorization": authorization}, json.dumps(payload).encode())

    # ----------------------------------------------------------------------------------------- pipeline
    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, *, concurrency: int | None = None
    ) -> EmulatorResponse:
        """Answer one HTTP request (transport-agnostic; latency is the caller's job)."""
        route = path.split("?", 1)[0]
        if route.startswith("/_emulator/"):
            return self._admin(method.upper(), route, body)
        if method.upper() != "POST" or not route.endswith(API_PATH):
            return json_response(404, {"errors": [{"message": "Not found"}]})
        self.stats.record_request()
        lowered = {key.lower(): value for key, value in headers.items()}
        try:
            response = self._graphql(lowered, body)
        except Exception:
            log.exception("Linear emulator failed on a request")
            self.stats.record_internal_error()
            response = _http_response(*http_fault(FaultKind.HTTP_500))
        if not response.drop and not response.stall:
            self.stats.record_status(response.status)
        return response

    def _graphql(self, headers: Mapping[str, str], body: bytes) -> EmulatorResponse:
        kind = self.auth.authenticate(headers.get("authorization", ""))
        if kind is None:
            self.stats.record_unauthenticated()
            return json_response(401, authentication_error())
        base = self.limiter.headers(kind)

        payload = _json_object(body) or {}
        query, variables, operation_name = (payload.get(k) for k in ("query", "variables", "operationName"))
        if (
            not isinstance(query, str)
            or not isinstance(variables, dict | None)
            or not isinstance(operation_name, str | None)
        ):
            message = "POST body must be a JSON object with a `query` string, a `variables` object and an optional "
            message += "`operationName` string."
            error = {"message": message, "extensions": {"code": "BAD_REQUEST", "statusCode": 400}}
            return json_response(400, {"errors": [error]}, base)
        variables = variables or {}
        operation_name = operation_name or None

        document, errors = prepare_document(query)
        operation = get_operation_ast(document, operation_name) if document is not None else None
        is_mutation = operation is not None and operation.operation == OperationType.MUTATION
        label = operation_name or (operation.name.value if operation is not None and operation.name else None)
        self.stats.record_operation(label or "<anonymous>", write=is_mutation)

        with self.lock:
            fault = self.faults.draw(label, write=is_mutation)
        if fault is not None:
            self.stats.record_fault(fault.value)
            if not fault.after_commit:
                return self._fault_response(fault, kind, base)

        if document is None or errors:
            code = "GRAPHQL_PARSE_FAILED" if document is None else "GRAPHQL_VALIDATION_FAILED"
            _, base = self.limiter.admit(kind, 0, None)
            return json_response(400, {"errors": [request_error(e, code) for e in errors]}, base)

        tenths = complexity(linear_schema(), document, variables, operation_name)
        cap = self.limits[kind].max_complexity
        if tenths is not None and tenths > cap * 10:
            self.stats.record_too_complex()
            _, base = self.limiter.admit(kind, 0, None)
            return json_response(400, too_complex(tenths / 10, cap), base)
        cost = points(tenths or 0)
        endpoint = _limited_endpoint(operation.selection_set.selections if operation else ())
        refused, base = self.limiter.admit(kind, cost, endpoint)
        if refused is not None:
            self.stats.record_limited(refused.value)
            return json_response(400, rate_limited_body(), base)
        self.stats.record_complexity(cost)

        with self.lock:
            context = RequestContext(
                state=self.state, stats=self.stats, limiter=self.limiter, auth=kind, search_lag=self.search_lag
            )
            result = execute_sync(
                linear_schema(),
                document,
                context_value=context,
                variable_values=variables,
                operation_name=operation_name,
                field_resolver=default_resolver,
            )
        status, answer = self._result_body(result)

        if fault is not None:  # an after-commit fault: the work is done, the answer is lost
            return self._fault_response(fault, kind, base)
        return json_response(status, answer, base)

    def _result_body(self, result: ExecutionResult) -> tuple[int, dict[str, Any]]:
        errors = list(result.errors or ())
        for error in errors:
            if is_internal(error):
                self.stats.record_internal_error()
                log.error("Linear emulator resolver failed at %s", error.path, exc_info=error.original_error)
        if result.data is None and errors and not any(e.path for e in errors):
            # bad variables or an ambiguous operation: refused before anything ran
            return 400, {"errors": [request_error(e, "BAD_USER_INPUT") for e in errors]}
        answer: dict[str, Any] = {"data": result.data}
        if errors:
            answer["errors"] = [format_error(e) for e in errors]
        return 200, answer

    def _fault_response(self, fault: FaultKind, kind: AuthKind, base: dict[str, str]) -> EmulatorResponse:
        if fault in (FaultKind.DROP_BEFORE_COMMIT, FaultKind.DROP_AFTER_COMMIT):
            return EmulatorResponse(status=0, headers={}, body=b"", drop=True)
        if fault in (FaultKind.TIMEOUT, FaultKind.TIMEOUT_AFTER_COMMIT):
            return EmulatorResponse(status=0, headers={}, body=b"", stall=True)
        if fault in (FaultKind.RATELIMITED, FaultKind.COMPLEXITY_RATELIMITED):
            budget = LimitKind.REQUESTS if fault is FaultKind.RATELIMITED else LimitKind.COMPLEXITY
            self.limiter.exhaust(kind, budget)
            self.stats.record_limited(budget.value)
            return json_response(400, rate_limited_body(), self.limiter.headers(kind))
        status, extra, body = http_fault(fault)
        # the edge's HTML page carries no budget headers; Linear's own error does
        return _http_response(status, extra if isinstance(body, str) else {**base, **extra}, body)

    # ----------------------------------------------------------------------------------------- admin
    def _admin(self, method: str, route: str, body: bytes) -> EmulatorResponse:
        """Side door for benchmarks and demos: stats, state summary, scripted faults (no auth, not counted)."""
        if method == "GET" and route == "/_emulator/stats":
            return json_response(200, self.stats.as_dict())
        if method == "POST" and route == "/_emulator/reset-stats":
            self.stats.reset()
            return json_response(200, self.stats.as_dict())
        if method == "GET" and route == "/_emulator/state":
            summary = self.state.summary()
            summary["now"] = self.state.now().isoformat()
            return json_response(200, summary)
        if method == "POST" and route == "/_emulator/inject":
            spec = _json_object(body)
            try:
                if spec is None:
                    raise ValueError("the body must be a JSON object")
                self.inject(FaultKind(spec["kind"]), spec.get("operation"), int(spec.get("times", 1)))
            except (ValueError, KeyError, TypeError) as error:
                return json_response(400, {"message": f"Bad fault: {error}"})
            return json_response(200, {"pending": len(self.faults.scripted)})
        return json_response(404, {"message": "Not Found"})


def _http_response(status: int, headers: Mapping[str, str], body: Any) -> EmulatorResponse:
    """An answer whose body is either a JSON value or already text."""
    if isinstance(body, str):
        return EmulatorResponse(status=status, headers=dict(headers), body=body.encode())
    return json_response(status, body, headers)


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _limited_endpoint(selections: Iterable[Any]) -> str | None:
    """The first top-level field with a rate limit of its own (``searchIssues``), if the operation has one."""
    for selection in selections:
        if isinstance(selection, FieldNode) and selection.name.value in ENDPOINT_LIMITED:
            return ENDPOINT_LIMITED[selection.name.value]
    return None
