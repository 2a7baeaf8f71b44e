"""The emulator on loopback: served in a thread for a test, and the ``python -m`` command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx
import pytest

from planpilot_provider_linear.graphql.generated import issue_mutations
from planpilot_provider_linear.testing import AuthKind, LinearEmulator, LinearLimits
from planpilot_provider_linear.testing.__main__ import emulator_from_args, main, parser

HEADERS = {"Authorization": "lin_api_test"}


def test_serve_answers_graphql_and_admin_endpoints() -> None:
    emulator = LinearEmulator.with_default_scenario()
    team = emulator.state.team_by_key("ENG")
    with emulator.serve() as url, httpx.Client(headers=HEADERS) as client:
        assert url.startswith("http://127.0.0.1:")
        assert url.endswith("/graphql")
        query = bytes(issue_mutations.Operations.mutation.issue_create).decode()
        response = client.post(
            url, json={"query": query, "variables": {"input": {"teamId": team.id, "title": "Over http"}}}
        )
        assert response.status_code == 200
        assert response.json()["data"]["issueCreate"]["issue"]["identifier"] == "ENG-1"
        assert response.headers["x-ratelimit-requests-remaining"] == "2499"
        base = url.removesuffix("/graphql")
        assert client.get(f"{base}/_emulator/stats").json()["operations"] == {"IssueCreate": 1}
        assert client.get(f"{base}/_emulator/state").json()["teams"]["ENG"]["issues"][0]["title"] == "Over http"
        assert client.post(f"{base}/_emulator/inject", json={"kind": "drop_after_commit"}).json() == {"pending": 1}
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(url, json={"query": query, "variables": {"input": {"teamId": team.id, "title": "Lost"}}})
    assert [i.title for i in emulator.state.team_issues("ENG")] == ["Over http", "Lost"]


def test_command_line_server_starts_serves_the_default_scenario_and_stops() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "planpilot_provider_linear.testing", "--port", "0", "--api-key", "lin_api_ok"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Linear emulator serving http://127.0.0.1:"), line
        url = line.split()[-1]
        query = {"query": '{ teams(filter: {key: {eq: "ENG"}}) { nodes { key activeCycle { number } } } }'}
        response = httpx.post(url, headers={"Authorization": "lin_api_ok"}, json=query)
        assert response.json() == {"data": {"teams": {"nodes": [{"key": "ENG", "activeCycle": {"number": 2}}]}}}
        assert httpx.post(url, headers={"Authorization": "lin_api_other"}, json=query).status_code == 401
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_command_line_options_shape_the_emulator() -> None:
    args = parser().parse_args(
        [
            "--requests-per-hour", "10",
            "--complexity-per-hour", "500",
            "--max-complexity", "300",
            "--search-lag", "5",
            "--fault-rate", "0.2",
            "--fault-kinds", "http_503,timeout",
            "--faults-writes-only",
            "--oauth-token", "tok",
            "--lenient-estimates",
            "--refuse-duplicate-relations",
        ]
    )  # fmt: skip
    emulator = emulator_from_args(args)
    assert emulator.limits[AuthKind.API_KEY] == LinearLimits(requests=10, complexity=500, max_complexity=300)
    assert emulator.limits[AuthKind.OAUTH].max_complexity == 300
    assert emulator.search_lag == 5.0
    assert emulator.auth.authenticate("Bearer tok") is AuthKind.OAUTH
    assert emulator.auth.authenticate("lin_api_any") is None  # only the given credentials work
    too_big = emulator.request(
        "query { issues(first: 250) { nodes { id title description } } }", authorization="Bearer tok"
    )
    assert too_big.json()["errors"][0]["message"] == "Query too complex"  # 250 x 1.3 = 325 > 300
    plan = emulator.fault_plan
    assert plan is not None
    assert (plan.probability, plan.kinds, plan.writes_only) == (0.2, ("http_503", "timeout"), True)
    assert emulator.state.strict_estimates is False
    assert emulator.state.refuse_duplicate_relations is True


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["--fault-kinds", "http_500,bogus"], "argument --fault-kinds: unknown fault kind 'bogus'; choose from"),
        (["--search-lag", "-1"], "argument --search-lag: must be a number of seconds from 0 to 86400"),
        (["--requests-per-hour", "0"], "argument --requests-per-hour: must be a whole number of 1 or more"),
        (["--max-complexity", "ten"], "argument --max-complexity: must be a whole number of 1 or more"),
        (["--api-key", ""], "argument --api-key: must be a non-empty credential without spaces"),
        (["--oauth-token", "a b"], "argument --oauth-token: must be a non-empty credential without spaces"),
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
