"""HttpClientConfig, PooledClient, GatedTransport, parse_retry_after and raise_for_status."""

from __future__ import annotations

import asyncio
import email.utils
import math
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from planpilot_providers_core.errors import (
    AuthenticationError,
    ProviderError,
    RateLimitError,
    TransientProviderError,
)
from planpilot_providers_core.reliability import (
    DEFAULT_RATE_LIMIT_PAUSE,
    GatedTransport,
    HttpClientConfig,
    PooledClient,
    RateLimitGate,
    RetryPolicy,
    SystemClock,
    parse_retry_after,
    raise_for_status,
    retry_call,
)

SECRET = "ghp_TOPSECRETTOKENVALUE"
BASE = "https://api.example.com"


def config(**overrides: Any) -> HttpClientConfig:
    return HttpClientConfig(BASE, headers={"Authorization": f"Bearer {SECRET}"}, **overrides)


def response(status: int, *, headers: dict[str, str] | None = None, text: str = "") -> httpx.Response:
    request = httpx.Request("POST", f"{BASE}/graphql", headers={"Authorization": f"Bearer {SECRET}"})
    return httpx.Response(status, headers=headers, text=text, request=request)


# --- parse_retry_after ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        (" 1.5 ", 1.5),
        ("0", 0.0),
        ("-3", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
        ("Wed, 99 Foo 2024 25:61:00 GMT", None),
    ],
)
def test_parse_retry_after_delta_and_garbage(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=lambda: now) == 30.0
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=lambda: now) == 0.0


# --- raise_for_status ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 201, 204])
def test_raise_for_status_passes_2xx(status: int) -> None:
    ok = response(status)
    assert raise_for_status(ok, "get_item") is ok


def test_raise_for_status_401_is_authentication_error() -> None:
    with pytest.raises(AuthenticationError) as info:
        raise_for_status(response(401, text="Bad credentials"), "get_item")
    message = str(info.value)
    assert "get_item" in message
    assert "credentials were rejected (HTTP 401)" in message
    assert "check the token" in message
    assert SECRET not in message


def test_raise_for_status_429_uses_retry_after() -> None:
    with pytest.raises(RateLimitError) as info:
        raise_for_status(response(429, headers={"Retry-After": "7"}), "create_issue")
    assert info.value.retry_after == 7.0
    assert info.value.request_sent is False


def test_raise_for_status_429_falls_back_to_ratelimit_reset() -> None:
    reset = str(int(time.time()) + 20)
    with pytest.raises(RateLimitError) as info:
        raise_for_status(response(429, headers={"x-ratelimit-reset": reset}), "create_issue")
    assert info.value.retry_after is not None
    assert 18 <= info.value.retry_after <= 20


def test_raise_for_status_429_without_hint() -> None:
    with pytest.raises(RateLimitError) as info:
        raise_for_status(response(429, headers={"x-ratelimit-reset": "garbage"}), "create_issue")
    assert info.value.retry_after is None


@pytest.mark.parametrize(("status", "retry_after"), [(500, None), (502, None), (503, 2.0)])
def test_raise_for_status_5xx_is_transient_and_possibly_sent(status: int, retry_after: float | None) -> None:
    headers = {"Retry-After": "2"} if retry_after is not None else {}
    with pytest.raises(TransientProviderError) as info:
        raise_for_status(response(status, headers=headers, text="oops"), "update_item")
    assert not isinstance(info.value, RateLimitError)
    assert info.value.request_sent is True
    assert info.value.retry_after == retry_after
    assert f"HTTP {status}" in str(info.value)
    assert "update_item" in str(info.value)


def test_raise_for_status_403_is_a_missing_permission_unless_it_says_rate_limit() -> None:
    with pytest.raises(AuthenticationError, match=r"lack a permission \(HTTP 403: no access to ENG\)"):
        raise_for_status(response(403, text="no access to ENG"), "get team")
    with pytest.raises(RateLimitError) as limited:
        raise_for_status(response(403, headers={"retry-after": "7"}), "get team")
    assert limited.value.retry_after == 7
    with pytest.raises(RateLimitError):
        raise_for_status(response(403, headers={"x-ratelimit-remaining": "0"}), "get team")


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_raise_for_status_other_4xx_is_permanent(status: int) -> None:
    body = "field 'sizee' does not exist " + "x" * 1000
    with pytest.raises(ProviderError) as info:
        raise_for_status(response(status, text=body), "update_item")
    assert not isinstance(info.value, TransientProviderError | AuthenticationError)
    message = str(info.value)
    assert message.startswith(f"update_item failed: HTTP {status}")
    assert "field 'sizee' does not exist" in message
    assert len(message) < 300  # the body is excerpted, not dumped
    assert SECRET not in message


# --- HttpClientConfig ----------------------------------------------------------------------------


def test_config_keeps_headers_out_of_repr_and_read_only() -> None:
    cfg = config()
    assert SECRET not in repr(cfg)
    assert cfg.headers["Authorization"] == f"Bearer {SECRET}"
    with pytest.raises(TypeError):
        cfg.headers["Authorization"] = "other"  # type: ignore[index]
    assert hash(cfg) == hash(config())
    assert cfg == config()


def test_config_copies_headers() -> None:
    headers = {"Authorization": "Bearer a"}
    cfg = HttpClientConfig(BASE, headers=headers)
    headers["Authorization"] = "Bearer b"
    assert cfg.headers["Authorization"] == "Bearer a"


def test_config_concurrency_defaults_to_max_connections() -> None:
    assert config(max_connections=7).concurrency == 7
    assert config(max_connections=7, max_concurrency=2).concurrency == 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"base_url": "api.example.com"}, "base_url must be an absolute http"),
        ({"base_url": "ftp://example.com"}, "base_url must be an absolute http"),
        ({"base_url": "https://"}, "base_url must be an absolute http"),
        ({"max_connections": 0}, r"max_connections must be an int >= 1"),
        ({"max_keepalive_connections": -1}, r"max_keepalive_connections must be an int >= 0"),
        ({"timeout": 0}, r"HttpClientConfig\.timeout must be"),
        ({"connect_timeout": math.nan}, r"connect_timeout must be"),
        ({"pool_timeout": -1}, r"pool_timeout must be"),
        ({"max_concurrency": 0}, r"max_concurrency must be an int >= 1 or None"),
    ],
)
def test_config_rejects_bad_values(kwargs: dict[str, Any], match: str) -> None:
    args = {"base_url": BASE} | kwargs
    with pytest.raises(ValueError, match=match):
        HttpClientConfig(**args)


# --- PooledClient --------------------------------------------------------------------------------


async def test_pooled_client_sets_limits_on_the_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[dict[str, Any]] = []

    class RecordingTransport(httpx.AsyncBaseTransport):
        def __init__(self, **kwargs: Any) -> None:
            made.append(kwargs)

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(200)

    monkeypatch.setattr(httpx, "AsyncHTTPTransport", RecordingTransport)
    async with PooledClient(config(max_connections=3, max_keepalive_connections=2)) as pooled:
        assert (await pooled.request("ping", "GET", "/")).status_code == 200
    assert made == [{"limits": httpx.Limits(max_connections=3, max_keepalive_connections=2)}]


async def test_pooled_client_sends_base_url_and_headers_and_hides_them_in_repr() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    pooled = PooledClient(config(), transport=httpx.MockTransport(handler))
    async with pooled:
        assert SECRET not in repr(pooled)
        assert SECRET not in repr(pooled.config)
        result = await pooled.request("get_item", "GET", "/items/1", params={"a": "b"})
    assert result.json() == {"ok": True}
    assert str(seen[0].url) == f"{BASE}/items/1?a=b"
    assert seen[0].headers["authorization"] == f"Bearer {SECRET}"


async def test_pooled_client_open_close_reopen() -> None:
    closed: list[bool] = []

    class Inner(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(204)

        async def aclose(self) -> None:
            closed.append(True)

    pooled = PooledClient(config(), transport=Inner())
    with pytest.raises(RuntimeError, match="not open"):
        _ = pooled.transport
    async with pooled:
        first = pooled.transport
        assert "open" in repr(pooled)
        with pytest.raises(RuntimeError, match="already open"):
            await pooled.__aenter__()
    assert closed == [True]
    with pytest.raises(RuntimeError, match="not open"):
        await pooled.request("get_item", "GET", "/")
    async with pooled:
        assert pooled.transport is not first
        assert (await pooled.request("get_item", "GET", "/")).status_code == 204


async def test_pooled_client_sends_what_an_httpx_client_would() -> None:
    """Going straight to the transport must not change the request: same URL merging, default headers
    (configured ones win), per-request headers, params and JSON body as ``httpx.AsyncClient`` builds."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    cfg = HttpClientConfig(f"{BASE}/api/v1", headers={"Authorization": f"Bearer {SECRET}", "User-Agent": "ours"})
    kwargs: dict[str, Any] = {"params": {"a": "b"}, "headers": {"X-Extra": "1"}, "json": {"k": [1, "é"]}}
    async with PooledClient(cfg, transport=httpx.MockTransport(handler)) as pooled:
        for url in ("items/1", "/items/1", "https://elsewhere.example/x"):
            response = await pooled.request("op", "POST", url, **kwargs)
            assert response.json() == {"ok": True}
            assert response.request is seen[-1]
    async with httpx.AsyncClient(
        base_url=cfg.base_url, headers=dict(cfg.headers), transport=httpx.MockTransport(handler)
    ) as client:
        for url in ("items/1", "/items/1", "https://elsewhere.example/x"):
            await client.post(url, **kwargs)
    ours, theirs = seen[:3], seen[3:]
    for mine, reference in zip(ours, theirs, strict=True):
        assert mine.url == reference.url
        assert mine.headers.multi_items() == reference.headers.multi_items()
        assert mine.content == reference.content
    assert str(ours[0].url) == f"{BASE}/api/v1/items/1?a=b"
    assert ours[0].headers["user-agent"] == "ours"


async def test_pooled_client_transport_error_names_its_request() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    async with PooledClient(config(), transport=httpx.MockTransport(handler)) as pooled:
        with pytest.raises(httpx.ConnectError) as caught:
            await pooled.request("get_item", "GET", "/items/9")
    assert caught.value.request.url.path == "/items/9"


async def test_pooled_client_per_operation_timeout_is_passed_to_httpx() -> None:
    timeouts: list[dict[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"])
        return httpx.Response(200)

    cfg = config(timeout=30, connect_timeout=4, pool_timeout=9)
    async with PooledClient(cfg, transport=httpx.MockTransport(handler)) as pooled:
        await pooled.request("search", "GET", "/")
        await pooled.request("search", "GET", "/", timeout=0.5)
    assert timeouts == [
        {"connect": 4, "read": 30, "write": 30, "pool": 9},
        {"connect": 4, "read": 0.5, "write": 0.5, "pool": 9},
    ]


async def test_pooled_client_passes_extensions_to_the_transport() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.extensions))
        return httpx.Response(200)

    async with PooledClient(config(timeout=7), transport=httpx.MockTransport(handler)) as pooled:
        await pooled.request("op", "POST", "/", extensions={"planpilot.cost": {"points": 3}})
    assert seen[0]["planpilot.cost"] == {"points": 3}
    assert seen[0]["timeout"]["read"] == 7


@pytest.fixture
async def slow_server() -> AsyncIterator[str]:
    """A loopback HTTP/1.1 server answering after ``?delay=`` seconds."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode()
            target = head.split(" ", 2)[1]
            delay = float(target.partition("delay=")[2] or 0)
            await asyncio.sleep(delay)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}"
        server.close()


async def test_pooled_client_per_operation_timeout_raises_read_timeout(slow_server: str) -> None:
    cfg = HttpClientConfig(slow_server, timeout=5.0)
    async with PooledClient(cfg) as pooled:
        assert (await pooled.request("get_item", "GET", "/?delay=0")).text == "ok"
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            await pooled.request("slow_search", "GET", "/?delay=0.5", timeout=0.05)
        assert time.monotonic() - started < 0.4


async def test_pooled_client_bounds_in_flight_requests() -> None:
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200)

    async with PooledClient(config(max_concurrency=2), transport=httpx.MockTransport(handler)) as pooled:
        await asyncio.gather(*(pooled.request("get_item", "GET", "/") for _ in range(8)))
    assert peak == 2


# --- GatedTransport ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"Retry-After": "7"}, 7.0), ({}, DEFAULT_RATE_LIMIT_PAUSE), ({"Retry-After": "junk"}, 60.0)],
)
async def test_gated_transport_429_pauses_the_gate(headers: dict[str, str], expected: float) -> None:
    gate = RateLimitGate(clock=FrozenClock())
    transport = GatedTransport(httpx.MockTransport(lambda request: httpx.Response(429, headers=headers)), gate)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        assert (await client.get("/")).status_code == 429
    assert gate.remaining() == expected


async def test_gated_transport_other_statuses_do_not_pause() -> None:
    gate = RateLimitGate()
    transport = GatedTransport(httpx.MockTransport(lambda request: httpx.Response(503)), gate)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        await client.get("/")
    assert gate.remaining() == 0.0


async def test_gated_transport_takes_slot_before_checking_gate() -> None:
    """With one slot, requests queued behind a 429 must honour the pause it started."""
    began = time.monotonic()
    arrivals: list[float] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        arrivals.append(time.monotonic() - began)
        if len(arrivals) == 1:
            await asyncio.sleep(0.01)
            return httpx.Response(429, headers={"Retry-After": "0.1"})
        return httpx.Response(200)

    gate = RateLimitGate()
    transport = GatedTransport(httpx.MockTransport(handler), gate, 1)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        statuses = [r.status_code for r in await asyncio.gather(*(client.get("/") for _ in range(4)))]
    assert sorted(statuses) == [200, 200, 200, 429]
    assert arrivals[0] < 0.01
    assert min(arrivals[1:]) >= 0.1, arrivals


async def test_gated_transport_waits_for_an_existing_pause() -> None:
    gate = RateLimitGate()
    gate.pause_for(0.05)
    transport = GatedTransport(httpx.MockTransport(lambda request: httpx.Response(200)), gate)
    started = time.monotonic()
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        await client.get("/")
    assert time.monotonic() - started >= 0.05


async def test_gated_transport_closes_inner() -> None:
    closed: list[bool] = []

    class Inner(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(200)

        async def aclose(self) -> None:
            closed.append(True)

    async with PooledClient(config(), transport=Inner()):
        pass
    assert closed == [True]


def test_gated_transport_works_across_event_loops() -> None:
    transport = GatedTransport(httpx.MockTransport(lambda request: httpx.Response(200)), RateLimitGate(), 1)

    async def burst() -> list[int]:
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            return [r.status_code for r in await asyncio.gather(*(client.get("/") for _ in range(3)))]

    assert asyncio.run(burst()) == [200, 200, 200]
    assert asyncio.run(burst()) == [200, 200, 200]


def test_gated_transport_rejects_bad_concurrency() -> None:
    with pytest.raises(ValueError, match="max_concurrency must be >= 1"):
        GatedTransport(httpx.MockTransport(lambda request: httpx.Response(200)), RateLimitGate(), 0)


# --- the layers together -------------------------------------------------------------------------


async def test_retry_call_over_pooled_client_honours_429_through_the_gate() -> None:
    statuses = iter([429, 200])
    sent: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(time.monotonic())
        return httpx.Response(next(statuses), headers={"Retry-After": "0.06"})

    async with PooledClient(config(), transport=httpx.MockTransport(handler)) as pooled:

        async def op() -> int:
            return raise_for_status(await pooled.request("create_issue", "POST", "/"), "create_issue").status_code

        policy = RetryPolicy(wait_initial=0.001, wait_max=0.001, wait_jitter=0)
        assert await retry_call("create_issue", op, policy=policy, idempotent=False, gate=pooled.gate) == 200
    assert len(sent) == 2
    assert sent[1] - sent[0] >= 0.06


class FrozenClock(SystemClock):
    """The system clock, but monotonic time stands still (pauses never run out during a test)."""

    def monotonic(self) -> float:
        return 1000.0
