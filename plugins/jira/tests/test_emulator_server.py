"""The loopback server end to end (a thread-served emulator and the ``python -m`` command), its admin side
door, and the command line's argument checks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from planpilot_provider_jira.testing import JiraEmulator, ManualClock, serve_in_thread
from planpilot_provider_jira.testing.__main__ import emulator_from_args, main, parser
from planpilot_provider_jira.testing.builders import create_body

AUTH = ("me@example.com", "token")


def test_serve_in_thread_answers_the_api_and_the_admin_side_door() -> None:
    emulator = JiraEmulator.with_default_scenario(clock=ManualClock())
    with serve_in_thread(emulator) as url, httpx.Client(base_url=url, auth=AUTH) as client:
        assert url.startswith("http://127.0.0.1:")
        created = client.post("/rest/api/3/issue", json=create_body("over http"))
        assert created.status_code == 201
        assert created.json()["self"] == f"{url}/rest/api/3/issue/10000"
        stats = client.get("/_emulator/stats").json()
        assert stats["operations"] == {"createIssue": 1}
        assert stats["items_created"] == 1
        state = client.get("/_emulator/state").json()
        assert [i["summary"] for i in state["projects"]["PROJ"]] == ["over http"]
        assert client.post("/_emulator/reset-stats").json()["requests"] == 0
        assert client.post("/_emulator/inject", json={"kind": "http_504", "operation": "getIssue"}).json() == {
            "pending": 1
        }
        assert client.get("/rest/api/3/issue/PROJ-1").status_code == 504
        assert client.post("/_emulator/inject", json={"kind": "nope"}).status_code == 400
        emulator.inject("drop_after_commit", operation="editIssue")
        with pytest.raises(httpx.RemoteProtocolError):
            client.put("/rest/api/3/issue/PROJ-1", json={"fields": {"summary": "edited"}})
    assert emulator.state.issue("PROJ-1").summary == "edited"


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_command_line_server_requires_the_given_credentials_and_stops_cleanly(stop_signal: signal.Signals) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "planpilot_provider_jira.testing", "--port", "0", "--basic", "me@example.com:s3:cret"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Jira emulator serving http://127.0.0.1:"), line
        url = line.split()[-1]
        assert httpx.get(f"{url}/rest/api/3/project/PROJ", auth=("me@example.com", "s3:cret")).status_code == 200
        assert httpx.get(f"{url}/rest/api/3/project/PROJ", auth=("me@example.com", "other")).status_code == 401
        process.send_signal(stop_signal)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["--port", "70000"], "argument --port: must be a port number from 0 to 65535"),
        (["--basic", "no-colon"], "argument --basic: must be EMAIL:TOKEN"),
        (["--basic", ":token"], "argument --basic: must be EMAIL:TOKEN"),
        (["--bearer", "has space"], "argument --bearer: must be a token without spaces"),
        (["--search-lag", "-3"], "argument --search-lag: must be a number of seconds from 0 to 86400"),
        (["--fault-kinds", "http_500,bogus"], "argument --fault-kinds: unknown fault kind 'bogus'; choose from"),
        (["--quota-points", "0", "--jira-limits"], "argument --quota-points: must be a whole number of 1 or more"),
        (["--quota-points", "100"], "argument --quota-points: needs --jira-limits"),
    ],
)
def test_command_line_refuses_bad_arguments_in_one_line(
    argv: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert complaint in err
    assert "Traceback" not in err


def test_command_line_options_shape_the_emulator() -> None:
    args = parser().parse_args(
        [
            "--jira-limits",
            "--quota-points",
            "500",
            "--search-lag",
            "5",
            "--bearer",
            "tok",
            "--fault-rate",
            "0.1",
            "--fault-kinds",
            "http_502,timeout",
            "--faults-writes-only",
            "--no-validate",
        ]
    )
    emulator = emulator_from_args(args)
    assert emulator.limits is not None
    assert emulator.limits.quota_points == 500
    assert emulator.search_lag == 5
    assert emulator.auth.bearer == frozenset({"tok"})
    assert emulator.auth.basic is None
    assert emulator.fault_plan is not None
    assert emulator.fault_plan.writes_only
    assert [str(k) for k in emulator.fault_plan.kinds] == ["http_502", "timeout"]
    assert not emulator.contract.validate


def test_command_line_reports_an_address_it_cannot_bind(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"Jira emulator: cannot listen on 127.0.0.1:{port}:" in err
