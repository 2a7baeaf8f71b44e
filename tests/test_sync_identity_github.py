"""Plan identity, per-item fields and ``sync --dry-run`` end to end: the CLI against the GitHub emulator."""

from __future__ import annotations

import collections
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from planpilot_provider_github.testing import GitHubEmulator, serve_in_thread
from planpilot_providers_core.cli import main
from planpilot_providers_core.plan import load_plan
from planpilot_providers_core.sync.body import parse_metadata, render_body

ROOT = Path(__file__).resolve().parents[1]
ROADMAP = ROOT / "examples" / "roadmap.json"
REPO = "acme/roadmap"
BOARD = "https://github.com/orgs/acme/projects/1"


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[GitHubEmulator, str]]:
    monkeypatch.setenv("GITHUB_TOKEN", "identity-test-token")
    monkeypatch.setenv("PATH", str(tmp_path))  # no `gh`
    emulator = GitHubEmulator.with_default_scenario()
    with serve_in_thread(emulator) as url:
        yield emulator, url


def sync(
    capsys: pytest.CaptureFixture[str], url: str, *plan: Path | str, extra: tuple[str, ...] = ()
) -> tuple[int, Any]:
    argv = ["sync", *map(str, plan), "--provider", "github", "--target", REPO, "--board-url", BOARD]
    code = main([*argv, "--api-url", url, "--json", *extra])
    out = capsys.readouterr().out
    return code, json.loads(out)


def edited(tmp_path: Path, name: str = "edited.json", **titles: str) -> Path:
    payload = json.loads(ROADMAP.read_text())
    for item in payload["items"]:
        item["title"] = titles.get(item["id"], item["title"])
    path = tmp_path / name
    path.write_text(json.dumps(payload))
    return path


def per_item(emulator: GitHubEmulator) -> collections.Counter[tuple[str, str]]:
    metas = (parse_metadata(view.body) for view in emulator.state.issues(REPO))
    return collections.Counter((meta.plan_id, meta.item_id) for meta in metas if meta)


def test_an_edited_plan_resynced_without_flags_updates_the_same_issues(
    emulator: tuple[GitHubEmulator, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    server, url = emulator
    code, first = sync(capsys, url, ROADMAP)
    assert code == 0
    assert len(server.state.issues(REPO)) == 43

    code, second = sync(capsys, url, edited(tmp_path, T7="A task renamed after the first sync"))

    assert code == 0
    assert (second["identity"], second["plan_id"]) == ("lineage", first["plan_id"])
    assert len(server.state.issues(REPO)) == 43, "0 new issues"
    assert sum(row["created"] for row in second["summary"].values()) == 0
    titles = {view.title for view in server.state.issues(REPO)}
    assert "A task renamed after the first sync" in titles, "the edit is applied"
    assert set(per_item(server).values()) == {1}


def test_issues_planpilot_created_are_adopted_not_duplicated(
    emulator: tuple[GitHubEmulator, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Written straight into the emulator in PlanPilot's body format, under its content-hash plan id."""
    server, url = emulator
    plan = load_plan([ROADMAP])
    for item in plan:
        server.state.add_issue(REPO, item.title, render_body(item, plan.plan_id), labels=["planpilot"])

    code, result = sync(capsys, url, ROADMAP)

    assert code == 0
    assert result["identity"] == "content"
    assert len(server.state.issues(REPO)) == 43
    assert sum(row["created"] for row in result["summary"].values()) == 0
    assert all(item["action"] == "updated" for item in result["items"]), "adopted: bodies gain their keys"


def test_a_second_plan_with_overlapping_ids_takes_over_nothing(
    emulator: tuple[GitHubEmulator, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    server, url = emulator
    _, first = sync(capsys, url, ROADMAP)
    other = tmp_path / "other.json"
    other.write_text(
        json.dumps(
            {
                "items": [
                    {
                        "id": "E1",
                        "type": "EPIC",
                        "title": "Another team's epic",
                        "goal": "Their goal",
                        "requirements": ["r"],
                        "acceptance_criteria": ["a"],
                    },
                    {
                        "id": "S1",
                        "type": "STORY",
                        "parent_id": "E1",
                        "title": "Another team's story",
                        "goal": "Their story goal",
                        "requirements": ["r"],
                        "acceptance_criteria": ["a"],
                    },
                ]
            }
        )
    )
    before = {view.number: (view.title, view.body) for view in server.state.issues(REPO)}

    code, second = sync(capsys, url, other)

    assert code == 0
    assert second["identity"] == "new"
    assert second["plan_id"] != first["plan_id"]
    after = {view.number: (view.title, view.body) for view in server.state.issues(REPO)}
    assert {n: after[n] for n in before} == before, "plan A's issues are untouched"
    assert len(after) == 45

    server.stats.reset()
    code = main(
        [*("sync", str(other), "--provider", "github", "--target", REPO, "--board-url", BOARD),
         *("--api-url", url, "--plan-id", first["plan_id"])]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert f"plan id '{first['plan_id']}' is already used" in err
    assert "Nothing was written" in err
    assert server.stats.mutation_requests == 0, "the collision is refused before any write"


def test_per_item_fields_appear_on_the_board_and_are_checked_first(
    emulator: tuple[GitHubEmulator, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    server, url = emulator
    payload = json.loads(ROADMAP.read_text())
    payload["items"][0]["fields"] = {"Status": "Todo", "Priority": "P0"}
    path = tmp_path / "fields.json"
    path.write_text(json.dumps(payload))

    code, result = sync(capsys, url, path)

    assert code == 0
    key = next(item["key"] for item in result["items"] if item["id"] == payload["items"][0]["id"])
    view = server.state.issue(REPO, int(key.lstrip("#")))
    assert view.project_fields["acme/1"]["Status"] == "Todo", "the item's own value, not the default Backlog"
    assert view.project_fields["acme/1"]["Priority"] == "P0"
    others = [v for v in server.state.issues(REPO) if v.number != view.number]
    assert {v.project_fields["acme/1"]["Status"] for v in others} == {"Backlog"}

    payload["items"][0]["fields"] = {"Status": "Doing"}
    path.write_text(json.dumps(payload))
    server.stats.reset()
    code = main(
        [*("sync", str(path), "--provider", "github", "--target", REPO, "--board-url", BOARD), "--api-url", url]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "field 'Status' has no option 'Doing'; choices: Backlog, Todo, In Progress, Done" in err
    assert payload["items"][0]["id"] in err
    assert server.stats.mutation_requests == 0


def test_dry_run_against_github_lists_the_pending_change_and_writes_nothing(
    emulator: tuple[GitHubEmulator, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    server, url = emulator
    sync(capsys, url, ROADMAP)
    server.stats.reset()

    code, unchanged = sync(capsys, url, ROADMAP, extra=("--dry-run",))
    assert code == 0, "nothing to change"
    assert unchanged["pending"] is False

    code, preview = sync(capsys, url, edited(tmp_path, T7="Renamed in the preview"), extra=("--dry-run",))
    assert code == 5, "changes pending"
    changed = {item["id"]: item for item in preview["items"] if item["change"] != "unchanged"}
    assert "T7" in changed
    assert changed["T7"]["change"] == "update"
    assert "title" in changed["T7"]["fields"]
    assert server.stats.mutation_requests == 0, "a dry run writes nothing"

    code = main(
        [*("sync", str(edited(tmp_path, T7="Renamed in the preview")), "--provider", "github", "--target", REPO),
         *("--board-url", BOARD, "--api-url", url, "--dry-run")]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 5
    assert "Changes pending" in out
    assert "T7" in out
    assert server.stats.mutation_requests == 0


def test_two_copies_are_named_then_one_kept_with_keep_copy_once(
    emulator: tuple[GitHubEmulator, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """PlanPilot left two copies (v1 and v0 of the plan); the project refuses to pick, then keeps one."""
    server, url = emulator
    plan = load_plan([ROADMAP])
    v0 = load_plan([edited(tmp_path, "v0.json", E1="v0 title")])
    for copy in (plan, v0):
        for item in plan:
            server.state.add_issue(REPO, item.title, render_body(item, copy.plan_id), labels=["planpilot"])
    target = edited(tmp_path, T7="v2 title")

    code, refused = sync(capsys, url, target)
    assert code == 2
    assert refused["error"]["kind"] == "identity"
    assert plan.plan_id in refused["error"]["message"]
    assert v0.plan_id in refused["error"]["message"]

    code, dry = sync(capsys, url, target, extra=("--keep-copy", plan.plan_id, "--dry-run"))
    assert code == 5
    assert len(dry["merges"]) == 43, "the preview lists every item the keep would close"
    assert server.stats.mutation_requests == 0

    code, kept = sync(capsys, url, target, extra=("--keep-copy", plan.plan_id))
    assert code == 0
    assert kept["merged_copies"] == [v0.plan_id]
    assert len(kept["merged"]) == 43
    code, again = sync(capsys, url, target)  # no flag: the choice stuck
    assert (code, again["writes"], again["plan_id"]) == (0, 0, plan.plan_id)
    open_issues = [view for view in server.state.issues(REPO) if view.state == "OPEN"]
    assert len(open_issues) == 43
    assert {view.state_reason for view in server.state.issues(REPO) if view.state == "CLOSED"} == {"DUPLICATE"}
