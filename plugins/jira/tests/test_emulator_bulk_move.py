"""The emulator's bulk move (``POST /rest/api/3/bulk/issues/move`` and its task): how an issue changes type across
hierarchy levels, and gets or loses the parent only another type may have."""

from __future__ import annotations

import json
from typing import Any

from planpilot_provider_jira.testing import JiraEmulator

INFER = {
    "inferClassificationDefaults": True,
    "inferFieldDefaults": True,
    "inferStatusDefaults": True,
    "inferSubtaskTypeDefault": True,
}
EPIC, STORY, TASK, SUBTASK = "10000", "10001", "10002", "10003"


def _move(emulator: JiraEmulator, target: str, *keys: str) -> dict[str, Any]:
    body = {"targetToSourcesMapping": {target: {"issueIdsOrKeys": list(keys), **INFER}}}
    submitted = emulator.request("POST", "/rest/api/3/bulk/issues/move", body)
    assert submitted.status == 201, submitted.body
    task_id = json.loads(submitted.body)["taskId"]
    progress = emulator.request("GET", f"/rest/api/3/bulk/queue/{task_id}")
    assert progress.status == 200, progress.body
    result: dict[str, Any] = json.loads(progress.body)
    return result


def test_a_task_becomes_a_sub_task_of_a_story_and_back(emulator: JiraEmulator) -> None:
    story = emulator.state.add_issue("PROJ", "Story", issue_type="Story")
    task = emulator.state.add_issue("PROJ", "Task", issue_type="Task")
    progress = _move(emulator, f"PROJ,{SUBTASK},{story.key}", task.key)
    assert progress["status"] == "COMPLETE"
    assert progress["processedAccessibleIssues"] == [task.id]
    assert (task.issue_type.name, task.parent) == ("Sub-task", story)
    _move(emulator, f"PROJ,{TASK}", task.key)
    assert (task.issue_type.name, task.parent) == ("Task", None)  # a standard task cannot sit under a story


def test_a_story_becomes_an_epic_keeping_its_key(emulator: JiraEmulator) -> None:
    story = emulator.state.add_issue("PROJ", "Story", issue_type="Story")
    progress = _move(emulator, f"PROJ,{EPIC}", story.key)
    assert progress["processedAccessibleIssues"] == [story.id]
    assert (story.issue_type.name, story.key) == ("Epic", "PROJ-1")


def test_a_move_that_breaks_the_hierarchy_fails_that_issue_only(emulator: JiraEmulator) -> None:
    story = emulator.state.add_issue("PROJ", "Story", issue_type="Story")
    emulator.state.add_issue("PROJ", "Child", issue_type="Sub-task", parent=story.key)
    other = emulator.state.add_issue("PROJ", "Other", issue_type="Task")
    progress = _move(emulator, f"PROJ,{EPIC}", story.key, other.key)
    assert progress["failedAccessibleIssues"] == {
        str(story.id): ["Its child issue PROJ-2 cannot stay under an issue of type Epic."]
    }
    assert progress["processedAccessibleIssues"] == [other.id]
    assert (story.issue_type.name, other.issue_type.name) == ("Story", "Epic")


def test_a_move_to_a_sub_task_type_needs_a_parent(emulator: JiraEmulator) -> None:
    task = emulator.state.add_issue("PROJ", "Task", issue_type="Task")
    body = {"targetToSourcesMapping": {f"PROJ,{SUBTASK}": {"issueIdsOrKeys": [task.key], **INFER}}}
    refused = emulator.request("POST", "/rest/api/3/bulk/issues/move", body)
    assert refused.status == 400
    assert json.loads(refused.body) == {
        "errors": [{"message": "Moving to the sub-task type Sub-task needs a target parent."}]
    }
    assert task.issue_type.name == "Task"
