"""The main job end to end, in-process on virtual time: the example roadmap synced to the emulator, the figures a
sync costs, a re-sync writing nothing, an edited plan updating in place, and 5 % injected faults leaving no
duplicate and no wrong field. Every document the provider sends is checked against the pinned schema, and the
complexity it states against the emulator's count."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from graphql import parse, validate
from graphql.execution.values import get_variable_values
from graphql.language import OperationDefinitionNode

from planpilot_provider_linear.budgets import COMPLEXITY
from planpilot_provider_linear.estimates import TSHIRT_SIZES
from planpilot_provider_linear.provider import LinearProvider
from planpilot_provider_linear.testing import (
    DEFAULT_PROJECT,
    LinearEmulator,
    VirtualClock,
    fault_plan,
    linear_schema,
    run_virtual,
)
from planpilot_provider_linear.testing.model import Issue
from planpilot_providers_core import Credential, create_provider
from planpilot_providers_core.plan import Plan, load_plan
from planpilot_providers_core.plan.synthetic import layered_plan
from planpilot_providers_core.reliability import COST_EXTENSION, RetryPolicy
from planpilot_providers_core.sync.body import parse_metadata
from planpilot_providers_core.sync.results import ItemAction, SyncResult
from planpilot_providers_core.sync.runner import sync_plan

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "roadmap.json"
KEY = Credential(name="Linear API key", parts={"token": "lin_api_sync-test-0123456789"}, sent_as="header")
TYPE_LABELS = {"EPIC": "Epic", "STORY": "Story", "TASK": "Task"}


@attrs.define
class Seen:
    """Every request the provider sent: its JSON body, the complexity it stated, and what the emulator counted."""

    requests: list[tuple[dict[str, Any], float, int | None]] = attrs.Factory(list)


class Recording(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, seen: Seen) -> None:
        self.inner, self.seen = inner, seen

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(await request.aread())
        stated = request.extensions.get(COST_EXTENSION, {}).get(COMPLEXITY, -1.0)
        response = await self.inner.handle_async_request(request)
        counted = response.headers.get("x-complexity")
        self.seen.requests.append((payload, stated, None if counted is None else int(counted)))
        return response


def linear(emulator: LinearEmulator, clock: VirtualClock, seen: Seen | None = None, **options: Any) -> LinearProvider:
    transport: httpx.AsyncBaseTransport = emulator.transport()
    if seen is not None:
        transport = Recording(transport, seen)
    provider = create_provider(
        "linear",
        target="ENG",
        token="",
        credential=KEY,
        board_url=options.pop("board_url", ""),
        transport=transport,
        clock=clock,
        retry_policy=RetryPolicy(wait_initial=0.5, wait_max=4.0),
        **options,
    )
    assert isinstance(provider, LinearProvider)
    return provider


def sync(emulator: LinearEmulator, clock: VirtualClock, plan: Plan, **options: Any) -> SyncResult:
    async def main() -> SyncResult:
        async with linear(emulator, clock, **options) as provider:
            return await sync_plan(provider, plan)

    return run_virtual(main, clock=clock)


def wrong_fields(emulator: LinearEmulator, plan: Plan, plan_id: str, *, project: str | None = None) -> list[str]:
    """Everything the team's issues show differently from the plan: missing or duplicate issues, titles, type
    labels, the discovery label, estimates, parents, blockers, and the creation defaults."""
    found: dict[str, list[Issue]] = defaultdict(list)
    for issue in emulator.state.team_issues("ENG"):
        meta = parse_metadata(issue.description or "")
        if meta is not None and meta.copy_key == plan_id and not issue.trashed:
            found[meta.item_id].append(issue)
    problems = [f"{item_id}: {len(issues)} issues" for item_id, issues in found.items() if len(issues) != 1]
    problems += [f"{item.id}: no issue" for item in plan if item.id not in found]
    if problems:
        return problems
    issue_of = {item_id: issues[0] for item_id, issues in found.items()}
    blockers = plan.blockers()
    for item in plan:
        issue = issue_of[item.id]
        names = {label.name for label in issue.labels}
        types = names & set(TYPE_LABELS.values())
        parent = issue_of[item.parent_id].id if item.parent_id else None
        shown = {
            "title": issue.title,
            "type labels": types,
            "discovery label": "planpilot" in names,
            "estimate": issue.estimate,
            "parent": issue.parent.id if issue.parent else None,
            "blockers": sorted(r.issue.id for r in issue.inverse_relations if r.type == "blocks"),
            "state": issue.state.name,
            "priority": issue.priority,
            "cycle": issue.cycle.number if issue.cycle else None,
            "project": issue.project.name if issue.project else None,
        }
        wanted = {
            "title": item.title,
            "type labels": {TYPE_LABELS[item.type.value]},
            "discovery label": True,
            "estimate": TSHIRT_SIZES[item.size] if item.size else None,
            "parent": parent,
            "blockers": sorted(issue_of[b].id for b in blockers[item.id]),
            "state": "Backlog",
            "priority": 2,  # FieldConfig's P1: High
            "cycle": 2,  # the active one
            "project": project,
        }
        problems += [f"{item.id} {name}: {shown[name]!r}" for name in wanted if shown[name] != wanted[name]]
    return problems


def writes(emulator: LinearEmulator) -> int:
    return int(emulator.stats.as_dict()["write_requests"])


def test_the_roadmap_is_created_with_few_requests_and_a_resync_writes_nothing() -> None:
    plan = load_plan([EXAMPLE])
    clock = VirtualClock()
    emulator = LinearEmulator.with_default_scenario(clock=clock)
    seen = Seen()

    first = sync(emulator, clock, plan, seen=seen)
    stats = emulator.stats.as_dict()
    assert first.ok, first.problems
    assert {o.action for o in first.items} == {ItemAction.CREATED}
    assert wrong_fields(emulator, plan, first.plan_id) == []
    # The figures (README): 43 items in 35 requests, 22 of them writes: creates go several to one request.
    assert stats["requests"] <= len(plan), stats["operations"]
    assert stats["operations"].get("IssueBatchCreate", 0) >= 5
    assert stats["faults"] == {}
    assert stats["limited"] == {}

    emulator.stats.reset()
    second = sync(emulator, clock, plan, seen=seen)
    assert second.ok
    assert second.writes == 0
    assert {o.action for o in second.items} == {ItemAction.UNCHANGED}
    assert writes(emulator) == 0
    assert emulator.stats.as_dict()["requests"] <= 8  # enter (2), discovery (2), relations in batches

    check_every_document(seen)


def check_every_document(seen: Seen) -> None:
    """Each request valid against the full pinned schema, its variables too, and stating the complexity the
    emulator counted for it (what Linear's budget is charged)."""
    schema = linear_schema()
    names = set()
    for payload, stated, counted in seen.requests:
        document = parse(payload["query"])
        assert validate(schema, document) == [], payload["query"]
        (operation,) = document.definitions
        assert isinstance(operation, OperationDefinitionNode)
        coerced = get_variable_values(schema, operation.variable_definitions, payload["variables"])
        assert not isinstance(coerced, list), (payload["operationName"], coerced)
        assert stated == counted, (payload["operationName"], stated, counted)
        names.add(payload["operationName"])
    assert {"TeamByKey", "IssuesMatching", "IssueBatchCreate", "IssueUpdates", "IssueRelationChanges"} <= names


def test_an_edited_plan_updates_the_same_issues_in_place(project_url: str, tmp_path: Path) -> None:
    plan = load_plan([EXAMPLE])
    clock = VirtualClock()
    emulator = LinearEmulator.with_default_scenario(clock=clock)
    first = sync(emulator, clock, plan, board_url=project_url)
    ids = {issue.id for issue in emulator.state.team_issues("ENG")}

    edited = edit_plan(
        tmp_path, title=("T1", "Meter API calls per customer (renamed)"), size=("T2", "L"), drop_dependency="T3"
    )
    second = sync(emulator, clock, edited, board_url=project_url)

    assert second.ok, second.problems
    assert {issue.id for issue in emulator.state.team_issues("ENG")} == ids  # nothing new: updated in place
    assert second.plan_id == first.plan_id  # the plan keeps its identity across the edit
    assert wrong_fields(emulator, edited, second.plan_id, project=DEFAULT_PROJECT) == []
    actions = {o.item_id: o.action for o in second.items}
    assert actions["T1"] is ItemAction.UPDATED
    assert actions["T2"] is ItemAction.UPDATED


def edit_plan(directory: Path, *, title: tuple[str, str], size: tuple[str, str], drop_dependency: str) -> Plan:
    """The example plan with one title changed, one size changed and one item's dependencies dropped."""
    raw = json.loads(EXAMPLE.read_text())
    for item in raw["items"]:
        if item["id"] == title[0]:
            item["title"] = title[1]
        if item["id"] == size[0]:
            item["estimate"] = {**(item.get("estimate") or {}), "tshirt": size[1]}
        if item["id"] == drop_dependency:
            assert item.get("depends_on"), "pick an item with dependencies"
            item["depends_on"] = []
    path = directory / "roadmap.json"
    path.write_text(json.dumps(raw))
    return load_plan([path])


@pytest.mark.parametrize("seed", [1, 2])
def test_five_percent_faults_make_no_duplicate_and_no_wrong_field(seed: int) -> None:
    """Every kind of fault Linear's emulator knows (rate limits, 5xx, timeouts and dropped connections before
    and after the write was applied) on 5 % of the requests of a 500-item plan: syncs until one finishes clean
    (a run may leave an item failed after its retries; the next finishes it), then the end state is exactly
    the plan, and a fault-free sync writes nothing."""
    plan = layered_plan(5)  # 500 items, 290 blocked-by links
    clock = VirtualClock()
    emulator = LinearEmulator.with_default_scenario(clock=clock, fault_plan=fault_plan(0.05, seed=seed))
    runs = [sync(emulator, clock, plan)]
    while not runs[-1].ok and len(runs) < 4:
        runs.append(sync(emulator, clock, plan))
    stats = emulator.stats.as_dict()

    assert runs[-1].ok, runs[-1].problems
    assert sum(stats["faults"].values()) >= 10, stats["faults"]  # the faults did strike, of many kinds
    assert any(kind.endswith("after_commit") for kind in stats["faults"]), stats["faults"]
    assert wrong_fields(emulator, plan, runs[-1].plan_id) == []  # no duplicate, nothing missing, nothing wrong

    emulator.fault_plan = None
    emulator.stats.reset()
    settled = sync(emulator, clock, plan)
    assert settled.ok
    assert settled.writes == 0
    assert writes(emulator) == 0
