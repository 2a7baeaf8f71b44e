"""End to end through the command line, as a user runs it: ``planpilot-providers sync examples/roadmap.json
--provider linear --target ENG --api-url http://127.0.0.1:P/graphql`` against the emulator on loopback.

The user is also logged in to GitHub (``GITHUB_TOKEN``, ``GH_TOKEN``, a ``gh`` that prints a token): a Linear
sync must neither send nor print any of it, and the emulator accepts only the Linear key.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest

from planpilot_provider_linear.testing import LinearEmulator

PLAN = Path(__file__).resolve().parents[3] / "examples" / "roadmap.json"
KEY = "lin_api_cli-test-key-0123456789"
OAUTH = "lin_oauth_cli-test-token-0123456789"
GITHUB_SECRETS = ("ghp_github-token-from-env", "gho_gh-token-from-env", "gho_token-printed-by-gh-auth-token")
CLI = str(Path(sys.executable).with_name("planpilot-providers"))


class RecordingEmulator(LinearEmulator):
    """The emulator, remembering the ``Authorization`` header of every request it answers."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.authorizations: list[str] = []

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes, **kwargs: Any) -> Any:
        self.authorizations.append({k.lower(): v for k, v in headers.items()}.get("authorization", ""))
        return super().handle(method, path, headers, body, **kwargs)


def emulator() -> RecordingEmulator:
    from planpilot_provider_linear.testing.scenario import install_default_scenario

    made = RecordingEmulator(api_keys=[KEY], oauth_tokens=[OAUTH])
    install_default_scenario(made.state)
    return made


@attrs.frozen
class Run:
    code: int
    stdout: str
    stderr: str


def user_environment(directory: Path) -> dict[str, str]:
    """A user logged in to GitHub: tokens in the environment and a ``gh`` that prints one (and says it ran)."""
    bin_dir = directory / "bin"
    bin_dir.mkdir(exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(f'#!/bin/sh\necho "$@" >> "{directory / "gh-was-run"}"\necho {GITHUB_SECRETS[2]}\n')
    gh.chmod(gh.stat().st_mode | stat.S_IXUSR)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINEAR_", "PLANPILOT_PROVIDERS_ALLOW"))}
    env |= {"PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", "GITHUB_TOKEN": GITHUB_SECRETS[0]}
    env |= {"GH_TOKEN": GITHUB_SECRETS[1], "PLANPILOT_PROVIDERS_CACHE_DIR": str(directory / "cache")}
    return env


def cli(env: Mapping[str, str], *args: str) -> Run:
    done = subprocess.run([CLI, *args], env=dict(env), capture_output=True, text=True, timeout=120, check=False)
    return Run(done.returncode, done.stdout, done.stderr)


def sync_args(url: str, *more: str) -> tuple[str, ...]:
    return ("sync", str(PLAN), "--provider", "linear", "--target", "ENG", "--api-url", url, *more)


@attrs.frozen
class Synced:
    emulator: RecordingEmulator
    first: Run
    second: Run
    first_requests: int
    directory: Path


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synced]:
    """The example synced twice; the first run meets a batch create applied whose answer is lost, a 502 from the
    edge on another and a 503 on its updates. (Rate limits are tested on virtual time: Linear's refusal empties
    the bucket, which then refills at 0.7 requests a second, in real time here.)"""
    directory = tmp_path_factory.mktemp("user")
    env = {**user_environment(directory), "LINEAR_API_KEY": KEY}
    service = emulator()
    service.inject("drop_after_commit", operation="IssueBatchCreate")
    service.inject("http_502", operation="IssueBatchCreate")
    service.inject("http_503", operation="IssueUpdates")
    with service.serve() as url:
        first = cli(env, *sync_args(url))
        first_requests = len(service.authorizations)
        second = cli(env, *sync_args(url, "--json"))
        yield Synced(service, first, second, first_requests, directory)


def test_the_first_sync_creates_the_roadmap_once_despite_the_faults(synced: Synced) -> None:
    assert synced.first.code == 0, synced.first.stdout + synced.first.stderr
    assert "Sync OK" in synced.first.stdout
    plan = {item["id"]: item for item in json.loads(PLAN.read_text())["items"]}
    issues = synced.emulator.state.team_issues("ENG")
    items = [re.search(r"ITEM_ID:\s*(\S+)", issue.description or "") for issue in issues]
    assert sorted(m.group(1) for m in items if m) == sorted(plan), "an item was created twice or not at all"
    assert synced.emulator.stats.as_dict()["faults"] == {"drop_after_commit": 1, "http_502": 1, "http_503": 1}
    assert re.search(r"upsert: \d+/43 \(ETA \d+s", synced.first.stderr), synced.first.stderr


def test_the_second_sync_writes_nothing_and_reports_its_budget(synced: Synced) -> None:
    assert synced.second.code == 0, synced.second.stdout + synced.second.stderr
    summary = json.loads(synced.second.stdout)
    assert summary["writes"] == 0
    assert {item["action"] for item in summary["items"]} == {"unchanged"}
    budget = summary["budget"]
    later = len(synced.emulator.authorizations) - synced.first_requests
    assert budget["requests per hour"] == budget["requests"] == later
    assert budget["complexity points per hour"] > 0
    assert budget["limit responses"] == 0


def test_only_the_linear_key_is_sent_and_nothing_secret_is_printed(synced: Synced) -> None:
    assert set(synced.emulator.authorizations) == {KEY}  # a personal key goes bare, never as Bearer
    for run in (synced.first, synced.second):
        for secret in (*GITHUB_SECRETS, KEY):
            assert secret not in run.stdout + run.stderr
    assert not (synced.directory / "gh-was-run").exists(), "the sync ran gh"


def test_a_dry_run_and_a_check_write_nothing_and_estimate_the_cost(tmp_path: Path) -> None:
    env = {**user_environment(tmp_path), "LINEAR_API_KEY": KEY}
    service = emulator()
    with service.serve() as url:
        dry = cli(env, *sync_args(url, "--dry-run"))
        check = cli(env, "check", str(PLAN), "--provider", "linear", "--target", "ENG", "--api-url", url)
        slow = cli(env, "check", str(PLAN), "--provider", "linear", "--target", "ENG", "--api-url", url,
                   "--option", "requests_per_hour=20")  # fmt: skip
    assert (dry.code, check.code, slow.code) == (5, 0, 0), dry.stderr + check.stderr + slow.stderr  # 5: changes pending
    assert service.stats.as_dict()["write_requests"] == 0
    assert service.state.team_issues("ENG") == []
    assert "43 to create, 0 to update" in dry.stdout, dry.stdout
    assert re.search(r"budget units: \d+ requests per hour, \d+ complexity points per hour", check.stdout)
    # 20 requests an hour (one kept free) for about fifty: hours, and the request budget is what binds.
    assert re.search(r"about \d+h \d+m, bound by requests per hour", slow.stdout), slow.stdout


def test_an_oauth_token_goes_as_bearer(tmp_path: Path) -> None:
    env = {**user_environment(tmp_path), "LINEAR_OAUTH_TOKEN": OAUTH}
    service = emulator()
    with service.serve() as url:
        run = cli(env, "check", "--provider", "linear", "--target", "ENG", "--api-url", url, "--json")
    assert run.code == 0, run.stdout + run.stderr
    assert set(service.authorizations) == {f"Bearer {OAUTH}"}
    assert json.loads(run.stdout)["context"]["team_name"] == "Engineering"
    assert OAUTH not in run.stdout + run.stderr


def test_without_its_key_a_linear_sync_refuses_to_start_whatever_github_credentials_exist(tmp_path: Path) -> None:
    service = emulator()
    with service.serve() as url:
        run = cli(user_environment(tmp_path), *sync_args(url))
    assert run.code == 3, run.stdout + run.stderr
    assert service.authorizations == []
    assert "LINEAR_API_KEY" in run.stderr
    assert "LINEAR_OAUTH_TOKEN" in run.stderr
    for secret in GITHUB_SECRETS:
        assert secret not in run.stdout + run.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--target", "ENG", "--api-url", "http://linear.example/graphql"), "over plain http"),
        (("--target", "ENG-1"), "team key such as ENG"),
        (("--target", "ENG", "--board-url", "https://linear.app/acme/team/ENG"), "not a Linear project URL"),
        (("--target", "ENG", "--option", "page_size=500"), "page_size"),
    ],
)
def test_bad_configuration_is_refused_before_any_request(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    env = {**user_environment(tmp_path), "LINEAR_API_KEY": KEY}
    run = cli(env, "sync", str(PLAN), "--provider", "linear", *args)
    assert run.code == 2, run.stdout + run.stderr
    assert message in run.stderr
    assert "Traceback" not in run.stderr
    assert KEY not in run.stdout + run.stderr
