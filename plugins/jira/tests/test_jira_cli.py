"""The main job end to end: ``planpilot-providers sync examples/roadmap.json --provider jira --target PROJ
--api-url http://127.0.0.1:P`` against the emulator served on loopback, with the credential from JIRA_EMAIL and
JIRA_API_TOKEN (the only one the emulator accepts); then a re-sync, ``--dry-run`` and ``check PLAN``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from planpilot_provider_jira.testing import Contract, JiraEmulator, serve_in_thread
from planpilot_providers_core.plan import load_plan

from .support import API_TOKEN, CREDENTIAL, EMAIL
from .tracker_check import check_tracker

ROADMAP = Path(__file__).resolve().parents[3] / "examples" / "roadmap.json"
GITHUB_TOKEN = "ghp_github-token-from-env-0123"


@attrs.frozen
class Run:
    code: int
    stdout: str
    stderr: str


def cli(tmp: Path, *args: str, credential: bool = True) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "PLANPILOT_PROVIDERS_"))}
    env |= {"GITHUB_TOKEN": GITHUB_TOKEN, "PLANPILOT_PROVIDERS_CACHE_DIR": str(tmp / "cache")}
    if credential:
        env |= {"JIRA_EMAIL": EMAIL, "JIRA_API_TOKEN": API_TOKEN}
    command = [str(Path(sys.executable).with_name("planpilot-providers")), *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180, check=False)
    return Run(done.returncode, done.stdout, done.stderr)


@attrs.frozen
class Synced:
    emulator: JiraEmulator
    first: Run
    second: Run
    dry_run: Run
    writes_after_first: int
    writes_after_all: int


def _serve(contract: Contract) -> JiraEmulator:
    return JiraEmulator.with_default_scenario(contract=contract, basic=[(EMAIL, API_TOKEN)], search_lag=2.0)


@pytest.fixture(scope="module")
def synced(full_contract: Contract, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synced]:
    tmp = tmp_path_factory.mktemp("jira-cli")
    emulator = _serve(full_contract)
    with serve_in_thread(emulator) as url:
        sync = ("sync", str(ROADMAP), "--provider", "jira", "--target", "PROJ", "--api-url", url)
        first = cli(tmp, *sync)
        writes_after_first = emulator.stats.write_requests
        second = cli(tmp, *sync, "--json")
        dry_run = cli(tmp, *sync, "--dry-run")
        yield Synced(emulator, first, second, dry_run, writes_after_first, emulator.stats.write_requests)
    assert emulator.stats.refused_by_contract == 0
    assert emulator.stats.internal_errors == 0


def test_the_first_sync_creates_the_roadmap_with_every_field_right(synced: Synced) -> None:
    assert synced.first.code == 0, synced.first.stdout + synced.first.stderr
    assert "Sync OK" in synced.first.stdout
    plan = load_plan([ROADMAP])
    check = check_tracker(synced.emulator, plan, plan.plan_id)
    assert (check.duplicates, check.missing, check.wrong) == (0, [], [])
    assert re.search(r"upsert: \d+/43 \(ETA \d+s", synced.first.stderr), synced.first.stderr


def test_a_resync_and_a_dry_run_write_nothing(synced: Synced) -> None:
    assert synced.second.code == 0, synced.second.stdout + synced.second.stderr
    summary = json.loads(synced.second.stdout)
    assert summary["writes"] == 0
    assert {item["action"] for item in summary["items"]} == {"unchanged"}
    assert synced.dry_run.code == 0, synced.dry_run.stdout + synced.dry_run.stderr  # nothing pending
    assert synced.writes_after_all == synced.writes_after_first


def test_the_credential_is_never_printed_and_the_github_token_never_used(synced: Synced) -> None:
    for run in (synced.first, synced.second, synced.dry_run):
        for secret in (*CREDENTIAL.secret_forms(), GITHUB_TOKEN):
            assert secret not in run.stdout + run.stderr


def test_a_dry_run_before_the_first_sync_lists_the_creates_and_writes_nothing(
    full_contract: Contract, tmp_path: Path
) -> None:
    emulator = _serve(full_contract)
    with serve_in_thread(emulator) as url:
        sync = ("sync", str(ROADMAP), "--provider", "jira", "--target", "PROJ", "--api-url", url)
        run = cli(tmp_path, *sync, "--dry-run")
    assert run.code == 5, run.stdout + run.stderr  # changes pending
    assert emulator.stats.write_requests == 0
    assert "create" in run.stdout


def test_check_of_the_plan_estimates_its_cost_at_jiras_pace(full_contract: Contract, tmp_path: Path) -> None:
    emulator = _serve(full_contract)
    with serve_in_thread(emulator) as url:
        run = cli(tmp_path, "check", str(ROADMAP), "--provider", "jira", "--target", "PROJ", "--api-url", url)
    assert run.code == 0, run.stdout + run.stderr
    assert emulator.stats.write_requests == 0
    assert re.search(r"budget units: .*POST requests per second", run.stdout), run.stdout
    assert "duration at the tracker's pace" in run.stdout


def test_a_missing_token_names_where_it_is_looked_for(full_contract: Contract, tmp_path: Path) -> None:
    emulator = _serve(full_contract)
    with serve_in_thread(emulator) as url:
        run = cli(tmp_path, "check", "--provider", "jira", "--target", "PROJ", "--api-url", url, credential=False)
    assert run.code == 3, run.stdout + run.stderr
    assert "JIRA_API_TOKEN" in run.stderr
    assert "JIRA_OAUTH_TOKEN" in run.stderr
    assert emulator.stats.requests == 0
