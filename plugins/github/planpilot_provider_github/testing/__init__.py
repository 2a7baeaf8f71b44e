"""GitHub emulator for tests, benchmarks and demos: GitHub's GraphQL API over the pinned schema, with
in-memory state, search index lag, GitHub's budgets, latency, seeded fault injection and request accounting.

Needs the ``emulator`` extra (graphql-core, looptime). Never imported by the provider itself. Typical use::

    emulator = GitHubEmulator.with_default_scenario(clock=ManualClock(), search_lag=30)
    emulator.state.add_issue("acme/roadmap", "Seeded", labels=["planpilot"])
    emulator.inject("drop_after_commit", operation="CreateIssue")
    async with httpx.AsyncClient(transport=emulator.transport()) as client: ...
    with serve_in_thread(emulator, path="/graphql") as url: ...  # or: python -m planpilot_provider_github.testing
    emulator.state.issues("acme/roadmap"), emulator.stats.as_dict()

Budgets on virtual time (hours of GitHub pacing in seconds)::

    clock = VirtualClock()
    emulator = GitHubEmulator.with_default_scenario(clock=clock, budgets=GitHubBudgets())
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
    Timeline,
    VirtualClock,
    run_virtual,
)

from .budgets import GitHubBudgets, LimitKind
from .cost import RequestCost
from .emulator import AuthPolicy, GitHubEmulator
from .errors import ApiError
from .faults import SAML_MESSAGE, FaultKind, fault_plan
from .scenario import DEFAULT_ISSUE_TYPES, DEFAULT_ORG, DEFAULT_REPO, DEFAULT_USER, DEFAULT_USER_REPO
from .schema import SCHEMA_PATH, github_schema
from .server import serve_in_thread
from .state import KEEP, EmulatorState, IssueSeed, IssueView, IterationSpec
from .stats import EmulatorStats

__all__ = [
    "DEFAULT_ISSUE_TYPES",
    "DEFAULT_ORG",
    "DEFAULT_REPO",
    "DEFAULT_USER",
    "DEFAULT_USER_REPO",
    "KEEP",
    "SAML_MESSAGE",
    "SCHEMA_PATH",
    "ApiError",
    "AuthPolicy",
    "Clock",
    "EmulatorResponse",
    "EmulatorServer",
    "EmulatorState",
    "EmulatorStats",
    "EmulatorTransport",
    "FaultKind",
    "FaultPlan",
    "GitHubBudgets",
    "GitHubEmulator",
    "IssueSeed",
    "IssueView",
    "IterationSpec",
    "LimitKind",
    "ManualClock",
    "RequestCost",
    "SystemClock",
    "Timeline",
    "VirtualClock",
    "fault_plan",
    "github_schema",
    "run_virtual",
    "serve_in_thread",
]
