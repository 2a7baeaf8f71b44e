"""Mutation semantics and GitHub's error messages, checked through GraphQL and the state inspection API."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

import pytest

from planpilot_provider_github.testing import GitHubEmulator, ManualClock
from planpilot_provider_github.testing.model import Issue, Project

REPO = "acme/roadmap"

CREATE = """
mutation Create($input: CreateIssueInput!) {
  createIssue(input: $input) {
    issue {
      id number url title body state issueType { id name } labels(first: 10) { totalCount nodes { id name } }
      parent { id number }
      projectItems(first: 10) { nodes { id project { id } } }
    }
  }
}
"""
FIELD_VALUES = """
query($id: ID!) { node(id: $id) { ... on Issue {
  projectItems(first: 10) { nodes { id project { id } fieldValues(first: 20) { nodes {
    __typename
    ... on ProjectV2ItemFieldSingleSelectValue { optionId name field { ... on ProjectV2SingleSelectField { name } } }
    ... on ProjectV2ItemFieldNumberValue { number field { ... on ProjectV2Field { name } } }
    ... on ProjectV2ItemFieldTextValue { text field { ... on ProjectV2Field { name } } }
    ... on ProjectV2ItemFieldDateValue { date field { ... on ProjectV2Field { name } } }
    ... on ProjectV2ItemFieldIterationValue { iterationId title field { ... on ProjectV2IterationField { name } } }
  } } } } } } }
"""


@pytest.fixture
def emulator() -> GitHubEmulator:
    return GitHubEmulator.with_default_scenario(clock=ManualClock(datetime(2025, 6, 2, 12, 0, tzinfo=UTC)))


@pytest.fixture
def project(emulator: GitHubEmulator) -> Project:
    return emulator.state.project("acme", 1)


def gql(emulator: GitHubEmulator, query: str, **variables: Any) -> dict[str, Any]:
    response = emulator.request(query, variables)
    assert response.status == 200
    return response.json()  # type: ignore[no-any-return]


def data(emulator: GitHubEmulator, query: str, **variables: Any) -> dict[str, Any]:
    body = gql(emulator, query, **variables)
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert len(body["errors"]) == 1, body
    return body["errors"][0]  # type: ignore[no-any-return]


def type_id(emulator: GitHubEmulator, name: str) -> str:
    return next(t.id for t in emulator.state.owner("acme").issue_types if t.name == name)


def new_issue(emulator: GitHubEmulator, title: str) -> Issue:
    return emulator.state.repository(REPO).issues[emulator.state.add_issue(REPO, title).number]


def test_create_issue_applies_labels_type_project_and_parent(emulator: GitHubEmulator, project: Project) -> None:
    label = emulator.state.add_label(REPO, "planpilot")
    parent = new_issue(emulator, "Epic")
    payload = data(
        emulator,
        CREATE,
        input={
            "repositoryId": emulator.state.repository(REPO).id,
            "title": "Story 1",
            "body": "PLAN_ID:abc",
            "labelIds": [label.id],
            "issueTypeId": type_id(emulator, "Story"),
            "projectV2Ids": [project.id],
            "parentIssueId": parent.id,
        },
    )["createIssue"]["issue"]
    assert payload["id"].startswith("I_")
    assert payload["number"] == 2
    assert payload["url"] == "https://github.com/acme/roadmap/issues/2"
    assert payload["state"] == "OPEN"
    assert payload["issueType"]["name"] == "Story"
    assert payload["labels"] == {"totalCount": 1, "nodes": [{"id": label.id, "name": "planpilot"}]}
    assert payload["parent"] == {"id": parent.id, "number": 1}
    [item] = payload["projectItems"]["nodes"]
    assert item["id"].startswith("PVTI_")
    assert item["project"]["id"] == project.id
    view = emulator.state.issue(REPO, 2)
    assert view.labels == ("planpilot",)
    assert view.issue_type == "Story"
    assert view.parent == 1
    assert view.project_fields == {"acme/1": {}}
    assert emulator.state.issue(REPO, 1).sub_issues == (2,)


def test_create_issue_is_atomic_when_an_input_is_invalid(emulator: GitHubEmulator, project: Project) -> None:
    body = gql(
        emulator,
        CREATE,
        input={
            "repositoryId": emulator.state.repository(REPO).id,
            "title": "x",
            "projectV2Ids": [project.id],
            "labelIds": ["LA_nope"],
        },
    )
    error = only_error(body)
    assert error["type"] == "NOT_FOUND"
    assert error["path"] == ["createIssue"]
    assert error["message"] == "Could not resolve to a node with the global id of 'LA_nope'."
    assert body["data"] == {"createIssue": None}
    assert emulator.state.issues(REPO) == []
    assert project.items == {}


def test_create_issue_type_rules(emulator: GitHubEmulator) -> None:
    disabled = emulator.state.add_issue_type("acme", "Legacy", enabled=False)
    repo_id = emulator.state.repository(REPO).id
    body = gql(emulator, CREATE, input={"repositoryId": repo_id, "title": "x", "issueTypeId": disabled.id})
    assert "disabled" in only_error(body)["message"]
    user_repo = emulator.state.repository("octo/side").id
    body = gql(
        emulator, CREATE, input={"repositoryId": user_repo, "title": "x", "issueTypeId": type_id(emulator, "Task")}
    )
    assert only_error(body)["type"] == "UNPROCESSABLE"
    body = gql(emulator, CREATE, input={"repositoryId": repo_id, "title": "  "})
    assert only_error(body)["message"] == "Title can't be blank"
    assert emulator.state.issues(REPO) == []
    assert emulator.state.issues("octo/side") == []


UPDATE = """mutation($input: UpdateIssueInput!) { updateIssue(input: $input) {
  issue { title body state issueType { name } labels(first: 10) { nodes { name } } } } }"""


def test_update_issue_replaces_labels_and_sets_type_and_state(emulator: GitHubEmulator) -> None:
    issue = emulator.state.add_issue(REPO, "Old", "old body", labels=["a", "b"], issue_type="Task")
    c = emulator.state.add_label(REPO, "c")
    payload = data(
        emulator,
        UPDATE,
        input={
            "id": issue.id,
            "title": "New",
            "body": "new body",
            "labelIds": [c.id],
            "issueTypeId": type_id(emulator, "Bug"),
            "state": "CLOSED",
        },
    )["updateIssue"]["issue"]
    assert payload == {
        "title": "New",
        "body": "new body",
        "state": "CLOSED",
        "issueType": {"name": "Bug"},
        "labels": {"nodes": [{"name": "c"}]},
    }
    cleared = data(emulator, UPDATE, input={"id": issue.id, "issueTypeId": None, "labelIds": []})
    assert cleared["updateIssue"]["issue"]["issueType"] is None
    assert cleared["updateIssue"]["issue"]["labels"]["nodes"] == []
    untouched = data(emulator, UPDATE, input={"id": issue.id, "body": "again"})["updateIssue"]["issue"]
    assert untouched["title"] == "New"
    assert untouched["state"] == "CLOSED"


def test_delete_issue_removes_it_everywhere(emulator: GitHubEmulator, project: Project) -> None:
    parent = new_issue(emulator, "parent")
    doomed = new_issue(emulator, "doomed")
    blocker = new_issue(emulator, "blocker")
    emulator.state.link_sub_issue(parent, doomed)
    emulator.state.link_blocked_by(doomed, blocker)
    emulator.state.add_to_project(project, doomed)
    payload = data(
        emulator,
        'mutation($id: ID!) { deleteIssue(input: {issueId: $id, clientMutationId: "c1"}) '
        "{ repository { id } clientMutationId } }",
        id=doomed.id,
    )
    assert payload["deleteIssue"] == {"repository": {"id": parent.repository.id}, "clientMutationId": "c1"}
    assert gql(emulator, "query($id: ID!) { node(id: $id) { id } }", id=doomed.id)["data"] == {"node": None}
    assert [v.number for v in emulator.state.issues(REPO)] == [1, 3]
    assert emulator.state.issue(REPO, 1).sub_issues == ()
    assert emulator.state.issue(REPO, 3).blocking == ()
    assert project.items == {}
    again = gql(
        emulator, "mutation($id: ID!) { deleteIssue(input: {issueId: $id}) { clientMutationId } }", id=doomed.id
    )
    assert only_error(again)["type"] == "NOT_FOUND"


def test_add_and_remove_labels(emulator: GitHubEmulator) -> None:
    issue = emulator.state.add_issue(REPO, "x", labels=["a"])
    a = emulator.state.repository(REPO).labels["a"]
    b = emulator.state.add_label(REPO, "b")
    add = """mutation($id: ID!, $labels: [ID!]!) { addLabelsToLabelable(input: {labelableId: $id, labelIds: $labels}) {
      labelable { ... on Issue { number labels(first: 10) { nodes { name } } } } } }"""
    result = data(emulator, add, id=issue.id, labels=[a.id, b.id])["addLabelsToLabelable"]["labelable"]
    assert result == {"number": 1, "labels": {"nodes": [{"name": "a"}, {"name": "b"}]}}
    remove = """mutation($id: ID!, $labels: [ID!]!) {
      removeLabelsFromLabelable(input: {labelableId: $id, labelIds: $labels}) {
        labelable { labels(first: 10) { nodes { name } } } } }"""
    result = data(emulator, remove, id=issue.id, labels=[a.id])["removeLabelsFromLabelable"]["labelable"]
    assert result == {"labels": {"nodes": [{"name": "b"}]}}
    other_repo_label = emulator.state.add_label("octo/side", "elsewhere")
    assert only_error(gql(emulator, add, id=issue.id, labels=[other_repo_label.id]))["type"] == "UNPROCESSABLE"


def test_create_label_and_duplicate_name(emulator: GitHubEmulator) -> None:
    create = """mutation($input: CreateLabelInput!) { createLabel(input: $input) { label { id name color } } }"""
    repo_id = emulator.state.repository(REPO).id
    label = data(emulator, create, input={"repositoryId": repo_id, "name": "PlanPilot", "color": "0E8A16"})
    assert label["createLabel"]["label"]["id"].startswith("LA_")
    assert label["createLabel"]["label"]["name"] == "PlanPilot"
    duplicate = gql(emulator, create, input={"repositoryId": repo_id, "name": "planpilot", "color": "ffffff"})
    error = only_error(duplicate)
    assert error["type"] == "UNPROCESSABLE"
    assert error["message"] == "Name has already been taken"
    assert duplicate["data"] == {"createLabel": None}


def test_add_project_item_is_idempotent(emulator: GitHubEmulator, project: Project) -> None:
    issue = new_issue(emulator, "x")
    add = "mutation($p: ID!, $c: ID!) { addProjectV2ItemById(input: {projectId: $p, contentId: $c}) { item { id } } }"
    first = data(emulator, add, p=project.id, c=issue.id)["addProjectV2ItemById"]["item"]["id"]
    second = data(emulator, add, p=project.id, c=issue.id)["addProjectV2ItemById"]["item"]["id"]
    assert first == second
    assert first.startswith("PVTI_")
    assert len(project.items) == 1
    missing = gql(emulator, add, p="PVT_nope", c=issue.id)
    assert only_error(missing)["message"] == "Could not resolve to a node with the global id of 'PVT_nope'."


SET_VALUE = """mutation($p: ID!, $i: ID!, $f: ID!, $v: ProjectV2FieldValue!) {
  updateProjectV2ItemFieldValue(input: {projectId: $p, itemId: $i, fieldId: $f, value: $v}) {
    projectV2Item { id } } }"""
CLEAR_VALUE = """mutation($p: ID!, $i: ID!, $f: ID!) {
  clearProjectV2ItemFieldValue(input: {projectId: $p, itemId: $i, fieldId: $f}) { projectV2Item { id } } }"""


def test_update_and_clear_field_values(emulator: GitHubEmulator, project: Project) -> None:
    emulator.state.add_field(project, "Notes", "TEXT")
    emulator.state.add_field(project, "Due", "DATE")
    issue = new_issue(emulator, "x")
    item = emulator.state.add_to_project(project, issue)
    fields = {f.name: f for f in project.fields}
    done = next(o for o in fields["Status"].options if o.name == "Done")
    current = fields["Iteration"].iterations[1]
    completed = fields["Iteration"].completed_iterations[0]
    for name, value in [
        ("Status", {"singleSelectOptionId": done.id}),
        ("Estimate", {"number": 3.5}),
        ("Notes", {"text": "hello"}),
        ("Due", {"date": "2025-07-01"}),
        ("Iteration", {"iterationId": completed.id}),
        ("Iteration", {"iterationId": current.id}),
    ]:
        result = data(emulator, SET_VALUE, p=project.id, i=item.id, f=fields[name].id, v=value)
        assert result["updateProjectV2ItemFieldValue"]["projectV2Item"]["id"] == item.id
    values = data(emulator, FIELD_VALUES, id=issue.id)["node"]["projectItems"]["nodes"][0]["fieldValues"]["nodes"]
    by_type = {v["__typename"]: v for v in values}
    assert by_type["ProjectV2ItemFieldSingleSelectValue"] == {
        "__typename": "ProjectV2ItemFieldSingleSelectValue",
        "optionId": done.id,
        "name": "Done",
        "field": {"name": "Status"},
    }
    assert by_type["ProjectV2ItemFieldNumberValue"]["number"] == 3.5
    assert by_type["ProjectV2ItemFieldDateValue"]["date"] == "2025-07-01"
    assert by_type["ProjectV2ItemFieldIterationValue"]["iterationId"] == current.id
    assert by_type["ProjectV2ItemFieldIterationValue"]["title"] == current.title
    texts = {v["field"]["name"]: v["text"] for v in values if v["__typename"] == "ProjectV2ItemFieldTextValue"}
    assert texts == {"Title": "x", "Notes": "hello"}  # GitHub lists the Title as a text value too
    assert emulator.state.issue(REPO, issue.number).project_fields["acme/1"] == {
        "Status": "Done",
        "Estimate": 3.5,
        "Notes": "hello",
        "Due": date(2025, 7, 1).isoformat(),
        "Iteration": current.title,
    }
    data(emulator, CLEAR_VALUE, p=project.id, i=item.id, f=fields["Status"].id)
    assert "Status" not in emulator.state.issue(REPO, issue.number).project_fields["acme/1"]


def test_field_value_validation(emulator: GitHubEmulator, project: Project) -> None:
    issue = new_issue(emulator, "x")
    item = emulator.state.add_to_project(project, issue)
    fields = {f.name: f for f in project.fields}
    cases = [
        ("Status", {"singleSelectOptionId": "nope"}, "The single select option Id does not belong to the field"),
        ("Iteration", {"iterationId": "nope"}, "The iteration Id does not belong to the field"),
        ("Status", {"text": "Done"}, "`singleSelectOptionId`"),
        ("Estimate", {"number": 1, "text": "1"}, "`number`"),
        ("Title", {"text": "renamed"}, "cannot be updated"),
    ]
    for name, value, message in cases:
        body = gql(emulator, SET_VALUE, p=project.id, i=item.id, f=fields[name].id, v=value)
        error = only_error(body)
        assert message in error["message"], (name, error)
        assert body["data"] == {"updateProjectV2ItemFieldValue": None}
    other = emulator.state.project("octo", 1)
    other_field = other.field_named("Status")
    assert other_field is not None
    body = gql(emulator, SET_VALUE, p=project.id, i=item.id, f=other_field.id, v={"singleSelectOptionId": "x"})
    assert only_error(body)["type"] == "NOT_FOUND"
    assert emulator.state.issue(REPO, issue.number).project_fields == {"acme/1": {}}


ADD_SUB = """mutation($p: ID!, $c: ID!, $replace: Boolean) {
  addSubIssue(input: {issueId: $p, subIssueId: $c, replaceParent: $replace}) {
    issue { number } subIssue { number } } }"""
REMOVE_SUB = """mutation($p: ID!, $c: ID!) {
  removeSubIssue(input: {issueId: $p, subIssueId: $c}) { issue { number } subIssue { number } } }"""


def test_sub_issue_rules(emulator: GitHubEmulator) -> None:
    a, b, c = (new_issue(emulator, name) for name in "abc")
    assert data(emulator, ADD_SUB, p=a.id, c=b.id)["addSubIssue"] == {"issue": {"number": 1}, "subIssue": {"number": 2}}
    assert only_error(gql(emulator, ADD_SUB, p=a.id, c=b.id))["message"] == "Issue may not contain duplicate sub-issues"
    assert only_error(gql(emulator, ADD_SUB, p=c.id, c=b.id))["message"] == "Sub issue may only have one parent"
    assert only_error(gql(emulator, ADD_SUB, p=a.id, c=a.id))["type"] == "UNPROCESSABLE"
    assert "ancestor" in only_error(gql(emulator, ADD_SUB, p=b.id, c=a.id))["message"]
    data(emulator, ADD_SUB, p=c.id, c=b.id, replace=True)
    assert emulator.state.issue(REPO, 2).parent == 3
    assert emulator.state.issue(REPO, 1).sub_issues == ()
    query = """query($id: ID!) { node(id: $id) { ... on Issue { parent { number } subIssues(first: 10) {
      totalCount nodes { id } } } } }"""
    assert data(emulator, query, id=c.id)["node"] == {
        "parent": None,
        "subIssues": {"totalCount": 1, "nodes": [{"id": b.id}]},
    }
    assert data(emulator, REMOVE_SUB, p=c.id, c=b.id)["removeSubIssue"]["subIssue"] == {"number": 2}
    assert emulator.state.issue(REPO, 2).parent is None
    assert only_error(gql(emulator, REMOVE_SUB, p=c.id, c=b.id))["type"] == "NOT_FOUND"


def test_sub_issue_limits(emulator: GitHubEmulator) -> None:
    parent = new_issue(emulator, "parent")
    children = [new_issue(emulator, f"child {i}") for i in range(101)]
    for child in children[:100]:
        emulator.state.link_sub_issue(parent, child)
    error = only_error(gql(emulator, ADD_SUB, p=parent.id, c=children[100].id))
    assert "100" in error["message"]
    chain = [new_issue(emulator, f"level {i}") for i in range(9)]
    for upper, lower in itertools.pairwise(chain[:8]):
        emulator.state.link_sub_issue(upper, lower)
    error = only_error(gql(emulator, ADD_SUB, p=chain[7].id, c=chain[8].id))
    assert "8 levels" in error["message"]
    create = gql(
        emulator, CREATE, input={"repositoryId": parent.repository.id, "title": "x", "parentIssueId": chain[7].id}
    )
    assert "8 levels" in only_error(create)["message"]


ADD_BLOCKED = """mutation($i: ID!, $b: ID!) {
  addBlockedBy(input: {issueId: $i, blockingIssueId: $b}) { issue { number } blockingIssue { number } } }"""
REMOVE_BLOCKED = """mutation($i: ID!, $b: ID!) {
  removeBlockedBy(input: {issueId: $i, blockingIssueId: $b}) { issue { number } blockingIssue { number } } }"""


def test_blocked_by_rules(emulator: GitHubEmulator) -> None:
    a, b = new_issue(emulator, "a"), new_issue(emulator, "b")
    assert data(emulator, ADD_BLOCKED, i=a.id, b=b.id)["addBlockedBy"] == {
        "issue": {"number": 1},
        "blockingIssue": {"number": 2},
    }
    assert "already exists" in only_error(gql(emulator, ADD_BLOCKED, i=a.id, b=b.id))["message"]
    assert only_error(gql(emulator, ADD_BLOCKED, i=a.id, b=a.id))["type"] == "UNPROCESSABLE"
    query = """query($a: ID!, $b: ID!) {
      a: node(id: $a) { ... on Issue { blockedBy(first: 10) { totalCount nodes { id } } } }
      b: node(id: $b) { ... on Issue { blocking(first: 10) { nodes { id } } } } }"""
    linked = data(emulator, query, a=a.id, b=b.id)
    assert linked["a"]["blockedBy"] == {"totalCount": 1, "nodes": [{"id": b.id}]}
    assert linked["b"]["blocking"] == {"nodes": [{"id": a.id}]}
    data(emulator, REMOVE_BLOCKED, i=a.id, b=b.id)
    assert emulator.state.issue(REPO, 1).blocked_by == ()
    assert only_error(gql(emulator, REMOVE_BLOCKED, i=a.id, b=b.id))["type"] == "NOT_FOUND"


def test_blocked_by_limit_is_50(emulator: GitHubEmulator) -> None:
    issue = new_issue(emulator, "blocked")
    blockers = [new_issue(emulator, f"blocker {i}") for i in range(51)]
    for blocker in blockers[:50]:
        emulator.state.link_blocked_by(issue, blocker)
    assert "50" in only_error(gql(emulator, ADD_BLOCKED, i=issue.id, b=blockers[50].id))["message"]


def test_several_mutations_run_in_order_and_fail_independently(emulator: GitHubEmulator) -> None:
    repo_id = emulator.state.repository(REPO).id
    document = """mutation Batch($r: ID!) {
      first: createIssue(input: {repositoryId: $r, title: "one"}) { issue { number } }
      broken: createIssue(input: {repositoryId: "R_missing", title: "two"}) { issue { number } }
      third: createIssue(input: {repositoryId: $r, title: "three"}) { issue { number } }
    }"""
    emulator.stats.reset()
    body = gql(emulator, document, r=repo_id)
    assert body["data"] == {"first": {"issue": {"number": 1}}, "broken": None, "third": {"issue": {"number": 2}}}
    error = only_error(body)
    assert error["path"] == ["broken"]
    assert error["type"] == "NOT_FOUND"
    assert [v.title for v in emulator.state.issues(REPO)] == ["one", "three"]
    assert emulator.stats.mutation_fields_applied == 2
    assert emulator.stats.mutation_requests == 1
    assert emulator.stats.operations["Batch"] == 1


def test_read_only_token_gets_forbidden_per_mutation_field(emulator: GitHubEmulator) -> None:
    emulator.make_read_only("ro")
    repo_id = emulator.state.repository(REPO).id
    response = emulator.request(
        'mutation($r: ID!) { a: createIssue(input: {repositoryId: $r, title: "x"}) { issue { id } } }',
        {"r": repo_id},
        token="ro",
    )
    body = response.json()
    assert response.status == 200
    assert body["data"] == {"a": None}
    assert only_error(body)["type"] == "FORBIDDEN"
    assert only_error(body)["message"] == "Resource not accessible by personal access token"
    assert emulator.state.issues(REPO) == []
    reads = emulator.request("{ viewer { login } }", token="ro").json()
    assert reads == {"data": {"viewer": {"login": "octo"}}}


@pytest.mark.parametrize(
    ("field", "length", "message"),
    [
        ("title", 257, "Title is too long (maximum is 256 characters)"),
        ("body", 65537, "Body is too long (maximum is 65536 characters)"),
    ],
)
def test_create_and_update_refuse_text_over_githubs_limits(
    emulator: GitHubEmulator, field: str, length: int, message: str
) -> None:
    repo_id = emulator.state.repository(REPO).id
    fits = {"repositoryId": repo_id, "title": "t", field: "x" * (length - 1)}
    created = data(emulator, CREATE, input=fits)["createIssue"]["issue"]
    assert len(created[field]) == length - 1

    refused = gql(emulator, CREATE, input={**fits, field: "x" * length})
    error = only_error(refused)
    assert (error["type"], error["message"]) == ("UNPROCESSABLE", message)
    assert len(emulator.state.issues(REPO)) == 1

    update = "mutation($input: UpdateIssueInput!) { updateIssue(input: $input) { issue { id } } }"
    body = gql(emulator, update, input={"id": created["id"], field: "y" * length})
    assert only_error(body)["message"] == message
    [kept] = emulator.state.issues(REPO)
    assert getattr(kept, field) == created[field]
