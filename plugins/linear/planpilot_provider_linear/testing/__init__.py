"""Linear emulator for tests, benchmarks and demos: Linear's GraphQL API over the pinned schema, with in-memory
state, Linear's pagination, complexity and rate limits, a search index lag, latency, seeded fault injection
and request accounting.

Needs the ``emulator`` extra (graphql-core, looptime). Never imported by the provider itself. Typical use::

    emulator = LinearEmulator.with_default_scenario(clock=ManualClock(), search_lag=30)
    emulator.state.add_issue("ENG", "Seeded", labels=["Bug"])
    emulator.inject("drop_after_commit", operation="IssueCreate")
    async with httpx.AsyncClient(transport=emulator.transport()) as client: ...
    with emulator.serve() as url: ...  # or: python -m planpilot_provider_linear.testing --port P
    emulator.state.team_issues("ENG"), emulator.stats.as_dict()

Budgets on virtual time (an hour of Linear's pacing in a blink)::

    clock = VirtualClock()
    emulator = LinearEmulator.with_default_scenario(clock=clock, limits=LinearLimits(requests=100))
    result = run_virtual(lambda: sync(emulator.transport(), clock), clock=clock)
"""

from __future__ import annotations

from planpilot_providers_core.emulation import (
    Clock,
    EmulatorResponse,
    EmulatorTransport,
    FaultPlan,
    ManualClock,
    SystemClock,
    VirtualClock,
    run_virtual,
)

from .complexity import MAX_COMPLEXITY, complexity, points
from .emulator import API_PATH, AuthPolicy, LinearEmulator
from .errors import LinearError
from .faults import FaultKind, fault_plan
from .limits import AuthKind, LimitKind, LinearLimits
from .model import Cycle, Issue, Label, Project, Relation, Team, WorkflowState
from .scenario import (
    DEFAULT_PROJECT,
    DEFAULT_PROJECT_SLUG,
    DEFAULT_TEAM,
    DEFAULT_TEAM_LABELS,
    DEFAULT_WORKSPACE_LABELS,
)
from .schema import SCHEMA_PATH, linear_schema
from .seeding import DEFAULT_STATES, LinearState
from .state import BATCH_CREATE_LIMIT, KEEP, SUB_ISSUE_DEPTH_LIMIT
from .stats import LinearStats

__all__ = [
    "API_PATH",
    "BATCH_CREATE_LIMIT",
    "DEFAULT_PROJECT",
    "DEFAULT_PROJECT_SLUG",
    "DEFAULT_STATES",
    "DEFAULT_TEAM",
    "DEFAULT_TEAM_LABELS",
    "DEFAULT_WORKSPACE_LABELS",
    "KEEP",
    "MAX_COMPLEXITY",
    "SCHEMA_PATH",
    "SUB_ISSUE_DEPTH_LIMIT",
    "AuthKind",
    "AuthPolicy",
    "Clock",
    "Cycle",
    "EmulatorResponse",
    "EmulatorTransport",
    "FaultKind",
    "FaultPlan",
    "Issue",
    "Label",
    "LimitKind",
    "LinearEmulator",
    "LinearError",
    "LinearLimits",
    "LinearState",
    "LinearStats",
    "ManualClock",
    "Project",
    "Relation",
    "SystemClock",
    "Team",
    "VirtualClock",
    "WorkflowState",
    "complexity",
    "fault_plan",
    "linear_schema",
    "points",
    "run_virtual",
]
