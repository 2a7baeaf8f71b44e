"""The default scenario every test and demo starts from: one company-managed software project ``PROJ`` with
Epic, Story, Task and Sub-task, the workflow To Do → In Progress → Done, a story-points field and a t-shirt size
field on its screens, the usual priorities and link types, and a scrum board with a closed, an active and a
future sprint around the clock's today."""

from __future__ import annotations

from datetime import timedelta

from .model import CustomField, IssueType, LinkType, Priority, Status, Transition
from .state import JiraState

__all__ = [
    "BLOCKS",
    "DEFAULT_BOARD_ID",
    "DEFAULT_PROJECT",
    "DONE",
    "IN_PROGRESS",
    "ISSUE_TYPES",
    "RANK_FIELD",
    "SIZE_FIELD",
    "SPRINT_FIELD",
    "STORY_POINTS_FIELD",
    "TO_DO",
    "WORKFLOW",
    "install_default_scenario",
]

DEFAULT_PROJECT = "PROJ"
DEFAULT_BOARD_ID = 1
TO_DO = Status("10000", "To Do", "new")
IN_PROGRESS = Status("3", "In Progress", "indeterminate")
DONE = Status("10001", "Done", "done")
WORKFLOW = (
    Transition("11", "Start progress", IN_PROGRESS, (TO_DO.id,)),
    Transition("21", "Done", DONE, (IN_PROGRESS.id,)),
    Transition("31", "Stop progress", TO_DO, (IN_PROGRESS.id,)),
    Transition("41", "Reopen", TO_DO, (DONE.id,)),
)
"""To Do → In Progress → Done, and back; no shortcut from To Do to Done, so a client walks the workflow."""
ISSUE_TYPES = (
    IssueType("10000", "Epic", 1, "A big user story that needs to be broken down."),
    IssueType("10001", "Story", 0, "Functionality or a feature expressed as a user goal."),
    IssueType("10002", "Task", 0, "A small, distinct piece of work."),
    IssueType("10003", "Sub-task", -1, "A small piece of work that's part of a larger task."),
)
STORY_POINTS_FIELD = CustomField(
    "customfield_10016", "Story Points", "number", "com.atlassian.jira.plugin.system.customfieldtypes:float"
)
SIZE_FIELD = CustomField(
    "customfield_10050",
    "T-Shirt Size",
    "select",
    "com.atlassian.jira.plugin.system.customfieldtypes:select",
    options=(("10100", "XS"), ("10101", "S"), ("10102", "M"), ("10103", "L"), ("10104", "XL")),
)
SPRINT_FIELD = CustomField("customfield_10020", "Sprint", "sprint", "com.pyxis.greenhopper.jira:gh-sprint")
RANK_FIELD = CustomField("customfield_10019", "Rank", "rank", "com.pyxis.greenhopper.jira:gh-lexo-rank")
PRIORITIES = (
    Priority("1", "Highest", "#d04437"),
    Priority("2", "High", "#f15C75"),
    Priority("3", "Medium", "#f79232", is_default=True),
    Priority("4", "Low", "#707070"),
    Priority("5", "Lowest", "#999999"),
)
BLOCKS = LinkType("10000", "Blocks", "is blocked by", "blocks")
LINK_TYPES = (
    BLOCKS,
    LinkType("10001", "Cloners", "is cloned by", "clones"),
    LinkType("10002", "Duplicate", "is duplicated by", "duplicates"),
    LinkType("10003", "Relates", "relates to", "relates to"),
)
SPRINT_DAYS = 14


def install_default_scenario(state: JiraState) -> None:
    """Seed ``state`` with the default site (see the module docstring)."""
    with state.lock:
        for field in (STORY_POINTS_FIELD, SIZE_FIELD, SPRINT_FIELD, RANK_FIELD):
            state.add_custom_field(field)
        for priority in PRIORITIES:
            state.add_priority(priority)
        for link_type in LINK_TYPES:
            state.add_link_type(link_type)
        state.add_project(
            DEFAULT_PROJECT,
            "Project",
            issue_types=ISSUE_TYPES,
            statuses=(TO_DO, IN_PROGRESS, DONE),
            transitions=WORKFLOW,
            fields=(STORY_POINTS_FIELD.id, SIZE_FIELD.id, SPRINT_FIELD.id),
        )
        state.add_board(DEFAULT_BOARD_ID, "PROJ board", DEFAULT_PROJECT, type="scrum")
        start = state.now().replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=SPRINT_DAYS // 2)
        length = timedelta(days=SPRINT_DAYS)
        state.add_sprint(DEFAULT_BOARD_ID, 1, "PROJ Sprint 1", "closed", start=start - length, end=start)
        state.add_sprint(DEFAULT_BOARD_ID, 2, "PROJ Sprint 2", "active", start=start, end=start + length)
        state.add_sprint(DEFAULT_BOARD_ID, 3, "PROJ Sprint 3", "future")
