"""The pure decision shared by create and update (``changes.py``): no emulator, no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pytest

from planpilot_provider_github.changes import Changes, Wanted, create_marks, decide_changes, is_complete
from planpilot_provider_github.context import GitHubContext, Iteration, ProjectField
from planpilot_provider_github.convert import IssueState
from planpilot_provider_github.fields import creation_defaults, size_field
from planpilot_providers_core.contracts import (
    CreateItemInput,
    FieldConfig,
    PlanItemType,
    UpdateItemInput,
)
from planpilot_providers_core.errors import ProviderError

TODAY = dt.date(2026, 3, 10)
TYPE_IDS = {PlanItemType.EPIC: "IT_epic", PlanItemType.STORY: "IT_story", PlanItemType.TASK: "IT_task"}
TYPE_LABELS = {PlanItemType.EPIC: "Epic", PlanItemType.STORY: "Story", PlanItemType.TASK: "Task"}
FIELDS = {
    "Status": ProjectField(
        id="F_status", name="Status", data_type="SINGLE_SELECT", options={"Backlog": "O_b", "Done": "O_d"}
    ),
    "Priority": ProjectField(
        id="F_prio", name="Priority", data_type="SINGLE_SELECT", options={"P0": "O_p0", "P1": "O_p1"}
    ),
    "Iteration": ProjectField(
        id="F_iter",
        name="Iteration",
        data_type="ITERATION",
        iterations=(Iteration(id="I_3", title="Iteration 3", start_date=dt.date(2026, 3, 2), duration=14),),
    ),
    "Size": ProjectField(
        id="F_size", name="Size", data_type="SINGLE_SELECT", options={"S": "O_s", "M": "O_m", "L": "O_l"}
    ),
    "Estimate": ProjectField(id="F_est", name="Estimate", data_type="NUMBER"),
    "Notes": ProjectField(id="F_notes", name="Notes", data_type="TEXT"),
}
DEFAULTS = {
    "F_status": {"singleSelectOptionId": "O_b"},
    "F_prio": {"singleSelectOptionId": "O_p1"},
    "F_iter": {"iterationId": "I_3"},
}


def context(strategy: str = "issue-type", **config: Any) -> GitHubContext:
    field_config = FieldConfig(create_type_strategy=strategy, **config)  # type: ignore[arg-type]
    return GitHubContext(
        provider="github",
        capabilities=frozenset(),
        repository_id="R_1",
        repository="acme/roadmap",
        owner_is_org=strategy == "issue-type",
        project_id="P_1",
        project_title="Roadmap",
        project_url="https://github.com/orgs/acme/projects/1",
        create_type_strategy=strategy,  # type: ignore[arg-type]
        type_strategy_reason="test",
        issue_type_ids=TYPE_IDS if strategy == "issue-type" else {},
        type_labels=TYPE_LABELS if strategy == "label" else {},
        discovery_label="planpilot",
        fields=FIELDS,
        field_config=field_config,
        size_field=size_field(field_config, FIELDS),
        creation_defaults=creation_defaults(field_config, FIELDS, TODAY),
        read_only=False,
    )


NATIVE = context()
LABELS = context("label")


def issue(
    *,
    labels: Mapping[str, str] | None = None,
    issue_type_id: str | None = "IT_epic",
    on_board: bool = True,
    values: Mapping[str, Mapping[str, Any]] | None = None,
    complete_read: bool = True,
) -> IssueState:
    """A finished EPIC as a create leaves it (native type, discovery label, board defaults set)."""
    return IssueState(
        id="I_1",
        number=1,
        url="https://github.com/acme/roadmap/issues/1",
        title="Epic A",
        body="PLAN_ID:p",
        created_at=dt.datetime(2026, 3, 10, tzinfo=dt.UTC),
        issue_type_id=issue_type_id,
        labels={"planpilot": "L_pp"} if labels is None else labels,
        project_item_id="PVTI_1" if on_board else None,
        field_values=DEFAULTS if values is None else values,
        project_state_complete=complete_read,
    )


def ids(values: tuple[Any, ...]) -> dict[str, dict[str, Any]]:
    return {v.field_id: dict(v.value) for v in values}


# -- nothing to do ---------------------------------------------------------------------------------


def test_a_finished_issue_that_matches_the_plan_needs_nothing() -> None:
    state = issue(values={**DEFAULTS, "F_size": {"singleSelectOptionId": "O_m"}})
    wanted = Wanted.for_update(
        UpdateItemInput(title="Epic A", body="PLAN_ID:p", item_type="EPIC", labels=("planpilot",), size="M"), NATIVE
    )
    changes = decide_changes(state, wanted, NATIVE)
    assert changes.nothing_to_do
    assert changes == Changes(size="M")  # the size it shows, not a write
    assert decide_changes(state, Wanted(), NATIVE) == Changes()
    assert is_complete(state, NATIVE)


def test_title_and_body_go_in_one_issue_update() -> None:
    changes = decide_changes(issue(), Wanted(title="Renamed", body="PLAN_ID:p"), NATIVE)
    assert changes.issue_fields == {"title": "Renamed"}
    changes = decide_changes(issue(), Wanted(title="Renamed", body="new body"), NATIVE)
    assert changes.issue_fields == {"title": "Renamed", "body": "new body"}


# -- types -----------------------------------------------------------------------------------------


def test_native_type_is_set_only_when_the_plan_gives_one_that_differs() -> None:
    assert decide_changes(issue(), Wanted(item_type=PlanItemType.STORY), NATIVE).issue_fields == {
        "issueTypeId": "IT_story"
    }
    assert decide_changes(issue(), Wanted(item_type=PlanItemType.EPIC), NATIVE).nothing_to_do
    assert decide_changes(issue(issue_type_id=None), Wanted(), NATIVE).nothing_to_do  # no type to set
    changes = decide_changes(issue(issue_type_id=None), Wanted(item_type=PlanItemType.TASK), NATIVE)
    assert changes.issue_fields == {"issueTypeId": "IT_task"}
    assert not changes.remove_labels


def test_label_strategy_swaps_only_our_type_label() -> None:
    state = issue(issue_type_id=None, labels={"planpilot": "L_pp", "Epic": "L_epic", "customer": "L_c"})
    changes = decide_changes(state, Wanted(item_type=PlanItemType.STORY), LABELS)
    assert changes.add_labels == ("Story",)
    assert dict(changes.remove_labels) == {"Epic": "L_epic"}
    assert not changes.issue_fields


def test_label_strategy_without_a_type_keeps_every_type_label_and_adds_none() -> None:
    both = issue(issue_type_id=None, labels={"planpilot": "L_pp", "Story": "L_s", "Task": "L_t"})
    assert decide_changes(both, Wanted(title="Renamed"), LABELS).remove_labels == {}
    untyped = issue(issue_type_id=None, labels={"planpilot": "L_pp"})
    assert decide_changes(untyped, Wanted(), LABELS).add_labels == ()  # TASK is only a default reading
    assert decide_changes(untyped, Wanted(item_type=PlanItemType.TASK), LABELS).add_labels == ("Task",)


# -- labels ----------------------------------------------------------------------------------------


def test_labels_are_added_case_insensitively_and_the_discovery_label_always() -> None:
    state = issue(labels={"Team-A": "L_a", "customer": "L_c"})
    changes = decide_changes(state, Wanted(labels=("team-a", "area-x", "AREA-X")), NATIVE)
    assert changes.add_labels == ("planpilot", "area-x")
    assert not changes.remove_labels


# -- size ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size_field_name", "plan_size", "value"),
    [("Size", "L", {"singleSelectOptionId": "O_l"}), ("Estimate", "L", {"number": 5.0}), ("Notes", "L", {"text": "L"})],
)
def test_size_is_written_in_the_shape_of_its_field_and_only_when_it_differs(
    size_field_name: str, plan_size: str, value: dict[str, Any]
) -> None:
    ctx = context(size_field=size_field_name)
    wanted = Wanted.for_update(UpdateItemInput(size=plan_size), ctx)
    field_id = FIELDS[size_field_name].id
    changes = decide_changes(issue(), wanted, ctx)
    assert ids(changes.set_fields) == {field_id: value}
    assert changes.size == plan_size
    assert decide_changes(issue(values={**DEFAULTS, field_id: value}), wanted, ctx).nothing_to_do


def test_number_size_field_without_tshirt_takes_the_number() -> None:
    ctx = context(size_field="Estimate", size_from_tshirt=False)
    changes = decide_changes(issue(), Wanted.for_update(UpdateItemInput(size="8"), ctx), ctx)
    assert ids(changes.set_fields) == {"F_est": {"number": 8.0}}


def test_a_size_the_board_cannot_hold_fails_before_deciding() -> None:
    with pytest.raises(ProviderError, match="XXL"):
        Wanted.for_update(UpdateItemInput(size="XXL"), NATIVE)
    with pytest.raises(ProviderError, match="not a finite number"):
        Wanted.for_create(
            CreateItemInput(title="t", body="b", item_type="TASK", size="big"),
            context(size_field="Estimate", size_from_tshirt=False),
        )


# -- creation defaults -----------------------------------------------------------------------------


def test_defaults_fill_only_fields_seen_empty_never_over_a_value() -> None:
    state = issue(values={"F_status": {"singleSelectOptionId": "O_d"}})  # a person moved it to Done
    changes = decide_changes(state, Wanted(), NATIVE)
    assert ids(changes.set_fields) == {"F_prio": {"singleSelectOptionId": "O_p1"}, "F_iter": {"iterationId": "I_3"}}
    assert not is_complete(state, NATIVE)


def test_an_issue_off_the_board_is_added_and_gets_every_default() -> None:
    state = issue(on_board=False, values={})
    changes = decide_changes(state, Wanted(), NATIVE)
    assert changes.add_to_project
    assert ids(changes.set_fields) == DEFAULTS
    assert not is_complete(state, NATIVE)


def test_a_paged_off_read_fills_nothing_and_is_not_complete() -> None:
    state = issue(on_board=False, values={}, complete_read=False)
    changes = decide_changes(state, Wanted(), NATIVE)
    assert changes.set_fields == ()
    assert changes.add_to_project  # idempotent on GitHub: it returns the existing item
    sized = decide_changes(state, Wanted.for_update(UpdateItemInput(size="M"), NATIVE), NATIVE)
    assert ids(sized.set_fields) == {"F_size": {"singleSelectOptionId": "O_m"}}  # the plan's own field still goes
    assert not is_complete(issue(complete_read=False), NATIVE)


def test_no_defaults_configured_means_none_are_missing() -> None:
    ctx = context(status=None, priority=None, iteration=None)
    assert ctx.creation_defaults == ()
    assert is_complete(issue(values={}), ctx)


# -- completeness ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "state", "ctx"),
    [
        ("off the board", issue(on_board=False, values={}), NATIVE),
        ("no native type", issue(issue_type_id=None), NATIVE),
        ("a type of someone else's", issue(issue_type_id="IT_bug"), NATIVE),
        ("no type label", issue(issue_type_id=None), LABELS),
        ("no discovery label", issue(labels={"Epic": "L_epic"}), NATIVE),
        ("a default unset", issue(values={"F_status": {"singleSelectOptionId": "O_b"}}), NATIVE),
        ("paged-off read", issue(complete_read=False), NATIVE),
    ],
)
def test_every_half_finished_create_reads_incomplete(case: str, state: IssueState, ctx: GitHubContext) -> None:
    assert not is_complete(state, ctx), case


def test_an_update_with_the_plan_type_finishes_every_case_it_can_see() -> None:
    cases = [
        (issue(on_board=False, values={}), NATIVE),
        (issue(issue_type_id=None), NATIVE),
        (issue(issue_type_id=None, labels={"planpilot": "L_pp"}), LABELS),
        (issue(labels={}), NATIVE),
        (issue(values={}), NATIVE),
    ]
    wanted = Wanted(title="Epic A", body="PLAN_ID:p", item_type=PlanItemType.EPIC, labels=("planpilot",))
    for state, ctx in cases:
        changes = decide_changes(state, wanted, ctx)
        assert not changes.nothing_to_do
        after = changes.applied_to(
            state, label_ids={name: f"L_{name}" for name in changes.add_labels}, project_item_id="PVTI_1"
        )
        assert is_complete(after, ctx), (state, ctx.create_type_strategy)
        assert decide_changes(after, wanted, ctx).nothing_to_do


def test_applied_to_shows_the_writes_and_the_plan_size() -> None:
    state = issue(labels={"planpilot": "L_pp", "Epic": "L_epic"}, issue_type_id=None, values={})
    wanted = Wanted.for_update(UpdateItemInput(title="New", item_type="STORY", size="M"), LABELS)
    after = decide_changes(state, wanted, LABELS).applied_to(state, label_ids={"Story": "L_s"}, project_item_id="X")
    assert after.title == "New"
    assert dict(after.labels) == {"planpilot": "L_pp", "Story": "L_s"}
    assert after.size == "M"
    assert after.field_values["F_size"] == {"singleSelectOptionId": "O_m"}
    assert after.project_item_id == "X"


# -- the create request ----------------------------------------------------------------------------


def test_create_marks_type_and_labels_in_the_create_request() -> None:
    item = CreateItemInput(title="t", body="b", item_type="STORY", labels=("planpilot", "team-x"))
    assert create_marks(Wanted.for_create(item, NATIVE), NATIVE) == ("IT_story", ("planpilot", "team-x"))
    assert create_marks(Wanted.for_create(item, LABELS), LABELS) == (None, ("planpilot", "team-x", "Story"))


def test_a_fresh_create_then_needs_only_its_field_values() -> None:
    item = CreateItemInput(title="Epic A", body="PLAN_ID:p", item_type="EPIC", size="S")
    wanted = Wanted.for_create(item, NATIVE)
    created = issue(values={})  # createIssue set type, labels and the board; no field has a value yet
    changes = decide_changes(created, wanted, NATIVE)
    assert changes == Changes(set_fields=changes.set_fields, size="S")
    assert ids(changes.set_fields) == {**DEFAULTS, "F_size": {"singleSelectOptionId": "O_s"}}
