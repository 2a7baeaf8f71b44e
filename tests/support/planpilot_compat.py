"""PlanPilot 2.7 on the same board: after this project syncs an edited plan, PlanPilot creates nothing.

Run by ``nox -s planpilot_compat``, which installs PlanPilot 2.7.0 from PyPI into a virtualenv of its own
and passes its Python (``--planpilot-python``). Against the GitHub emulator on loopback:

1. this project syncs the example roadmap, then an edited version of it (a title changed, a task added);
   both without the task dependencies PlanPilot 2.7 cannot sync (see :func:`planpilot_can_sync`);
2. PlanPilot runs on the edited plan file (through ``planpilot_shim.py``, which points it at the emulator):
   it must find every issue and create none;
3. this project syncs the edited plan again: nothing is created, nothing is duplicated;
4. PlanPilot runs once more: still nothing created.

It prints the figures (issues, what PlanPilot wrote) and exits 1 on the first broken promise.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from planpilot_provider_github.testing import GitHubEmulator, serve_in_thread
from planpilot_providers_core.sync.body import parse_metadata

ROOT = Path(__file__).resolve().parents[2]
ROADMAP = ROOT / "examples" / "roadmap.json"
SHIM = Path(__file__).with_name("planpilot_shim.py")
CLI = Path(sys.executable).with_name("planpilot-providers")
REPO = "acme/roadmap"
BOARD = "https://github.com/orgs/acme/projects/1"
TOKEN = "planpilot-compat-token-0123456789"


class Broken(Exception):
    """A promise this check makes does not hold."""


def expect(ok: bool, what: str) -> None:
    if not ok:
        raise Broken(what)


def planpilot_can_sync(payload: dict[str, Any]) -> dict[str, Any]:
    """The roadmap without dependencies between tasks of two stories of one epic.

    PlanPilot 2.7 rolls such a dependency up to the epic and then asks GitHub to make the epic blocked by
    itself, which GitHub (and the emulator) refuses: its sync of the unchanged example roadmap fails in its
    relations phase on its own. Other dependencies stay.
    """
    parent = {item["id"]: item.get("parent_id") for item in payload["items"]}
    for item in payload["items"]:
        if item["type"] != "TASK" or not item.get("depends_on"):
            continue
        story = parent[item["id"]]
        item["depends_on"] = [
            dep
            for dep in item["depends_on"]
            if parent.get(dep) == story or parent.get(parent.get(dep) or "") != parent.get(story or "")
        ]
    return payload


def base_plan(folder: Path) -> Path:
    path = folder / "roadmap.json"
    path.write_text(json.dumps(planpilot_can_sync(json.loads(ROADMAP.read_text(encoding="utf-8")))), encoding="utf-8")
    return path


def edited_plan(folder: Path) -> Path:
    payload = planpilot_can_sync(json.loads(ROADMAP.read_text(encoding="utf-8")))
    items = payload["items"]
    story = next(item for item in items if item["type"] == "STORY")
    items[0]["title"] = f"{items[0]['title']} (edited)"
    items.append(
        {
            "id": "T-compat",
            "type": "TASK",
            "title": "A task added after the first sync",
            "goal": "Show that an edited plan keeps its issues",
            "parent_id": story["id"],
            "requirements": ["r"],
            "acceptance_criteria": ["a"],
        }
    )
    if story.get("sub_item_ids"):
        story["sub_item_ids"].append("T-compat")
    path = folder / "roadmap-edited.json"
    path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return path


def ours(plan: Path, url: str) -> dict[str, Any]:
    """``planpilot-providers sync`` of ``plan`` to the emulator; its ``--json`` result."""
    command = [str(CLI), "sync", str(plan), "--provider", "github", "--target", REPO, "--board-url", BOARD]
    command += ["--api-url", url, "--json"]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "GITHUB_TOKEN": TOKEN})
    expect(done.returncode == 0, f"planpilot-providers sync exited {done.returncode}:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def planpilot(python: str, plan: Path, url: str, folder: Path) -> None:
    """PlanPilot 2.7's ``sync --apply`` of ``plan`` to the emulator."""
    config = {
        "provider": "github",
        "target": REPO,
        "auth": "token",
        "token": TOKEN,
        "board_url": BOARD,
        "plan_paths": {"unified": str(plan)},
        "sync_path": str(folder / "sync-map.json"),
    }
    config_path = folder / "planpilot.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    env = {**os.environ, "PLANPILOT_API_URL": url}
    done = subprocess.run(
        [python, str(SHIM), "sync", "--config", str(config_path), "--apply"], capture_output=True, text=True, env=env
    )
    expect(done.returncode == 0, f"PlanPilot exited {done.returncode}:\n{done.stdout}\n{done.stderr}")


def issues_per_item(emulator: GitHubEmulator) -> collections.Counter[str]:
    found = (parse_metadata(view.body) for view in emulator.state.issues(REPO) if view.state == "OPEN")
    return collections.Counter(meta.item_id for meta in found if meta is not None)


def check(python: str) -> None:
    emulator = GitHubEmulator.with_default_scenario()
    with tempfile.TemporaryDirectory() as tmp, serve_in_thread(emulator) as url:
        folder = Path(tmp)
        ours(base_plan(folder), url)
        edited = edited_plan(folder)
        second = ours(edited, url)
        expect(second["identity"] == "lineage", f"the edited plan kept its issues: {second['identity']}")
        before = len(emulator.state.issues(REPO))
        expect(before == 44, f"44 issues after the project synced the edited plan, found {before}")

        emulator.stats.reset()
        planpilot(python, edited, url, folder)
        after = len(emulator.state.issues(REPO))
        writes = {op: n for op, n in sorted(emulator.stats.operations.items()) if not op[0].islower()}
        print(
            f"PlanPilot 2.7.0 after the project's sync of the edited plan: {after - before} new issue(s); "
            f"its requests by operation: {writes}"
        )
        expect(after == before, f"PlanPilot created {after - before} issue(s)")
        expect(set(issues_per_item(emulator).values()) == {1}, "one open issue per plan item")

        third = ours(edited, url)
        created = sum(row["created"] for row in third["summary"].values())
        print(f"the project's next sync: {created} created, {third['writes']} write(s), identity {third['identity']}")
        expect(created == 0, f"the project's next sync created {created}")
        expect(not third["merged"], "and found no duplicates")
        fourth = ours(edited, url)
        expect(fourth["writes"] == 0, f"a sync after that writes nothing, wrote {fourth['writes']}")

        planpilot(python, edited, url, folder)
        expect(len(emulator.state.issues(REPO)) == before, "PlanPilot run again creates nothing")
        expect(set(issues_per_item(emulator).values()) == {1}, "one open issue per plan item")
        print(f"OK: {before} issues throughout; PlanPilot created none, twice")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--planpilot-python", required=True, help="the Python of the virtualenv holding PlanPilot")
    args = parser.parse_args(argv)
    try:
        check(args.planpilot_python)
    except Broken as broken:
        print(f"FAILED: {broken}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
