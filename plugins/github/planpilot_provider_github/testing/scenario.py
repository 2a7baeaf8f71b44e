"""The default scenario every test and demo starts from, mirroring a typical PlanPilot setup: an organization
board with issue types and the usual fields, and a user account without issue types (the label fallback)."""

from __future__ import annotations

from datetime import timedelta

from .seeding import IterationSpec
from .state import EmulatorState

__all__ = [
    "DEFAULT_ISSUE_TYPES",
    "DEFAULT_ORG",
    "DEFAULT_REPO",
    "DEFAULT_USER",
    "DEFAULT_USER_REPO",
    "install_default_scenario",
]

DEFAULT_ORG = "acme"
DEFAULT_REPO = "acme/roadmap"
DEFAULT_USER = "octo"
DEFAULT_USER_REPO = "octo/side"
DEFAULT_ISSUE_TYPES = ("Epic", "Story", "Task", "Bug", "Feature")
ITERATION_DAYS = 14


def install_default_scenario(state: EmulatorState) -> None:
    """Seed org ``acme`` (repo, issue types, project 1 "Roadmap") and user ``octo`` (repo, user project 1).

    Iterations are placed around the emulator clock's today: three in ``iterations`` with the middle one
    current, and one in ``completedIterations``.
    """
    with state.lock:
        state.add_organization(DEFAULT_ORG)
        state.find_owner(DEFAULT_USER) or state.add_user(DEFAULT_USER)
        state.add_repository(DEFAULT_ORG, "roadmap")
        for name in DEFAULT_ISSUE_TYPES:
            state.add_issue_type(DEFAULT_ORG, name, description=f"{name} work item")
        state.add_project(DEFAULT_ORG, "Roadmap", number=1)
        add_standard_fields(state, project_owner=DEFAULT_ORG, number=1)
        state.add_repository(DEFAULT_USER, "side")
        state.add_project(DEFAULT_USER, "Side project", number=1)
        add_standard_fields(state, project_owner=DEFAULT_USER, number=1)


def add_standard_fields(state: EmulatorState, *, project_owner: str, number: int) -> None:
    """Status, Priority, Size, Estimate and Iteration, the fields a PlanPilot board config names."""
    project = state.project(project_owner, number)
    today = state.now().date()
    current_start = today - timedelta(days=ITERATION_DAYS // 2)
    state.add_field(project, "Status", "SINGLE_SELECT", options=("Backlog", "Todo", "In Progress", "Done"))
    state.add_field(project, "Priority", "SINGLE_SELECT", options=("P0", "P1", "P2"))
    state.add_field(project, "Size", "SINGLE_SELECT", options=("XS", "S", "M", "L", "XL"))
    state.add_field(project, "Estimate", "NUMBER")
    state.add_field(
        project,
        "Iteration",
        "ITERATION",
        iterations=[
            IterationSpec("Iteration 2", current_start - timedelta(days=ITERATION_DAYS), ITERATION_DAYS),
            IterationSpec("Iteration 3", current_start, ITERATION_DAYS),
            IterationSpec("Iteration 4", current_start + timedelta(days=ITERATION_DAYS), ITERATION_DAYS),
        ],
        completed_iterations=[
            IterationSpec("Iteration 1", current_start - timedelta(days=2 * ITERATION_DAYS), ITERATION_DAYS)
        ],
        duration=ITERATION_DAYS,
    )
