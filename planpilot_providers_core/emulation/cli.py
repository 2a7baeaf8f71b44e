"""The command line every emulator shares (``python -m planpilot_provider_<name>.testing``): argument types
that refuse bad values with one clear line, and a loop serving on loopback until SIGINT/SIGTERM.

argparse reports a value a ``type=`` function refuses as ``error: argument --port: ...`` with exit 2, so a
bad port, rate or fault kind never ends in a traceback; :func:`serve` does the same for a port in use or a
host that cannot be bound.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
from collections.abc import Callable
from enum import StrEnum
from types import FrameType
from typing import TypeVar

from planpilot_providers_core.emulation.backend import Backend
from planpilot_providers_core.emulation.faults import parse_kinds
from planpilot_providers_core.emulation.server import EmulatorServer

__all__ = ["add_server_arguments", "fault_kinds", "port", "positive_int", "probability", "seconds", "serve"]

K = TypeVar("K", bound=StrEnum)


def port(text: str) -> int:
    """A TCP port, 0 (a free one) to 65535."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535 (0 picks a free one), got {text!r}")
    return value


def positive_int(text: str) -> int:
    """A whole number of 1 or more (a limit, a budget)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of 1 or more, got {text!r}")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def probability(text: str) -> float:
    """A probability, 0 to 1."""
    value = _number(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a probability from 0 to 1, got {text!r}")
    return value


def seconds(text: str) -> float:
    """A duration in seconds, 0 or more (at most a day: longer is a typo, not a test)."""
    value = _number(text)
    if not 0.0 <= value <= 86400.0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds from 0 to 86400, got {text!r}")
    return value


def fault_kinds(kind_type: type[K]) -> Callable[[str], tuple[K, ...]]:
    """An argument type: comma-separated kinds of ``kind_type``, each checked against the choices."""

    def parse(text: str) -> tuple[K, ...]:
        try:
            return parse_kinds(kind_type, (part.strip() for part in text.split(",") if part.strip()))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = "fault kinds"  # what argparse names in "invalid fault kinds value"
    return parse


def add_server_arguments(parser: argparse.ArgumentParser, *, default_port: int) -> None:
    """``--host``, ``--port``, ``--latency``, ``--jitter``, ``--seed`` and ``--fault-rate``, validated."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=port, default=default_port, help=f"port (0 picks a free one; default {default_port})"
    )
    parser.add_argument("--latency", type=seconds, default=0.0, help="seconds added to every API request")
    parser.add_argument("--jitter", type=seconds, default=0.0, help="extra random seconds (0..jitter) per request")
    parser.add_argument("--seed", type=int, default=1, help="seed for jitter and random faults")
    parser.add_argument("--fault-rate", type=probability, default=0.0, help="probability that a request gets a fault")


def serve(emulator: Backend, *, name: str, host: str, port: int, path: str = "") -> int:
    """Serve ``emulator`` until SIGINT/SIGTERM; print its URL on stdout. Returns the exit code (2 when the
    address cannot be bound, with the reason on stderr)."""
    try:
        server = EmulatorServer(emulator, host, port, path=path)
    except (OSError, OverflowError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        print(
            f"{name}: cannot listen on {host}:{port}: {reason}. Pick another --port (0 picks a free one) "
            "or --host (an address of this machine, e.g. 127.0.0.1)",
            file=sys.stderr,
        )
        return 2
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    print(f"{name} serving {server.url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        print(f"{name} stopped", file=sys.stderr, flush=True)
    return 0
