"""The emulator's writes follow Linear's rules: client-chosen ids, team-scoped states, cycles and labels,
sub-issues, estimates on the team's scale, batch creates in one transaction, partial updates, archive and
trash, label scopes, and relations."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from planpilot_provider_linear.graphql.generated import issue_mutations, label_mutations, relation_mutations, relations
from planpilot_provider_linear.testing import BATCH_CREATE_LIMIT, SUB_ISSUE_DEPTH_LIMIT, LinearEmulator, Team

Send = Callable[..., Any]  # the conftest fixture: send(operation, variables) -> Answer
M = issue_mutations.Operations.mutation


def create(send: Send, team: Team, **fields: Any) -> Any:
    return send(M.issue_create, {"input": {"teamId": team.id, "title": "An issue", **fields}})


def state_id(team: Team, name: str) -> str:
    return next(s.id for s in team.states if s.name == name)


def test_create_with_a_client_chosen_id_and_every_field(send: Send, emulator: LinearEmulator, team: Team) -> None:
    parent = emulator.state.add_issue("ENG", "Epic")
    client_id = str(uuid.uuid4())
    cycle = emulator.state.active_cycle(team)
    assert cycle is not None
    project = emulator.state.project_named("Roadmap")
    answer = create(
        send,
        team,
        id=client_id,
        title="Story",
        description="# Story\n\nPLAN_ID: p\n",
        labelIds=[emulator.state.label_named("Bug", "ENG").id, emulator.state.label_named("Customer").id],
        parentId="ENG-1",
        stateId=state_id(team, "Todo"),
        priority=2,
        estimate=5,
        cycleId=cycle.id,
        projectId=project.id,
    )
    payload = answer.data["issueCreate"]
    assert payload["success"] is True
    issue = payload["issue"]
    assert issue["id"] == client_id
    assert issue["identifier"] == "ENG-2"
    assert issue["description"] == "# Story\n\nPLAN_ID: p\n"  # stored as sent
    assert (issue["state"]["name"], issue["priority"], issue["estimate"]) == ("Todo", 2, 5)
    assert issue["parent"] == {"id": parent.id}
    assert (issue["cycle"], issue["project"]) == ({"id": cycle.id}, {"id": project.id})
    assert len(issue["labelIds"]) == 2
    assert emulator.state.issue("ENG-1").children[0].id == client_id


def test_a_second_create_with_the_same_id_is_refused_and_changes_nothing(
    send: Send, emulator: LinearEmulator, team: Team
) -> None:
    client_id = str(uuid.uuid4())
    assert create(send, team, id=client_id, title="First").data["issueCreate"]["issue"]["id"] == client_id
    again = create(send, team, id=client_id.upper(), title="Retried")
    assert again.status == 200
    assert again.data is None
    (error,) = again.errors
    assert error["path"] == ["issueCreate"]
    assert error["extensions"]["code"] == "INPUT_ERROR"
    assert f"Issue with id {client_id} already exists" in error["extensions"]["userPresentableMessage"]
    assert [i.title for i in emulator.state.team_issues("ENG")] == ["First"]
    assert team.issue_count == 1  # no number was used up


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": "not-a-uuid"}, "id must be a UUID"),
        ({"title": "  "}, "title is required"),
        ({"priority": 5}, "priority must be 0"),
        ({"estimate": 4}, "Estimate 4 is not on team ENG's scale (1, 2, 3, 5, 8)"),
        ({"estimate": 13}, "not on team ENG's scale"),  # extended sizes are off
        ({"parentId": "ENG-404"}, "Could not find referenced Issue."),
        ({"teamId": "6a1f0a53-0000-4000-8000-000000000000"}, "Could not find referenced Team."),
    ],
)
def test_refused_creates_leave_no_trace(
    send: Send, emulator: LinearEmulator, team: Team, fields: dict[str, Any], message: str
) -> None:
    answer = create(send, team, **fields)
    assert answer.data is None
    assert message in answer.error_messages()[0]
    assert emulator.state.issues == {}


def test_state_cycle_and_labels_must_be_the_teams(send: Send, emulator: LinearEmulator, team: Team) -> None:
    ops = emulator.state.add_team("OPS")
    emulator.state.add_label("Ops only", "OPS")
    other_cycle = emulator.state.add_cycle(
        "OPS", starts_at=emulator.state.now(), ends_at=emulator.state.now().replace(year=2030)
    )
    group = emulator.state.label_named("Type", "ENG")
    cases = [
        ({"stateId": state_id(ops, "Todo")}, "does not belong to team ENG"),
        ({"cycleId": other_cycle.id}, "does not belong to team ENG"),
        ({"labelIds": [emulator.state.label_named("Ops only", "OPS").id]}, "belongs to another team"),
        ({"labelIds": [group.id]}, "is a group and cannot be applied"),
    ]
    for fields, message in cases:
        assert message in create(send, team, **fields).error_messages()[0]
    assert emulator.state.team_issues("ENG") == []


def test_without_a_state_an_issue_goes_to_triage_when_the_team_uses_it(send: Send, emulator: LinearEmulator) -> None:
    triaged = emulator.state.add_team("SUP", triage_enabled=True)
    answer = create(send, triaged)
    assert answer.data["issueCreate"]["issue"]["state"] == {
        "id": state_id(triaged, "Triage"),
        "name": "Triage",
        "type": "triage",
    }


def test_estimates_follow_the_teams_scale_or_are_stored_when_lenient(send: Send, emulator: LinearEmulator) -> None:
    extended = emulator.state.add_team("EXT", estimation_type="fibonacci", extended=True, allow_zero=True)
    assert create(send, extended, estimate=21).data["issueCreate"]["issue"]["estimate"] == 21
    assert create(send, extended, estimate=0).data["issueCreate"]["issue"]["estimate"] == 0
    none = emulator.state.add_team("NON")
    assert "does not use estimates" in create(send, none, estimate=1).error_messages()[0]
    lenient = LinearEmulator.with_default_scenario(strict_estimates=False)
    eng = lenient.state.team_by_key("ENG")
    query = bytes(M.issue_create).decode()
    response = lenient.request(query, {"input": {"teamId": eng.id, "title": "x", "estimate": 4}})
    assert response.json()["data"]["issueCreate"]["issue"]["estimate"] == 4


def test_sub_issues_nest_at_most_ten_levels_and_never_in_a_circle(
    send: Send, emulator: LinearEmulator, team: Team
) -> None:
    chain = [emulator.state.add_issue("ENG", "Level 0")]
    for level in range(1, SUB_ISSUE_DEPTH_LIMIT + 1):
        chain.append(emulator.state.add_issue("ENG", f"Level {level}", parent=chain[-1].identifier))
    too_deep = create(send, team, parentId=chain[-1].id)
    assert "at most 10 levels" in too_deep.error_messages()[0]
    circle = send(M.issue_update, {"id": chain[0].identifier, "input": {"parentId": chain[3].identifier}})
    assert "cannot be a sub-issue of itself" in circle.error_messages()[0]
    assert chain[0].parent is None


def test_batch_create_is_one_transaction(send: Send, emulator: LinearEmulator, team: Team) -> None:
    ids = [str(uuid.uuid4()) for _ in range(3)]
    inputs = [{"teamId": team.id, "title": f"Item {n}", "id": ids[n]} for n in range(3)]
    made = send(M.issue_batch_create, {"input": {"issues": inputs}}).data["issueBatchCreate"]
    assert made["success"] is True
    assert [i["id"] for i in made["issues"]] == ids
    assert [i["identifier"] for i in made["issues"]] == ["ENG-1", "ENG-2", "ENG-3"]

    bad = [
        {"teamId": team.id, "title": "Fine", "id": str(uuid.uuid4())},
        {"teamId": team.id, "title": "Bad", "priority": 9},
    ]
    assert "priority must be 0" in send(M.issue_batch_create, {"input": {"issues": bad}}).error_messages()[0]
    twice = [{"teamId": team.id, "title": "A", "id": ids[0]}]
    assert "already exists" in send(M.issue_batch_create, {"input": {"issues": twice}}).error_messages()[0]
    same = str(uuid.uuid4())
    within = [{"teamId": team.id, "title": t, "id": same} for t in ("A", "B")]
    assert "already exists" in send(M.issue_batch_create, {"input": {"issues": within}}).error_messages()[0]
    many = [{"teamId": team.id, "title": f"N{n}"} for n in range(BATCH_CREATE_LIMIT + 1)]
    assert "Up to 50 issues" in send(M.issue_batch_create, {"input": {"issues": many}}).error_messages()[0]
    assert len(emulator.state.team_issues("ENG")) == 3  # nothing of the refused batches


def test_update_changes_only_given_fields_and_null_clears(send: Send, emulator: LinearEmulator, team: Team) -> None:
    state = emulator.state
    parent = state.add_issue("ENG", "Parent")
    issue = state.add_issue("ENG", "Child", description="Body", labels=["Bug", "Customer"], parent="ENG-1", estimate=3)
    bug, feature = state.label_named("Bug", "ENG").id, state.label_named("Feature", "ENG").id
    customer = state.label_named("Customer").id

    answer = send(M.issue_update, {"id": "ENG-2", "input": {"addedLabelIds": [feature], "removedLabelIds": [bug]}})
    assert answer.data["issueUpdate"]["issue"]["labelIds"] == [customer, feature]  # the others stay
    cleared = send(M.issue_update, {"id": issue.id, "input": {"parentId": None, "estimate": None, "title": "Renamed"}})
    after = cleared.data["issueUpdate"]["issue"]
    assert (after["parent"], after["estimate"], after["title"], after["description"]) == (None, None, "Renamed", "Body")
    assert parent.children == []
    replaced = send(M.issue_update, {"id": issue.id, "input": {"labelIds": [bug]}})
    assert replaced.data["issueUpdate"]["issue"]["labelIds"] == [bug]
    assert "cannot be null" in send(M.issue_update, {"id": issue.id, "input": {"stateId": None}}).error_messages()[0]
    moved = send(M.issue_update, {"id": issue.id, "input": {"stateId": state_id(team, "Done")}})
    assert moved.data["issueUpdate"]["issue"]["state"]["type"] == "completed"


def test_aliased_updates_run_in_order_and_stop_at_the_first_failure(send: Send, emulator: LinearEmulator) -> None:
    """As graphql-js does: every payload is non-null, so a failed alias nulls ``data``; the aliases before it
    were applied, the ones after it did not run, and its error's path names it."""
    for n in range(3):
        emulator.state.add_issue("ENG", f"Issue {n}")
    document = """mutation Batch {
      u0: issueUpdate(id: "ENG-1", input: {title: "one"}) { success }
      u1: issueUpdate(id: "ENG-404", input: {title: "missing"}) { success }
      u2: issueUpdate(id: "ENG-3", input: {title: "three"}) { success }
    }"""
    answer = send(document)
    assert answer.data is None
    (error,) = answer.errors
    assert error["path"] == ["u1"]
    assert [i.title for i in emulator.state.team_issues("ENG")] == ["one", "Issue 1", "Issue 2"]
    clean = send(document.replace("ENG-404", "ENG-2"))
    assert clean.data == {"u0": {"success": True}, "u1": {"success": True}, "u2": {"success": True}}
    assert emulator.stats.mutation_fields_applied == 4


def test_archive_and_delete(send: Send, emulator: LinearEmulator) -> None:
    kept = emulator.state.add_issue("ENG", "Archived")
    trashed = emulator.state.add_issue("ENG", "Trashed")
    archived = send(M.issue_archive, {"id": kept.id}).data["issueArchive"]
    assert archived["success"] is True
    assert archived["entity"]["archivedAt"] is not None
    deleted = send(M.issue_delete, {"id": "ENG-2"}).data["issueDelete"]["entity"]
    assert deleted["trashed"] is True
    assert deleted["archivedAt"] is not None
    assert send("query { issues { nodes { id } } }").data["issues"]["nodes"] == []
    read = send("query($id: String!) { issue(id: $id) { trashed } }", {"id": trashed.id})
    assert read.data["issue"] == {"trashed": True}  # a trashed issue is still readable by id
    restored = send(M.issue_update, {"id": trashed.id, "input": {"trashed": None}}).data["issueUpdate"]["issue"]
    assert (restored["trashed"], restored["archivedAt"]) == (None, None)
    gone = send('mutation { issueDelete(id: "ENG-1", permanentlyDelete: true) { success entity { id } } }')
    assert gone.data["issueDelete"] == {"success": True, "entity": None}
    assert emulator.state.find_issue(kept.id) is None


def test_label_create_in_a_team_or_the_workspace(send: Send, emulator: LinearEmulator, team: Team) -> None:
    create_label = label_mutations.Operations.mutation.issue_label_create
    client_id = str(uuid.uuid4())
    made = send(create_label, {"input": {"name": "planpilot", "teamId": team.id, "id": client_id}})
    assert made.data["issueLabelCreate"]["issueLabel"] == {
        "id": client_id,
        "name": "planpilot",
        "isGroup": False,
        "team": {"id": team.id},
    }
    dup = send(create_label, {"input": {"name": "PlanPilot", "teamId": team.id}})
    assert "already exists in team ENG" in dup.error_messages()[0]
    workspace = send(create_label, {"input": {"name": "PlanPilot"}})  # the same name in another scope is fine
    assert workspace.data["issueLabelCreate"]["issueLabel"]["team"] is None
    assert "already exists in the workspace" in send(create_label, {"input": {"name": "planpilot"}}).error_messages()[0]
    assert [label.name for label in emulator.state.workspace_labels()] == ["Customer", "PlanPilot"]


def test_workspace_label_replacing_team_labels(send: Send, emulator: LinearEmulator) -> None:
    issue = emulator.state.add_issue("ENG", "Tagged", labels=["Bug"])
    answer = send('mutation { issueLabelCreate(input: {name: "Bug"}, replaceTeamLabels: true) { issueLabel { id } } }')
    new_id = answer.data["issueLabelCreate"]["issueLabel"]["id"]
    assert issue.label_ids == [new_id]
    with pytest.raises(KeyError):
        emulator.state.label_named("Bug", "ENG")


def test_relations_blocks_read_back_in_batches_and_deleted(send: Send, emulator: LinearEmulator) -> None:
    create_relation = relation_mutations.Operations.mutation.issue_relation_create
    a, b, c = (emulator.state.add_issue("ENG", name) for name in "ABC")
    # "B is blocked by A" is written {issueId: A, relatedIssueId: B, type: blocks}
    relation_id = str(uuid.uuid4())
    made = send(
        create_relation, {"input": {"id": relation_id, "issueId": "ENG-1", "relatedIssueId": b.id, "type": "blocks"}}
    )
    assert made.data["issueRelationCreate"]["issueRelation"] == {
        "id": relation_id,
        "type": "blocks",
        "issue": {"id": a.id},
        "relatedIssue": {"id": b.id},
    }
    send(create_relation, {"input": {"issueId": c.id, "relatedIssueId": b.id, "type": "blocks"}})
    blocked_by = send(create_relation, {"input": {"issueId": a.id, "relatedIssueId": b.id, "type": "blockedBy"}})
    assert blocked_by.status == 400  # there is no blockedBy type: write the relation from the blocker
    assert "Value 'blockedBy' does not exist in 'IssueRelationType' enum" in blocked_by.errors[0]["message"]
    assert blocked_by.errors[0]["extensions"]["code"] == "BAD_USER_INPUT"

    read = send(relations.Operations.query.issue_relations, {"ids": [a.id, b.id, c.id]}).data["issues"]["nodes"]
    by_id = {node["id"]: node for node in read}
    assert sorted(r["issue"]["id"] for r in by_id[b.id]["inverseRelations"]["nodes"]) == sorted([a.id, c.id])
    assert by_id[a.id]["inverseRelations"]["nodes"] == []
    outgoing = send(
        "query($id: String!) { issue(id: $id) { relations { nodes { relatedIssue { id } } } } }", {"id": a.id}
    )
    assert [r["relatedIssue"]["id"] for r in outgoing.data["issue"]["relations"]["nodes"]] == [b.id]
    assert emulator.state.blockers_of("ENG-2") == ["ENG-1", "ENG-3"]

    deleted = send(relation_mutations.Operations.mutation.issue_relation_delete, {"id": relation_id})
    assert deleted.data["issueRelationDelete"] == {"success": True, "entityId": relation_id}
    assert emulator.state.blockers_of("ENG-2") == ["ENG-3"]
    again = send(relation_mutations.Operations.mutation.issue_relation_delete, {"id": relation_id})
    assert again.errors[0]["message"] == "Entity not found: IssueRelation"


def test_duplicate_relations_are_stored_unless_refused(send: Send, emulator: LinearEmulator) -> None:
    a, b = (emulator.state.add_issue("ENG", name) for name in "AB")
    create_relation = relation_mutations.Operations.mutation.issue_relation_create
    blocks = {"input": {"issueId": a.id, "relatedIssueId": b.id, "type": "blocks"}}
    send(create_relation, blocks)
    send(create_relation, blocks)
    assert emulator.state.blockers_of("ENG-2") == ["ENG-1", "ENG-1"]  # Linear does not document a refusal
    assert (
        "related to itself"
        in send(
            create_relation, {"input": {"issueId": a.id, "relatedIssueId": "ENG-1", "type": "blocks"}}
        ).error_messages()[0]
    )

    strict = LinearEmulator.with_default_scenario(refuse_duplicate_relations=True)
    x, y = (strict.state.add_issue("ENG", name) for name in "XY")
    query = bytes(create_relation).decode()
    variables = {"input": {"issueId": x.id, "relatedIssueId": y.id, "type": "blocks"}}
    assert strict.request(query, variables).json()["data"]["issueRelationCreate"]["success"] is True
    refused = strict.request(query, variables).json()
    assert "already has a 'blocks' relation" in refused["errors"][0]["extensions"]["userPresentableMessage"]
    assert strict.state.blockers_of("ENG-2") == ["ENG-1"]


def test_inputs_the_emulator_does_not_model_fail_loudly(send: Send, team: Team) -> None:
    answer = create(send, team, assigneeId="5f0c9d1e-0000-4000-8000-000000000000")
    (error,) = answer.errors
    assert error["extensions"]["code"] == "EMULATOR_UNSUPPORTED"
    assert "`assigneeId` on IssueCreateInput" in error["message"]
