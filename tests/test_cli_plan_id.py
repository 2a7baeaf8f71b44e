"""``sync --plan-id`` pins the plan id, so an edited plan keeps updating the same items."""

import json
from pathlib import Path

import pytest

from planpilot_providers_core.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "roadmap.json"


def test_pinned_plan_id_is_used_for_discovery_and_bodies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sync", str(EXAMPLE), "--plan-id", "roadmap-2027", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["plan_id"] == "roadmap-2027"


def test_default_plan_id_is_the_content_hash(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sync", str(EXAMPLE), "--json"]) == 0
    plan_id = json.loads(capsys.readouterr().out)["plan_id"]
    assert len(plan_id) == 12
    assert int(plan_id, 16) >= 0


@pytest.mark.parametrize("bad", ["", "has space", "new\nline", "x" * 65])
def test_malformed_plan_id_is_bad_input(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sync", str(EXAMPLE), "--plan-id", bad]) == 2
    assert "--plan-id" in capsys.readouterr().err


def test_a_pinned_plan_is_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """--plan-id goes into the one build: validating and hashing a big plan twice was a start-up cost."""
    from planpilot_providers_core.cli import plan_input
    from planpilot_providers_core.plan import graph

    built: list[str | None] = []
    real_init = graph.Plan.__attrs_post_init__

    def counting(self: graph.Plan) -> None:
        built.append(self.pinned_id)
        real_init(self)

    monkeypatch.setattr(graph.Plan, "__attrs_post_init__", counting)
    plan = plan_input.load([str(EXAMPLE)], "roadmap-2027")
    assert plan.pinned_id == "roadmap-2027"
    assert built == ["roadmap-2027"]


def test_plan_problems_are_reported_before_a_malformed_plan_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "plan.json"
    broken.write_text('{"items": [{"id": "T1", "type": "TASK"}]}')
    assert main(["sync", str(broken), "--plan-id", "bad id!"]) == 2
    err = capsys.readouterr().err
    assert "--plan-id" not in err
    assert "T1" in err
