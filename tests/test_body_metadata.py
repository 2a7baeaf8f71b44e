"""Bodies: PlanPilot's metadata block (render, parse, round trip) and the Markdown sections."""

from __future__ import annotations

import pytest

from planpilot_providers_core.plan import Estimate, PlanItem, Scope, SpecRef, Verification
from planpilot_providers_core.sync.body import (
    Metadata,
    References,
    bodies_match,
    parse_metadata,
    render_body,
    render_metadata,
)

TASK = PlanItem(
    id="T2",
    type="TASK",
    title="Emit events",
    goal="Every call produces one event.",
    motivation="Billing needs usage.",
    parent_id="S1",
    depends_on=["T1", "T0"],
    requirements=["Attach the request id", "Buffer locally"],
    acceptance_criteria=["No lost events"],
    assumptions=["The queue exists"],
    risks=["Latency"],
    success_metrics=["0 lost events"],
    estimate=Estimate(tshirt="M", hours=16),
    verification=Verification(commands=["pytest -q"], ci_checks=["load-test"]),
    spec_ref=SpecRef(url="https://wiki.example.com/spec", section="Events", quote="exactly once"),
    scope=Scope(in_scope=["gateway"], out_scope=["storage"]),
)
EPIC = PlanItem(id="E1", type="EPIC", title="Epic", goal="Ship it.", requirements=["r"], acceptance_criteria=["a"])


def test_metadata_block_is_planpilots_plain_text_block() -> None:
    assert render_metadata("abc123def456", TASK) == (
        "PLANPILOT_META_V1\nPLAN_ID:abc123def456\nITEM_ID:T2\nITEM_TYPE:TASK\nPARENT_ID:S1\nEND_PLANPILOT_META"
    )
    assert render_metadata("abc123def456", EPIC).endswith("PARENT_ID:\nEND_PLANPILOT_META")


def test_body_starts_with_the_block_and_round_trips() -> None:
    body = render_body(TASK, "abc123def456", References(parent="#1"))

    assert body.startswith(render_metadata("abc123def456", TASK) + "\n\n## Goal\n")
    assert "<!--" not in body
    assert parse_metadata(body) == Metadata(
        plan_id="abc123def456",
        item_id="T2",
        item_type="TASK",
        parent_id="S1",
        fields={"PLAN_ID": "abc123def456", "ITEM_ID": "T2", "ITEM_TYPE": "TASK", "PARENT_ID": "S1"},
    )
    epic = parse_metadata(render_body(EPIC, "p1"))
    assert epic is not None
    assert (epic.plan_id, epic.item_id, epic.item_type, epic.parent_id) == ("p1", "E1", "EPIC", None)


def test_planpilots_minimal_block_is_recognised_anywhere_with_any_line_endings() -> None:
    body = (
        "Edited by a human first.\r\n\r\n"
        "PLANPILOT_META_V1\r\nPLAN_ID:0f0f0f0f0f0f\r\nITEM_ID:S-7\r\nEND_PLANPILOT_META\r\n\r\n## Goal"
    )
    meta = parse_metadata(body)

    assert meta is not None
    assert (meta.plan_id, meta.item_id, meta.item_type, meta.parent_id) == ("0f0f0f0f0f0f", "S-7", None, None)


@pytest.mark.parametrize(
    "body",
    [
        "",
        "## Goal\n\nno block here, though it mentions PLAN_ID:abc",
        "PLANPILOT_META_V1\nPLAN_ID:abc\nITEM_ID:T1\n",  # never closed
        "PLANPILOT_META_V1\nITEM_ID:T1\nEND_PLANPILOT_META",  # no plan id
        "PLANPILOT_META_V1\nPLAN_ID:abc\nEND_PLANPILOT_META",  # no item id
        "PLANPILOT_META_V1 extra\nPLAN_ID:abc\nITEM_ID:T1\nEND_PLANPILOT_META",  # not the marker line
    ],
)
def test_bodies_without_a_complete_block_have_no_metadata(body: str) -> None:
    assert parse_metadata(body) is None


def test_the_first_block_wins() -> None:
    body = render_body(EPIC, "first") + "\n" + render_body(EPIC, "second")
    meta = parse_metadata(body)
    assert meta is not None
    assert meta.plan_id == "first"


def test_ids_with_line_breaks_cannot_enter_a_block() -> None:
    with pytest.raises(ValueError, match="line break"):
        render_metadata("abc\nPLAN_ID:evil", EPIC)


def test_full_body_uses_planpilots_sections_in_order() -> None:
    refs = References(
        parent="#1",
        sub_items=[("#12", "b"), ("#11", "a")],
        blocked_by={"T1": "#7", "T0": "#5"},
    )
    assert render_body(TASK, "abc123def456", refs) == (
        "PLANPILOT_META_V1\nPLAN_ID:abc123def456\nITEM_ID:T2\nITEM_TYPE:TASK\nPARENT_ID:S1\nEND_PLANPILOT_META\n\n"
        "## Goal\n\nEvery call produces one event.\n\n"
        "## Motivation\n\nBilling needs usage.\n\n"
        "## Parent\n\n* #1\n\n"
        "## Scope\n\nIn:\n\n* gateway\n\nOut:\n\n* storage\n\n"
        "## Requirements\n\n* Attach the request id\n* Buffer locally\n\n"
        "## Acceptance Criteria\n\n* No lost events\n\n"
        "## Assumptions\n\n* The queue exists\n\n"
        "## Risks\n\n* Latency\n\n"
        "## Estimate\n\nM (16h)\n\n"
        "## Verification\n\nCommands:\n\n* pytest -q\n\nCI checks:\n\n* load-test\n\n"
        "## Spec Reference\n\n"
        '* [https://wiki.example.com/spec](https://wiki.example.com/spec) (Events) - "exactly once"\n\n'
        "## Success Metrics\n\n* 0 lost events\n\n"
        "## Sub-items\n\n* [ ] #11 a\n* [ ] #12 b\n\n"
        "## Dependencies\n\nBlocked by:\n\n* #5\n* #7\n"
    )


def test_empty_fields_and_unknown_references_are_left_out() -> None:
    body = render_body(EPIC, "p")
    assert body == (
        "PLANPILOT_META_V1\nPLAN_ID:p\nITEM_ID:E1\nITEM_TYPE:EPIC\nPARENT_ID:\nEND_PLANPILOT_META\n\n"
        "## Goal\n\nShip it.\n\n## Requirements\n\n* r\n\n## Acceptance Criteria\n\n* a\n"
    )
    plain_ref = PlanItem(
        id="E2", type="EPIC", title="E", spec_ref="docs/spec.md", estimate=Estimate(hours=2.5), scope=Scope()
    )
    body = render_body(plain_ref, "p")
    assert "## Spec Reference\n\n* docs/spec.md" in body
    assert "## Estimate\n\n(2.5h)" in body
    assert "## Scope" not in body


def test_rendering_is_byte_stable_whatever_order_references_arrive_in() -> None:
    one = References(parent="#1", sub_items=[("#3", "x"), ("#2", "y")], blocked_by={"T1": "#9", "T0": "#8"})
    two = References(parent="#1", sub_items=[("#2", "y"), ("#3", "x")], blocked_by={"T0": "#8", "T1": "#9"})
    assert render_body(TASK, "p", one) == render_body(TASK, "p", two) == render_body(TASK, "p", one)


def test_bodies_match_ignores_line_endings_and_surrounding_blank_space() -> None:
    body = render_body(EPIC, "p")
    assert bodies_match(body.replace("\n", "\r\n") + "\n\n", body)
    assert not bodies_match(body.replace("Ship it.", "Ship it!"), body)
