"""Plans PlanPilot 2.7 accepts load here too (with a warning where a word is due); its real errors stay errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from planpilot_providers_core.cli import main
from planpilot_providers_core.contracts import PlanItemType
from planpilot_providers_core.plan import PlanError, load_plan


def _item(item_id: str, item_type: str | None, parent: str | None = None, **extra: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": item_id,
        "title": f"Title of {item_id}",
        "goal": f"Goal of {item_id}",
        "requirements": ["r"],
        "acceptance_criteria": ["a"],
        **extra,
    }
    if item_type is not None:
        raw["type"] = item_type
    if parent is not None:
        raw["parent_id"] = parent
    return raw


def _write(path: Path, payload: object) -> Path:
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def test_hours_given_as_a_string_are_read_as_a_number(tmp_path: Path) -> None:
    path = _write(tmp_path / "plan.json", {"items": [_item("E1", "EPIC", estimate={"tshirt": "M", "hours": "8"})]})
    plan = load_plan([path])
    assert plan["E1"].estimate is not None
    assert plan["E1"].estimate.hours == 8.0
    as_number = _write(tmp_path / "n.json", {"items": [_item("E1", "EPIC", estimate={"tshirt": "M", "hours": 8})]})
    assert load_plan([as_number]).plan_id == plan.plan_id, "the same plan id as PlanPilot computes from 8.0"


def test_a_plan_of_only_an_epics_file_loads(tmp_path: Path) -> None:
    epics = _write(tmp_path / "epics.json", [_item("E1", None), _item("E2", None)])
    plan = load_plan([epics])
    assert [(i.id, i.type) for i in plan] == [("E1", PlanItemType.EPIC), ("E2", PlanItemType.EPIC)]
    stories = _write(tmp_path / "stories.json", [_item("S1", None, "E1")])
    two = load_plan([stories, epics])
    assert [(i.id, i.type) for i in two] == [("E1", "EPIC"), ("E2", "EPIC"), ("S1", "STORY")]


def test_sub_item_ids_naming_a_missing_item_are_a_warning(tmp_path: Path) -> None:
    path = _write(tmp_path / "plan.json", {"items": [_item("E1", "EPIC", sub_item_ids=["S404"])]})
    plan = load_plan([path])
    assert [str(w) for w in plan.warnings] == [
        f'{path}: item "E1": sub_item_ids "S404" does not name an item in the plan; ignored'
    ]


def test_missing_references_load_in_partial_mode_and_stay_errors_in_strict_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "plan.json", {"items": [_item("T1", "TASK", "S-in-another-plan", depends_on=["T0"])]})
    with pytest.raises(PlanError, match='parent_id "S-in-another-plan" does not name an item'):
        load_plan([path])
    plan = load_plan([path], partial=True)
    assert len(plan.warnings) == 2

    assert main(["sync", str(path), "--validation", "partial"]) == 0
    captured = capsys.readouterr()
    assert "warning: " in captured.err
    assert "Sync OK" in captured.out
    assert main(["sync", str(path)]) == 2


def test_cycles_and_self_dependencies_stay_errors(tmp_path: Path) -> None:
    items = [
        _item("T1", "TASK", depends_on=["T2"]),
        _item("T2", "TASK", depends_on=["T1"]),
        _item("T3", "TASK", depends_on=["T3"]),
    ]
    path = _write(tmp_path / "plan.json", {"items": items})
    with pytest.raises(PlanError) as caught:
        load_plan([path], partial=True)
    messages = [p.message for p in caught.value.problems]
    assert "depends_on names the item itself (a dependency cycle)" in messages
    assert any(m.startswith("dependency cycle:") for m in messages)


def test_a_plan_file_can_pin_its_id(tmp_path: Path) -> None:
    path = _write(tmp_path / "plan.json", {"plan_id": "roadmap-2027", "items": [_item("E1", "EPIC")]})
    plan = load_plan([path])
    assert plan.pinned_id == "roadmap-2027"
    bad = _write(tmp_path / "bad.json", {"plan_id": "has space", "items": [_item("E1", "EPIC")]})
    with pytest.raises(PlanError, match='field "plan_id": plan id must be'):
        load_plan([bad])
