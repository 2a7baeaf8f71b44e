"""The Jira emulator on loopback: core's server (a site answers at its root, so no API path)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from planpilot_providers_core.emulation import Backend
from planpilot_providers_core.emulation import serve_in_thread as serve_backend

__all__ = ["serve_in_thread"]


@contextmanager
def serve_in_thread(emulator: Backend, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``emulator`` on ``host:port`` (0 = a free port) in a background thread; yields the site URL."""
    with serve_backend(emulator, host, port) as url:
        yield url
