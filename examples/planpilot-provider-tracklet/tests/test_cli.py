"""End to end: ``planpilot-providers sync`` of the example plan into the fake service, as a user runs it.

Every run has the user's GitHub credentials around (``GITHUB_TOKEN``, ``GH_TOKEN`` and a logged-in
``gh`` on PATH): a sync through Tracklet must neither receive nor send them, and must not run ``gh``.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from planpilot_provider_tracklet.testing import FakeTracklet
from support import ACCOUNT, API_KEY, CREDENTIAL

PLAN = Path(__file__).resolve().parents[2] / "roadmap.json"
GITHUB_TOKEN = "ghp_github-token-from-env"
GH_TOKEN = "gho_gh-token-from-env"
GH_CLI_TOKEN = "gho_token-printed-by-gh-auth-token"
GITHUB_SECRETS = (GITHUB_TOKEN, GH_TOKEN, GH_CLI_TOKEN)


@attrs.frozen
class Run:
    code: int
    stdout: str
    stderr: str


@attrs.frozen
class Environment:
    env: dict[str, str]
    gh_log: Path

    def cli(self, *args: str, tracklet_key: str | None = API_KEY) -> Run:
        env = dict(self.env)
        if tracklet_key is not None:
            env["TRACKLET_API_KEY"] = tracklet_key
        env["TRACKLET_EMAIL"] = ACCOUNT
        command = [str(Path(sys.executable).with_name("planpilot-providers")), *args]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
        return Run(done.returncode, done.stdout, done.stderr)


def github_user_environment(directory: Path) -> Environment:
    """The environment of a user logged in to GitHub: tokens in the environment and a ``gh`` that prints one."""
    bin_dir = directory / "bin"
    bin_dir.mkdir()
    gh_log = directory / "gh-was-run"
    gh = bin_dir / "gh"
    gh.write_text(f'#!/bin/sh\necho "$@" >> "{gh_log}"\necho {GH_CLI_TOKEN}\n')
    gh.chmod(gh.stat().st_mode | stat.S_IXUSR)
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRACKLET_")}
    env |= {
        "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "GH_TOKEN": GH_TOKEN,
        "PLANPILOT_PROVIDERS_CACHE_DIR": str(directory / "cache"),
    }
    return Environment(env, gh_log)


@attrs.frozen
class Synced:
    service: FakeTracklet
    first: Run
    second: Run
    first_requests: int
    gh_log: Path


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synced]:
    """The example plan synced twice; the first run meets a 429, an applied-then-503 create and a 503 update."""
    user = github_user_environment(tmp_path_factory.mktemp("user"))
    with FakeTracklet(api_key=API_KEY, account=ACCOUNT) as service:
        service.inject("POST", r"/v1/teams/ENG/issues", "429", retry_after="0.05")
        service.inject("POST", r"/v1/teams/ENG/issues", "applied-503")
        service.inject("PATCH", r"/v1/issues/[^/]+", "503")
        sync = ("sync", str(PLAN), "--provider", "tracklet", "--target", "ENG", "--api-url", service.api_url)
        first = user.cli(*sync)
        first_requests = len(service.requests)
        second = user.cli(*sync, "--json")
        yield Synced(service, first, second, first_requests, user.gh_log)


def test_first_sync_creates_each_plan_item_once_with_its_relations(synced: Synced) -> None:
    assert synced.first.code == 0, synced.first.stdout + synced.first.stderr
    plan = {item["id"]: item for item in json.loads(PLAN.read_text())["items"]}
    issues = list(synced.service.issues.values())
    by_plan_id = {re.search(r"ITEM_ID:\s*(\S+)", issue["description"]).group(1): issue for issue in issues}  # type: ignore[union-attr]
    assert len(issues) == len(by_plan_id) == len(plan) == 43, "an item was created twice or not at all"
    for plan_id, item in plan.items():
        issue = by_plan_id[plan_id]
        assert issue["title"] == item["title"]
        assert {"planpilot", item["type"].title()} <= set(issue["labels"])
        parent = item.get("parent_id")
        assert issue["parent"] == (by_plan_id[parent]["id"] if parent else None), plan_id
        for dependency in item.get("depends_on") or ():
            assert issue["blocked_by"].count(by_plan_id[dependency]["id"]) == 1, (plan_id, dependency)
    # The injected faults were met, and retried: one line each, never stamina's raw event.
    statuses = [r.status for r in synced.service.requests[: synced.first_requests]]
    assert (statuses.count(429), statuses.count(503)) == (1, 2)
    assert "stamina.retry_scheduled" not in synced.first.stderr
    assert "Sync OK" in synced.first.stdout


def test_second_sync_writes_nothing(synced: Synced) -> None:
    assert synced.second.code == 0, synced.second.stdout + synced.second.stderr
    summary = json.loads(synced.second.stdout)
    assert summary["writes"] == 0
    assert {item["action"] for item in summary["items"]} == {"unchanged"}
    later = synced.service.requests[synced.first_requests :]
    assert later, "the second sync did not reach the service"
    assert [f"{r.method} {r.path}" for r in later if r.method != "GET"] == []


def test_a_sync_through_tracklet_never_receives_or_sends_the_github_token(synced: Synced) -> None:
    assert set(synced.service.authorizations) == {CREDENTIAL.authorization()}  # HTTP Basic: account and key
    for run in (synced.first, synced.second):
        for secret in (*GITHUB_SECRETS, *CREDENTIAL.secret_forms()):
            assert secret not in run.stdout + run.stderr
    assert not synced.gh_log.exists(), "the sync ran gh"


def test_sync_refuses_to_run_without_its_own_key_even_with_github_credentials(tmp_path: Path) -> None:
    user = github_user_environment(tmp_path)
    with FakeTracklet(api_key=API_KEY, account=ACCOUNT) as service:
        run = user.cli(
            "sync", str(PLAN), "--provider", "tracklet", "--target", "ENG", "--api-url", service.api_url,
            tracklet_key=None,
        )  # fmt: skip
        assert service.requests == []
    assert run.code == 3, run.stdout + run.stderr
    # The account email was found; the message names the part that is missing, and the alternative.
    assert "the Tracklet API key for provider 'tracklet' is incomplete: no API key found" in run.stderr
    assert "TRACKLET_API_KEY" in run.stderr
    assert ACCOUNT not in run.stderr
    for secret in GITHUB_SECRETS:
        assert secret not in run.stdout + run.stderr
    assert not user.gh_log.exists(), "looking for the Tracklet key ran gh"


def test_check_resolves_the_team_and_writes_nothing(tmp_path: Path) -> None:
    user = github_user_environment(tmp_path)
    with FakeTracklet(api_key=API_KEY, account=ACCOUNT) as service:
        run = user.cli("check", "--provider", "tracklet", "--target", "ENG", "--api-url", service.api_url, "--json")
        assert run.code == 0, run.stdout + run.stderr
        assert [r.method for r in service.requests] == ["GET"]
    report = json.loads(run.stdout)
    assert (report["provider"], report["context"]["team_name"]) == ("tracklet", "Engineering")


def test_the_sync_shows_an_eta_and_reports_the_budget_it_spent(synced: Synced) -> None:
    assert re.search(r"upsert: \d+/43 \(ETA \d+s", synced.first.stderr), synced.first.stderr
    budget = json.loads(synced.second.stdout)["budget"]
    later = synced.service.requests[synced.first_requests :]
    assert budget["requests per hour"] == budget["requests"] == len(later)
    assert budget["writes per minute"] == 0  # the second sync only reads
    assert budget["limit responses"] == 0


def test_check_of_a_plan_estimates_its_cost_at_tracklet_s_pace(tmp_path: Path) -> None:
    user = github_user_environment(tmp_path)
    with FakeTracklet(api_key=API_KEY, account=ACCOUNT) as service:
        args = ("check", str(PLAN), "--provider", "tracklet", "--target", "ENG", "--api-url", service.api_url)
        run = user.cli(*args, "--option", "writes_per_minute=20")
        assert [r.method for r in service.requests if r.method != "GET"] == []
    assert run.code == 0, run.stdout + run.stderr
    assert re.search(r"budget units: \d+ requests per hour, \d+ writes per minute", run.stdout), run.stdout
    # 19 writes a minute (a margin of one kept free): the plan's writes take minutes, and writes bind.
    assert re.search(r"duration at the tracker's pace: about \d+m \d+s, bound by writes per minute", run.stdout)


def test_an_oauth_token_is_the_alternative_to_the_api_key(tmp_path: Path) -> None:
    user = github_user_environment(tmp_path)
    token = "tracklet-oauth-0123456789"
    with FakeTracklet(api_key=API_KEY, account=ACCOUNT, oauth_token=token) as service:
        env = {**user.env, "TRACKLET_OAUTH_TOKEN": token}
        command = [str(Path(sys.executable).with_name("planpilot-providers")), "check", "--provider", "tracklet"]
        command += ["--target", "ENG", "--api-url", service.api_url]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert service.authorizations == [f"Bearer {token}"]
    assert token not in done.stdout + done.stderr
