"""The token never leaks: not in reprs, not in any raised error, not in logs (DEBUG included)."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from typing import Any

import pytest

from planpilot_provider_github.provider import GitHubProvider
from planpilot_provider_github.testing import GitHubEmulator, serve_in_thread
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.contracts import CreateItemInput, ItemSearchFilters, UpdateItemInput
from planpilot_providers_core.errors import (
    AuthenticationError,
    ProviderError,
    RateLimitExhaustedError,
    TransientProviderError,
)
from planpilot_providers_core.reliability import RetryPolicy

REPO = "acme/roadmap"
ORG_BOARD = "https://github.com/orgs/acme/projects/1"
TOKEN = "ghp_S3cr3tT0k3nN3v3rL0gg3d_abcdef012345"
POLICY = RetryPolicy(attempts=3, wait_initial=0.001, wait_max=0.01, wait_jitter=0.0, max_retry_after=5.0)


def make_emulator() -> GitHubEmulator:
    return GitHubEmulator.with_default_scenario(retry_after=0.01, reset_delay=0.05)


def make_provider(emulator: GitHubEmulator, **overrides: Any) -> GitHubProvider:
    options: dict[str, Any] = {
        "target": REPO,
        "token": TOKEN,
        "board_url": ORG_BOARD,
        "transport": emulator.transport(),
        "mutation_interval": 0.0,
        "retry_policy": POLICY,
        "secondary_limit_wait": 0.01,
    }
    options.update(overrides)
    return GitHubProvider(ProviderConfig.from_keywords("github", **options))


def chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def assert_clean(exc: BaseException) -> None:
    """Neither the error nor anything it chains to mentions the token, however it is printed."""
    for error in chain(exc):
        assert TOKEN not in str(error)
        assert TOKEN not in repr(error)
        assert TOKEN not in repr(vars(error))
        assert TOKEN not in repr(error.args)
    assert TOKEN not in "".join(traceback.format_exception(exc))


def item_input(n: int = 0) -> CreateItemInput:
    return CreateItemInput(title=f"Item {n}", body=f"PLAN_ID:s\nITEM_ID:{n}", item_type="EPIC", size="M")


# -- reprs ---------------------------------------------------------------------------------------------


async def test_reprs_never_show_the_token() -> None:
    provider = make_provider(make_emulator())
    assert TOKEN not in repr(provider)
    assert TOKEN not in str(provider)
    async with provider:
        shown = [
            repr(provider),
            str(provider),
            repr(provider.context),
            repr(provider.context),
            repr(provider._gql),
            repr(provider._gql._http),
            repr(provider._gql._http.config),
            repr(provider._gql._http.transport),
            repr(provider._gql._http._headers),
        ]
        item = await provider.create_item(item_input())
        shown += [repr(item), str(item), repr(await provider.get_item(item.id))]
    for text in shown:
        assert TOKEN not in text, text


# -- errors ----------------------------------------------------------------------------------------------


async def test_a_rejected_token_is_not_in_the_error() -> None:
    emulator = make_emulator()
    emulator.accept_tokens("another-token")
    with pytest.raises(AuthenticationError) as info:
        async with make_provider(emulator):
            pass
    assert_clean(info.value)


async def test_a_forbidden_token_is_not_in_the_error() -> None:
    emulator = make_emulator()
    emulator.forbid_token(TOKEN)
    with pytest.raises(AuthenticationError) as info:
        async with make_provider(emulator):
            pass
    assert_clean(info.value)


async def test_a_read_only_token_is_not_in_the_error() -> None:
    emulator = make_emulator()
    async with make_provider(emulator) as provider:
        item = await provider.create_item(item_input())
        emulator.make_read_only(TOKEN)
        with pytest.raises(AuthenticationError) as info:
            await provider.update_item(item.id, UpdateItemInput(title="Renamed"))
    assert_clean(info.value)


async def test_server_errors_after_the_last_retry_do_not_show_the_token() -> None:
    emulator = make_emulator()
    async with make_provider(emulator) as provider:
        item = await provider.create_item(item_input())
        emulator.inject("http_502", "GetIssues", times=10)
        with pytest.raises(TransientProviderError) as info:
            await provider.get_item(item.id)
        assert_clean(info.value)

        emulator.clear_faults()
        emulator.inject("drop_before_commit", "GetIssues", times=10)
        with pytest.raises(TransientProviderError) as dropped:
            await provider.get_item(item.id)
        assert_clean(dropped.value)


async def test_a_rate_limit_given_up_on_does_not_show_the_token() -> None:
    emulator = make_emulator()
    async with make_provider(emulator, secondary_limit_wait=60.0) as provider:
        item = await provider.create_item(item_input())
        emulator.inject("secondary_403_no_retry_after", "GetIssues")
        with pytest.raises(RateLimitExhaustedError) as info:
            await provider.get_item(item.id)
    assert_clean(info.value)


async def test_provider_errors_do_not_show_the_token() -> None:
    emulator = make_emulator()
    async with make_provider(emulator) as provider:
        item = await provider.create_item(item_input())
        with pytest.raises(ProviderError) as bad_size:
            await provider.update_item(item.id, UpdateItemInput(size="XXXL"))
        with pytest.raises(ProviderError) as missing:
            await provider.get_item("I_missing")
        with pytest.raises(ProviderError) as self_parent:
            await item.set_parent(item)
    for exc in (bad_size.value, missing.value, self_parent.value):
        assert_clean(exc)


# -- logs ------------------------------------------------------------------------------------------------


def assert_logs_clean(records: list[logging.LogRecord]) -> None:
    assert records, "the run should have logged something (retries at least)"
    for record in records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in repr(record.__dict__)
        if record.exc_info and record.exc_info[1] is not None:
            assert_clean(record.exc_info[1])


async def run_everything(provider: GitHubProvider, emulator: GitHubEmulator) -> None:
    emulator.inject("http_502", "CreateIssue")
    emulator.inject("http_429", "GetIssues")
    emulator.inject("secondary_200", "SetProjectFields4")
    emulator.inject("secondary_403", "AddSubIssue")
    emulator.inject("drop_after_commit", "UpdateIssue")
    parent = await provider.create_item(item_input(0))
    child = await provider.create_item(item_input(1))
    await provider.update_item(child.id, UpdateItemInput(title="Renamed", labels=("extra",)))
    await child.reconcile_relations(parent=parent, blockers=[])
    await provider.get_item(parent.id)
    await provider.search_items(ItemSearchFilters(labels=("planpilot",), body_contains="PLAN_ID:s"))
    await provider.delete_item(child.id)
    with pytest.raises(ProviderError):
        await provider.get_item(child.id)


async def test_debug_logs_of_a_run_with_retries_never_show_the_token(caplog: pytest.LogCaptureFixture) -> None:
    emulator = make_emulator()
    caplog.set_level(logging.DEBUG)
    async with make_provider(emulator) as provider:
        await run_everything(provider, emulator)
    assert sum(emulator.stats.faults.values()) == 5
    assert any("retrying" in r.getMessage() for r in caplog.records)
    assert_logs_clean(caplog.records)


async def test_debug_logs_over_real_http_never_show_the_token(caplog: pytest.LogCaptureFixture) -> None:
    """Through the loopback server, so httpx and httpcore log their own DEBUG lines too."""
    emulator = make_emulator()
    caplog.set_level(logging.DEBUG)
    with serve_in_thread(emulator) as url:
        async with make_provider(emulator, transport=None, api_url=url) as provider:
            await run_everything(provider, emulator)
    assert any(r.name.startswith(("httpx", "httpcore")) for r in caplog.records)
    assert_logs_clean(caplog.records)
