"""Core's emulator plumbing: both transports honour drop and stall answers, faults are seeded and scripted,
and the shared command-line types refuse bad values."""

from __future__ import annotations

import argparse
import enum
import time
from collections.abc import Mapping

import httpx
import pytest

from planpilot_providers_core.emulation import (
    EmulatorResponse,
    EmulatorTransport,
    FaultInjector,
    FaultPlan,
    RequestStats,
    cli,
    json_response,
    parse_kinds,
    serve_in_thread,
)


class Kind(enum.StrEnum):
    BOOM = "boom"
    STALL = "stall"


class Echo:
    """A backend answering each request with its method, path and body, or with a scripted answer."""

    def __init__(self) -> None:
        self.stats = RequestStats()
        self.next: EmulatorResponse | None = None
        self.seen: list[tuple[str, str, bytes]] = []

    def next_delay(self) -> float:
        return 0.0

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, *, concurrency: int | None = None
    ) -> EmulatorResponse:
        self.seen.append((method, path, body))
        self.stats.record_request()
        answer, self.next = self.next, None
        return answer or json_response(200, {"method": method, "path": path, "in_flight": concurrency})


async def test_in_process_transport_answers_drops_and_stalls() -> None:
    echo = Echo()
    async with httpx.AsyncClient(transport=EmulatorTransport(echo), base_url="http://tracker") as client:
        answer = await client.put("/rest/x?y=1", content=b"z")
        assert answer.json() == {"method": "PUT", "path": "/rest/x?y=1", "in_flight": 1}
        assert answer.headers["content-type"] == "application/json; charset=utf-8"
        echo.next = EmulatorResponse(status=0, headers={}, body=b"", drop=True)
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post("/applied")
        echo.next = EmulatorResponse(status=0, headers={}, body=b"", stall=True)
        with pytest.raises(httpx.ReadTimeout):
            await client.post("/applied-too")
    assert [seen[1] for seen in echo.seen] == ["/rest/x?y=1", "/applied", "/applied-too"]
    assert echo.stats.in_flight == 0
    assert echo.stats.peak_in_flight == 1


def test_loopback_server_holds_a_stalled_answer_until_the_client_gives_up() -> None:
    echo = Echo()
    with serve_in_thread(echo, path="/api") as url, httpx.Client(timeout=0.3) as client:
        assert url.endswith("/api")
        assert client.delete(f"{url}/thing").json()["method"] == "DELETE"
        echo.next = EmulatorResponse(status=0, headers={}, body=b"", stall=True)
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            client.post(f"{url}/slow")
        assert time.monotonic() - started >= 0.3
    # leaving the block shut the server down although a connection was still held


def test_fault_plans_are_seeded_and_scripted_faults_come_first() -> None:
    plan = FaultPlan(0.5, parse_kinds(Kind, ["boom", "stall"]), writes_only=True, seed=3)
    draws = [FaultInjector(plan).draw("op", write=True) for _ in range(2)]
    assert draws[0] == draws[1]  # same seed, same first draw
    injector = FaultInjector(plan)
    assert all(injector.draw("read", write=False) is None for _ in range(50))
    injector.inject(Kind.STALL, operation="create", times=2)
    assert injector.draw("update", write=False) is None
    assert [injector.draw("create", write=False) for _ in range(2)] == [Kind.STALL, Kind.STALL]
    assert injector.scripted == []


def test_fault_plans_refuse_what_they_cannot_use() -> None:
    with pytest.raises(ValueError, match="unknown fault kind 'bogus'; choose from boom, stall"):
        parse_kinds(Kind, ["bogus"])
    with pytest.raises(ValueError, match="at least one"):
        parse_kinds(Kind, [])
    with pytest.raises(ValueError, match=r"1\.0"):
        FaultPlan(1.5, (Kind.BOOM,))
    with pytest.raises(TypeError, match="one StrEnum"):
        FaultPlan(0.5, ("boom",))  # type: ignore[type-var]


def test_request_stats_count_and_reset() -> None:
    stats = RequestStats()
    stats.enter()
    stats.record_request()
    stats.record_operation("POST /issue", write=True)
    stats.record_status(201)
    stats.record_fault("boom")
    assert stats.as_dict() == {
        "requests": 1,
        "write_requests": 1,
        "operations": {"POST /issue": 1},
        "faults": {"boom": 1},
        "statuses": {"201": 1},
        "internal_errors": 0,
        "in_flight": 1,
        "peak_in_flight": 1,
    }
    stats.leave()
    stats.reset()
    assert stats.as_dict()["requests"] == 0
    assert stats.peak_in_flight == 0


@pytest.mark.parametrize(
    ("parse", "text", "complaint"),
    [
        (cli.port, "-1", "port number from 0 to 65535"),
        (cli.probability, "inf", "finite number"),
        (cli.seconds, "1e6", "from 0 to 86400"),
        (cli.fault_kinds(Kind), "boom,,nope", "unknown fault kind 'nope'"),
    ],
)
def test_command_line_types_refuse_bad_values(parse: object, text: str, complaint: str) -> None:
    assert callable(parse)
    with pytest.raises(argparse.ArgumentTypeError, match=complaint):
        parse(text)


def test_command_line_types_accept_good_values() -> None:
    assert cli.port("0") == 0
    assert cli.probability("0.25") == 0.25
    assert cli.seconds("2.5") == 2.5
    assert cli.fault_kinds(Kind)(" boom , stall ") == (Kind.BOOM, Kind.STALL)
