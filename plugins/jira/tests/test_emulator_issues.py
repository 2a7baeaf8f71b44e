"""Issues on the emulator: create (one and bulk), read (one and bulk), edit, delete, and Jira's field rules."""

from __future__ import annotations

from typing import Any

import pytest

from planpilot_provider_jira.testing import ADF_MESSAGE, JiraEmulator
from planpilot_provider_jira.testing.builders import adf_paragraphs, create_body


def _create(emulator: JiraEmulator, summary: str, issue_type: str = "Task", **fields: Any) -> str:
    response = emulator.request("POST", "/rest/api/3/issue", create_body(summary, issue_type, **fields))
    assert response.status == 201, response.body
    key: str = response.json()["key"]
    return key


def test_create_answers_id_key_and_self_and_the_issue_reads_back(emulator: JiraEmulator) -> None:
    body = adf_paragraphs("PLAN_ID: p1", "ITEM_ID: e1")
    response = emulator.request(
        "POST",
        "/rest/api/3/issue",
        create_body("Epic one", "Epic", description=body, labels=["planpilot", "plan-p1"], priority={"name": "High"}),
    )
    assert response.status == 201
    created = response.json()
    assert created == {"id": "10000", "key": "PROJ-1", "self": "http://jira.example.test/rest/api/3/issue/10000"}
    issue = emulator.request(
        "GET", "/rest/api/3/issue/PROJ-1?fields=summary,description,labels,priority,status,issuetype"
    )
    fields = issue.json()["fields"]
    assert fields["summary"] == "Epic one"
    assert fields["description"] == body
    assert fields["labels"] == ["planpilot", "plan-p1"]
    assert fields["priority"]["name"] == "High"
    assert fields["status"]["name"] == "To Do"
    assert fields["issuetype"] == {**fields["issuetype"], "name": "Epic", "hierarchyLevel": 1, "subtask": False}
    assert emulator.request("GET", "/rest/api/3/issue/10000?fields=summary").json()["key"] == "PROJ-1"


def test_get_issue_defaults_to_all_fields_and_honours_exclusions(emulator: JiraEmulator) -> None:
    key = _create(emulator, "A task", customfield_10016=5)
    everything = emulator.request("GET", f"/rest/api/3/issue/{key}").json()["fields"]
    assert {"summary", "labels", "status", "customfield_10016", "customfield_10020", "issuelinks"} <= set(everything)
    assert everything["customfield_10016"] == 5
    narrowed = emulator.request("GET", f"/rest/api/3/issue/{key}?fields=*all,-description,-labels").json()["fields"]
    assert "description" not in narrowed
    assert "labels" not in narrowed
    assert "summary" in narrowed


def test_missing_issue_is_a_404_with_jiras_message(emulator: JiraEmulator) -> None:
    response = emulator.request("GET", "/rest/api/3/issue/PROJ-99")
    assert response.status == 404
    assert response.json()["errorMessages"] == ["Issue does not exist or you do not have permission to see it."]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"summary": "x" * 256}, "summary", "Summary can't exceed 255 characters."),
        ({"summary": "two\nlines"}, "summary", "The summary is invalid because it contains newline characters."),
        ({"summary": "  "}, "summary", "You must specify a summary of the issue."),
        ({"labels": ["has space"]}, "labels", "The label 'has space' can't contain spaces."),
        ({"labels": "planpilot"}, "labels", "data was not an array"),
        ({"description": "plain text"}, "description", ADF_MESSAGE),
        ({"description": {"type": "doc", "version": 1, "content": [{"type": "nope"}]}}, "description", ADF_MESSAGE),
        (
            {"customfield_99999": 1},
            "customfield_99999",
            "Field 'customfield_99999' cannot be set. It is not on the appropriate screen, or unknown.",
        ),
        (
            {"status": {"name": "Done"}},
            "status",
            "Field 'status' cannot be set. It is not on the appropriate screen, or unknown.",
        ),
        ({"customfield_10016": "three"}, "customfield_10016", "Operation value must be a number"),
        ({"customfield_10050": {"value": "XXL"}}, "customfield_10050", "Option value 'XXL' is not valid"),
        ({"customfield_10020": "2"}, "customfield_10020", "Number value expected as the Sprint id."),
        ({"customfield_10020": 1}, "customfield_10020", "Issue can be assigned only active or future sprints."),
        ({"priority": {"name": "Urgent"}}, "priority", "The priority selected is invalid."),
        ({"issuetype": {"name": "Bug"}}, "issuetype", "The issue type selected is invalid."),
    ],
)
def test_field_rules_refuse_with_jiras_messages_and_create_nothing(
    emulator: JiraEmulator, fields: dict[str, Any], field: str, message: str
) -> None:
    body = create_body("Fine summary")
    body["fields"].update(fields)
    response = emulator.request("POST", "/rest/api/3/issue", body)
    assert response.status == 400
    assert response.json()["errors"][field] == message
    assert emulator.state.issues == {}


def test_every_bad_field_is_reported_in_one_answer(emulator: JiraEmulator) -> None:
    response = emulator.request("POST", "/rest/api/3/issue", {"fields": {"project": {"key": "PROJ"}}})
    assert response.status == 400
    assert response.json()["errors"] == {
        "issuetype": "Specify an issue type",
        "summary": "You must specify a summary of the issue.",
    }
    response = emulator.request("POST", "/rest/api/3/issue", create_body("x", project="NOPE"))
    assert response.json()["errors"] == {"project": "Specify a valid project ID or key"}


def test_parents_follow_the_hierarchy(emulator: JiraEmulator) -> None:
    epic = _create(emulator, "Epic", "Epic")
    story = _create(emulator, "Story", "Story", parent={"key": epic})
    sub = _create(emulator, "Sub", "Sub-task", parent={"key": story})
    assert emulator.state.issue(sub).parent is emulator.state.issue(story)
    refused = emulator.request("POST", "/rest/api/3/issue", create_body("Sub", "Sub-task"))
    assert refused.json()["errors"]["parent"] == "Issue type is a sub-task but parent issue key or id not specified."
    refused = emulator.request("POST", "/rest/api/3/issue", create_body("Task", "Task", parent={"key": story}))
    assert refused.json()["errors"]["parent"] == "Given parent issue does not belong to appropriate hierarchy."
    parent = emulator.request("GET", f"/rest/api/3/issue/{story}?fields=parent,subtasks").json()["fields"]
    assert parent["parent"]["key"] == epic
    assert [s["key"] for s in parent["subtasks"]] == [sub]


def test_create_can_move_the_issue_along_the_workflow_in_the_same_call(emulator: JiraEmulator) -> None:
    body = {**create_body("Started"), "transition": {"id": "11"}}
    key = emulator.request("POST", "/rest/api/3/issue", body).json()["key"]
    assert emulator.state.issue(key).status.name == "In Progress"
    body = {**create_body("Skips"), "transition": {"id": "21"}}  # Done is not reachable from To Do
    refused = emulator.request("POST", "/rest/api/3/issue", body)
    assert refused.status == 400
    assert refused.json()["errorMessages"] == ["Transition id '21' is not valid for this issue."]


def test_bulk_create_reports_each_failed_element_by_its_index(emulator: JiraEmulator) -> None:
    updates = [create_body("one"), create_body("two", labels=["bad label"]), create_body("three")]
    response = emulator.request("POST", "/rest/api/3/issue/bulk", {"issueUpdates": updates})
    assert response.status == 201
    body = response.json()
    assert [i["key"] for i in body["issues"]] == ["PROJ-1", "PROJ-2"]
    assert body["errors"] == [
        {
            "status": 400,
            "elementErrors": {"errorMessages": [], "errors": {"labels": "The label 'bad label' can't contain spaces."}},
            "failedElementNumber": 1,
        }
    ]
    assert [i.summary for i in emulator.state.issues.values()] == ["one", "three"]
    assert emulator.stats.items_created == 2


def test_bulk_create_where_all_fail_is_a_400_and_over_50_is_refused(emulator: JiraEmulator) -> None:
    response = emulator.request("POST", "/rest/api/3/issue/bulk", {"issueUpdates": [create_body("x" * 300)]})
    assert response.status == 400
    assert response.json()["issues"] == []
    assert response.json()["errors"][0]["failedElementNumber"] == 0
    response = emulator.request("POST", "/rest/api/3/issue/bulk", {"issueUpdates": [create_body("x")] * 51})
    assert response.status == 400
    assert emulator.state.issues == {}


def test_edit_sets_fields_and_updates_labels_additively(emulator: JiraEmulator) -> None:
    key = _create(emulator, "Before", labels=["foreign", "old"])
    response = emulator.request(
        "PUT",
        f"/rest/api/3/issue/{key}",
        {
            "fields": {"summary": "After", "customfield_10050": {"value": "L"}},
            "update": {"labels": [{"add": "new"}, {"remove": "old"}]},
        },
    )
    assert response.status == 204
    assert response.body == b""
    fields = emulator.request("GET", f"/rest/api/3/issue/{key}?fields=summary,labels,customfield_10050").json()[
        "fields"
    ]
    assert fields["summary"] == "After"
    assert fields["labels"] == ["foreign", "new"]
    assert fields["customfield_10050"]["value"] == "L"
    returned = emulator.request("PUT", f"/rest/api/3/issue/{key}?returnIssue=true", {"fields": {"summary": "Again"}})
    assert returned.status == 200
    assert returned.json()["fields"]["summary"] == "Again"


def test_edit_refuses_a_field_in_both_fields_and_update_and_changes_nothing(emulator: JiraEmulator) -> None:
    key = _create(emulator, "Same")
    response = emulator.request(
        "PUT",
        f"/rest/api/3/issue/{key}",
        {"fields": {"labels": ["a"], "summary": "Changed"}, "update": {"labels": [{"add": "b"}]}},
    )
    assert response.status == 400
    assert "labels" in response.json()["errors"]
    assert emulator.state.issue(key).summary == "Same"


def test_bulk_fetch_returns_issues_by_ascending_id_and_lists_unknown_ones(emulator: JiraEmulator) -> None:
    first, second = _create(emulator, "first"), _create(emulator, "second")
    response = emulator.request(
        "POST", "/rest/api/3/issue/bulkfetch", {"issueIdsOrKeys": [second, "PROJ-77", first], "fields": ["summary"]}
    )
    body = response.json()
    assert [i["key"] for i in body["issues"]] == [first, second]
    assert body["issueErrors"] == [
        {"id": "PROJ-77", "errorMessage": "Issue does not exist or you do not have permission to see it."}
    ]
    too_many = emulator.request("POST", "/rest/api/3/issue/bulkfetch", {"issueIdsOrKeys": [first] * 101})
    assert too_many.status == 400


def test_delete_needs_delete_subtasks_when_it_has_any(emulator: JiraEmulator) -> None:
    story = _create(emulator, "Story", "Story")
    _create(emulator, "Sub", "Sub-task", parent={"key": story})
    assert emulator.request("DELETE", f"/rest/api/3/issue/{story}").status == 400
    assert emulator.request("DELETE", f"/rest/api/3/issue/{story}?deleteSubtasks=true").status == 204
    assert emulator.request("GET", f"/rest/api/3/issue/{story}").status == 404


def test_issue_properties_are_set_read_and_listed(emulator: JiraEmulator) -> None:
    key = _create(emulator, "With property")
    assert emulator.request("PUT", f"/rest/api/3/issue/{key}/properties/planpilot", {"hash": "abc"}).status == 201
    assert emulator.request("PUT", f"/rest/api/3/issue/{key}/properties/planpilot", {"hash": "def"}).status == 200
    assert emulator.request("GET", f"/rest/api/3/issue/{key}/properties/planpilot").json() == {
        "key": "planpilot",
        "value": {"hash": "def"},
    }
    assert [k["key"] for k in emulator.request("GET", f"/rest/api/3/issue/{key}/properties").json()["keys"]] == [
        "planpilot"
    ]
    assert emulator.request("GET", f"/rest/api/3/issue/{key}/properties/other").status == 404


def test_site_metadata_a_provider_discovers(emulator: JiraEmulator) -> None:
    project = emulator.request("GET", "/rest/api/3/project/PROJ").json()
    assert [t["name"] for t in project["issueTypes"]] == ["Epic", "Story", "Task", "Sub-task"]
    assert project["style"] == "classic"
    fields = {f["id"]: f for f in emulator.request("GET", "/rest/api/3/field").json()}
    assert fields["customfield_10016"]["name"] == "Story Points"
    assert fields["customfield_10016"]["schema"]["custom"].endswith(":float")
    assert fields["customfield_10050"]["schema"]["custom"].endswith(":select")
    assert fields["customfield_10020"]["schema"]["custom"] == "com.pyxis.greenhopper.jira:gh-sprint"
    meta = emulator.request("GET", "/rest/api/3/issue/createmeta/PROJ/issuetypes/10003").json()["fields"]
    assert {f["fieldId"]: f["required"] for f in meta}["parent"] is True
    sizes = next(f for f in meta if f["fieldId"] == "customfield_10050")["allowedValues"]
    assert [v["value"] for v in sizes] == ["XS", "S", "M", "L", "XL"]
    assert len(emulator.request("GET", "/rest/api/3/issue/createmeta/PROJ/issuetypes").json()["issueTypes"]) == 4
    priorities = emulator.request("GET", "/rest/api/3/priority/search").json()["values"]
    assert [p["name"] for p in priorities if p["isDefault"]] == ["Medium"]
    assert len(emulator.request("GET", "/rest/api/3/priority").json()) == 5
    statuses = emulator.request("GET", "/rest/api/3/project/PROJ/statuses").json()
    assert [s["name"] for s in statuses[0]["statuses"]] == ["To Do", "In Progress", "Done"]
    _create(emulator, "labelled", labels=["zeta", "alpha"])
    assert emulator.request("GET", "/rest/api/3/label").json()["values"] == ["alpha", "zeta"]
    assert emulator.request("GET", "/rest/api/3/project/NOPE").json()["errorMessages"] == [
        "No project could be found with key 'NOPE'."
    ]
