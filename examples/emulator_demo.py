"""Sync the example plan to the GitHub emulator on loopback, twice, through the CLI.

The first run creates every epic, story and task with its fields and relations; the second finds
them all again and changes nothing. Exits non-zero if the second run wrote anything.

    nox -s demo
    python examples/emulator_demo.py [PLAN]
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

PLAN = Path(__file__).with_name("roadmap.json")
BOARD = "https://github.com/orgs/acme/projects/1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, method: str = "GET") -> dict[str, object]:
    with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=5) as response:
        return dict(json.loads(response.read() or b"{}"))


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            _get(f"{base}/_emulator/stats")
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the emulator did not start") from None
            time.sleep(0.05)


def main() -> int:
    plan = Path(sys.argv[1]) if len(sys.argv) > 1 else PLAN
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "planpilot_provider_github.testing", "--port", str(port)])
    try:
        _wait_until_up(base, server)
        sync = [
            sys.executable, "-m", "planpilot_providers_core.cli", "sync", str(plan),
            "--provider", "github", "--target", "acme/roadmap", "--board-url", BOARD, "--api-url", f"{base}/graphql",
        ]  # fmt: skip
        env = {**os.environ, "GITHUB_TOKEN": "emulator-demo-token"}
        mutations = []
        for run in ("first sync", "second sync (nothing changed)"):
            print(f"\n=== {run} ===", flush=True)
            _get(f"{base}/_emulator/reset-stats", method="POST")
            subprocess.run(sync, env=env, check=True)
            stats = _get(f"{base}/_emulator/stats")
            mutations.append(stats["mutation_requests"])
            print(f"emulator: {stats['requests']} requests, {stats['mutation_requests']} with mutations")
        issues = _get(f"{base}/_emulator/state")["repositories"]["acme/roadmap"]["issues"]  # type: ignore[index]
        print(f"\nacme/roadmap now has {len(issues)} issues")
        if mutations[1] != 0:
            print(f"FAIL: the second sync sent {mutations[1]} mutation requests; expected none", file=sys.stderr)
            return 1
        print("OK: the second sync changed nothing")
        return 0
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
