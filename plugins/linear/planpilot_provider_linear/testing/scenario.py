"""The default scenario every test and demo starts from: workspace ``acme`` with team ``ENG`` as a new Linear
team has it (Backlog, Todo, In Progress, Done, Canceled), a t-shirt estimate scale, labels (team and
workspace), a project spanning the team, and cycles around the clock's today with the middle one active."""

from __future__ import annotations

from datetime import timedelta

from .seeding import LinearState

__all__ = [
    "CYCLE_DAYS",
    "DEFAULT_PROJECT",
    "DEFAULT_PROJECT_SLUG",
    "DEFAULT_TEAM",
    "DEFAULT_TEAM_LABELS",
    "DEFAULT_WORKSPACE_LABELS",
    "install_default_scenario",
]

DEFAULT_TEAM = "ENG"
DEFAULT_TEAM_LABELS = ("Bug", "Feature", "Improvement")
DEFAULT_WORKSPACE_LABELS = ("Customer",)
DEFAULT_PROJECT = "Roadmap"
DEFAULT_PROJECT_SLUG = "7d3e2f9a1b4c"
CYCLE_DAYS = 14


def install_default_scenario(state: LinearState) -> None:
    """Seed team ``ENG`` (t-shirt estimates, labels, a "Type" label group), workspace label ``Customer``,
    project "Roadmap" (its URL ends ``roadmap-7d3e2f9a1b4c``) and cycles 1-3, cycle 2 active now."""
    with state.lock:
        state.add_team(DEFAULT_TEAM, "Engineering", estimation_type="tShirt", cycles_enabled=True)
        for name in DEFAULT_TEAM_LABELS:
            state.add_label(name, DEFAULT_TEAM)
        state.add_label("Type", DEFAULT_TEAM, is_group=True)
        for name in DEFAULT_WORKSPACE_LABELS:
            state.add_label(name)
        state.add_project(DEFAULT_PROJECT, [DEFAULT_TEAM], slug_id=DEFAULT_PROJECT_SLUG)
        start = state.now() - timedelta(days=CYCLE_DAYS // 2)
        for offset in (-1, 0, 1):
            begins = start + timedelta(days=offset * CYCLE_DAYS)
            state.add_cycle(DEFAULT_TEAM, starts_at=begins, ends_at=begins + timedelta(days=CYCLE_DAYS))
