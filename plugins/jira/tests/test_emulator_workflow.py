"""Transitions along the workflow, Blocks links (created once, read back on both issues, deleted), and the agile
API: boards, their configuration, sprints, moving issues into a sprint and back to the backlog."""

from __future__ import annotations

from planpilot_provider_jira.testing import JiraEmulator
from planpilot_provider_jira.testing.builders import create_body


def _new(emulator: JiraEmulator, summary: str, issue_type: str = "Task") -> str:
    key: str = emulator.request("POST", "/rest/api/3/issue", create_body(summary, issue_type)).json()["key"]
    return key


def _transitions(emulator: JiraEmulator, key: str, query: str = "") -> list[tuple[str, str, bool]]:
    body = emulator.request("GET", f"/rest/api/3/issue/{key}/transitions{query}").json()
    return [(t["id"], t["to"]["name"], t["isAvailable"]) for t in body["transitions"]]


def test_the_workflow_goes_to_do_in_progress_done_one_step_at_a_time(emulator: JiraEmulator) -> None:
    key = _new(emulator, "Walk")
    assert _transitions(emulator, key) == [("11", "In Progress", True)]
    refused = emulator.request("POST", f"/rest/api/3/issue/{key}/transitions", {"transition": {"id": "21"}})
    assert refused.status == 400
    assert refused.json()["errorMessages"] == ["Transition id '21' is not valid for this issue."]
    assert emulator.request("POST", f"/rest/api/3/issue/{key}/transitions", {"transition": {"id": "11"}}).status == 204
    assert _transitions(emulator, key) == [("21", "Done", True), ("31", "To Do", True)]
    assert emulator.request("POST", f"/rest/api/3/issue/{key}/transitions", {"transition": {"id": "21"}}).status == 204
    fields = emulator.request("GET", f"/rest/api/3/issue/{key}?fields=status,resolutiondate").json()["fields"]
    assert fields["status"]["statusCategory"]["key"] == "done"
    assert fields["resolutiondate"] is not None
    assert ("11", "In Progress", False) in _transitions(emulator, key, "?includeUnavailableTransitions=true")


def test_a_transition_without_an_id_is_refused(emulator: JiraEmulator) -> None:
    key = _new(emulator, "No id")
    response = emulator.request("POST", f"/rest/api/3/issue/{key}/transitions", {"fields": {}})
    assert response.status == 400


def test_blocks_links_are_made_once_and_read_back_from_both_sides(emulator: JiraEmulator) -> None:
    blocker, blocked = _new(emulator, "Blocker"), _new(emulator, "Blocked")
    link = {"type": {"name": "Blocks"}, "inwardIssue": {"key": blocker}, "outwardIssue": {"key": blocked}}
    first = emulator.request("POST", "/rest/api/3/issueLink", link)
    assert first.status == 201
    assert first.body == b""
    assert emulator.request("POST", "/rest/api/3/issueLink", link).status == 201  # a repeat answers created ...
    assert len(emulator.state.links) == 1  # ... and makes no second link
    on_blocked = emulator.request("GET", f"/rest/api/3/issue/{blocked}?fields=issuelinks").json()["fields"][
        "issuelinks"
    ]
    assert len(on_blocked) == 1
    assert on_blocked[0]["inwardIssue"]["key"] == blocker  # "is blocked by" the blocker
    assert "outwardIssue" not in on_blocked[0]
    on_blocker = emulator.request("GET", f"/rest/api/3/issue/{blocker}?fields=issuelinks").json()["fields"][
        "issuelinks"
    ]
    assert on_blocker[0]["outwardIssue"]["key"] == blocked  # "blocks" the blocked one
    link_id = on_blocked[0]["id"]
    whole = emulator.request("GET", f"/rest/api/3/issueLink/{link_id}").json()
    assert (whole["inwardIssue"]["key"], whole["outwardIssue"]["key"], whole["type"]["name"]) == (
        blocker,
        blocked,
        "Blocks",
    )
    assert emulator.request("DELETE", f"/rest/api/3/issueLink/{link_id}").status == 204
    assert emulator.request("GET", f"/rest/api/3/issueLink/{link_id}").status == 404
    assert emulator.request("DELETE", f"/rest/api/3/issueLink/{link_id}").status == 404
    assert (
        emulator.request("GET", f"/rest/api/3/issue/{blocked}?fields=issuelinks").json()["fields"]["issuelinks"] == []
    )


def test_link_types_and_link_refusals(emulator: JiraEmulator) -> None:
    types = emulator.request("GET", "/rest/api/3/issueLinkType").json()["issueLinkTypes"]
    assert {"name": "Blocks", "inward": "is blocked by", "outward": "blocks"}.items() <= types[0].items()
    one = _new(emulator, "One")
    unknown_type = {"type": {"name": "Nope"}, "inwardIssue": {"key": one}, "outwardIssue": {"key": one}}
    assert emulator.request("POST", "/rest/api/3/issueLink", unknown_type).status == 404
    missing = {"type": {"name": "Blocks"}, "inwardIssue": {"key": one}, "outwardIssue": {"key": "PROJ-404"}}
    assert emulator.request("POST", "/rest/api/3/issueLink", missing).status == 404


def test_boards_configuration_and_sprints(emulator: JiraEmulator) -> None:
    boards = emulator.request("GET", "/rest/agile/1.0/board?projectKeyOrId=PROJ&type=scrum").json()
    assert [b["id"] for b in boards["values"]] == [1]
    assert emulator.request("GET", "/rest/agile/1.0/board?type=kanban").json()["values"] == []
    config = emulator.request("GET", "/rest/agile/1.0/board/1/configuration").json()
    assert config["estimation"]["field"] == {"fieldId": "customfield_10016", "displayName": "Story Points"}
    assert [c["name"] for c in config["columnConfig"]["columns"]] == ["To Do", "In Progress", "Done"]
    sprints = emulator.request("GET", "/rest/agile/1.0/board/1/sprint").json()["values"]
    assert [(s["id"], s["state"]) for s in sprints] == [(1, "closed"), (2, "active"), (3, "future")]
    open_sprints = emulator.request("GET", "/rest/agile/1.0/board/1/sprint?state=active,future").json()["values"]
    assert [s["id"] for s in open_sprints] == [2, 3]
    assert emulator.request("GET", "/rest/agile/1.0/board/1/sprint?state=soon").status == 400
    assert emulator.request("GET", "/rest/agile/1.0/board/9").status == 404
    assert emulator.request("GET", "/rest/agile/1.0/sprint/2").json()["name"] == "PROJ Sprint 2"


def test_issues_move_into_an_open_sprint_and_back_to_the_backlog(emulator: JiraEmulator) -> None:
    key = _new(emulator, "Planned")
    assert emulator.request("POST", "/rest/agile/1.0/sprint/2/issue", {"issues": [key]}).status == 204
    sprint = emulator.request("GET", f"/rest/api/3/issue/{key}?fields=customfield_10020").json()["fields"]
    assert [s["id"] for s in sprint["customfield_10020"]] == [2]
    closed = emulator.request("POST", "/rest/agile/1.0/sprint/1/issue", {"issues": [key]})
    assert closed.status == 400
    assert closed.json()["errorMessages"] == ["Issues can only be moved to open or active sprints."]
    too_many = emulator.request("POST", "/rest/agile/1.0/sprint/2/issue", {"issues": [key] * 51})
    assert too_many.status == 400
    assert emulator.request("POST", "/rest/agile/1.0/backlog/issue", {"issues": [key]}).status == 204
    assert emulator.state.issue(key).sprint is None
    found = emulator.request("POST", "/rest/api/3/search/jql", {"jql": "sprint = 2", "fields": ["summary"]})
    assert found.json()["issues"] == []
