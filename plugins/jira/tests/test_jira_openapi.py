"""Every request the provider sends, and every answer it reads, conforms to Atlassian's published OpenAPI
description: a session that uses each operation the provider knows runs against the emulator checking both
against the full vendored files (``plugins/jira/openapi/``), and nothing is refused or found not to conform."""

from __future__ import annotations

import asyncio
from typing import Any

from planpilot_provider_jira.testing import DONE, IN_PROGRESS, ISSUE_TYPES, STORY_POINTS_FIELD, TO_DO, WORKFLOW
from planpilot_providers_core import CreateItemInput, Credential, FieldConfig, ItemSearchFilters, UpdateItemInput

from .support import provider_factory

#: Every operation the provider sends (its ``operationId``s in the published description).
PROVIDER_OPERATIONS = {
    "getProject",
    "getCreateIssueMetaIssueTypeId",
    "getAllStatuses",
    "getIssueLinkTypes",
    "getBoard",
    "getConfiguration",
    "getAllSprints",
    "createIssue",
    "createIssues",
    "getIssue",
    "editIssue",
    "deleteIssue",
    "bulkFetchIssues",
    "getTransitions",
    "doTransition",
    "setIssueProperty",
    "linkIssues",
    "deleteIssueLink",
    "searchAndReconsileIssuesUsingJqlPost",
    "moveIssuesToSprintAndRank",
    "submitBulkMove",
    "getBulkOperationProgress",
}


def _item(title: str, item_type: str = "TASK", **kwargs: Any) -> CreateItemInput:
    return CreateItemInput(title=title, body=f"# {title}\n\n* [ ] a task\n", item_type=item_type, **kwargs)


async def test_every_request_of_the_provider_and_every_answer_conform_to_the_published_description(
    make_emulator: Any,
) -> None:
    emulator = make_emulator(search_lag=60.0)
    state = emulator.state
    # A second project whose create screens lack the Sprint field: its sprint goes through the agile API.
    state.add_project(
        "SIDE",
        "Side",
        issue_types=ISSUE_TYPES,
        statuses=(TO_DO, IN_PROGRESS, DONE),
        transitions=WORKFLOW,
        fields=(STORY_POINTS_FIELD.id,),
    )
    state.add_board(2, "SIDE board", "SIDE")
    state.add_sprint(2, 20, "SIDE Sprint 1", "active")
    side_board = "https://acme.atlassian.net/jira/software/c/projects/SIDE/boards/2"
    oauth = Credential.token("oauth-access-token-0123456789", name="Jira OAuth token")

    config = FieldConfig(status="To Do", priority="High")  # learnt on the first create: then the property is cleared
    async with provider_factory(emulator, target="SIDE", board_url=side_board, field_config=config)() as side:
        epic = await side.create_item(_item("Epic", "EPIC", size="XL", labels=("needs review",)))
        story = await side.create_item(_item("Story", "STORY", parent_id=epic.id))
        task = await side.create_item(_item("Task", parent_id=story.id, fields={"Story Points": "3"}))
        await task.reconcile_relations(parent=None, blockers=[epic])  # a sub-task leaving its parent: a move
        await task.reconcile_relations(parent=None, blockers=[])
        await side.update_item(story.id, UpdateItemInput(item_type="EPIC", body="changed\n", labels=("more",)))
        await side.search_items(ItemSearchFilters(labels=("needs review",), body_contains="a task in it"))
        await side.delete_item(task.id)
    async with provider_factory(emulator, credential=oauth)() as gateway:  # Bearer, through /ex/jira/{cloudId}
        made = await asyncio.gather(*(gateway.create_item(_item(f"Bulk {n}")) for n in range(3)))
        await gateway.update_item(made[0].id, UpdateItemInput(title="Bulk 0, renamed", fields={"Status": "Done"}))
        await gateway.fetch_relations(made)

    assert emulator.stats.refused_by_contract == 0
    assert emulator.stats.internal_errors == 0
    assert set(emulator.stats.operations) == PROVIDER_OPERATIONS


def test_the_emulator_does_refuse_what_the_description_forbids(make_emulator: Any) -> None:
    """The control: the check above could not pass by accident."""
    emulator = make_emulator()
    refused = emulator.request("POST", "/rest/api/3/issue/bulkfetch", {"issueIdsOrKeys": "PROJ-1", "fields": "id"})
    assert refused.status == 400
    assert emulator.stats.refused_by_contract == 1
