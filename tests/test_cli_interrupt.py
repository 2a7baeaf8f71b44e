"""Ctrl-C or SIGTERM during a sync: a summary of what was written, exit 130 or 143, and a re-run that converges.

SIGTERM is what ``timeout``, ``docker stop`` and a cancelled CI job send; it is handled like Ctrl-C.
"""

from __future__ import annotations

import collections
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planpilot_provider_github.testing import GitHubEmulator, serve_in_thread
from planpilot_providers_core.sync.body import parse_metadata

ROOT = Path(__file__).resolve().parents[1]
ROADMAP = ROOT / "examples" / "roadmap.json"
CLI = Path(sys.executable).with_name("planpilot-providers")
BOARD = "https://github.com/orgs/acme/projects/1"


def _sync(url: str, *extra: str) -> list[str]:
    return [
        *(str(CLI), "sync", str(ROADMAP), "--provider", "github", "--target", "acme/roadmap"),
        *("--board-url", BOARD, "--api-url", url, *extra),
    ]


@pytest.mark.parametrize(
    ("stop", "code", "said"),
    [(signal.SIGINT, 130, "interrupted:"), (signal.SIGTERM, 143, "terminated (SIGTERM):")],
    ids=["ctrl-c", "sigterm"],
)
def test_a_stopped_sync_reports_what_was_written_and_a_rerun_converges(
    tmp_path: Path, stop: signal.Signals, code: int, said: str
) -> None:
    emulator = GitHubEmulator.with_default_scenario(latency=0.02)
    env = {**os.environ, "GITHUB_TOKEN": "interrupt-test-token", "PATH": str(tmp_path)}
    with serve_in_thread(emulator) as url:
        process = subprocess.Popen(_sync(url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        deadline = time.monotonic() + 60
        while emulator.stats.operations.get("CreateIssue", 0) < 8:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the sync never started creating"
            time.sleep(0.01)
        process.send_signal(stop)
        _out, err = process.communicate(timeout=60)

        assert process.returncode == code, err
        assert "Traceback" not in err
        assert "KeyboardInterrupt" not in err
        assert said in err
        assert "run the same command again to finish" in err
        written = len(emulator.state.issues("acme/roadmap"))
        assert 8 <= written < 43, "it stopped half-way"
        # What it reports as created is in the tracker; a create cut off in flight may be there too.
        reported = int(re.search(r"(\d+) created", err).group(1))  # type: ignore[union-attr]
        assert written - 4 <= reported <= written, err
        assert re.search(r"\d+ pending", err), err

        rerun = subprocess.run(_sync(url, "--json"), capture_output=True, text=True, env=env, timeout=120)

    assert rerun.returncode == 0, rerun.stderr
    result = json.loads(rerun.stdout)
    assert result["ok"] is True
    issues = emulator.state.issues("acme/roadmap")
    per_item = collections.Counter(meta.item_id for view in issues if (meta := parse_metadata(view.body)))
    assert len(issues) == 43, "the re-run created exactly the missing items"
    assert set(per_item.values()) == {1}, f"duplicates: {[i for i, n in per_item.items() if n > 1]}"
    created = sum(row["created"] for row in result["summary"].values())
    assert created == 43 - written
    assert all(item["relations"] in ("updated", "unchanged") for item in result["items"])
