"""A fake Tracklet service on loopback: Tracklet's HTTP/JSON API in memory, with fault injection.

Standard library only. Tests start it in a background thread and point the provider's ``api_url`` at
it; ``python -m planpilot_provider_tracklet.testing --port 8787 --api-key KEY`` serves it for a manual run.

It checks the ``Authorization`` header of every request: HTTP Basic with the account email and the API
key, or ``Bearer <OAuth token>``. It records each request it receives (:attr:`FakeTracklet.authorizations`),
and can answer the next matching requests with a fault (:meth:`FakeTracklet.inject`): ``"429"`` (refused,
with ``Retry-After``), ``"503"`` (refused) or ``"applied-503"`` (the request is carried out, then answered
503, as when a gateway times out).

Like Linear, it allows so many requests an hour per credential and says how many are left on every answer
(``X-RateLimit-Requests-Limit``, ``-Remaining``, and ``-Reset`` in epoch milliseconds); past the limit it
answers 429 with ``Retry-After`` until the hour is over.

Like some real trackers, it does not de-duplicate blocker links: linking the same blocker twice
shows it twice, so a provider has to check before it links.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["FakeTracklet", "Fault", "Request"]

Fault = Literal["429", "503", "applied-503"]
_WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})


class _HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Request:
    """One request as the service saw it."""

    def __init__(self, method: str, path: str, authorization: str | None, at: float) -> None:
        self.method, self.path, self.authorization, self.at = method, path, authorization, at
        self.status = 0

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} -> {self.status}>"


class _Rule:
    def __init__(self, method: str, path: str, fault: Fault, times: int, retry_after: str | None) -> None:
        self.method, self.path, self.fault = method, re.compile(path), fault
        self.times, self.retry_after = times, retry_after


class FakeTracklet:
    """The service. Use as a context manager (``with FakeTracklet() as service:``) or start()/stop()."""

    def __init__(
        self,
        *,
        api_key: str = "tracklet-test-key",
        account: str = "ada@tracklet.example",
        oauth_token: str | None = None,
        requests_per_hour: int = 5000,
        teams: dict[str, str] | None = None,
    ) -> None:
        self.api_key = api_key
        self.account = account
        basic = base64.b64encode(f"{account}:{api_key}".encode()).decode()
        self.accepted = {f"Basic {basic}"} | ({f"Bearer {oauth_token}"} if oauth_token else set())
        """The ``Authorization`` values it accepts."""
        self.requests_per_hour = requests_per_hour
        self._window: tuple[float, int] | None = None  # (start, requests counted in it)
        self.teams = teams if teams is not None else {"ENG": "Engineering"}
        self.projects: dict[str, dict[str, str]] = {}
        self.issues: dict[str, dict[str, Any]] = {}
        self.requests: list[Request] = []
        self._rules: list[_Rule] = []
        self._numbers: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control -----------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake Tracklet service is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        """What the provider's ``api_url`` option (the CLI's ``--api-url``) should be."""
        return f"{self.base_url}/v1"

    @property
    def authorizations(self) -> list[str | None]:
        """Every ``Authorization`` header received, in order (``None`` when a request had none)."""
        with self._lock:
            return [r.authorization for r in self.requests]

    def writes(self) -> list[Request]:
        """The requests that asked for a change (whatever the answer)."""
        with self._lock:
            return [r for r in self.requests if r.method in _WRITES]

    def add_project(self, team: str, slug: str, name: str = "Roadmap") -> str:
        project_id = str(uuid.uuid4())
        self.projects[project_id] = {"id": project_id, "team": team, "slug": slug, "name": name}
        return project_id

    def inject(self, method: str, path: str, fault: Fault, *, times: int = 1, retry_after: str | None = "0.05") -> None:
        """Answer the next ``times`` requests whose method and path (a regex, full match) fit with ``fault``."""
        with self._lock:
            self._rules.append(_Rule(method, path, fault, times, retry_after))

    def start(self, port: int = 0) -> FakeTracklet:
        handler = type("Handler", (_Handler,), {"service": self})
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="fake-tracklet", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeTracklet:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- the API -----------------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, authorization: str | None, body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        """Answer one request: ``(status, headers, JSON body or None)``."""
        url = urlsplit(target)
        record = Request(method, url.path, authorization, time.monotonic())
        with self._lock:
            self.requests.append(record)
            if authorization not in self.accepted:
                record.status = 401
                return 401, {}, {"error": "invalid or missing API key"}
            limits, left = self._count()
            if left < 0:
                record.status = 429
                return 429, {**limits, "Retry-After": limits["Retry-After"]}, {"error": "rate limit exceeded"}
            rule = self._take_rule(method, url.path)
            if rule is not None and rule.fault != "applied-503":
                headers = {"Retry-After": rule.retry_after} if rule.retry_after is not None else {}
                record.status = int(rule.fault)
                return record.status, headers, {"error": f"injected {rule.fault}"}
            try:
                payload = json.loads(body) if body else {}
                status, answer = self._route(method, url.path, parse_qs(url.query), payload)
            except _HttpError as exc:
                status, answer = exc.status, {"error": str(exc)}
            except (ValueError, KeyError, TypeError) as exc:
                status, answer = 400, {"error": f"bad request: {exc}"}
            if rule is not None:  # applied-503: the change stands, the answer is lost
                status, answer = 503, {"error": "injected 503 after the request was applied"}
            record.status = status
            return status, {k: v for k, v in limits.items() if k != "Retry-After"}, answer

    def _count(self) -> tuple[dict[str, str], int]:
        """Count one request in the hour's window: the rate-limit headers, and how many are left after it."""
        now = time.time()
        start, used = self._window if self._window is not None and now < self._window[0] + 3600 else (now, 0)
        used += 1
        self._window = (start, used)
        reset = start + 3600
        headers = {
            "X-RateLimit-Requests-Limit": str(self.requests_per_hour),
            "X-RateLimit-Requests-Remaining": str(max(0, self.requests_per_hour - used)),
            "X-RateLimit-Requests-Reset": str(int(reset * 1000)),
            "Retry-After": str(max(1, int(reset - now) + 1)),
        }
        return headers, self.requests_per_hour - used

    def _take_rule(self, method: str, path: str) -> _Rule | None:
        for rule in self._rules:
            if rule.times > 0 and rule.method == method and rule.path.fullmatch(path):
                rule.times -= 1
                return rule
        return None

    def _route(self, method: str, path: str, query: dict[str, list[str]], payload: Any) -> tuple[int, Any]:
        parts = [unquote(p) for p in path.split("/")[1:]]
        if parts[:1] != ["v1"]:
            raise _HttpError(404, "no such endpoint")
        match method, parts[1:]:
            case "GET", ["teams", team]:
                return 200, {"key": team, "name": self._team(team)}
            case "GET", ["teams", team, "projects", slug]:
                self._team(team)
                for project in self.projects.values():
                    if project["team"] == team and project["slug"] == slug:
                        return 200, project
                raise _HttpError(404, f"no project {slug!r} in team {team}")
            case "GET", ["teams", team, "issues"]:
                return 200, self._search(team, query)
            case "POST", ["teams", team, "issues"]:
                return 201, self._create(team, payload)
            case "GET", ["issues", issue_id]:
                return 200, self._issue(issue_id)
            case "PATCH", ["issues", issue_id]:
                return 200, self._update(self._issue(issue_id), payload)
            case "DELETE", ["issues", issue_id]:
                self._issue(issue_id)
                del self.issues[issue_id]
                for other in self.issues.values():
                    other["blocked_by"] = [b for b in other["blocked_by"] if b != issue_id]
                    other["parent"] = None if other["parent"] == issue_id else other["parent"]
                return 204, None
            case "POST", ["issues", issue_id, "blockers"]:
                issue, blocker = self._issue(issue_id), self._issue(str(payload["blocker"]))
                if blocker["team"] != issue["team"] or blocker["id"] == issue_id:
                    raise _HttpError(400, "a blocker must be another issue of the same team")
                issue["blocked_by"].append(blocker["id"])  # no de-duplication, on purpose
                return 201, issue
            case "DELETE", ["issues", issue_id, "blockers", blocker_id]:
                issue = self._issue(issue_id)
                issue["blocked_by"] = [b for b in issue["blocked_by"] if b != blocker_id]
                return 204, None
        raise _HttpError(404 if method == "GET" else 405, f"no endpoint {method} {path}")

    def _team(self, team: str) -> str:
        if team not in self.teams:
            raise _HttpError(404, f"no team {team!r}")
        return self.teams[team]

    def _issue(self, issue_id: str) -> dict[str, Any]:
        if issue_id not in self.issues:
            raise _HttpError(404, f"no issue {issue_id!r}")
        return self.issues[issue_id]

    def _search(self, team: str, query: dict[str, list[str]]) -> dict[str, Any]:
        self._team(team)
        labels = {label.casefold() for label in query.get("label", [])}
        text = query.get("q", [""])[0]
        limit = min(int(query.get("limit", ["50"])[0]), 50)
        after = int(query.get("after", ["0"])[0])
        matches = sorted(
            (
                issue
                for issue in self.issues.values()
                if issue["team"] == team
                and issue["number"] > after
                and labels <= {label.casefold() for label in issue["labels"]}
                and text in issue["description"]
            ),
            key=lambda issue: int(issue["number"]),
        )
        page = matches[:limit]
        more = len(matches) > limit
        return {"issues": page, "next": str(page[-1]["number"]) if more else None}

    def _create(self, team: str, payload: dict[str, Any]) -> dict[str, Any]:
        self._team(team)
        issue_id = str(payload.get("id") or uuid.uuid4())
        if issue_id in self.issues:
            raise _HttpError(409, f"issue {issue_id} already exists")
        title = payload["title"]
        if not isinstance(title, str) or not title.strip():
            raise _HttpError(400, "title is required")
        parent, project = payload.get("parent"), payload.get("project")
        if parent is not None:
            self._issue(str(parent))
        if project is not None and self.projects.get(str(project), {}).get("team") != team:
            raise _HttpError(400, f"no project {project!r} in team {team}")
        number = self._numbers[team] = self._numbers.get(team, 0) + 1
        issue: dict[str, Any] = {
            "id": issue_id,
            "number": number,
            "key": f"{team}-{number}",
            "url": f"{self.base_url}/{team.lower()}/issue/{team}-{number}",
            "team": team,
            "title": title,
            "description": str(payload.get("description", "")),
            "labels": [],
            "estimate": payload.get("estimate"),
            "parent": parent,
            "blocked_by": [],
            "project": project,
            "state": "open",
            "duplicate_of": None,
        }
        self.issues[issue_id] = issue
        self._add_labels(issue, payload.get("labels", []))
        return issue

    def _update(self, issue: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
        for field in ("title", "description", "estimate"):
            if field in payload:
                issue[field] = payload[field]
        if "parent" in payload:
            if payload["parent"] is not None:
                self._issue(str(payload["parent"]))
            issue["parent"] = payload["parent"]
        if "state" in payload:
            if payload["state"] not in ("open", "done", "duplicate"):
                raise _HttpError(400, f"state must be open, done or duplicate, not {payload['state']!r}")
            duplicate_of = payload.get("duplicate_of")
            if (payload["state"] == "duplicate") != (duplicate_of is not None):
                raise _HttpError(400, "a duplicate names the issue it duplicates (duplicate_of), and only a duplicate")
            if duplicate_of is not None and self._issue(str(duplicate_of))["id"] == issue["id"]:
                raise _HttpError(400, "an issue cannot duplicate itself")
            issue["state"], issue["duplicate_of"] = payload["state"], duplicate_of
        removed = {label.casefold() for label in payload.get("remove_labels", [])}
        issue["labels"] = [label for label in issue["labels"] if label.casefold() not in removed]
        self._add_labels(issue, payload.get("add_labels", []))
        return issue

    @staticmethod
    def _add_labels(issue: dict[str, Any], labels: list[str]) -> None:
        for label in labels:
            if label.casefold() not in {have.casefold() for have in issue["labels"]}:
                issue["labels"].append(label)


class _Handler(BaseHTTPRequestHandler):
    service: FakeTracklet
    protocol_version = "HTTP/1.1"  # keep-alive, so the provider's connection pool is exercised
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, answer = self.service.handle(self.command, self.path, self.headers.get("Authorization"), body)
        data = b"" if answer is None or status == 204 else json.dumps(answer).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a fake Tracklet API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--api-key", default="tracklet-test-key")
    parser.add_argument("--account", default="ada@tracklet.example")
    parser.add_argument("--requests-per-hour", type=int, default=5000)
    args = parser.parse_args()
    service = FakeTracklet(api_key=args.api_key, account=args.account, requests_per_hour=args.requests_per_hour)
    service.start(args.port)
    print(f"fake Tracklet API on {service.api_url} (HTTP Basic: account and API key); Ctrl-C stops it", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        service.stop()


if __name__ == "__main__":
    main()
