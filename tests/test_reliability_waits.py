"""Long waits say what they wait for, and a server that never answers fails within a minute by default.

On virtual time (a looptime loop) where it can be: a request "takes" its timeout without real waiting.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import httpx
import looptime
import pytest

from planpilot_provider_github.options import GitHubOptions
from planpilot_providers_core.errors import TransientProviderError
from planpilot_providers_core.reliability import DEFAULT_RETRY_POLICY, RETRY_LOGGER_NAME, retry_call
from planpilot_providers_core.reliability.budget import Budget, BudgetTracker

T = TypeVar("T")
ROADMAP = Path(__file__).resolve().parents[1] / "examples" / "roadmap.json"
BOARD = "https://github.com/orgs/acme/projects/1"


class LoopClock:
    """The running (virtual) loop's time."""

    def monotonic(self) -> float:
        return asyncio.get_running_loop().time()

    def time(self) -> float:
        return 1_700_000_000.0 + self.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def virtual(main: Callable[[], Awaitable[T]]) -> T:
    async def call() -> T:
        return await main()

    with asyncio.Runner(loop_factory=lambda: looptime.new_event_loop(start=0.0, idle_timeout=5.0)) as runner:
        return runner.run(call())


def test_a_server_that_never_answers_fails_the_call_within_60s_by_default(caplog: pytest.LogCaptureFixture) -> None:
    """GitHub's default request timeout with the default retry policy: no answer, then give up in time."""
    request_timeout = GitHubOptions().timeout
    clock = LoopClock()
    attempts: list[float] = []

    async def never_answers() -> str:
        attempts.append(clock.monotonic())
        await clock.sleep(request_timeout)  # what httpx waits before its read timeout
        raise httpx.ReadTimeout("timed out")

    async def call() -> float:
        with pytest.raises(httpx.ReadTimeout):
            await retry_call("CreateIssue", never_answers, policy=DEFAULT_RETRY_POLICY, clock=clock)
        return clock.monotonic()

    with caplog.at_level(logging.INFO, logger=RETRY_LOGGER_NAME):
        elapsed = virtual(call)

    assert elapsed <= 60, f"gave up after {elapsed:.1f}s"
    assert len(attempts) == 2, "it still retries once: one timeout is not the end"
    lines = [r.getMessage() for r in caplog.records if r.name == RETRY_LOGGER_NAME]
    waiting = [line for line in lines if "no answer yet after 10s; still waiting" in line]
    assert len(waiting) == 2, lines
    assert "gives up after about 60s without one" in waiting[0]
    assert any("no answer after" in line and "giving up" in line for line in lines), lines


def test_answers_that_come_quickly_are_retried_as_before() -> None:
    clock = LoopClock()
    calls = 0

    async def fails_twice() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise TransientProviderError("502", request_sent=False)
        return "ok"

    assert virtual(lambda: retry_call("GetIssues", fails_twice, policy=DEFAULT_RETRY_POLICY, clock=clock)) == "ok"
    assert calls == 3


def test_a_long_wait_for_a_budget_says_which_budget_and_how_long(caplog: pytest.LogCaptureFixture) -> None:
    clock = LoopClock()
    tracker = BudgetTracker([Budget(name="content per minute", limit=3, window=60, margin=0)], clock=clock)

    async def many() -> None:
        await asyncio.gather(*(tracker.acquire({"content per minute": 1}) for _ in range(9)))

    with caplog.at_level(logging.WARNING, logger="planpilot.providers.budget"):
        virtual(many)

    lines = [r.getMessage() for r in caplog.records if r.name == "planpilot.providers.budget"]
    assert lines, "a wait of a minute is announced"
    assert all("for room in the 'content per minute' budget" in line for line in lines)
    assert lines[0].startswith("waiting 60s")
    assert len(lines) == 2, f"once per stretch (two one-minute waits), not per waiting request: {lines}"


def test_a_long_turn_between_writes_says_how_long(caplog: pytest.LogCaptureFixture) -> None:
    from planpilot_providers_core.reliability import Pacer

    clock = LoopClock()
    pacer = Pacer(30.0, clock=clock)

    async def two() -> None:
        await pacer.wait_turn()
        await pacer.wait_turn()

    with caplog.at_level(logging.WARNING, logger="planpilot.providers.pacing"):
        virtual(two)
    assert [r.getMessage() for r in caplog.records] == [
        "waiting 30s for the next turn: writes are spaced 30s apart (min_interval)"
    ]


def test_the_cli_gives_up_on_a_silent_server_naming_it(tmp_path: Path) -> None:
    """A server that accepts connections and never answers: exit 3, the URL named, no traceback."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        url = f"http://127.0.0.1:{port}/graphql"
        command = [str(Path(sys.executable).with_name("planpilot-providers")), "sync", str(ROADMAP)]
        command += ["--provider", "github", "--target", "acme/roadmap", "--board-url", BOARD, "--api-url", url]
        env = {**os.environ, "GITHUB_TOKEN": "silent-server-token", "PATH": str(tmp_path)}
        started = time.monotonic()
        done = subprocess.run(
            [*command, "--option", "timeout=0.3"], capture_output=True, text=True, env=env, timeout=120
        )
    assert done.returncode == 3, done.stderr
    assert f"no answer from GitHub at {url}" in done.stderr
    assert "Traceback" not in done.stderr
    assert time.monotonic() - started < 60
