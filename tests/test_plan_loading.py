"""Plan files: both PlanPilot shapes, every validation error naming file and item, and the plan id."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from planpilot_providers_core.contracts import PlanItemType
from planpilot_providers_core.plan import (
    Plan,
    PlanError,
    PlanItem,
    compute_plan_id,
    load_plan,
    load_split_plan,
    load_unified_plan,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SPLIT = [EXAMPLES / "split" / name for name in ("epics.json", "stories.json", "tasks.json")]

Raw = dict[str, Any]


def _item(item_id: str, item_type: str, parent: str | None = None, **extra: Any) -> Raw:
    raw: Raw = {
        "id": item_id,
        "type": item_type,
        "title": f"Title of {item_id}",
        "goal": f"Goal of {item_id}",
        "requirements": ["a requirement"],
        "acceptance_criteria": ["a criterion"],
    }
    if parent is not None:
        raw["parent_id"] = parent
    raw.update(extra)
    return raw


def _items() -> list[Raw]:
    return [
        _item("E1", "EPIC"),
        _item("S1", "STORY", "E1"),
        _item("T1", "TASK", "S1", estimate={"tshirt": "S", "hours": 3}),
        _item("T2", "TASK", "S1", depends_on=["T1"]),
    ]


def _write(path: Path, payload: object) -> Path:
    path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return path


def _unified(tmp_path: Path, items: list[Raw], name: str = "plan.json") -> Path:
    return _write(tmp_path / name, {"items": items})


def _problems(path: Path) -> list[str]:
    with pytest.raises(PlanError) as caught:
        load_unified_plan(path)
    return [str(problem) for problem in caught.value.problems]


# -- the two shapes and the examples ------------------------------------------------------------------


def test_example_unified_and_split_load_to_the_same_plan() -> None:
    unified = load_plan([EXAMPLES / "roadmap.json"])
    split = load_plan(SPLIT)

    assert unified.plan_id == split.plan_id
    assert unified.items == split.items
    assert unified == split
    assert [len(unified.level(t)) for t in PlanItemType] == [3, 10, 30]
    assert not unified.warnings
    assert not split.warnings


def test_example_is_a_realistic_plan() -> None:
    plan = load_plan([EXAMPLES / "roadmap.json"])

    assert all(item.goal and item.requirements and item.acceptance_criteria for item in plan)
    assert all(item.size for item in plan), "every item has a t-shirt size"
    assert sum(bool(item.depends_on) for item in plan.level(PlanItemType.TASK)) >= 20
    assert any(item.depends_on for item in plan.level(PlanItemType.STORY))
    for item in plan:
        assert set(item.sub_item_ids) == {child.id for child in plan.children(item.id)}


def test_split_files_are_matched_by_name_in_any_order_and_by_position_otherwise(tmp_path: Path) -> None:
    reordered = load_plan([SPLIT[2], SPLIT[0], SPLIT[1]])
    assert reordered == load_plan(SPLIT)

    raw = {name: json.loads(path.read_text()) for name, path in zip(("a", "b", "c"), SPLIT, strict=True)}
    positional = [_write(tmp_path / f"{name}.json", payload) for name, payload in raw.items()]
    assert load_plan(positional).plan_id == reordered.plan_id


def test_split_item_type_comes_from_its_file_and_a_conflicting_type_is_a_warning(tmp_path: Path) -> None:
    """PlanPilot accepts a conflicting type in a split file: the file decides, and we say so."""
    epics = _write(tmp_path / "epics.json", [{k: v for k, v in _item("E1", "EPIC").items() if k != "type"}])
    stories = _write(tmp_path / "stories.json", [_item("S1", "TASK", "E1")])
    tasks = _write(tmp_path / "tasks.json", [])

    plan = load_split_plan(epics, stories, tasks)

    assert plan["S1"].type is PlanItemType.STORY
    assert [str(p) for p in plan.warnings] == [
        f'{stories}: item "S1": has type TASK but is in the story file; it is synced as a story: the file decides'
    ]


def test_a_plan_is_one_unified_file_or_up_to_three_split_files(tmp_path: Path) -> None:
    first, second = _unified(tmp_path, _items(), "a.json"), _unified(tmp_path, _items(), "b.json")
    with pytest.raises(PlanError, match=r"one unified plan file or the split files of one plan .*got 2 unified"):
        load_plan([first, second])
    with pytest.raises(PlanError, match=r"up to three split files .*got 4"):
        load_plan([first, second, first, second])


# -- the plan id ----------------------------------------------------------------------------------------


def test_plan_id_is_planpilots_hash_of_the_canonical_items() -> None:
    """Items sorted by (type, id); None and empty containers dropped; sorted keys; SHA-256, 12 hex digits."""
    plan = Plan(
        items=[
            PlanItem(id="T1", type="TASK", title="T", goal="g", requirements=["r"], acceptance_criteria=["a"]),
            PlanItem(
                id="E1",
                type="EPIC",
                title="E",
                goal="g",
                requirements=["r"],
                acceptance_criteria=["a"],
                risks=[],
                motivation=None,
            ),
        ]
    )
    canonical = (
        '[{"acceptance_criteria":["a"],"goal":"g","id":"E1","requirements":["r"],"title":"E","type":"EPIC"},'
        '{"acceptance_criteria":["a"],"goal":"g","id":"T1","requirements":["r"],"title":"T","type":"TASK"}]'
    )
    assert plan.plan_id == hashlib.sha256(canonical.encode()).hexdigest()[:12]


def test_plan_id_hashes_hours_as_a_float_and_drops_empty_nested_objects(tmp_path: Path) -> None:
    items = [_item("E1", "EPIC", estimate={"tshirt": None, "hours": 2}, scope={"in_scope": [], "out_scope": []})]
    canonical = (
        '[{"acceptance_criteria":["a criterion"],"estimate":{"hours":2.0},"goal":"Goal of E1","id":"E1",'
        '"requirements":["a requirement"],"title":"Title of E1","type":"EPIC"}]'
    )
    plan = load_unified_plan(_unified(tmp_path, items))
    assert plan.plan_id == hashlib.sha256(canonical.encode()).hexdigest()[:12]


def test_plan_id_is_deterministic_and_ignores_item_order_and_file_shape(tmp_path: Path) -> None:
    items = _items()
    first = load_unified_plan(_unified(tmp_path, items, "a.json"))
    again = load_unified_plan(_unified(tmp_path, items, "b.json"))
    shuffled = load_unified_plan(_unified(tmp_path, list(reversed(items)), "c.json"))
    split_dir = tmp_path / "split"
    split_dir.mkdir()
    split = load_split_plan(
        *(
            _write(split_dir / f"{name}.json", [i for i in items if i["type"] == kind])
            for name, kind in (("epics", "EPIC"), ("stories", "STORY"), ("tasks", "TASK"))
        )
    )

    assert len(first.plan_id) == 12
    assert int(first.plan_id, 16) >= 0
    assert first.plan_id == again.plan_id == shuffled.plan_id == split.plan_id


_CHANGES: list[tuple[str, Callable[[list[Raw]], None]]] = [
    ("title", lambda items: items[0].update(title="Another title")),
    ("goal", lambda items: items[1].update(goal="Another goal")),
    ("requirement", lambda items: items[2]["requirements"].append("one more")),
    (
        "dependency",
        lambda items: items[3]["depends_on"].append("S1"),
    ),
    ("size", lambda items: items[2]["estimate"].update(tshirt="M")),
    ("hours", lambda items: items[2]["estimate"].update(hours=4)),
    ("new item", lambda items: items.append(_item("T9", "TASK", "S1"))),
    ("id", lambda items: items[3].update(id="T2b")),
]


@pytest.mark.parametrize(("what", "change"), _CHANGES, ids=[what for what, _ in _CHANGES])
def test_any_content_change_gives_another_plan_id(
    tmp_path: Path, what: str, change: Callable[[list[Raw]], None]
) -> None:
    items = _items()
    changed = copy.deepcopy(items)
    change(changed)
    before = load_unified_plan(_unified(tmp_path, items, "before.json"))
    after = load_unified_plan(_unified(tmp_path, changed, "after.json"))
    assert before.plan_id != after.plan_id, what


def test_missing_and_empty_optional_fields_give_the_same_id_like_planpilot(tmp_path: Path) -> None:
    items = _items()
    padded = copy.deepcopy(items)
    padded[0].update(risks=[], assumptions=[], motivation=None, scope={}, fields={})
    padded[2]["estimate"]["hours"] = 3.0
    assert load_unified_plan(_unified(tmp_path, items, "a.json")).plan_id == (
        load_unified_plan(_unified(tmp_path, padded, "b.json")).plan_id
    )


def test_unknown_fields_are_warned_about_and_do_not_change_the_id(tmp_path: Path) -> None:
    items = _items()
    extra = copy.deepcopy(items)
    extra[1]["dependson"] = ["T1"]
    plain = load_unified_plan(_unified(tmp_path, items, "a.json"))
    path = _unified(tmp_path, extra, "b.json")
    plan = load_unified_plan(path)

    assert plan.plan_id == plain.plan_id
    assert [str(w) for w in plan.warnings] == [f'{path}: item "S1": unknown field "dependson" is ignored']


def test_compute_plan_id_does_not_depend_on_the_source_file() -> None:
    item = PlanItem(id="E1", type="EPIC", title="E", goal="g", requirements=["r"], acceptance_criteria=["a"])
    moved = attrs.evolve(item, source="elsewhere.json")
    assert compute_plan_id([item]) == compute_plan_id([moved])


# -- validation: each kind names the file, the item and the problem -------------------------------------

_BAD: list[tuple[str, Callable[[list[Raw]], None], str, str]] = [
    (
        "duplicate id",
        lambda items: items.append(_item("T1", "TASK", "S1")),
        "T1",
        "duplicate id; it is already defined in",
    ),
    (
        "missing parent",
        lambda items: items[2].update(parent_id="S9"),
        "T1",
        'parent_id "S9" does not name an item in the plan',
    ),
    (
        "story under a story",
        lambda items: items.append(_item("S2", "STORY", "S1")),
        "S2",
        'a story\'s parent must be an epic, but parent_id "S1" is a story',
    ),
    (
        "task under an epic",
        lambda items: items[2].update(parent_id="E1"),
        "T1",
        'a task\'s parent must be a story, but parent_id "E1" is an epic',
    ),
    (
        "epic with a parent",
        lambda items: items.append(_item("E2", "EPIC", "E1")),
        "E2",
        'an epic cannot have a parent, but parent_id is "E1"',
    ),
    (
        "unknown dependency",
        lambda items: items[3].update(depends_on=["T1", "T7"]),
        "T2",
        'depends_on "T7" does not name an item in the plan',
    ),
    (
        "self dependency",
        lambda items: items[3].update(depends_on=["T2"]),
        "T2",
        "depends_on names the item itself (a dependency cycle)",
    ),
    (
        "dependency cycle",
        lambda items: items[2].update(depends_on=["T2"]),
        "T1",
        'dependency cycle: "T1" -> "T2" -> "T1"',
    ),
    (
        "sub-item that is not a child",
        lambda items: items[0].update(sub_item_ids=["T1"]),
        "E1",
        'sub_item_ids lists "T1", but that item has parent_id "S1"',
    ),
    (
        "child missing from declared sub-items",
        lambda items: items[1].update(sub_item_ids=["T1"]),
        "T2",
        'parent "S1" lists sub_item_ids but not this item',
    ),
    ("missing title", lambda items: items[1].pop("title"), "S1", 'missing required field "title"'),
    ("missing goal", lambda items: items[1].pop("goal"), "S1", 'missing required field "goal"'),
    ("blank goal", lambda items: items[1].update(goal="  "), "S1", 'field "goal" must not be empty'),
    (
        "missing requirements",
        lambda items: items[2].pop("requirements"),
        "T1",
        'missing required field "requirements"',
    ),
    (
        "empty acceptance criteria",
        lambda items: items[2].update(acceptance_criteria=[]),
        "T1",
        'field "acceptance_criteria" must list at least one entry',
    ),
    ("missing type", lambda items: items[0].pop("type"), "E1", 'missing required field "type"'),
    (
        "unknown type",
        lambda items: items[0].update(type="epic"),
        "E1",
        'field "type" must be one of EPIC, STORY, TASK, got a string "epic"',
    ),
    (
        "title of the wrong type",
        lambda items: items[1].update(title=7),
        "S1",
        'field "title" must be a string, got a number 7',
    ),
    (
        "requirements as a string",
        lambda items: items[1].update(requirements="do it"),
        "S1",
        'field "requirements" must be an array of strings, got a string "do it"',
    ),
    (
        "requirement of the wrong type",
        lambda items: items[1].update(requirements=["ok", {"x": 1}]),
        "S1",
        'field "requirements"[1] must be a string, got an object',
    ),
    (
        "depends_on as a string",
        lambda items: items[3].update(depends_on="T1"),
        "T2",
        'field "depends_on" must be an array of strings, got a string "T1"',
    ),
    (
        "hours as words",
        lambda items: items[2].update(estimate={"tshirt": "S", "hours": "three"}),
        "T1",
        'field "estimate.hours" must be a finite number of hours >= 0 (or a numeric string like "8"), '
        'got a string "three"',
    ),
    (
        "estimate as a number",
        lambda items: items[2].update(estimate=5),
        "T1",
        'field "estimate" must be an object, got a number 5',
    ),
    (
        "spec_ref without url",
        lambda items: items[2].update(spec_ref={"section": "2"}),
        "T1",
        'missing required field "spec_ref.url"',
    ),
    (
        "id with a line break",
        lambda items: items[0].update(id="E\n1"),
        "",
        'field "id" must not contain a line break',
    ),
]


@pytest.mark.parametrize(("kind", "mutate", "item_id", "message"), _BAD, ids=[kind for kind, *_ in _BAD])
def test_validation_error_names_file_item_and_problem(
    tmp_path: Path, kind: str, mutate: Callable[[list[Raw]], None], item_id: str, message: str
) -> None:
    items = _items()
    mutate(items)
    path = _unified(tmp_path, items)

    problems = _problems(path)

    where = f'{path}: item "{item_id}": ' if item_id else f"{path}: item #1: "
    assert any(p.startswith(where) and message in p for p in problems), (kind, problems)


def test_an_item_without_id_is_named_by_position(tmp_path: Path) -> None:
    items: list[object] = [*_items()]
    items[2].pop("id")  # type: ignore[attr-defined]
    items.append("not an object")
    path = _write(tmp_path / "plan.json", {"items": items})

    problems = _problems(path)

    assert f'{path}: item #3: missing required field "id"' in problems
    assert f'{path}: item #5: an item must be an object, got a string "not an object"' in problems


def test_every_problem_is_reported_at_once_without_follow_on_noise(tmp_path: Path) -> None:
    items = _items()
    items[1]["title"] = 7  # S1 is unreadable; its tasks must not also be told their parent is missing
    items[3]["depends_on"] = ["T1", "nope"]
    path = _unified(tmp_path, items)

    with pytest.raises(PlanError) as caught:
        load_unified_plan(path)

    assert [str(p) for p in caught.value.problems] == [
        f'{path}: item "S1": field "title" must be a string, got a number 7',
        f'{path}: item "T2": depends_on "nope" does not name an item in the plan',
    ]
    assert "invalid plan (2 problems)" in str(caught.value)


def test_a_longer_cycle_is_shown_as_a_path(tmp_path: Path) -> None:
    items = [*_items(), _item("T3", "TASK", "S1", depends_on=["T2"])]
    items[2]["depends_on"] = ["T3"]  # T1 -> T3 -> T2 -> T1
    path = _unified(tmp_path, items)

    assert _problems(path) == [f'{path}: item "T1": dependency cycle: "T1" -> "T3" -> "T2" -> "T1"']


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "items": [\n    {"id": "E1",, "type": "EPIC"}\n  ]\n}\n', encoding="utf-8")

    assert _problems(path) == [
        f"{path}: malformed JSON at line 3, column 17: Expecting property name enclosed in double quotes"
    ]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], 'expected an object with an "items" array, got an array; a split plan'),
        ({"epics": []}, 'missing the "items" array'),
        ({"items": {}}, '"items" must be an array, got an object'),
        ("text", 'expected an object with an "items" array, got a string'),
    ],
)
def test_unified_root_shape_errors(tmp_path: Path, payload: object, message: str) -> None:
    path = _write(tmp_path / "plan.json", payload)
    problems = _problems(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: {message}")


def test_missing_file_and_split_root_shape(tmp_path: Path) -> None:
    epics = _write(tmp_path / "epics.json", {"items": []})
    with pytest.raises(PlanError) as caught:
        load_split_plan(epics, tmp_path / "stories.json", tmp_path / "tasks.json")

    assert [str(p) for p in caught.value.problems] == [
        f"{epics}: a split plan file must be an array of epic items, got an object",
        f"{tmp_path / 'stories.json'}: file not found",
        f"{tmp_path / 'tasks.json'}: file not found",
    ]


def test_a_plan_built_in_code_is_validated_too() -> None:
    orphan = PlanItem(
        id="T1", type="TASK", title="T", goal="g", requirements=["r"], acceptance_criteria=["a"], parent_id="S1"
    )
    with pytest.raises(PlanError, match=r'<memory>: item "T1": parent_id "S1" does not name an item'):
        Plan(items=[orphan])
    with pytest.raises(ValueError, match="must not contain a line break"):
        PlanItem(id="A\nB", type="TASK", title="T")
