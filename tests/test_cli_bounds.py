"""Bounded input and output, and refusals that write nothing: what the CLI does with hostile or huge input.

* a plan file, its item count and its ids have caps, checked before anything else;
* an id whose whitespace would be lost on the way back is refused, before any write;
* long lists and values in errors are cut, with a count of what was left out;
* output survives a stdout that is not UTF-8;
* ``--json`` writes exactly one JSON object, whatever the exit code;
* a run refused after entering the provider has written nothing (not even a label).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from planpilot_provider_github.testing import GitHubEmulator, serve_in_thread
from planpilot_providers_core.cli import main
from planpilot_providers_core.plan import MAX_ITEMS, PlanError, load_plan
from planpilot_providers_core.plan.files import MAX_PLAN_BYTES
from planpilot_providers_core.plan.model import MAX_ID_LENGTH

ROOT = Path(__file__).resolve().parents[1]
ROADMAP = ROOT / "examples" / "roadmap.json"
CLI = Path(sys.executable).with_name("planpilot-providers")
BOARD = "https://github.com/orgs/acme/projects/1"


def item(item_id: str, item_type: str = "EPIC", **extra: Any) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": item_type,
        "title": f"Title {item_id}",
        "goal": "g",
        "requirements": ["r"],
        "acceptance_criteria": ["a"],
        **extra,
    }


def plan_file(tmp_path: Path, items: list[dict[str, Any]], name: str = "plan.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"items": items}), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- caps ------------------------------------------------------------------------------------------------


def test_a_plan_file_over_the_size_cap_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as stream:
        stream.truncate(MAX_PLAN_BYTES + 1)  # sparse: no disk, no memory

    with pytest.raises(PlanError, match=r"larger than 32 MiB, the most a plan file may have"):
        load_plan([huge])


def test_a_plan_over_the_item_cap_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = plan_file(tmp_path, [item(f"E{n}") for n in range(MAX_ITEMS + 1)])

    code, out, err = run(capsys, "sync", str(path), "--json")

    assert code == 2
    assert f"has {MAX_ITEMS + 1} items; a plan may have at most {MAX_ITEMS}" in err
    assert len(err) < 1000, "one problem, not one per item"
    assert json.loads(out)["error"]["kind"] == "plan"


@pytest.mark.parametrize("item_id", [" E1 ", "E1 ", "E1\t", "E1\u00a0", "\u2003E1", "E\n1", "E\x001"])
def test_ids_whose_whitespace_or_controls_would_not_survive_are_refused(tmp_path: Path, item_id: str) -> None:
    with pytest.raises(PlanError) as refused:
        load_plan([plan_file(tmp_path, [item(item_id)])])
    (problem,) = refused.value.problems
    assert "whitespace" in problem.message or "control character" in problem.message
    assert json.dumps(item_id) in str(problem), "the id is shown with its invisible characters escaped"


def test_ids_longer_than_the_cap_are_refused_without_being_echoed(tmp_path: Path) -> None:
    with pytest.raises(PlanError) as refused:
        load_plan([plan_file(tmp_path, [item("E" * 5000)])])
    assert f"has 5000 characters; an id may have at most {MAX_ID_LENGTH}" in str(refused.value)
    assert len(str(refused.value)) < 500


# -- long errors are cut ----------------------------------------------------------------------------------


def test_a_long_dependency_cycle_is_reported_with_a_count_not_in_full(tmp_path: Path) -> None:
    count = 2000
    items = [item(f"E{n}", depends_on=[f"E{(n + 1) % count}"]) for n in range(count)]
    with pytest.raises(PlanError) as refused:
        load_plan([plan_file(tmp_path, items)])
    message = str(refused.value)
    assert "dependency cycle" in message
    assert f"... ({count - 9} more)" in message
    assert len(message) < 1000, f"{len(message)} characters"


def test_many_problems_are_listed_up_to_a_point_then_counted(tmp_path: Path) -> None:
    items = [{"id": f"E{n}", "type": "EPIC"} for n in range(300)]  # no title: one problem each
    with pytest.raises(PlanError) as refused:
        load_plan([plan_file(tmp_path, items)])
    assert len(refused.value.problems) >= 300, "the problems themselves are all kept (--json lists them)"
    assert str(refused.value).count("\n") < 60
    assert "... and " in str(refused.value)


def test_a_very_long_plan_id_is_not_echoed_in_full(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "sync", str(ROADMAP), "--plan-id", "p" * 5000)
    assert code == 2
    assert "plan id must be 1-64 letters" in err
    assert len(err) < 500


# -- output ----------------------------------------------------------------------------------------------


def test_a_stdout_that_is_not_utf8_gets_escapes_not_a_crash(tmp_path: Path) -> None:
    path = plan_file(tmp_path, [item("E1", title="Café ☕ roadmap")])
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}

    result = subprocess.run([str(CLI), "sync", str(path)], capture_output=True, text=True, env=env, timeout=60)

    assert result.returncode == 0, result.stderr
    assert "Caf\\xe9 \\u2615 roadmap" in result.stdout
    assert "Sync OK" in result.stdout


@pytest.mark.parametrize(
    ("argv", "code", "kind"),
    [
        (["sync", "--json"], 2, "usage"),  # no plan given
        (["sync", str(ROADMAP), "--json", "--max-concurrent", "0"], 2, "usage"),
        (["check", "--json"], 2, "usage"),
        (["sync", "missing.json", "--json"], 2, "plan"),
        (["sync", str(ROADMAP), "--json", "--provider", "nope"], 3, "provider"),
    ],
)
def test_json_is_one_object_whatever_the_exit_code(
    capsys: pytest.CaptureFixture[str], argv: list[str], code: int, kind: str
) -> None:
    got, out, _ = run(capsys, *argv)
    assert got == code
    payload = json.loads(out)  # exactly one JSON document on stdout
    assert (payload["ok"], payload["exit_code"], payload["error"]["kind"]) == (False, code, kind)


def test_json_reports_an_unexpected_error_too(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import planpilot_providers_core.cli.sync_command as sync_command

    def broken(*_args: object, **_kwargs: object) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(sync_command, "run_sync", broken)
    code, out, err = run(capsys, "sync", str(ROADMAP), "--json")
    assert code == 1
    assert "unexpected RuntimeError: a bug" in err
    assert json.loads(out)["error"] == {"kind": "internal", "message": json.loads(out)["error"]["message"]}
    assert json.loads(out)["exit_code"] == 1


# -- nothing written before a refusal ------------------------------------------------------------------


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[GitHubEmulator, str]]:
    monkeypatch.setenv("GITHUB_TOKEN", "bounds-test-token")
    monkeypatch.setenv("PATH", str(tmp_path))  # no `gh`
    emulator = GitHubEmulator.with_default_scenario()
    with serve_in_thread(emulator) as url:
        yield emulator, url


def test_a_refused_run_on_a_repository_without_the_label_writes_nothing(
    github: tuple[GitHubEmulator, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    emulator, url = github
    labels = set(emulator.state.summary()["repositories"]["acme/roadmap"]["labels"])
    assert "fresh-label" not in labels
    refused = plan_file(tmp_path, [item("E1", estimate={"tshirt": "XXL"})])
    argv = ["sync", str(refused), "--provider", "github", "--target", "acme/roadmap", "--board-url", BOARD]

    code, _, err = run(capsys, *argv, "--api-url", url, "--label", "fresh-label")

    assert code == 2
    assert "has no option 'XXL'" in err
    assert "XS, S, M, L, XL" in err, "refused naming the choices"
    assert emulator.stats.mutation_requests == 0, "not even the label"
    assert set(emulator.state.summary()["repositories"]["acme/roadmap"]["labels"]) == labels
