"""One pooled, rate-limit-gated httpx client per provider, and generic HTTP status classification.

Retries are deliberately not done here: they live one level up (:func:`retry_call`), where the
operation name and whether it is idempotent are known.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ipaddress
import logging
import os
import re
import time
import types
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final, Self

import attrs
import httpx

from planpilot_providers_core.credentials import check_header_value, strip_userinfo
from planpilot_providers_core.defaults import ALLOW_INSECURE_HTTP_ENV
from planpilot_providers_core.errors import (
    AuthenticationError,
    InsecureTransportError,
    ItemNotFoundError,
    ProviderError,
    RateLimitError,
    TransientProviderError,
)
from planpilot_providers_core.reliability._validation import count, seconds
from planpilot_providers_core.reliability.gate import RateLimitGate
from planpilot_providers_core.reliability.headers import parse_retry_after, reset_delay

if TYPE_CHECKING:
    from planpilot_providers_core.reliability.budgeted import RequestBudgets

_log = logging.getLogger("planpilot.providers.http")

#: Pause applied to the shared gate on a 429 that does not say how long to wait.
DEFAULT_RATE_LIMIT_PAUSE = 60.0

#: The headers ``httpx.AsyncClient`` sends by default; configured headers override them.
_DEFAULT_HEADERS: Final = {
    "Accept": "*/*",
    "Accept-Encoding": "gzip, deflate",
    "Connection": "keep-alive",
    "User-Agent": f"python-httpx/{httpx.__version__}",
}
_URL_CACHE_SIZE: Final = 64


def _frozen_headers(value: Mapping[str, str]) -> Mapping[str, str]:
    """A read-only view of a private copy, every value sendable: httpx would echo a bad one in its error."""
    for name, header in value.items():
        check_header_value(str(header), what=f"the {name} header")
    return types.MappingProxyType(dict(value))


def _absolute_http_url(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    try:
        url = httpx.URL(value) if isinstance(value, str) else None
    except httpx.InvalidURL:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise ValueError(
            f"HttpClientConfig.base_url must be an absolute http(s) URL such as 'https://api.example.com', "
            f"got {value!r}"
        )


_LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_CREDENTIAL_HEADER: Final = re.compile(r"(?i)authorization|cookie|token|key|secret|password|auth")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine's loopback."""
    name = host.strip("[]").lower().rstrip(".")
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _insecure_allowed(value: bool | None) -> bool:
    if value is not None:
        return value
    return os.environ.get(ALLOW_INSECURE_HTTP_ENV, "").strip() not in ("", "0")


@attrs.frozen
class HttpClientConfig:
    """Connection settings of one provider's HTTP client.

    ``headers`` usually hold the token: they are stored read-only and kept out of ``repr``. A header that
    looks like a credential (``Authorization``, ``Cookie``, ``*-Token``, ``*-Key``, ...) is never sent over
    plain ``http://`` to a host that is not loopback: such a configuration raises :class:`InsecureTransportError`
    unless ``allow_insecure_http`` (or ``PLANPILOT_PROVIDERS_ALLOW_INSECURE_HTTP=1``, the CLI's
    ``--allow-insecure-http``) says to. ``max_concurrency`` bounds in-flight requests (None:
    ``max_connections``); it is what makes a rate-limit pause effective, since the gate is checked after a
    slot is taken.
    """

    base_url: str = attrs.field(validator=_absolute_http_url)
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_headers, repr=False, hash=False)
    max_connections: int = attrs.field(default=10, validator=count(minimum=1))
    max_keepalive_connections: int = attrs.field(default=10, validator=count(minimum=0))
    timeout: float = attrs.field(default=30.0, validator=seconds(positive=True))
    connect_timeout: float = attrs.field(default=5.0, validator=seconds(positive=True))
    pool_timeout: float = attrs.field(default=10.0, validator=seconds(positive=True))
    max_concurrency: int | None = attrs.field(default=None, validator=count(minimum=1, optional=True))
    allow_insecure_http: bool | None = attrs.field(default=None, kw_only=True)
    """Send credential headers over plain http to any host; ``None``: only if the environment variable says so."""

    def __attrs_post_init__(self) -> None:
        url = httpx.URL(self.base_url)
        if url.scheme != "http" or is_loopback(url.host) or _insecure_allowed(self.allow_insecure_http):
            return
        sensitive = sorted(name for name in self.headers if _CREDENTIAL_HEADER.search(name))
        if sensitive:
            raise InsecureTransportError(
                f"refusing to send the credential ({', '.join(sensitive)} header) over plain http to {url.host}: "
                "anyone on the way could read it; use an https:// URL, or allow it explicitly with "
                f"--allow-insecure-http ({ALLOW_INSECURE_HTTP_ENV}=1)"
            )

    def __repr__(self) -> str:
        return f"HttpClientConfig(base_url={strip_userinfo(self.base_url)!r}, timeout={self.timeout!r})"

    @property
    def concurrency(self) -> int:
        """The effective bound on in-flight requests."""
        return self.max_concurrency if self.max_concurrency is not None else self.max_connections

    def httpx_timeout(self, timeout: float | None = None) -> httpx.Timeout:
        """Timeouts for one request; ``timeout`` overrides the read/write/overall part only."""
        overall = self.timeout if timeout is None else timeout
        return httpx.Timeout(overall, connect=self.connect_timeout, pool=self.pool_timeout)


class GatedTransport(httpx.AsyncBaseTransport):
    """Wraps a transport: bound concurrency, honour the shared pause, start a pause on 429.

    Order per request: take a slot, *then* wait for the gate, then send. Waiting before taking
    the slot lets requests that already passed the gate keep firing into a rate limit.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        gate: RateLimitGate,
        max_concurrency: int | None = None,
        *,
        default_pause: float = DEFAULT_RATE_LIMIT_PAUSE,
    ) -> None:
        if max_concurrency is not None and max_concurrency < 1:
            raise ValueError(f"GatedTransport max_concurrency must be >= 1 or None, got {max_concurrency!r}")
        self._inner = inner
        self._gate = gate
        self._max_concurrency = max_concurrency
        self._default_pause = default_pause
        self._slots: asyncio.Semaphore | None = None
        self._slots_loop: asyncio.AbstractEventLoop | None = None

    @property
    def gate(self) -> RateLimitGate:
        return self._gate

    def _semaphore(self) -> asyncio.Semaphore | None:
        # Created lazily, per running loop: an asyncio primitive binds to the loop it first waits on.
        if self._max_concurrency is None:
            return None
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots_loop is not loop:
            self._slots, self._slots_loop = asyncio.Semaphore(self._max_concurrency), loop
        return self._slots

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        slots = self._semaphore()
        if slots is None:
            return await self._send(request)
        async with slots:
            return await self._send(request)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        await self._gate.wait()
        response = await self._inner.handle_async_request(request)
        if response.status_code == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            self._gate.pause_for(self._default_pause if retry_after is None else retry_after)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


TransportWrapper = Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport]
_TRANSPORT_WRAPPER: contextvars.ContextVar[TransportWrapper | None] = contextvars.ContextVar(
    "planpilot_transport_wrapper", default=None
)


def wrap_transport(transport: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
    """The transport to send through: ``transport`` itself, or wrapped by whatever :func:`wrapping_transports`
    installed in this context (the conformance suite's fault injector and request recorder).

    :class:`PooledClient` calls it on the transport it opens. A provider with an HTTP stack of its own calls
    it on the transport it builds, when it builds it, to run under the suite's transport faults too.
    """
    wrapper = _TRANSPORT_WRAPPER.get()
    return transport if wrapper is None else wrapper(transport)


@contextlib.contextmanager
def wrapping_transports(wrapper: TransportWrapper) -> Iterator[None]:
    """While inside, every transport passed to :func:`wrap_transport` (every ``PooledClient`` opened) in this
    context is wrapped by ``wrapper``: a test seam, used by ``planpilot_providers_core.testing.faults``."""
    token = _TRANSPORT_WRAPPER.set(wrapper)
    try:
        yield
    finally:
        _TRANSPORT_WRAPPER.reset(token)


class PooledClient:
    """The provider's one pooled httpx transport behind the shared gate, opened on enter and closed on exit.

    Requests go straight to the (gated) transport, built from headers and a base URL prepared once:
    an ``httpx.AsyncClient`` would add to every request URL merging, cookie extraction, auth and
    redirect handling that a provider's API calls never use, a quarter of the client's CPU on a
    2,000-item sync. What is sent is what ``AsyncClient(base_url=..., headers=...)`` sends: its
    default headers, a relative ``url`` appended to the base URL's path, no proxy from the
    environment (a given transport never had one), redirects answered, not followed.

    Pool limits are set on the transport. A given ``transport`` (tests: ``MockTransport``,
    ``ASGITransport``) replaces the default one and is closed on exit. The gate is kept across
    re-entries so one pause covers the provider's whole life. ``budgets``
    (:class:`~planpilot_providers_core.reliability.budgeted.RequestBudgets`) paces every request by the
    tracker's published limits.
    """

    def __init__(
        self,
        config: HttpClientConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        gate: RateLimitGate | None = None,
        budgets: RequestBudgets | None = None,
    ) -> None:
        self._config = config
        self._transport = transport
        self._gate = gate if gate is not None else RateLimitGate()
        self._budgets = budgets
        self._sender: httpx.AsyncBaseTransport | None = None
        base = httpx.URL(config.base_url)
        self._base = base if base.raw_path.endswith(b"/") else base.copy_with(raw_path=base.raw_path + b"/")
        self._headers = httpx.Headers(_DEFAULT_HEADERS)
        self._headers.update(config.headers)
        self._urls: dict[str, httpx.URL] = {}
        self._timeouts: dict[float | None, dict[str, float | None]] = {}

    def __repr__(self) -> str:
        state = "open" if self._sender is not None else "closed"
        return f"PooledClient(base_url={strip_userinfo(self._config.base_url)!r}, {state})"

    @property
    def config(self) -> HttpClientConfig:
        return self._config

    @property
    def gate(self) -> RateLimitGate:
        return self._gate

    @property
    def transport(self) -> httpx.AsyncBaseTransport:
        """The open, gated transport every request goes through; raises if used outside ``async with``."""
        if self._sender is None:
            raise RuntimeError("PooledClient is not open; use it inside 'async with PooledClient(...)'")
        return self._sender

    async def __aenter__(self) -> Self:
        if self._sender is not None:
            raise RuntimeError("PooledClient is already open; exit it before entering it again")
        config = self._config
        inner = wrap_transport(
            self._transport
            or httpx.AsyncHTTPTransport(
                limits=httpx.Limits(
                    max_connections=config.max_connections,
                    max_keepalive_connections=config.max_keepalive_connections,
                )
            )
        )
        transport: httpx.AsyncBaseTransport = GatedTransport(inner, self._gate, config.concurrency)
        if self._budgets is not None:  # wait for budget room first, holding no slot
            transport = self._budgets.wrap(transport)
        self._sender = transport
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        sender, self._sender = self._sender, None
        if sender is not None:
            await sender.aclose()

    async def request(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        params: httpx.QueryParams | Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        extensions: Mapping[str, Any] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 -- an httpx per-operation timeout, not a deadline
    ) -> httpx.Response:
        """Send one request and read its body; ``timeout`` overrides the configured one for this operation only.

        ``url`` is absolute or relative to ``base_url``; ``headers`` are added to the configured ones;
        ``extensions`` go on the request for the transports to read (next to httpx's ``timeout``). No
        retry and no status check here: wrap the call in ``retry_call`` and pass the response through
        :func:`raise_for_status` (or the provider's own classification).
        """
        sender = self.transport
        merged = self._headers
        if headers:
            merged = merged.copy()
            merged.update(headers)
        request = httpx.Request(
            method,
            self._url(url),
            params=params,
            headers=merged,
            json=json,
            content=content,
            data=data,
            files=files,
            extensions={"timeout": self._timeout(timeout), **(extensions or {})},
        )
        started = time.monotonic()
        try:
            response = await sender.handle_async_request(request)
        except httpx.RequestError as exc:
            exc.request = request  # as httpx's client does: the error names the request it failed
            raise
        response.request = request
        try:
            await response.aread()
        finally:
            await response.aclose()
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug(
                "%s: %s %s -> %d in %.3fs",
                operation,
                method,
                request.url.path,
                response.status_code,
                time.monotonic() - started,
            )
        return response

    def _url(self, url: str) -> httpx.URL:
        """``url`` as httpx's ``base_url`` merges it (a relative one is appended to the base path), parsed once
        per distinct ``url``: a provider calls a handful of endpoints thousands of times."""
        target = self._urls.get(url)
        if target is None:
            target = httpx.URL(url)
            if target.is_relative_url:
                target = self._base.copy_with(raw_path=self._base.raw_path + target.raw_path.lstrip(b"/"))
            if len(self._urls) >= _URL_CACHE_SIZE:
                self._urls.clear()  # item paths are many and used once: keep only the recent ones
            self._urls[url] = target
        return target

    def _timeout(self, timeout: float | None) -> dict[str, float | None]:
        """The request's ``timeout`` extension (what httpx's client sets), built once per value."""
        cached = self._timeouts.get(timeout)
        if cached is None:
            cached = self._timeouts[timeout] = self._config.httpx_timeout(timeout).as_dict()
        return cached


def _rate_limited(headers: httpx.Headers) -> bool:
    """Whether a 403 says it is a rate limit rather than a missing permission."""
    return "retry-after" in headers or headers.get("x-ratelimit-remaining", "").strip() == "0"


def _body_excerpt(response: httpx.Response, limit: int = 200) -> str:
    try:
        text = " ".join(response.text.split())
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        return ""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def raise_for_status(response: httpx.Response, operation: str, *, item_id: str | None = None) -> httpx.Response:
    """Return a 2xx response; raise the matching :mod:`planpilot_providers_core.errors` error otherwise.

    401: AuthenticationError; 403: RateLimitError when it says it is one (a ``retry-after`` header, or
    ``x-ratelimit-remaining: 0``), else AuthenticationError (a permission is missing); 404 on a call that
    addresses one item (pass its ``item_id``): ItemNotFoundError, which ``get_item`` and
    ``delete_item`` owe their callers; 429: RateLimitError (wait from ``retry-after``, else
    ``x-ratelimit-reset``); 5xx: TransientProviderError (may have been applied); anything else:
    ProviderError. Messages carry the operation, status and a short body excerpt, never headers.
    """
    status = response.status_code
    if 200 <= status < 300:
        return response
    headers = response.headers
    if status == 404 and item_id is not None:
        raise ItemNotFoundError(f"{operation}: no item {item_id!r} (HTTP 404); it was deleted or never existed")
    if status == 401:
        raise AuthenticationError(
            f"{operation}: the credentials were rejected (HTTP 401); check the token is valid, "
            "not expired or revoked, and configured for this service"
        )
    if status == 429 or (status == 403 and _rate_limited(headers)):
        retry_after = parse_retry_after(headers.get("retry-after"))
        if retry_after is None:
            retry_after = reset_delay(headers.get("x-ratelimit-reset"))
        raise RateLimitError(f"{operation}: rate limited (HTTP {status})", retry_after=retry_after)
    if status == 403:
        raise AuthenticationError(
            f"{operation}: the credentials lack a permission (HTTP 403"
            + (f": {excerpt}" if (excerpt := _body_excerpt(response)) else "")
            + "); check what the token or account may access"
        )
    excerpt = _body_excerpt(response)
    detail = f"HTTP {status} {response.reason_phrase}".rstrip() + (f": {excerpt}" if excerpt else "")
    if status >= 500:
        raise TransientProviderError(
            f"{operation}: server error ({detail})",
            retry_after=parse_retry_after(headers.get("retry-after")),
            request_sent=True,
        )
    raise ProviderError(f"{operation} failed: {detail}")
