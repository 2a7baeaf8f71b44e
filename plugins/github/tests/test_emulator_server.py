"""The loopback server end to end: a thread-served emulator and the ``python -m`` command."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from planpilot_provider_github.testing import GitHubEmulator, ManualClock, serve_in_thread

HEADERS = {"Authorization": "bearer t"}


@pytest.fixture
def emulator() -> GitHubEmulator:
    return GitHubEmulator.with_default_scenario(clock=ManualClock())


def test_serve_in_thread_answers_graphql_and_admin_endpoints(emulator: GitHubEmulator) -> None:
    with serve_in_thread(emulator) as url, httpx.Client(headers=HEADERS) as client:
        assert url.startswith("http://127.0.0.1:")
        assert url.endswith("/graphql")
        response = client.post(
            url,
            json={
                "query": 'mutation Make($r: ID!) { createIssue(input: {repositoryId: $r, title: "over http"}) '
                "{ issue { number url } } }",
                "variables": {"r": emulator.state.repository("acme/roadmap").id},
            },
        )
        assert response.status_code == 200
        assert response.json()["data"]["createIssue"]["issue"]["number"] == 1
        assert response.headers["x-ratelimit-remaining"] == "4999"
        base = url.removesuffix("/graphql")
        stats = client.get(f"{base}/_emulator/stats").json()
        assert stats["requests"] == 1
        assert stats["operations"] == {"Make": 1}
        state = client.get(f"{base}/_emulator/state").json()
        [issue] = state["repositories"]["acme/roadmap"]["issues"]
        assert issue["title"] == "over http"
        assert issue["number"] == 1
        assert client.post(f"{base}/_emulator/reset-stats").json()["requests"] == 0
        assert client.post(f"{base}/_emulator/inject", json={"kind": "http_504"}).json() == {"pending": 1}
        assert client.post(url, json={"query": "{ viewer { login } }"}).status_code == 504
        assert client.post(url, content=b"{oops").status_code == 400


def test_drop_after_commit_closes_the_socket(emulator: GitHubEmulator) -> None:
    emulator.inject("drop_after_commit")
    repo_id = emulator.state.repository("acme/roadmap").id
    with serve_in_thread(emulator) as url, httpx.Client(headers=HEADERS) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(
                url,
                json={
                    "query": 'mutation($r: ID!) { createIssue(input: {repositoryId: $r, title: "lost"}) '
                    "{ clientMutationId } }",
                    "variables": {"r": repo_id},
                },
            )
        assert client.post(url, json={"query": "{ viewer { login } }"}).status_code == 200
    assert [v.title for v in emulator.state.issues("acme/roadmap")] == ["lost"]


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_command_line_server_starts_and_stops_cleanly(stop_signal: signal.Signals) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "planpilot_provider_github.testing", "--port", "0", "--latency", "0.01"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("GitHub emulator serving http://127.0.0.1:"), line
        url = line.split()[-1]
        response = httpx.post(
            url,
            headers=HEADERS,
            json={"query": '{ repository(owner: "acme", name: "roadmap") { nameWithOwner } }'},
        )
        assert response.json() == {"data": {"repository": {"nameWithOwner": "acme/roadmap"}}}
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
        (["--port", "http"], "argument --port: must be a port number from 0 to 65535"),
        (["--fault-rate", "1.5"], "argument --fault-rate: must be a probability from 0 to 1"),
        (["--fault-rate", "nan"], "argument --fault-rate: must be a finite number"),
        (["--fault-kinds", "http_500,bogus"], "argument --fault-kinds: unknown fault kind 'bogus'; choose from"),
        (["--latency", "-1"], "argument --latency: must be a number of seconds from 0 to 86400"),
        (["--rate-limit", "0"], "argument --rate-limit: must be a whole number of 1 or more"),
    ],
)
def test_command_line_refuses_bad_arguments_in_one_line(
    argv: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from planpilot_provider_github.testing.__main__ import main

    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert complaint in err
    assert "Traceback" not in err


@pytest.mark.parametrize("host", ["127.0.0.1", "no-such-host.invalid"])
def test_command_line_reports_an_address_it_cannot_bind(host: str, capsys: pytest.CaptureFixture[str]) -> None:
    from planpilot_provider_github.testing.__main__ import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--host", host, "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"GitHub emulator: cannot listen on {host}:{port}:" in err
    assert "Pick another --port" in err
    assert "Traceback" not in err
