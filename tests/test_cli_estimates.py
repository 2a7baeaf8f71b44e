"""The user sees the cost: an ETA on the progress line, a plan's estimate in ``check``, the budget spent in ``--json``.

A stub provider stands in for a budgeted tracker here (its pace: 500 creates an hour); the GitHub
provider's own estimate is tested with the GitHub plugin.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import pytest

from planpilot_provider_dry_run.plugin import CAPABILITIES
from planpilot_provider_dry_run.provider import DryRunItem, DryRunProvider
from planpilot_providers_core import registry as registry_module
from planpilot_providers_core.cli import main
from planpilot_providers_core.cli.output import duration, eta_note
from planpilot_providers_core.contracts import CreateItemInput, Estimate, Workload
from planpilot_providers_core.hookspecs import Register, hookimpl
from planpilot_providers_core.registry import DISABLE_AUTOLOAD_ENV, ProviderRegistry
from planpilot_providers_core.spec import ProviderSpec

ROADMAP = Path(__file__).resolve().parents[1] / "examples" / "roadmap.json"
BINDING = "content creations per hour"


class PacedTracker(DryRunProvider):
    """A dry run that knows a pace: 7.2 s per create (500 an hour), and counts what it spent."""

    seen: ClassVar[list[Workload]] = []

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.created = 0

    async def create_item(self, item: CreateItemInput) -> DryRunItem:
        self.created += 1
        return await super().create_item(item)

    def estimate(self, work: Workload) -> Estimate:
        PacedTracker.seen.append(work)
        return Estimate(seconds=work.creates * 7.2, binding=BINDING, units={BINDING: work.creates})

    def budget_report(self) -> Mapping[str, float]:
        return {BINDING: self.created, "limit responses": 0}


class _Plugin:
    @hookimpl
    def planpilot_register_providers(self, register: Register) -> None:
        register(
            ProviderSpec(
                name="paced",
                provider_class=f"{__name__}:PacedTracker",
                capabilities=CAPABILITIES,
                summary="a dry run with a pace",
                default_target="acme/roadmap",
            )
        )


@pytest.fixture(autouse=True)
def paced_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DISABLE_AUTOLOAD_ENV, raising=False)
    registry = ProviderRegistry(autoload=True, blocked=())
    registry.register_plugin(_Plugin(), name="paced-test-plugin")
    monkeypatch.setattr(registry_module, "get_registry", lambda: registry)
    PacedTracker.seen = []


def test_durations_and_notes_read_well() -> None:
    assert [duration(s) for s in (0, 45, 750, 3 * 3600 + 5 * 60 + 20)] == ["0s", "45s", "12m 30s", "3h 05m"]
    assert eta_note(Estimate(seconds=7200, binding=BINDING)) == f"ETA 2h 00m, bound by {BINDING}"
    assert eta_note(None) == ""


def test_progress_shows_the_eta_and_the_binding_budget(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sync", str(ROADMAP), "--provider", "paced"]) == 0
    err = capsys.readouterr().err
    first = next(line for line in err.splitlines() if line.startswith("upsert: 0/43"))
    assert first == f"upsert: 0/43 (ETA 5m 10s, bound by {BINDING})", "43 creates at 7.2 s each"
    # 13 epics and stories list their sub-items once those exist; 48 blocker links (parents go in the creates).
    assert PacedTracker.seen[0] == Workload(creates=43, updates=13, relation_writes=48)


def test_json_reports_the_budget_spent(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sync", str(ROADMAP), "--provider", "paced", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["budget"] == {BINDING: 43, "limit responses": 0}
    assert main(["sync", str(ROADMAP), "--provider", "paced"]) == 0
    assert f"Budget spent: 43 {BINDING}, 0 limit responses" in capsys.readouterr().out


def test_check_estimates_a_plans_cost_and_duration_before_any_write(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--provider", "paced", str(ROADMAP), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)["plan"]
    # What the sync will do: parents go with the creates; the 13 epics and stories are updated to list their
    # sub-items once those exist. The same work the sync itself starts from:
    assert plan["work"] == {"creates": 43, "updates": 13, "relation_writes": 48}
    assert plan["estimate"] == {"seconds": 43 * 7.2, "binding": BINDING, "units": {BINDING: 43}}
    asked = len(PacedTracker.seen)
    assert main(["sync", "--provider", "paced", str(ROADMAP)]) == 0
    capsys.readouterr()
    assert PacedTracker.seen[asked] == Workload(**plan["work"]), "the sync's first estimate is of the same work"

    assert main(["check", "--provider", "paced", str(ROADMAP)]) == 0
    out = capsys.readouterr().out
    assert "a sync would create 43 item(s), update 13 and write 48 relation(s) besides the parents" in out
    assert f"budget units: 43 {BINDING}" in out
    assert f"duration at the tracker's pace: about 5m 10s, bound by {BINDING}" in out
