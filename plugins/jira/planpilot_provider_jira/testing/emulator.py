"""The request pipeline the in-process transport and the loopback server share: base URL and authentication,
routing and validation by the OpenAPI description, fault injection, Jira's rate limits, the operation under
one lock, and the answer checked against the description before it leaves.

Two base URLs, as on Jira Cloud (notes §0): the site (``/rest/...``), reached with HTTP Basic (email and API
token), and the OAuth 2.0 gateway form (``/ex/jira/{cloudId}/rest/...``), reached with a Bearer token (or Basic,
as scoped tokens are). A Bearer token at the site URL gets 401. ``GET /_edge/tenant_info`` tells the cloud id.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import logging
import random
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from attrs import frozen

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

from .api import ROUTES, Answer, Call
from .errors import JiraError, error_body
from .faults import FaultKind
from .limits import JiraLimits, LimitLedger, Reason, reset_text
from .openapi import Contract, Operation, RequestRefused, packaged_contract
from .state import JiraState
from .stats import JiraStats

__all__ = ["UNAUTHENTICATED_MESSAGE", "AuthPolicy", "JiraEmulator"]

log = logging.getLogger(__name__)
UNAUTHENTICATED_MESSAGE = "Client must be authenticated to access this resource."
_GATEWAY = "/ex/jira/"


@frozen
class AuthPolicy:
    """Which credentials work. ``None`` accepts any non-empty credential of that kind; once either set is given,
    only the given credentials work (a kind with no set given is refused)."""

    basic: frozenset[tuple[str, str]] | None = None
    bearer: frozenset[str] | None = None

    @property
    def open(self) -> bool:
        return self.basic is None and self.bearer is None

    def accepts_basic(self, email: str, token: str) -> bool:
        if not (email and token):
            return False
        return self.open or (self.basic is not None and (email, token) in self.basic)

    def accepts_bearer(self, token: str) -> bool:
        if not token:
            return False
        return self.open or (self.bearer is not None and token in self.bearer)


@frozen
class _Credential:
    kind: str  # "basic" | "bearer"
    email: str | None


class JiraEmulator:
    """An in-memory Jira Cloud site. Seed it through :attr:`state`, reach it through :meth:`transport` (httpx,
    in-process) or :func:`~.server.serve_in_thread`, read :attr:`stats`."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        contract: Contract | None = None,
        validate: bool = True,
        search_lag: float = 0.0,
        latency: float = 0.0,
        jitter: float = 0.0,
        seed: int = 0,
        limits: JiraLimits | None = None,
        basic: Iterable[tuple[str, str]] | None = None,
        bearer: Iterable[str] | None = None,
        fault_plan: FaultPlan[FaultKind] | None = None,
        retry_after: float = 1.0,
        site_url: str | None = None,
        time_source: Any = None,
    ) -> None:
        """``contract``: the OpenAPI description requests and answers are checked against (default: the subset
        in the package; ``validate=False`` only routes). ``limits``: Jira's rate limits (``JiraLimits()``);
        None enforces none. ``basic``/``bearer``: the only credentials accepted (default: any). ``retry_after``
        shapes injected 429/503 faults. ``site_url`` fixes the base of ``self`` links (default: the Host the
        request came to)."""
        self.lock = threading.RLock()
        self.clock: Clock = clock or SystemClock()
        self.state = JiraState(self.clock, lock=self.lock)
        self.state.search_lag = search_lag
        self.contract = contract or packaged_contract(validate=validate)
        self.latency = latency
        self.jitter = jitter
        self.retry_after = retry_after
        self.site_url = site_url.rstrip("/") if site_url else None
        self.auth = AuthPolicy(
            basic=frozenset(basic) if basic is not None else None,
            bearer=frozenset(bearer) if bearer is not None else None,
        )
        self.limits = limits
        self._time = time_source or epoch_source(self.clock)
        self.ledger = LimitLedger(limits, self._time) if limits is not None else None
        self.faults: FaultInjector[FaultKind] = FaultInjector(fault_plan)
        self.stats = JiraStats()
        self._jitter_rng = random.Random(seed)
        self._request_ids = itertools.count(1)

    @classmethod
    def with_default_scenario(cls, **kwargs: Any) -> JiraEmulator:
        """Project ``PROJ`` with its board and sprints (see :mod:`.scenario`)."""
        from .scenario import install_default_scenario

        emulator = cls(**kwargs)
        install_default_scenario(emulator.state)
        return emulator

    # ----------------------------------------------------------------------------------------- knobs
    @property
    def search_lag(self) -> float:
        return self.state.search_lag

    @search_lag.setter
    def search_lag(self, seconds: float) -> None:
        with self.lock:
            self.state.search_lag = seconds

    @property
    def fault_plan(self) -> FaultPlan[FaultKind] | None:
        return self.faults.plan

    @fault_plan.setter
    def fault_plan(self, plan: FaultPlan[FaultKind] | None) -> None:
        with self.lock:
            self.faults.set_plan(plan)

    def inject(self, kind: FaultKind | str, operation: str | None = None, times: int = 1) -> None:
        """Fail the next ``times`` requests of ``operation`` (an ``operationId`` such as ``createIssue``; None:
        any request) with ``kind``."""
        if operation is not None and operation not in ROUTES:
            raise ValueError(f"unknown operation {operation!r}; use an operationId such as createIssue")
        with self.lock:
            self.faults.inject(FaultKind(kind), operation, times)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def require_credentials(self, *, basic: Iterable[tuple[str, str]] = (), bearer: Iterable[str] = ()) -> None:
        """From now on only these credentials work (others get 401)."""
        self.auth = AuthPolicy(basic=frozenset(basic), bearer=frozenset(bearer))

    def next_delay(self) -> float:
        with self.lock:
            return max(0.0, self.latency + (self._jitter_rng.uniform(0, self.jitter) if self.jitter > 0 else 0.0))

    def transport(self) -> EmulatorTransport:
        """An ``httpx.AsyncBaseTransport`` answering every request (any host) from this emulator."""
        return EmulatorTransport(self)

    def time(self) -> float:
        return float(self._time())

    # ----------------------------------------------------------------------------------------- helpers
    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        auth: tuple[str, str] | str | None = ("user@example.com", "api-token"),
        headers: Mapping[str, str] | None = None,
    ) -> EmulatorResponse:
        """Send one request synchronously (no latency): ``auth`` is (email, token) for Basic, a string for Bearer."""
        sent = {"host": "jira.example.test", **(headers or {})}
        if isinstance(auth, tuple):
            sent["authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        elif isinstance(auth, str):
            sent["authorization"] = f"Bearer {auth}"
        data = b""
        if body is not None:
            data = json.dumps(body).encode()
            sent.setdefault("content-type", "application/json")
        return self.handle(method, path, sent, data)

    # ----------------------------------------------------------------------------------------- pipeline
    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, *, concurrency: int | None = None
    ) -> EmulatorResponse:
        """Answer one HTTP request (latency is the transport's job)."""
        method = method.upper()
        route, _, query_text = path.partition("?")
        if route.startswith("/_emulator/"):
            return self._admin(method, route, body)
        lowered = {k.lower(): v for k, v in headers.items()}
        if route == "/_edge/tenant_info" and method == "GET":
            return json_response(200, {"cloudId": self.state.cloud_id})
        self.stats.record_request()
        request_id = f"{next(self._request_ids):08x}-emu"
        try:
            response = self._api(method, route, query_text, lowered, body, request_id)
        except Exception:
            log.exception("Jira emulator failed on %s %s", method, route)
            self.stats.record_internal_error()
            response = json_response(500, error_body(["Internal server error"]), {"X-AREQUESTID": request_id})
        if not (response.drop or response.stall):
            self.stats.record_status(response.status)
        return response

    def _base(self, headers: Mapping[str, str], gateway: bool) -> str:
        base = self.site_url or f"http://{headers.get('host') or 'jira.example.test'}"
        return f"{base}{_GATEWAY}{self.state.cloud_id}" if gateway else base

    def _credential(self, headers: Mapping[str, str], *, gateway: bool) -> _Credential | None:
        scheme, _, value = headers.get("authorization", "").strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "basic":
            try:
                email, sep, token = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None
            return _Credential("basic", email) if sep and self.auth.accepts_basic(email, token) else None
        if scheme.lower() == "bearer" and gateway:  # OAuth 2.0 tokens work through the gateway only
            return _Credential("bearer", None) if self.auth.accepts_bearer(value) else None
        return None

    def _api(
        self, method: str, route: str, query_text: str, headers: Mapping[str, str], body: bytes, request_id: str
    ) -> EmulatorResponse:
        base_headers = {"X-AREQUESTID": request_id}
        gateway = route.startswith(_GATEWAY)
        if route == "/oauth/token/accessible-resources" and method == "GET":
            if self._credential(headers, gateway=True) is None:
                return json_response(401, {"code": 401, "message": "Unauthorized"}, base_headers)
            return json_response(200, [self._resource(headers)], base_headers)
        if gateway:
            cloud_id, _, rest = route[len(_GATEWAY) :].partition("/")
            if cloud_id != self.state.cloud_id:
                return json_response(404, error_body([f"No site with cloud id '{cloud_id}'."]), base_headers)
            route = "/" + rest
        credential = self._credential(headers, gateway=gateway)
        try:
            op, raw_path = self.contract.match(method, route)
        except RequestRefused as refused:
            if credential is None:
                return self._unauthenticated(base_headers)
            return self._refused(refused, base_headers)
        if credential is None:
            return self._unauthenticated(base_headers, op)
        handler = ROUTES.get(op.operation_id)
        if handler is None:
            return json_response(
                501,
                error_body([f"The Jira emulator does not implement {op.operation_id} ({method} {op.template})."]),
                base_headers,
            )
        try:
            parsed = self.contract.parse_request(
                op, raw_path, parse_qsl(query_text, keep_blank_values=True), headers.get("content-type"), body
            )
        except RequestRefused as refused:
            return self._refused(refused, base_headers, op)
        self.stats.record_operation(op.operation_id, write=handler.write)

        with self.lock:
            fault = self.faults.draw(op.operation_id, write=handler.write)
        if fault is not None:
            self.stats.record_fault(fault.value)
            if not fault.after_commit:
                return self._fault(fault, base_headers)

        with self.lock:
            admission = None
            if self.ledger is not None:
                written = handler.written(self.state, parsed) if handler.write else ()
                points = max(1, len(parsed.body.get("issueUpdates") or ())) if op.operation_id == "createIssues" else 1
                admission = self.ledger.admit(
                    method, op.template, issues=written, points=points, oauth=credential.kind == "bearer"
                )
                if admission.reason is not None:
                    self.stats.record_limited(admission.reason)
                    return self._answer(
                        op,
                        429,
                        error_body(["Rate limit exceeded."]),
                        {**base_headers, **admission.headers},
                        checked=False,
                    )
                self.stats.record_points(admission.points)
            call = Call(self.state, self._base(headers, gateway), parsed, credential.email)
            try:
                answer = handler.handler(call)
            except JiraError as error:
                answer = Answer(error.status, error.body())
            oauth = credential.kind == "bearer"
            if self.ledger is not None and answer.read and self.ledger.spend(answer.read, oauth=oauth):
                self.stats.record_points(answer.read)
        self.stats.record_created(answer.created)
        extra = {**base_headers, **(admission.headers if admission else {})}
        if fault is not None:  # applied; now the failure
            return self._fault(fault, extra)
        return self._answer(op, answer.status, answer.body, extra, checked=not handler.removed)

    def _resource(self, headers: Mapping[str, str]) -> dict[str, Any]:
        return {
            "id": self.state.cloud_id,
            "url": self._base(headers, gateway=False),
            "name": self.state.site_name,
            "scopes": ["read:jira-work", "write:jira-work", "read:jira-user"],
            "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/site.png",
        }

    def _answer(
        self, op: Operation, status: int, body: Any, headers: Mapping[str, str], *, checked: bool = True
    ) -> EmulatorResponse:
        """The answer, checked against the description first: an answer that does not conform is the emulator's
        bug, reported as a 500 naming the problem (and counted as an internal error)."""
        if body is None:
            response = EmulatorResponse(status=status, headers=dict(headers), body=b"")
        else:
            response = json_response(status, body, headers)
        if not checked:
            return response
        problems = []
        if not self.contract.documents_status(op, status):
            problems.append(f"{op.operation_id} answered {status}, which the description does not list")
        problems += self.contract.response_problems(op, status, response.headers.get("content-type"), response.body)
        if problems:
            log.error("Jira emulator answer does not conform: %s", "; ".join(problems))
            self.stats.record_internal_error()
            return json_response(
                500, error_body(["The emulator's answer does not conform to the description.", *problems])
            )
        return response

    def _unauthenticated(self, headers: Mapping[str, str], op: Operation | None = None) -> EmulatorResponse:
        extra = {**headers, "X-Seraph-LoginReason": "AUTHENTICATED_FAILED"}
        return json_response(401, error_body([UNAUTHENTICATED_MESSAGE]), extra)

    def _refused(
        self, refused: RequestRefused, headers: Mapping[str, str], op: Operation | None = None
    ) -> EmulatorResponse:
        self.stats.record_refused_by_contract()
        return json_response(refused.status, error_body(list(refused.problems)), headers)

    def _fault(self, fault: FaultKind, headers: Mapping[str, str]) -> EmulatorResponse:
        if fault in {FaultKind.DROP_BEFORE_COMMIT, FaultKind.DROP_AFTER_COMMIT}:
            return EmulatorResponse(status=0, headers={}, body=b"", drop=True)
        if fault in {FaultKind.TIMEOUT, FaultKind.TIMEOUT_AFTER_COMMIT}:
            return EmulatorResponse(status=0, headers={}, body=b"", stall=True)
        now = self.time()
        wait = max(1, round(self.retry_after))
        rate_limits = {
            FaultKind.RATE_LIMIT_BURST: Reason.BURST,
            FaultKind.RATE_LIMIT_PER_ISSUE: Reason.PER_ISSUE,
            FaultKind.RATE_LIMIT_QUOTA: Reason.QUOTA,
        }
        if fault in rate_limits:
            reason = rate_limits[fault]
            if fault is FaultKind.RATE_LIMIT_QUOTA:
                wait = max(1, int(3600 - now % 3600))
                if self.ledger is not None:
                    with self.lock:
                        self.ledger.exhaust_quota()
            extra = {
                "Retry-After": str(wait),
                "X-RateLimit-Limit": "100"
                if reason == Reason.BURST
                else ("20" if reason == Reason.PER_ISSUE else "65000"),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset_text(now + wait),
                "RateLimit-Reason": reason,
            }
            return json_response(429, error_body(["Rate limit exceeded."]), {**headers, **extra})
        if fault is FaultKind.RATE_LIMIT_NO_RETRY_AFTER:
            extra = {"X-Failure-Category": "FAILURE CLIENT RATE LIMITED"}
            return json_response(429, error_body(["Rate limit exceeded."]), {**headers, **extra})
        if fault is FaultKind.HTTP_503:
            return json_response(503, error_body(["Service Unavailable"]), {**headers, "Retry-After": str(wait)})
        status = {
            FaultKind.HTTP_500: 500,
            FaultKind.HTTP_500_AFTER_COMMIT: 500,
            FaultKind.HTTP_502: 502,
            FaultKind.HTTP_504: 504,
            FaultKind.HTTP_504_AFTER_COMMIT: 504,
        }[fault]
        messages = {500: "Internal server error", 502: "Bad Gateway", 504: "Gateway Timeout"}
        return json_response(status, error_body([messages[status]]), headers)

    # ----------------------------------------------------------------------------------------- admin
    def _admin(self, method: str, route: str, body: bytes) -> EmulatorResponse:
        """Side door for benchmarks and demos: stats, a state summary, scripted faults (no auth, not counted)."""
        if method == "GET" and route == "/_emulator/stats":
            return json_response(200, self.stats.as_dict())
        if method == "POST" and route == "/_emulator/reset-stats":
            self.stats.reset()
            return json_response(200, self.stats.as_dict())
        if method == "GET" and route == "/_emulator/state":
            return json_response(200, self.summary())
        if method == "POST" and route == "/_emulator/inject":
            try:
                spec = json.loads(body or b"{}")
                self.inject(FaultKind(spec["kind"]), spec.get("operation"), int(spec.get("times", 1)))
            except (ValueError, KeyError, TypeError) as error:
                return json_response(400, {"message": f"Bad fault: {error}"})
            return json_response(200, {"pending": len(self.faults.scripted)})
        return json_response(404, {"message": "Not Found"})

    def summary(self) -> dict[str, Any]:
        """Issues by project (key, type, summary, labels, status, parent), links, and the clock."""
        with self.lock:
            state = self.state
            projects = {
                key: [
                    {
                        "key": issue.key,
                        "type": issue.issue_type.name,
                        "summary": issue.summary,
                        "labels": list(issue.labels),
                        "status": issue.status.name,
                        "parent": issue.parent.key if issue.parent else None,
                        "sprint": issue.sprint.id if issue.sprint else None,
                    }
                    for issue in state.issues.values()
                    if issue.project.key == key and not issue.deleted
                ]
                for key in state.projects
            }
            links = [
                {"id": link.id, "type": link.type.name, "inward": link.inward.key, "outward": link.outward.key}
                for link in state.links.values()
            ]
            return {"cloudId": state.cloud_id, "now": state.now().isoformat(), "projects": projects, "links": links}
