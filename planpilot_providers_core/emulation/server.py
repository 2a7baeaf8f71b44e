"""The loopback HTTP server (stdlib ``ThreadingHTTPServer``) for an emulator's command line, demos and
benchmarks, and :func:`serve_in_thread` to run it on a free port inside a test."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

from planpilot_providers_core.emulation.backend import Backend

__all__ = ["EmulatorServer", "serve_in_thread"]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so pooled clients reuse connections as they do with a tracker
    # Headers and body go out in two writes; with Nagle on, the client's delayed ACK adds ~40 ms to each
    # keep-alive request, which would swamp the latency knob.
    disable_nagle_algorithm = True
    server_version = "PlanPilotEmulator/1"
    emulator: ClassVar[Backend]
    stall_seconds: ClassVar[float]

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: stats and the state endpoint tell what happened."""

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        stats = self.emulator.stats
        concurrency = stats.enter()
        try:
            if not self.path.startswith("/_emulator/"):
                delay = self.emulator.next_delay()
                if delay > 0:
                    time.sleep(delay)
            answer = self.emulator.handle(
                self.command, self.path, dict(self.headers.items()), body, concurrency=concurrency
            )
        finally:
            stats.leave()
        if answer.stall:
            # No answer in time: hold the connection past any sane client timeout, then let it go.
            self.server.stalled.wait(self.stall_seconds)  # type: ignore[attr-defined]
        if answer.drop or answer.stall:
            # The operation may have been applied; the client only sees the connection go away.
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    do_GET = _serve
    do_POST = _serve
    do_PUT = _serve
    do_DELETE = _serve
    do_PATCH = _serve


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        emulator: Backend,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        path: str = "",
        stall_seconds: float = 120.0,
    ) -> None:
        """``path`` is appended to the root URL in :attr:`url` (``"/graphql"`` for a GraphQL API);
        ``stall_seconds`` is how long a stalled answer holds its connection (shutdown ends it early)."""
        handler = type("EmulatorHandler", (_Handler,), {"emulator": emulator, "stall_seconds": stall_seconds})
        super().__init__((host, port), handler)
        self.emulator = emulator
        self.path = path
        self.stalled = threading.Event()

    def shutdown(self) -> None:
        self.stalled.set()  # release connections held by stalled answers
        super().shutdown()

    @property
    def url(self) -> str:
        """Where clients reach it: ``http://HOST:PORT`` plus the API path."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}{self.path}"


@contextmanager
def serve_in_thread(emulator: Backend, host: str = "127.0.0.1", port: int = 0, *, path: str = "") -> Iterator[str]:
    """Serve ``emulator`` on ``host:port`` (0 = a free port) in a background thread; yields its URL."""
    server = EmulatorServer(emulator, host, port, path=path)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
