"""Jira Cloud emulator for tests, benchmarks and demos: the platform REST API v3 and the Jira Software agile API
over Atlassian's OpenAPI description, with in-memory state, JQL, a search index lag, Jira's rate limits,
latency, seeded fault injection and request accounting.

Needs the ``emulator`` extra. Never imported by the provider itself. Typical use::

    emulator = JiraEmulator.with_default_scenario(clock=ManualClock(), search_lag=5)
    emulator.state.add_issue("PROJ", "Seeded", issue_type="Story", labels=["planpilot"])
    emulator.inject("timeout_after_commit", operation="createIssue")
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="https://x.atlassian.net") as client: ...
    with serve_in_thread(emulator) as url: ...  # or: python -m planpilot_provider_jira.testing --port 8766
    emulator.state.issues, emulator.summary(), emulator.stats.as_dict()

Jira's rate limits on virtual time::

    clock = VirtualClock()
    emulator = JiraEmulator.with_default_scenario(clock=clock, limits=JiraLimits())
    result = run_virtual(lambda: sync(emulator.transport(), clock), clock=clock)
"""

from __future__ import annotations

from planpilot_providers_core.emulation import (
    Clock,
    EmulatorResponse,
    EmulatorServer,
    EmulatorTransport,
    FaultPlan,
    ManualClock,
    SystemClock,
    VirtualClock,
    run_virtual,
)

from .adf import ADF_MESSAGE, adf_problem, adf_text
from .emulator import UNAUTHENTICATED_MESSAGE, AuthPolicy, JiraEmulator
from .errors import JiraError
from .faults import FaultKind, fault_plan
from .limits import JiraLimits, Reason
from .openapi import APIS, ERRATA, IMPLEMENTED_OPERATIONS, Contract, packaged_contract
from .scenario import (
    BLOCKS,
    DEFAULT_BOARD_ID,
    DEFAULT_PROJECT,
    DONE,
    IN_PROGRESS,
    ISSUE_TYPES,
    SIZE_FIELD,
    SPRINT_FIELD,
    STORY_POINTS_FIELD,
    TO_DO,
    WORKFLOW,
)
from .server import serve_in_thread
from .state import JiraState
from .stats import JiraStats

__all__ = [
    "ADF_MESSAGE",
    "APIS",
    "BLOCKS",
    "DEFAULT_BOARD_ID",
    "DEFAULT_PROJECT",
    "DONE",
    "ERRATA",
    "IMPLEMENTED_OPERATIONS",
    "IN_PROGRESS",
    "ISSUE_TYPES",
    "SIZE_FIELD",
    "SPRINT_FIELD",
    "STORY_POINTS_FIELD",
    "TO_DO",
    "UNAUTHENTICATED_MESSAGE",
    "WORKFLOW",
    "AuthPolicy",
    "Clock",
    "Contract",
    "EmulatorResponse",
    "EmulatorServer",
    "EmulatorTransport",
    "FaultKind",
    "FaultPlan",
    "JiraEmulator",
    "JiraError",
    "JiraLimits",
    "JiraState",
    "JiraStats",
    "ManualClock",
    "Reason",
    "SystemClock",
    "VirtualClock",
    "adf_problem",
    "adf_text",
    "fault_plan",
    "packaged_contract",
    "run_virtual",
    "serve_in_thread",
]
