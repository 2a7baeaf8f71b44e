"""The GitHub emulator on loopback: core's server, with GitHub's API path (``/graphql``) in its URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from planpilot_providers_core.emulation import Backend
from planpilot_providers_core.emulation import serve_in_thread as serve_backend

__all__ = ["API_PATH", "serve_in_thread"]

API_PATH = "/graphql"


@contextmanager
def serve_in_thread(emulator: Backend, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``emulator`` on ``host:port`` (0 = a free port) in a background thread; yields the GraphQL URL."""
    with serve_backend(emulator, host, port, path=API_PATH) as url:
        yield url
