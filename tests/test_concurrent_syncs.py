"""2, 3 and 5 ``planpilot-providers sync`` processes of one plan at once, against the GitHub emulator on loopback.

Two CI jobs on one push do exactly this. Afterwards every plan item has exactly one open issue, found
by discovery; every other copy is closed as a duplicate of it (never deleted) and has lost the
discovery label; the open issues' parents and blockers are each other. One more sync writes nothing.
"""

from __future__ import annotations

import collections
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from planpilot_providers_core.plan import Plan, load_plan
from planpilot_providers_core.sync.body import parse_metadata

CLI = Path(sys.executable).with_name("planpilot-providers")
REPO = "acme/roadmap"
BOARD = "https://github.com/orgs/acme/projects/1"

# E1 > S1 > T1, T2; E1 > S2 > T3, T6; E2 > S3 > T4, T5; T2 and T3 blocked by T1, T4 by T3.
_ITEMS = [
    ("E1", "EPIC", None, []),
    ("E2", "EPIC", None, []),
    ("S1", "STORY", "E1", []),
    ("S2", "STORY", "E1", []),
    ("S3", "STORY", "E2", []),
    ("T1", "TASK", "S1", []),
    ("T2", "TASK", "S1", ["T1"]),
    ("T3", "TASK", "S2", ["T1"]),
    ("T4", "TASK", "S3", ["T3"]),
    ("T5", "TASK", "S3", []),
    ("T6", "TASK", "S2", []),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def emulator_url() -> Iterator[str]:
    """``python -m planpilot_provider_github.testing --port P``, with a little latency so the runs overlap."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "planpilot_provider_github.testing", "--port", str(port), "--latency", "0.01"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/_emulator/state", timeout=1).read()
            break
        except OSError:
            assert server.poll() is None, server.communicate()
            assert time.monotonic() < deadline, "the emulator did not start"
            time.sleep(0.05)
    try:
        yield f"{base}/graphql"
    finally:
        server.terminate()
        server.communicate(timeout=10)


@pytest.fixture
def plan_path(tmp_path: Path) -> Path:
    items = [
        {
            "id": item_id,
            "type": item_type,
            "title": f"{item_type.title()} {item_id} of the concurrency test",
            "goal": f"Goal of {item_id}",
            "requirements": ["r"],
            "acceptance_criteria": ["a"],
            "estimate": {"tshirt": "M"},
            **({"parent_id": parent} if parent else {}),
            **({"depends_on": deps} if deps else {}),
        }
        for item_id, item_type, parent, deps in _ITEMS
    ]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"items": items}))
    return path


def _sync(url: str, plan: Path, *extra: str) -> list[str]:
    return [
        *(str(CLI), "sync", str(plan), "--provider", "github", "--target", REPO, "--board-url", BOARD),
        *("--api-url", url, "--json", *extra),
    ]


def _issues(url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(url.replace("/graphql", "/_emulator/state"), timeout=10) as answer:
        state = json.loads(answer.read())
    return list(state["repositories"][REPO]["issues"])


def _check_tracker(url: str, plan: Plan) -> tuple[int, set[str]]:
    """Assert one open issue per item with relations on the open ones; (open, keys closed as duplicates)."""
    issues = _issues(url)
    by_item: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for issue in issues:
        meta = parse_metadata(issue["body"])
        assert meta is not None, issue
        by_item[meta.item_id].append(issue)
    kept: dict[str, dict[str, Any]] = {}
    closed: set[str] = set()
    for item in plan:
        copies = by_item[item.id]
        open_copies = [i for i in copies if i["state"] == "OPEN"]
        assert len(open_copies) == 1, f"{item.id}: {[(i['number'], i['state']) for i in copies]}"
        (kept[item.id],) = open_copies
        assert "planpilot" in kept[item.id]["labels"]
        for duplicate in copies:
            if duplicate is kept[item.id]:
                continue
            closed.add(f"#{duplicate['number']}")
            assert (duplicate["state"], duplicate["stateReason"]) == ("CLOSED", "DUPLICATE"), duplicate
            assert duplicate["duplicateOf"] == kept[item.id]["number"], "linked to the one kept"
            assert "planpilot" not in duplicate["labels"], "out of discovery"
            assert duplicate["parent"] is None, "detached from the plan's tree"
            assert duplicate["blockedBy"] == [], "detached from the plan's tree"
    number = {item_id: issue["number"] for item_id, issue in kept.items()}
    blockers = plan.blockers()
    for item in plan:
        issue = kept[item.id]
        assert issue["parent"] == (number[item.parent_id] if item.parent_id else None), item.id
        assert sorted(issue["blockedBy"]) == sorted(number[b] for b in blockers[item.id]), item.id
        assert sorted(issue["subIssues"]) == sorted(number[c.id] for c in plan.children(item.id)), item.id
    return len(kept), closed


@pytest.mark.parametrize("runs", [2, 3, 5])
def test_concurrent_syncs_end_with_one_open_issue_per_item(
    emulator_url: str, plan_path: Path, tmp_path: Path, runs: int
) -> None:
    env = {**os.environ, "GITHUB_TOKEN": "concurrency-test-token", "PATH": str(tmp_path)}
    plan = load_plan([plan_path])
    processes = [
        subprocess.Popen(
            _sync(emulator_url, plan_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        for _ in range(runs)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=240)
        assert process.returncode == 0, err
        assert "Traceback" not in err
        results.append(json.loads(out))

    open_issues, closed = _check_tracker(emulator_url, plan)

    assert open_issues == len(plan)
    reported = {key for result in results for entry in result["merged"] for key in entry["closed"]}
    assert reported == closed, "each closed copy is reported by a run that closed it (runs may both close one)"
    print(f"{runs} runs: {open_issues} open issues, {len(closed)} closed as duplicates")
    again = subprocess.run(_sync(emulator_url, plan_path), capture_output=True, text=True, env=env, timeout=120)
    assert again.returncode == 0, again.stderr
    assert (json.loads(again.stdout)["writes"], json.loads(again.stdout)["merged"]) == (0, [])
    preview = subprocess.run(
        _sync(emulator_url, plan_path, "--dry-run"), capture_output=True, text=True, env=env, timeout=120
    )
    assert preview.returncode == 0, preview.stdout
