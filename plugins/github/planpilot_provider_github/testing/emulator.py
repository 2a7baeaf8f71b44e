"""The request pipeline shared by the in-process transport and the loopback server: authentication, JSON,
fault injection, GitHub's budgets (:mod:`.budgets`), schema validation, pagination rules and execution under
one lock. Every time-related answer reads the emulator clock (:mod:`.clock`, :mod:`.virtual`)."""

from __future__ import annotations

import json
import logging
import random
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs
from attrs import Factory, define
from graphql import ExecutionResult, GraphQLError, OperationType, execute_sync, get_operation_ast

from planpilot_providers_core.emulation import (
    Clock,
    EmulatorResponse,
    EmulatorTransport,
    FaultInjector,
    FaultPlan,
    SystemClock,
    epoch_source,
    json_response,
)

from .budgets import BudgetLedger, GitHubBudgets, refusal_response
from .connections import check_document_pagination
from .cost import RequestCost, measure
from .errors import format_error, is_internal, validation_error
from .faults import (
    PRIMARY_RATE_LIMIT_MESSAGE,
    RATE_LIMIT_ALREADY_EXCEEDED_MESSAGE,
    SAML_MESSAGE,
    FaultKind,
    http_fault,
)
from .ratelimit import RateLimiter, RateLimitSnapshot
from .resolvers import RequestContext, default_resolver
from .schema import github_schema, prepare_document
from .state import EmulatorState
from .stats import EmulatorStats

__all__ = ["AuthPolicy", "EmulatorResponse", "GitHubEmulator"]

log = logging.getLogger(__name__)
DOCS_URL = "https://docs.github.com/graphql"
_AUTH = re.compile(r"^\s*(?:bearer|token)\s+(\S+)\s*$", re.IGNORECASE)


@define
class AuthPolicy:
    """Which tokens work. ``accepted_tokens=None`` accepts any non-empty token."""

    accepted_tokens: frozenset[str] | None = None
    read_only_tokens: set[str] = Factory(set)
    forbidden_tokens: dict[str, str] = Factory(dict)  # token -> message of a non-rate-limit 403

    def accepts(self, token: str) -> bool:
        return bool(token) and (self.accepted_tokens is None or token in self.accepted_tokens)


def _rate_headers(rate: RateLimitSnapshot | None) -> dict[str, str]:
    """The ``x-ratelimit-*`` headers; none when the primary limit is off (as on GitHub Enterprise Server)."""
    return rate.headers() if rate is not None else {}


class GitHubEmulator:
    """An in-memory GitHub GraphQL API over the pinned schema. Seed it through :attr:`state`, reach it through
    :meth:`transport` (httpx, in-process) or :func:`~.server.serve_in_thread`, and read :attr:`stats`."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        viewer_login: str = "octo",
        search_lag: float = 0.0,
        latency: float = 0.0,
        jitter: float = 0.0,
        seed: int = 0,
        budgets: GitHubBudgets | None = None,
        rate_limit: int | None = None,
        rate_limit_window: float | None = None,
        retry_after: float = 1.0,
        reset_delay: float = 2.0,
        accepted_tokens: Iterable[str] | None = None,
        fault_plan: FaultPlan[FaultKind] | None = None,
        time_source: Callable[[], float] | None = None,
    ) -> None:
        """``budgets`` turns on GitHub's budgets (``GitHubBudgets()`` = GitHub's numbers); without it only a
        primary window of ``rate_limit`` points per ``rate_limit_window`` seconds (5,000/h) applies, at 1 point
        per request. ``retry_after``/``reset_delay`` shape injected faults only. ``time_source`` overrides the
        epoch seconds the budget windows read (default: the clock's, see :func:`~.clock.epoch_source`)."""
        if budgets is not None and (rate_limit is not None or rate_limit_window is not None):
            raise ValueError(
                "rate_limit/rate_limit_window size the primary window of an emulator without budgets; with "
                "budgets= pass GitHubBudgets(primary_points=..., primary_window=...) instead"
            )
        self.lock = threading.RLock()
        self.clock: Clock = clock or SystemClock()
        self.state = EmulatorState(self.clock, viewer_login=viewer_login, lock=self.lock)
        self.search_lag = search_lag
        self.latency = latency
        self.jitter = jitter
        self.retry_after = retry_after
        self.reset_delay = reset_delay
        self.auth = AuthPolicy(accepted_tokens=frozenset(accepted_tokens) if accepted_tokens is not None else None)
        self.budgets = budgets or GitHubBudgets.primary_only(
            5000 if rate_limit is None else rate_limit, 3600.0 if rate_limit_window is None else rate_limit_window
        )
        self._time = time_source or epoch_source(self.clock)
        self.ledger = BudgetLedger(self.budgets, self._time)
        self.faults: FaultInjector[FaultKind] = FaultInjector(fault_plan)
        self.stats = EmulatorStats(budgets=budgets is not None)
        self._jitter_rng = random.Random(seed)
        self._request_counter = 0
        mutation_type = github_schema().mutation_type  # builds (or reuses) the schema now, not in a timed request
        self.content_mutations = self.budgets.content_mutation_names(mutation_type.fields if mutation_type else ())

    @classmethod
    def with_default_scenario(cls, **kwargs: Any) -> GitHubEmulator:
        """``acme`` org (repo ``acme/roadmap``, issue types, project 1 "Roadmap") and user ``octo``
        (repo ``octo/side``, user project 1); see :mod:`.scenario`."""
        from .scenario import install_default_scenario

        emulator = cls(**kwargs)
        install_default_scenario(emulator.state)
        return emulator

    # ----------------------------------------------------------------------------------------- knobs
    @property
    def rate_limiter(self) -> RateLimiter | None:
        """The primary window (None when ``budgets`` turned the primary limit off)."""
        return self.ledger.primary

    def time(self) -> float:
        """Epoch seconds as the budget windows see them (``x-ratelimit-reset`` and ``retry-after`` use this)."""
        return self._time()

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

    def accept_tokens(self, *tokens: str) -> None:
        """Only these tokens authenticate from now on (others get 401 Bad credentials)."""
        self.auth.accepted_tokens = frozenset(tokens)

    def make_read_only(self, token: str) -> None:
        """Mutations with this token fail per field with FORBIDDEN."""
        self.auth.read_only_tokens.add(token)

    def forbid_token(self, token: str, message: str = SAML_MESSAGE) -> None:
        """Requests with this token get HTTP 403 with ``message`` (not a rate limit: do not retry)."""
        self.auth.forbidden_tokens[token] = message

    def next_delay(self) -> float:
        """Seconds the next request waits before it is handled (latency plus seeded jitter)."""
        with self.lock:
            return max(0.0, self.latency + (self._jitter_rng.uniform(0, self.jitter) if self.jitter > 0 else 0.0))

    def transport(self) -> EmulatorTransport:
        """An ``httpx.AsyncBaseTransport`` answering ``POST .../graphql`` on any host."""
        return EmulatorTransport(self)

    # ----------------------------------------------------------------------------------------- helpers
    def request(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        operation_name: str | None = None,
        token: str = "emulator-token",
    ) -> EmulatorResponse:
        """Send one GraphQL request synchronously (no latency): handy in tests and scripts."""
        payload: dict[str, Any] = {"query": query, "variables": dict(variables or {})}
        if operation_name is not None:
            payload["operationName"] = operation_name
        return self.handle("POST", "/graphql", {"authorization": f"bearer {token}"}, json.dumps(payload).encode())

    def _next_request_id(self) -> str:
        with self.lock:
            self._request_counter += 1
            n = self._request_counter
        return f"EMU0:{n:04X}:{n * 7919 % 65536:04X}:{n:06X}"

    @staticmethod
    def _response(
        status: int, body: Any, headers: Mapping[str, str], extra: Mapping[str, str] | None = None
    ) -> EmulatorResponse:
        return json_response(status, body, {**headers, **(extra or {})})

    # ----------------------------------------------------------------------------------------- pipeline
    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, *, concurrency: int | None = None
    ) -> EmulatorResponse:
        """Answer one HTTP request (transport-agnostic; latency is the caller's job).

        ``concurrency`` is how many requests were in flight when this one arrived, itself included (what
        ``stats.enter()`` returned); None means the caller did not count it, so it is ``in_flight + 1``.
        """
        route = path.split("?", 1)[0]
        if route.startswith("/_emulator/"):
            return self._admin(method.upper(), route, body)
        if method.upper() != "POST" or not route.endswith("/graphql"):
            return self._response(404, {"message": "Not Found", "documentation_url": DOCS_URL}, {})
        self.stats.record_request()
        request_id = self._next_request_id()
        lowered = {key.lower(): value for key, value in headers.items()}
        try:
            arrival = self.stats.in_flight + 1 if concurrency is None else concurrency
            response = self._graphql(lowered, body, request_id, arrival)
        except Exception:
            log.exception("GitHub emulator failed on request %s", request_id)
            self.stats.record_internal_error()
            response = self._response(500, {"message": "Server Error", "documentation_url": DOCS_URL}, {})
        if not response.drop:
            self.stats.record_status(response.status)
        return response

    def _graphql(self, headers: Mapping[str, str], body: bytes, request_id: str, concurrency: int) -> EmulatorResponse:
        with self.lock:
            rate = self.ledger.snapshot()
        base = {"x-github-request-id": request_id, **_rate_headers(rate)}

        match = _AUTH.match(headers.get("authorization", ""))
        token = match.group(1) if match else ""
        if not self.auth.accepts(token):
            return self._response(401, {"message": "Bad credentials", "documentation_url": DOCS_URL}, base)
        if token in self.auth.forbidden_tokens:
            message = self.auth.forbidden_tokens[token]
            return self._response(403, {"message": message, "documentation_url": DOCS_URL}, base)

        try:
            payload = json.loads(body or b"")
        except (ValueError, UnicodeDecodeError):
            payload = None
        if not isinstance(payload, dict):
            return self._response(400, {"message": "Problems parsing JSON", "documentation_url": DOCS_URL}, base)
        query = payload.get("query")
        if not isinstance(query, str):
            error = {"message": "A query attribute must be specified and must be a string."}
            return self._response(200, {"errors": [error]}, base)
        variables = payload.get("variables")
        if isinstance(variables, str):  # GitHub also accepts variables as a JSON-encoded string
            try:
                variables = json.loads(variables or "{}")
            except ValueError:
                variables = None
        variables = {} if variables is None else variables
        if not isinstance(variables, dict):
            return self._response(200, {"errors": [{"message": "Variables must be a JSON object."}]}, base)
        operation_name = payload.get("operationName") or None

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
                return self._fault_response(fault, base, request_id)

        if document is not None and not errors:
            cost = measure(github_schema(), document, variables, operation_name, self.content_mutations)
        else:
            cost = RequestCost.minimal(is_mutation=is_mutation)
        with self.lock:
            admission = self.ledger.admit(cost, concurrency=concurrency)
            rate = self.ledger.snapshot()
        base.update(_rate_headers(rate))
        self.stats.record_spent(primary=admission.primary, secondary=admission.secondary, content=admission.content)
        if admission.refusal is not None:
            self.stats.record_limited(admission.refusal.kind.value)
            status, extra, refused = refusal_response(
                admission.refusal, request_id=request_id, send_retry_after=self.budgets.send_retry_after
            )
            return self._response(status, refused, base, extra)

        if errors or document is None:
            return self._response(200, {"errors": [validation_error(e) for e in errors]}, base)
        pagination_errors = check_document_pagination(github_schema(), document, variables, operation_name)
        if pagination_errors:
            return self._response(200, {"errors": [self._format_error(e, request_id) for e in pagination_errors]}, base)

        with self.lock:
            context = RequestContext(
                state=self.state,
                stats=self.stats,
                rate=rate,
                cost=admission.primary,
                node_count=cost.nodes,
                search_lag=self.search_lag,
                read_only=token in self.auth.read_only_tokens,
            )
            result = execute_sync(
                github_schema(),
                document,
                context_value=context,
                variable_values=variables,
                operation_name=operation_name,
                field_resolver=default_resolver,
            )
        answer = self._result_body(result, request_id)

        if fault is FaultKind.DROP_AFTER_COMMIT:
            return EmulatorResponse(status=0, headers={}, body=b"", drop=True)
        if fault is FaultKind.HTTP_502_AFTER_COMMIT:
            return self._fault_response(fault, base, request_id)
        return self._response(200, answer, base)

    def _format_error(self, error: GraphQLError, request_id: str) -> dict[str, Any]:
        if is_internal(error):
            self.stats.record_internal_error()
            log.error("GitHub emulator resolver failed at %s", error.path, exc_info=error.original_error)
        return format_error(error, request_id)

    def _result_body(self, result: ExecutionResult, request_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = {}
        if result.errors:
            answer["errors"] = [self._format_error(e, request_id) for e in result.errors]
        # Request errors (bad variables, ambiguous operation) come without data, as GitHub sends them.
        if result.data is not None or any(e.path for e in result.errors or ()):
            answer["data"] = result.data
        return answer

    def _fault_response(self, fault: FaultKind, base: dict[str, str], request_id: str) -> EmulatorResponse:
        if fault is FaultKind.DROP_BEFORE_COMMIT:
            return EmulatorResponse(status=0, headers={}, body=b"", drop=True)
        if fault is FaultKind.PRIMARY_EXHAUSTED:
            with self.lock:
                primary = self.ledger.primary
                if primary is not None:
                    primary.exhaust(self.reset_delay)
                headers = _rate_headers(self.ledger.snapshot())
            error = {"type": "RATE_LIMITED", "message": PRIMARY_RATE_LIMIT_MESSAGE}
            return self._response(200, {"data": None, "errors": [error]}, base, headers)
        if fault in {FaultKind.RATE_LIMITED_200, FaultKind.RATE_LIMIT_200}:
            # The body says "rate limited" while x-ratelimit-remaining is not 0, as users have observed.
            with self.lock:
                now = self.ledger.snapshot()
            soon = None if now is None else attrs.evolve(now, reset_at=self._time() + self.reset_delay)
            if fault is FaultKind.RATE_LIMITED_200:
                error = {"type": "RATE_LIMITED", "message": PRIMARY_RATE_LIMIT_MESSAGE}
            else:
                error = {
                    "type": "RATE_LIMIT",
                    "code": "graphql_rate_limit",
                    "message": RATE_LIMIT_ALREADY_EXCEEDED_MESSAGE,
                }
            return self._response(200, {"data": None, "errors": [error]}, base, _rate_headers(soon))
        status, extra, body = http_fault(fault, request_id=request_id, retry_after=self.retry_after)
        return self._response(status, body, base, extra)

    # ----------------------------------------------------------------------------------------- admin
    def _admin(self, method: str, route: str, body: bytes) -> EmulatorResponse:
        """Side door for benchmarks and demos: stats, state summary, scripted faults (no auth, not counted)."""
        if method == "GET" and route == "/_emulator/stats":
            return self._response(200, self.stats.as_dict(), {})
        if method == "POST" and route == "/_emulator/reset-stats":
            self.stats.reset()
            return self._response(200, self.stats.as_dict(), {})
        if method == "GET" and route == "/_emulator/state":
            summary = self.state.summary()
            summary["now"] = self.state.now().isoformat()
            return self._response(200, summary, {})
        if method == "POST" and route == "/_emulator/inject":
            try:
                spec = json.loads(body or b"{}")
                self.inject(FaultKind(spec["kind"]), spec.get("operation"), int(spec.get("times", 1)))
            except (ValueError, KeyError, TypeError) as error:
                return self._response(400, {"message": f"Bad fault: {error}"}, {})
            return self._response(200, {"pending": len(self.faults.scripted)}, {})
        return self._response(404, {"message": "Not Found"}, {})
