"""Reliability of the GitHub provider against the emulator's faults.

One pooled client; every way GitHub signals a rate limit is honoured (429; 403 and 200 "secondary
rate limit" with retry-after, else the reset time, else 60 s; 200 with RATE_LIMITED / RATE_LIMIT;
x-ratelimit-remaining: 0 with x-ratelimit-reset); the pause is shared by every in-flight call;
permanent errors are raised at once; partial data is never accepted. These providers keep no budgets
(the emulator's default); pacing by GitHub's budgets is tested in test_github_budgets.py.

No test sleeps for a real rate-limit pause: waits are tiny emulator values, or the shared gate is
replaced by a recorder that advances the emulator's clock instead of sleeping.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from planpilot_provider_github import client as client_module
from planpilot_provider_github.errors import GitHubGraphQLError, check_graphql_errors
from planpilot_provider_github.graphql.generated import issues as issue_ops
from planpilot_provider_github.graphql.generated import project_mutations
from planpilot_provider_github.options import GitHubOptions
from planpilot_provider_github.provider import GitHubProvider
from planpilot_provider_github.testing import GitHubEmulator
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.contracts import CreateItemInput, UpdateItemInput
from planpilot_providers_core.errors import (
    AuthenticationError,
    ItemNotFoundError,
    ProviderError,
    RateLimitError,
    RateLimitExhaustedError,
    TransientProviderError,
)
from planpilot_providers_core.reliability import RETRY_LOGGER_NAME, RetryPolicy

REPO = "acme/roadmap"
ORG_BOARD = "https://github.com/orgs/acme/projects/1"
TOKEN = "ghp_reliability_secret_token_0123456789"
#: Fast backoff, but long server-requested waits allowed (they are recorded, not slept).
POLICY = RetryPolicy(attempts=4, wait_initial=0.001, wait_max=0.01, wait_jitter=0.0, max_retry_after=120.0)
BODY = "PLAN_ID:rel\nITEM_ID:{n}"


class ShiftedTime:
    """The emulator's wall clock (rate-limit windows and reset headers), movable forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


class Recorder(httpx.AsyncBaseTransport):
    """Wraps the emulator transport: notes when each request starts, its operation and whether it mutates."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.starts: list[tuple[float, str, bool]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        query = payload["query"].lstrip()
        self.starts.append((time.monotonic(), payload.get("operationName") or "", query.startswith("mutation")))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class Tamper(httpx.AsyncBaseTransport):
    """Wraps the emulator transport and rewrites the JSON answer of one operation."""

    def __init__(self, inner: httpx.AsyncBaseTransport, operation: str, edit: Callable[[dict[str, Any]], None]):
        self.inner = inner
        self.operation = operation
        self.edit = edit

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if json.loads(request.content).get("operationName") != self.operation:
            return response
        body = json.loads(await response.aread())
        self.edit(body)
        return httpx.Response(response.status_code, headers={"content-type": "application/json"}, json=body)

    async def aclose(self) -> None:
        await self.inner.aclose()


def make_emulator(**kwargs: Any) -> GitHubEmulator:
    options: dict[str, Any] = {"retry_after": 0.01, "reset_delay": 0.05}
    options.update(kwargs)
    return GitHubEmulator.with_default_scenario(**options)


def make_provider(emulator: GitHubEmulator, **overrides: Any) -> GitHubProvider:
    options: dict[str, Any] = {
        "target": REPO,
        "token": TOKEN,
        "board_url": ORG_BOARD,
        "transport": emulator.transport(),
        "mutation_interval": 0.0,
        "retry_policy": POLICY,
    }
    options.update(overrides)
    return GitHubProvider(ProviderConfig.from_keywords("github", **options))


def record_pauses(provider: GitHubProvider, clock: ShiftedTime | None = None) -> list[float]:
    """Replace the shared gate's pause with a recorder; the emulator's clock moves on instead."""
    pauses: list[float] = []

    def pause_for(seconds: float) -> float:
        pauses.append(seconds)
        if clock is not None:
            clock.offset += seconds
        return 0.0

    provider._gql.gate.pause_for = pause_for  # type: ignore[method-assign]
    return pauses


def item_input(n: int = 0, **overrides: Any) -> CreateItemInput:
    values: dict[str, Any] = {"title": f"Item {n}", "body": BODY.format(n=n), "item_type": "TASK", "size": "M"}
    values.update(overrides)
    return CreateItemInput(**values)


def issue_count(emulator: GitHubEmulator) -> int:
    return len(emulator.state.issues(REPO))


# -- every fault kind, on a read and on writes ---------------------------------------------------------

RESET = "reset"
#: Fault -> the shared pause GitHub asks for: None (5xx: backoff, no pause), seconds, or RESET (until
#: x-ratelimit-reset: the emulator sets it 0.05 s ahead, sent as whole epoch seconds, plus 1 s margin).
FAULTS: dict[str, float | str | None] = {
    "http_500": None,
    "http_502": None,
    "http_504": None,
    "drop_before_commit": None,
    "http_429": 0.01,
    "secondary_403": 0.01,
    "secondary_200": 0.01,
    "secondary_403_no_retry_after": 60.0,
    "rate_limited_200": RESET,
    "rate_limit_200": RESET,
    "primary_exhausted": RESET,
}
RATE_LIMITS = [kind for kind, pause in FAULTS.items() if pause is not None]


def check_pauses(pauses: list[float], expected: float | str | None) -> None:
    if expected is None:
        assert pauses == []
    elif expected == RESET:
        assert pauses
        assert all(1.0 <= p <= 2.1 for p in pauses), pauses
    else:
        assert pauses
        assert pauses == pytest.approx([expected] * len(pauses))


def check_retry_logged(caplog: pytest.LogCaptureFixture, operation: str, expected: float | str | None) -> None:
    """One line: a retry names its attempt; a rate-limit pause (not an attempt) names the pause."""
    lines = [r.getMessage() for r in caplog.records if r.name == RETRY_LOGGER_NAME]
    assert len(lines) == 1, lines
    assert operation in lines[0]
    if expected is None:
        assert "attempt 2 of 4" in lines[0]
    else:
        assert "rate limited" in lines[0]
        assert "pausing" in lines[0]
    assert TOKEN not in lines[0]


@pytest.mark.parametrize(("kind", "expected"), FAULTS.items(), ids=list(FAULTS))
async def test_a_read_survives(kind: str, expected: float | str | None, caplog: pytest.LogCaptureFixture) -> None:
    clock = ShiftedTime()
    emulator = make_emulator(time_source=clock)
    async with make_provider(emulator) as provider:
        created = await provider.create_item(item_input())
        pauses = record_pauses(provider, clock)
        emulator.stats.reset()
        emulator.inject(kind, "GetIssues")
        with caplog.at_level(logging.INFO, logger=RETRY_LOGGER_NAME):
            item = await provider.get_item(created.id)

    assert item.title == created.title
    assert emulator.stats.operations == {"GetIssues": 2}
    assert emulator.stats.faults == {kind: 1}
    check_pauses(pauses, expected)
    check_retry_logged(caplog, "GetIssues", expected)


@pytest.mark.parametrize(("kind", "expected"), FAULTS.items(), ids=list(FAULTS))
async def test_a_create_survives_without_a_duplicate(
    kind: str, expected: float | str | None, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ShiftedTime()
    emulator = make_emulator(time_source=clock)
    async with make_provider(emulator) as provider:
        pauses = record_pauses(provider, clock)
        emulator.stats.reset()
        emulator.inject(kind, "CreateIssue")
        with caplog.at_level(logging.INFO, logger=RETRY_LOGGER_NAME):
            item = await provider.create_item(item_input())

    (issue,) = emulator.state.issues(REPO)
    assert issue.id == item.id
    assert issue.project_fields["acme/1"] == {
        "Status": "Backlog",
        "Priority": "P1",
        "Size": "M",
        "Iteration": "Iteration 3",
    }
    ops = emulator.stats.operations
    assert ops["CreateIssue"] == 2
    # A failure that may have been applied is checked (without search) before the create is re-sent;
    # a rate limit means it was not processed, so it is simply re-sent.
    assert ops["ListIssues"] == (1 if expected is None else 0)
    # CreateLabel once (the discovery label, made by the first write needing it), CreateIssue twice,
    # SetProjectFields4 once.
    assert emulator.stats.mutation_requests == 4
    check_pauses(pauses, expected)
    if expected is not None:
        check_retry_logged(caplog, "CreateIssue", expected)


@pytest.mark.parametrize(("kind", "expected"), FAULTS.items(), ids=list(FAULTS))
async def test_an_idempotent_write_survives(kind: str, expected: float | str | None) -> None:
    clock = ShiftedTime()
    emulator = make_emulator(time_source=clock)
    async with make_provider(emulator) as provider:
        created = await provider.create_item(item_input())
        pauses = record_pauses(provider, clock)
        emulator.stats.reset()
        emulator.inject(kind, "UpdateIssue")
        await provider.update_item(created.id, UpdateItemInput(title="Renamed"))

    assert emulator.state.issues(REPO)[0].title == "Renamed"
    assert emulator.stats.operations == {"GetIssues": 1, "UpdateIssue": 2}
    check_pauses(pauses, expected)


async def test_a_create_applied_despite_a_502_is_not_created_again() -> None:
    emulator = make_emulator()
    async with make_provider(emulator) as provider:
        emulator.inject("http_502_after_commit", "CreateIssue")
        item = await provider.create_item(item_input())

    (issue,) = emulator.state.issues(REPO)
    assert issue.id == item.id
    assert emulator.stats.operations["CreateIssue"] == 1
    assert issue.project_fields["acme/1"]["Size"] == "M"


@pytest.mark.parametrize(("kind", "sent"), [("http_502", 2), ("http_502_after_commit", 1), ("drop_after_commit", 1)])
async def test_a_delete_survives_and_is_not_repeated_once_applied(kind: str, sent: int) -> None:
    emulator = make_emulator()
    async with make_provider(emulator) as provider:
        created = await provider.create_item(item_input())
        emulator.inject(kind, "DeleteIssue")
        await provider.delete_item(created.id)
        with pytest.raises(ItemNotFoundError):
            await provider.get_item(created.id)
    assert emulator.stats.operations["DeleteIssue"] == sent
    assert issue_count(emulator) == 0


@pytest.mark.parametrize("operation", ["AddSubIssue", "AddBlockedBy", "RemoveSubIssue", "RemoveBlockedBy"])
async def test_a_relation_write_applied_despite_an_error_is_a_success(operation: str) -> None:
    """The retry meets "already linked" / "already absent", which is exactly what was wanted."""
    emulator = make_emulator()
    async with make_provider(emulator) as provider:
        parent = await provider.create_item(item_input(0))
        child = await provider.create_item(item_input(1))
        if operation.startswith("Remove"):
            await child.reconcile_relations(parent=parent, blockers=[parent])
        emulator.inject("http_502_after_commit", operation)
        if operation.startswith("Remove"):
            await child.reconcile_relations(parent=None, blockers=[])
            expected = (None, set())
        else:
            await child.reconcile_relations(parent=parent, blockers=[parent])
            expected = (parent.id, {parent.id})
        relations = await child.get_relations()

    assert (relations.parent_id, set(relations.blocker_ids)) == expected
    assert emulator.stats.operations[operation] == 2  # applied, 502, re-sent, refused as already done
    assert emulator.stats.faults == {"http_502_after_commit": 1}


async def test_a_label_create_applied_despite_an_error_is_looked_up() -> None:
    emulator = make_emulator()
    emulator.state.add_label(REPO, "planpilot")
    async with make_provider(emulator) as provider:
        emulator.stats.reset()
        emulator.inject("http_502_after_commit", "CreateLabel")
        item = await provider.create_item(item_input(labels=("fresh",)))
    assert emulator.stats.operations["CreateLabel"] == 2
    assert emulator.stats.operations["RepositoryLabel"] == 1
    assert "fresh" in item.labels
    assert "fresh" in emulator.state.issues(REPO)[0].labels


def test_a_rate_limited_body_waits_for_the_reset_even_with_budget_left() -> None:
    """GitHub sometimes reports RATE_LIMITED with x-ratelimit-remaining above 0: the reset still rules."""
    now = 1_700_000_000.0
    error = {"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}

    def wait(headers: dict[str, str]) -> float | None:
        response = httpx.Response(200, headers=headers, request=httpx.Request("POST", "https://api.github.com/graphql"))
        with pytest.raises(RateLimitError) as info:
            check_graphql_errors([error], response, "GetIssues", now=lambda: now)
        return info.value.retry_after

    assert wait({"x-ratelimit-remaining": "4", "x-ratelimit-reset": str(int(now + 30))}) == pytest.approx(31)
    assert wait({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(now + 30))}) == pytest.approx(31)
    assert wait({"x-ratelimit-remaining": "4", "retry-after": "7"}) == 7
    assert wait({"x-ratelimit-remaining": "4"}) == 60


async def test_server_errors_give_up_after_the_policy_attempts() -> None:
    emulator = make_emulator()
    async with make_provider(emulator) as provider:
        created = await provider.create_item(item_input())
        emulator.stats.reset()
        emulator.inject("http_502", "GetIssues", times=10)
        with pytest.raises(TransientProviderError, match="502"):
            await provider.get_item(created.id)
    assert emulator.stats.operations == {"GetIssues": POLICY.attempts}


@pytest.mark.parametrize("operation", ["GetIssues", "UpdateIssue", "AddSubIssue"])
async def test_network_failures_that_outlive_the_retries_are_provider_errors(operation: str) -> None:
    """Never a raw httpx error out of the provider: callers react to the core error tree."""
    emulator = make_emulator()
    async with make_provider(emulator) as provider:
        parent = await provider.create_item(item_input(0))
        child = await provider.create_item(item_input(1))
        emulator.stats.reset()
        emulator.inject("drop_before_commit", operation, times=10)
        calls = {
            "GetIssues": lambda: provider.get_item(child.id),
            "UpdateIssue": lambda: provider.update_item(child.id, UpdateItemInput(title="Renamed")),
            "AddSubIssue": lambda: child.set_parent(parent),
        }
        with pytest.raises(TransientProviderError, match=operation) as info:
            await calls[operation]()
    assert info.value.request_sent is True  # a dropped connection may have been acted on
    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)
    assert emulator.stats.operations[operation] == POLICY.attempts


async def test_a_transport_error_retrying_cannot_fix_is_a_provider_error_at_once() -> None:
    class Refusing(httpx.AsyncBaseTransport):
        calls = 0

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            Refusing.calls += 1
            raise httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'ftp://'.", request=request)

    provider = make_provider(make_emulator(), transport=Refusing())
    with pytest.raises(ProviderError, match="unsupported protocol") as info:
        await provider.__aenter__()
    assert not isinstance(info.value, TransientProviderError)
    assert Refusing.calls == 2  # the two reads on enter, once each


async def test_a_wait_longer_than_allowed_is_a_clear_error_not_a_sleep() -> None:
    emulator = make_emulator()
    async with make_provider(emulator, retry_policy=RetryPolicy(max_retry_after=30.0)) as provider:
        created = await provider.create_item(item_input())
        emulator.stats.reset()
        emulator.inject("secondary_403_no_retry_after", "GetIssues")
        started = time.monotonic()
        with pytest.raises(RateLimitExhaustedError) as info:
            await provider.get_item(created.id)
    assert time.monotonic() - started < 1.0
    assert info.value.retry_after == 60.0
    assert emulator.stats.operations == {"GetIssues": 1}


# -- the pause is shared -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["http_429", "secondary_403", "secondary_200"])
async def test_a_rate_limit_pauses_every_in_flight_call(kind: str) -> None:
    pause = 0.25
    emulator = make_emulator(retry_after=pause)
    recorder = Recorder(emulator.transport())
    async with make_provider(emulator, transport=recorder) as provider:
        items = [await provider.create_item(item_input(n)) for n in range(3)]
        recorder.starts.clear()
        emulator.inject(kind, "GetIssues")

        first = asyncio.create_task(provider.get_item(items[0].id))
        for _ in range(200):  # until the first call has met the limit
            if provider._gql.gate.remaining() > 0:
                break
            await asyncio.sleep(0.001)
        assert provider._gql.gate.remaining() > 0
        others = [asyncio.create_task(provider.get_item(i.id)) for i in items[1:]]
        others.append(asyncio.create_task(provider.update_item(items[2].id, UpdateItemInput(title="Renamed"))))
        await asyncio.gather(first, *others)

    limited_at = recorder.starts[0][0]
    later = [t for t, _, _ in recorder.starts[1:]]
    assert len(later) == 5  # the retry, two reads, the update's read and its write
    assert min(later) >= limited_at + pause - 0.01
    assert emulator.stats.faults == {kind: 1}


def test_retries_and_the_transport_share_one_gate() -> None:
    provider = make_provider(make_emulator())
    assert provider._gql._http.gate is provider._gql.gate


# -- one pooled client -------------------------------------------------------------------------------


async def test_one_pooled_client_with_bounded_concurrency() -> None:
    emulator = make_emulator(latency=0.01)
    async with make_provider(emulator, max_connections=3) as provider:
        transport = provider._gql._http.transport
        created = await provider.create_item(item_input())
        emulator.stats.reset()
        await asyncio.gather(*(provider.get_item(created.id) for _ in range(12)))
        assert provider._gql._http.transport is transport
    with pytest.raises(RuntimeError, match="not open"):
        _ = provider._gql._http.transport  # closed on exit
    assert emulator.stats.operations == {"GetIssues": 12}
    assert 2 <= emulator.stats.peak_in_flight <= 3


# -- permanent errors ----------------------------------------------------------------------------------


async def test_forbidden_writes_are_authentication_errors_not_retried() -> None:
    emulator = make_emulator()
    async with make_provider(emulator) as provider:
        created = await provider.create_item(item_input())
        emulator.make_read_only(TOKEN)
        emulator.stats.reset()

        with pytest.raises(AuthenticationError, match="permission"):
            await provider.update_item(created.id, UpdateItemInput(title="Renamed"))
        assert emulator.stats.operations == {"GetIssues": 1, "UpdateIssue": 1}

        with pytest.raises(AuthenticationError):
            await provider.create_item(item_input(1))
        assert emulator.stats.operations["CreateIssue"] == 1
    assert issue_count(emulator) == 1


async def test_a_rejected_token_fails_on_enter_without_retries() -> None:
    emulator = make_emulator()
    emulator.accept_tokens("some-other-token")
    provider = make_provider(emulator)
    with pytest.raises(AuthenticationError, match="401"):
        await provider.__aenter__()
    # The repository and the project are read concurrently on enter: two requests, neither retried.
    assert emulator.stats.requests == 2
    assert emulator.stats.statuses == {401: 2}


async def test_a_forbidden_token_fails_on_enter_without_retries() -> None:
    emulator = make_emulator()
    emulator.forbid_token(TOKEN)
    provider = make_provider(emulator)
    with pytest.raises(AuthenticationError, match="SAML"):
        await provider.__aenter__()
    assert emulator.stats.requests == 2
    assert emulator.stats.statuses == {403: 2}


async def test_a_token_revoked_mid_run_is_an_authentication_error() -> None:
    emulator = make_emulator()
    async with make_provider(emulator) as provider:
        created = await provider.create_item(item_input())
        emulator.accept_tokens("some-other-token")
        emulator.stats.reset()
        with pytest.raises(AuthenticationError):
            await provider.get_item(created.id)
    assert emulator.stats.requests == 1
    assert emulator.stats.statuses == {401: 1}


async def test_not_found_is_item_not_found_in_one_request() -> None:
    emulator = make_emulator()
    async with make_provider(emulator) as provider:
        emulator.stats.reset()
        with pytest.raises(ItemNotFoundError):
            await provider.get_item("I_kwDOnope")
    assert emulator.stats.operations == {"GetIssues": 1}


async def test_an_invalid_document_is_a_permanent_graphql_error(monkeypatch: pytest.MonkeyPatch) -> None:
    emulator = make_emulator()
    async with make_provider(emulator) as provider:
        created = await provider.create_item(item_input())
        emulator.stats.reset()
        monkeypatch.setattr(
            client_module, "render", lambda op: "query GetIssues($ids: [ID!]!) { nodes(ids: $ids) { idd } }"
        )
        with pytest.raises(GitHubGraphQLError, match="invalid") as info:
            await provider.get_item(created.id)
        assert not isinstance(info.value, TransientProviderError)
        assert info.value.operation == "GetIssues"
        assert "idd" in str(info.value)
    assert emulator.stats.operations == {"GetIssues": 1}


async def test_missing_variables_are_a_permanent_graphql_error() -> None:
    emulator = make_emulator()
    async with make_provider(emulator) as provider:
        emulator.stats.reset()
        with pytest.raises(GitHubGraphQLError, match=r"\$ids"):
            await provider._gql.query(issue_ops.Operations.query.get_issues, {})
    assert emulator.stats.requests == 1


async def test_partial_data_with_a_failed_alias_is_raised() -> None:
    """Two field values in one request; GitHub applies one and refuses the other: that is an error."""
    emulator = make_emulator()
    async with make_provider(emulator) as provider:
        created = await provider.create_item(item_input(size="M"))
        project = emulator.state.project("acme", 1)
        item_id = project.items[created.id].id
        priority = project.field_named("Priority")
        size = project.field_named("Size")
        assert priority is not None
        assert size is not None
        with emulator.state.lock:  # a person clears Priority and deletes the "L" option of Size
            emulator.state.clear_field_value(project_id=project.id, item_id=item_id, field_id=priority.id)
            size.options = [o for o in size.options if o.name != "L"]
        emulator.stats.reset()

        with pytest.raises(GitHubGraphQLError, match="option"):
            await provider.update_item(created.id, UpdateItemInput(size="L"))

    assert emulator.stats.operations == {"GetIssues": 1, "SetProjectFields2": 1}
    assert emulator.stats.mutation_fields_applied == 1  # the Priority alias did go through


async def test_read_data_next_to_an_unexpected_error_is_not_accepted() -> None:
    emulator = make_emulator()

    def add_error(body: dict[str, Any]) -> None:
        body.setdefault("errors", []).append(
            {"type": "SERVICE_UNAVAILABLE", "path": ["nodes", 0, "projectItems"], "message": "Timeout on a field"}
        )

    transport = Tamper(emulator.transport(), "GetIssues", add_error)
    async with make_provider(emulator, transport=transport) as provider:
        created = await provider.create_item(item_input())
        emulator.stats.reset()
        with pytest.raises(GitHubGraphQLError, match="Timeout on a field"):
            await provider.get_item(created.id)
    assert emulator.stats.operations == {"GetIssues": 1}


async def test_an_answer_without_data_is_not_accepted() -> None:
    emulator = make_emulator()

    def drop_data(body: dict[str, Any]) -> None:
        body["data"] = None

    transport = Tamper(emulator.transport(), "GetIssues", drop_data)
    async with make_provider(emulator, transport=transport) as provider:
        created = await provider.create_item(item_input())
        with pytest.raises(ProviderError):
            await provider.get_item(created.id)


# -- labels: created once, however many ask --------------------------------------------------------------


async def test_concurrent_creates_create_a_missing_label_once() -> None:
    emulator = make_emulator()
    async with make_provider(emulator) as provider:
        emulator.stats.reset()
        items = await asyncio.gather(
            *(provider.create_item(item_input(n, labels=("team-x", "area-y"))) for n in range(10))
        )

    assert emulator.stats.operations["CreateLabel"] == 3, "team-x, area-y and the discovery label, once each"
    assert emulator.stats.operations["CreateIssue"] == 10
    issues = emulator.state.issues(REPO)
    assert len(issues) == 10
    assert all({"team-x", "area-y", "planpilot"} <= set(issue.labels) for issue in issues)
    assert all({"team-x", "area-y"} <= set(item.labels) for item in items)


async def test_a_label_someone_else_created_is_looked_up() -> None:
    emulator = make_emulator()
    emulator.state.add_label(REPO, "planpilot")
    async with make_provider(emulator) as provider:
        emulator.state.add_label(REPO, "External")  # created after we read the labels on enter
        emulator.stats.reset()
        items = await asyncio.gather(*(provider.create_item(item_input(n, labels=("external",))) for n in range(3)))

    ops = emulator.stats.operations
    assert ops["CreateLabel"] == 1
    assert ops["RepositoryLabel"] == 1
    assert all("External" in issue.labels for issue in emulator.state.issues(REPO))
    assert len(items) == 3


async def test_a_failed_label_create_is_reported_and_not_cached() -> None:
    emulator = make_emulator()
    emulator.state.add_label(REPO, "planpilot")
    async with make_provider(emulator) as provider:
        emulator.make_read_only(TOKEN)
        with pytest.raises(AuthenticationError):
            await provider.create_item(item_input(0, labels=("new-label",)))
        emulator.auth.read_only_tokens.discard(TOKEN)
        emulator.stats.reset()
        await provider.create_item(item_input(1, labels=("new-label",)))
    assert emulator.stats.operations["CreateLabel"] == 1
    assert issue_count(emulator) == 1


# -- retries are logged, without secrets ------------------------------------------------------------------


async def test_each_retry_logs_operation_and_attempt(caplog: pytest.LogCaptureFixture) -> None:
    emulator = make_emulator()
    async with make_provider(emulator) as provider:
        created = await provider.create_item(item_input())
        emulator.inject("http_502", "GetIssues", times=2)
        with caplog.at_level(logging.DEBUG):
            await provider.get_item(created.id)

    lines = [r.getMessage() for r in caplog.records if r.name == RETRY_LOGGER_NAME]
    assert len(lines) == 2
    assert "GetIssues" in lines[0]
    assert "attempt 2 of 4" in lines[0]
    assert "GetIssues" in lines[1]
    assert "attempt 3 of 4" in lines[1]
    assert all(r.levelno == logging.WARNING for r in caplog.records if r.name == RETRY_LOGGER_NAME)
    assert not any(TOKEN in r.getMessage() or TOKEN in repr(r.__dict__) for r in caplog.records)


# -- typed results ---------------------------------------------------------------------------------------


def canned_client(body: object) -> client_module.GitHubGraphQL:
    """A client whose every request is answered 200 with ``body`` (no emulator: the answer is the test)."""
    answer = json.dumps(body).encode()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=answer))
    options = GitHubOptions(
        api_url="http://127.0.0.1:9/graphql", transport=transport, retry_policy=RetryPolicy(attempts=1)
    )
    return client_module.GitHubGraphQL(token=TOKEN, options=options)


async def test_a_result_is_typed_when_read_and_only_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """sgqlc builds the typed result on first access: a write whose answer nobody reads costs no parsing."""
    parsed: list[str] = []
    real_parse = client_module.parse

    def counting_parse(op: Any, data: Any) -> Any:
        parsed.append("parse")
        return real_parse(op, data)

    monkeypatch.setattr(client_module, "parse", counting_parse)
    op = project_mutations.Operations.mutation.set_project_fields1
    variables = {"i0": {"projectId": "P", "itemId": "I", "fieldId": "F", "value": {"text": "x"}}}
    async with canned_client({"data": {"f0": {"projectV2Item": {"id": "PVTI_1"}}}}) as gql:
        response = await gql.mutate(op, variables)
        assert parsed == []
        assert response.data.f0.project_v2_item.id == "PVTI_1"
        assert response.data.f0.project_v2_item.id == "PVTI_1"
    assert parsed == ["parse"]
    assert "SetProjectFields1" in repr(response)


@pytest.mark.parametrize("data", [[], "text", 3])
async def test_data_that_is_not_an_object_is_no_answer(data: object) -> None:
    async with canned_client({"data": data}) as gql:
        with pytest.raises(TransientProviderError, match="without data"):
            await gql.query(issue_ops.Operations.query.get_issues, {"ids": ["I_1"]})
