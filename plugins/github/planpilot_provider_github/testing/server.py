"""The loopback HTTP server (stdlib ``ThreadingHTTPServer``) for the CLI, demos and benchmarks, and
:func:`serve_in_thread` to run it on a free port inside a test."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from .emulator import GitHubEmulator

__all__ = ["EmulatorServer", "serve_in_thread"]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so pooled clients reuse connections as they do with GitHub
    # Headers and body go out in two writes; with Nagle on, the client's delayed ACK adds ~40 ms to each
    # keep-alive request, which would swamp the latency knob.
    disable_nagle_algorithm = True
    server_version = "GitHubEmulator/1"
    emulator: ClassVar[GitHubEmulator]

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
        if answer.drop:
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


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, emulator: GitHubEmulator, host: str = "127.0.0.1", port: int = 0) -> None:
        handler = type("EmulatorHandler", (_Handler,), {"emulator": emulator})
        super().__init__((host, port), handler)
        self.emulator = emulator

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/graphql"


@contextmanager
def serve_in_thread(emulator: GitHubEmulator, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``emulator`` on ``host:port`` (0 = a free port) in a background thread; yields the GraphQL URL."""
    server = EmulatorServer(emulator, host, port)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
