"""Every operation the emulator implements, answered once with a valid request and checked against the full
published OpenAPI description (the ``make_emulator`` fixture fails the test on any answer that does not conform)."""

from __future__ import annotations

from typing import Any

from planpilot_provider_jira.testing import IMPLEMENTED_OPERATIONS, JiraEmulator
from planpilot_provider_jira.testing.builders import adf_paragraphs, create_body


def _calls(emulator: JiraEmulator) -> list[tuple[str, str, str, Any]]:
    state = emulator.state
    epic = state.add_issue("PROJ", "Epic", issue_type="Epic", description=adf_paragraphs("PLAN_ID: p"))
    story = state.add_issue("PROJ", "Story", issue_type="Story", parent=epic.key, labels=["planpilot"])
    task = state.add_issue("PROJ", "Task", custom={"customfield_10016": 2, "customfield_10050": "10102"})
    link = state.add_link(story.key, task.key)
    spare = state.add_issue("PROJ", "Deleted later")
    loose = state.add_issue("PROJ", "Becomes a sub-task")
    infer = {
        "inferClassificationDefaults": True,
        "inferFieldDefaults": True,
        "inferStatusDefaults": True,
        "inferSubtaskTypeDefault": True,
    }
    move = {"targetToSourcesMapping": {f"PROJ,10003,{story.key}": {"issueIdsOrKeys": [loose.key], **infer}}}
    return [
        ("getCurrentUser", "GET", "/rest/api/3/myself", None),
        ("getProject", "GET", "/rest/api/3/project/PROJ", None),
        ("getAllStatuses", "GET", "/rest/api/3/project/PROJ/statuses", None),
        ("getFields", "GET", "/rest/api/3/field", None),
        ("getCreateIssueMetaIssueTypes", "GET", "/rest/api/3/issue/createmeta/PROJ/issuetypes", None),
        ("getCreateIssueMetaIssueTypeId", "GET", "/rest/api/3/issue/createmeta/PROJ/issuetypes/10001", None),
        ("createIssue", "POST", "/rest/api/3/issue", create_body("New", "Story", parent={"key": epic.key})),
        ("createIssues", "POST", "/rest/api/3/issue/bulk", {"issueUpdates": [create_body("Bulk")]}),
        ("getIssue", "GET", f"/rest/api/3/issue/{task.key}?expand=names,schema,transitions&properties=*all", None),
        ("editIssue", "PUT", f"/rest/api/3/issue/{task.key}", {"fields": {"customfield_10016": 3}}),
        ("deleteIssue", "DELETE", f"/rest/api/3/issue/{spare.key}", None),
        (
            "bulkFetchIssues",
            "POST",
            "/rest/api/3/issue/bulkfetch",
            {"issueIdsOrKeys": [epic.key, story.key, "X-1"], "fields": ["*all"], "expand": ["names"]},
        ),
        ("getTransitions", "GET", f"/rest/api/3/issue/{task.key}/transitions?includeUnavailableTransitions=true", None),
        ("doTransition", "POST", f"/rest/api/3/issue/{task.key}/transitions", {"transition": {"id": "11"}}),
        ("getIssuePropertyKeys", "GET", f"/rest/api/3/issue/{task.key}/properties", None),
        ("setIssueProperty", "PUT", f"/rest/api/3/issue/{task.key}/properties/planpilot", {"hash": "h"}),
        ("getIssueProperty", "GET", f"/rest/api/3/issue/{task.key}/properties/planpilot", None),
        ("getIssueLinkTypes", "GET", "/rest/api/3/issueLinkType", None),
        (
            "linkIssues",
            "POST",
            "/rest/api/3/issueLink",
            {"type": {"name": "Blocks"}, "inwardIssue": {"key": epic.key}, "outwardIssue": {"key": task.key}},
        ),
        ("getIssueLink", "GET", f"/rest/api/3/issueLink/{link.id}", None),
        ("deleteIssueLink", "DELETE", f"/rest/api/3/issueLink/{link.id}", None),
        (
            "searchAndReconsileIssuesUsingJql",
            "GET",
            "/rest/api/3/search/jql?jql=project%3DPROJ&fields=*all&expand=names,schema&maxResults=2",
            None,
        ),
        (
            "searchAndReconsileIssuesUsingJqlPost",
            "POST",
            "/rest/api/3/search/jql",
            {"jql": "labels = planpilot", "fields": ["summary", "issuelinks", "parent"], "reconcileIssues": [story.id]},
        ),
        ("countIssues", "POST", "/rest/api/3/search/approximate-count", {"jql": "project = PROJ"}),
        ("searchForIssuesUsingJql", "GET", "/rest/api/3/search?jql=project%3DPROJ", None),
        ("searchForIssuesUsingJqlPost", "POST", "/rest/api/3/search", {"jql": "project = PROJ"}),
        ("getAllLabels", "GET", "/rest/api/3/label", None),
        ("getPriorities", "GET", "/rest/api/3/priority", None),
        ("searchPriorities", "GET", "/rest/api/3/priority/search?onlyDefault=true", None),
        ("getAllBoards", "GET", "/rest/agile/1.0/board?projectKeyOrId=PROJ", None),
        ("getBoard", "GET", "/rest/agile/1.0/board/1", None),
        ("getConfiguration", "GET", "/rest/agile/1.0/board/1/configuration", None),
        ("getAllSprints", "GET", "/rest/agile/1.0/board/1/sprint?state=active", None),
        ("getSprint", "GET", "/rest/agile/1.0/sprint/2", None),
        ("moveIssuesToSprintAndRank", "POST", "/rest/agile/1.0/sprint/2/issue", {"issues": [task.key, story.key]}),
        ("moveIssuesToBacklog", "POST", "/rest/agile/1.0/backlog/issue", {"issues": [story.key]}),
        ("submitBulkMove", "POST", "/rest/api/3/bulk/issues/move", move),
        ("getBulkOperationProgress", "GET", "/rest/api/3/bulk/queue/10000", None),
    ]


def test_every_implemented_operation_answers_as_the_description_says(emulator: JiraEmulator) -> None:
    calls = _calls(emulator)
    assert {name for name, *_ in calls} == set().union(*IMPLEMENTED_OPERATIONS.values())
    for name, method, path, body in calls:
        response = emulator.request(method, path, body)
        expected = 410 if name.startswith("searchForIssues") else None
        assert (response.status == expected) if expected else (200 <= response.status < 300), (name, response.body)
    assert emulator.stats.operations == {name: 1 for name, *_ in calls}
    assert emulator.stats.internal_errors == 0
    assert emulator.stats.refused_by_contract == 0
