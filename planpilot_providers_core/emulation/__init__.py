"""What every tracker emulator shares: the in-process httpx transport and the loopback server around one
``handle(request)``, clocks and virtual time, seeded fault injection, rate-limit windows, request accounting, and
the command line that serves it.

Emulators live in their plugins (``planpilot_provider_github.testing``, ...) and answer as their tracker
does; this package holds only the plumbing, so each is written once and reached in-process (tests, on
virtual time) or on loopback (the CLI, demos, benchmarks). Needs the ``testing`` extra for virtual time.
"""

from __future__ import annotations

from planpilot_providers_core.emulation.backend import Backend, EmulatorResponse, InFlight, json_response
from planpilot_providers_core.emulation.clock import Clock, ManualClock, SystemClock, Timeline, epoch_source
from planpilot_providers_core.emulation.faults import FaultInjector, FaultPlan, ScriptedFault, parse_kinds
from planpilot_providers_core.emulation.server import EmulatorServer, serve_in_thread
from planpilot_providers_core.emulation.stats import RequestStats
from planpilot_providers_core.emulation.transport import EmulatorTransport
from planpilot_providers_core.emulation.virtual import DEFAULT_START, VirtualClock, run_virtual
from planpilot_providers_core.emulation.windows import SlidingWindow, TokenBucket

__all__ = [
    "DEFAULT_START",
    "Backend",
    "Clock",
    "EmulatorResponse",
    "EmulatorServer",
    "EmulatorTransport",
    "FaultInjector",
    "FaultPlan",
    "InFlight",
    "ManualClock",
    "RequestStats",
    "ScriptedFault",
    "SlidingWindow",
    "SystemClock",
    "Timeline",
    "TokenBucket",
    "VirtualClock",
    "epoch_source",
    "json_response",
    "parse_kinds",
    "run_virtual",
    "serve_in_thread",
]
