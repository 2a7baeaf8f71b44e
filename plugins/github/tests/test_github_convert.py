"""Issue reads are converted from the answer's JSON; they must say what sgqlc's typed objects said."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from planpilot_provider_github.convert import issue_state
from planpilot_provider_github.graphql.generated import issues as issue_ops
from planpilot_provider_github.provider import GitHubProvider
from planpilot_provider_github.testing import GitHubEmulator
from planpilot_providers_core.contracts import CreateItemInput
from planpilot_providers_core.errors import ProviderError

MakeGitHub = Callable[..., GitHubProvider]


async def test_the_json_reads_as_the_typed_result_does(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    """The same GetIssues answer, read both ways: every value IssueState takes agrees with sgqlc's typing."""
    async with make_github() as provider:
        created = await provider.create_item(
            CreateItemInput(title="typed", body="PLAN_ID:c", item_type="TASK", size="M", labels=("extra",))
        )
        context = provider.context
        response = await provider._gql.query(issue_ops.Operations.query.get_issues, {"ids": [created.id]})
    [typed] = response.data.nodes
    [raw] = response.raw["nodes"]
    state = issue_state(raw, context.project_id, context.size_field, tshirt=True)
    assert (state.id, state.number, state.url, state.title, state.body) == (
        typed.id,
        typed.number,
        str(typed.url),
        typed.title,
        typed.body,
    )
    assert state.created_at == typed.created_at
    assert state.created_at.tzinfo is not None
    assert state.issue_type_id == typed.issue_type.id
    assert state.labels == {label.name: label.id for label in typed.labels.nodes}
    [item] = typed.project_items.nodes
    assert state.project_item_id == item.id
    typed_values = {}
    for value in item.field_values.nodes:  # as the typed reading did it: kinds without a field are skipped
        field_id = getattr(getattr(value, "field", None), "id", None)
        read = [getattr(value, a, None) for a in ("option_id", "iteration_id", "number", "text")]
        if field_id and any(v is not None for v in read):
            typed_values[field_id] = next(v for v in read if v is not None)
    assert typed_values
    assert {field: next(iter(value.values())) for field, value in state.field_values.items()} == typed_values
    assert state.size == "M"
    assert state.project_state_complete


def node(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "I_1",
        "number": 7,
        "url": "https://github.com/acme/roadmap/issues/7",
        "title": "t",
        "body": "b",
        "createdAt": "2026-01-02T03:04:05Z",
        "issueType": None,
        "labels": None,
        "projectItems": {
            "pageInfo": {"hasNextPage": False},
            "nodes": [
                {
                    "id": "PVTI_1",
                    "project": {"id": "P_1"},
                    "fieldValues": {
                        "pageInfo": {"hasNextPage": True},
                        "nodes": [
                            {"__typename": "ProjectV2ItemFieldNumberValue", "number": 3, "field": {"id": "F_N"}},
                            {"__typename": "ProjectV2ItemFieldDateValue"},  # a kind we do not select
                            None,
                        ],
                    },
                }
            ],
        },
    }
    base.update(overrides)
    return base


def test_null_connections_numbers_and_truncation() -> None:
    state = issue_state(node(), "P_1")
    assert state.created_at == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert state.labels == {}
    assert state.issue_type_id is None
    assert state.field_values == {"F_N": {"number": 3.0}}  # GitHub's Float, whatever the JSON spelled
    assert not state.project_state_complete  # more values than read: absent ones are unknown, not empty
    elsewhere = issue_state(node(), "P_OTHER")
    assert elsewhere.project_item_id is None
    assert elsewhere.project_state_complete


def test_a_time_without_offset_is_utc() -> None:
    assert issue_state(node(createdAt="2026-01-02T03:04:05")).created_at.tzinfo == dt.UTC


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"number": "7"}, "number is '7', not a whole number"),
        ({"number": True}, "number is True"),
        ({"createdAt": "yesterday"}, "createdAt is 'yesterday', not a date and time"),
        ({"title": None}, "title is None, not text"),
    ],
)
def test_a_malformed_issue_is_a_clear_error(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ProviderError, match=message):
        issue_state(node(**overrides))
