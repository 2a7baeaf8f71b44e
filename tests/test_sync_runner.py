"""The reference sync engine, phase by phase, against an in-memory fake tracker that records every call."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

import attrs
import pytest

from planpilot_providers_core.capabilities import Capability
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.context import ProviderContext
from planpilot_providers_core.contracts import (
    CreateItemInput,
    Item,
    ItemRelations,
    ItemSearchFilters,
    PlanItemType,
    UpdateItemInput,
)
from planpilot_providers_core.errors import CreateItemPartialFailureError, ItemNotFoundError, ProviderError
from planpilot_providers_core.plan import Estimate, Plan, PlanItem
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.sync.body import References, parse_metadata, render_body
from planpilot_providers_core.sync.results import ItemAction, Phase, RelationsAction, SyncResult
from planpilot_providers_core.sync.runner import sync_plan

ALL = frozenset(Capability)
WRITES = frozenset(
    {"create_item", "update_item", "reconcile_relations", "set_parent", "add_dependency", "close_duplicate"}
)


@attrs.frozen(kw_only=True)
class FakeItem(Item):
    _tracker: FakeTracker = attrs.field(eq=False, repr=False, alias="tracker")

    async def set_parent(self, parent: Item) -> None:
        async with self._tracker.call("set_parent", self.key):
            self._tracker.parents[self.id] = parent.id

    async def add_dependency(self, blocker: Item) -> None:
        async with self._tracker.call("add_dependency", self.key):
            self._tracker.blockers.setdefault(self.id, set()).add(blocker.id)

    async def reconcile_relations(self, *, parent: Item | None, blockers: Sequence[Item]) -> None:
        async with self._tracker.call("reconcile_relations", self.key):
            if parent is None:
                self._tracker.parents.pop(self.id, None)
            else:
                self._tracker.parents[self.id] = parent.id
            self._tracker.blockers[self.id] = {b.id for b in blockers}

    async def get_relations(self) -> ItemRelations:
        return self._tracker.relations(self.id)


class FakeTracker(Provider[ProviderContext]):
    """An in-memory tracker: state survives re-entry, every call is logged, concurrency is measured.

    ``create_failures`` maps an ITEM_ID (read from the body's metadata) to the error its create raises
    before anything exists; ``partial_creates`` maps an ITEM_ID to the steps that complete before the
    create fails midway: the item then exists, without its size, like an issue whose board fields
    were never set.
    """

    def __init__(self, *, capabilities: Iterable[Capability] = ALL, latency: float = 0.0) -> None:
        super().__init__(ProviderConfig.from_keywords("fake", target="t"))
        self._capabilities = frozenset(capabilities)
        self.latency = latency
        self.items: dict[str, FakeItem] = {}
        self.parents: dict[str, str] = {}
        self.blockers: dict[str, set[str]] = {}
        self.calls: list[tuple[str, str]] = []
        self.searches: list[ItemSearchFilters] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.create_failures: dict[str, Exception] = {}
        self.partial_creates: dict[str, tuple[str, ...]] = {}
        self.update_failures: dict[str, Exception] = {}
        self.closed: dict[str, str] = {}
        """Item id -> the id of the item it was closed as a duplicate of."""
        self._next = 1

    async def resolve_context(self) -> ProviderContext:
        return ProviderContext(provider=self.name, capabilities=self._capabilities)

    async def aclose(self) -> None:
        pass

    @contextlib.asynccontextmanager
    async def call(self, method: str, key: str = "") -> AsyncIterator[None]:
        self.calls.append((method, key))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.latency)
            yield
        finally:
            self.in_flight -= 1

    # -- inspection helpers --------------------------------------------------------------------

    @property
    def writes(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c[0] in WRITES]

    def by_plan_id(self, item_id: str) -> list[FakeItem]:
        return [i for i in self.items.values() if (m := parse_metadata(i.body)) and m.item_id == item_id]

    def one(self, item_id: str) -> FakeItem:
        (found,) = self.by_plan_id(item_id)
        return found

    def seed(self, *, title: str, body: str, labels: Sequence[str] = ("planpilot",), **extra: Any) -> FakeItem:
        """An item that was already in the tracker before the sync."""
        item = self._new(
            title=title, body=body, labels=tuple(labels), item_type=extra.pop("item_type", "TASK"), **extra
        )
        self.items[item.id] = item
        return item

    def relations(self, item_id: str) -> ItemRelations:
        return ItemRelations(parent_id=self.parents.get(item_id), blocker_ids=self.blockers.get(item_id, set()))

    def _new(self, **fields: Any) -> FakeItem:
        number = self._next
        self._next += 1
        return FakeItem(
            id=f"id-{number}", key=f"#{number}", url=f"https://tracker.test/{number}", tracker=self, **fields
        )

    # -- Provider ------------------------------------------------------------------------------

    async def search_items(self, filters: ItemSearchFilters) -> list[Item]:
        self.searches.append(filters)
        async with self.call("search_items"):
            return [i for i in self.items.values() if filters.matches(i.labels, i.body)]

    async def create_item(self, item: CreateItemInput) -> Item:
        meta = parse_metadata(item.body)
        item_id = meta.item_id if meta else ""
        async with self.call("create_item", item_id):
            if item_id in self.create_failures:
                raise self.create_failures.pop(item_id)
            partial = self.partial_creates.pop(item_id, None)
            created = self._new(
                title=item.title,
                body=item.body,
                item_type=item.item_type,
                labels=item.labels,
                size=None if partial is not None else item.size,
            )
            self.items[created.id] = created
            if partial is not None:
                raise CreateItemPartialFailureError(
                    "setting the board fields failed",
                    created_item_id=created.id,
                    created_item_key=created.key,
                    created_item_url=created.url,
                    completed_steps=partial,
                    retryable=True,
                )
            return created

    async def update_item(self, item_id: str, item: UpdateItemInput) -> Item:
        current = self.items[item_id]
        async with self.call("update_item", current.key):
            meta = parse_metadata(current.body)
            if meta and meta.item_id in self.update_failures:
                raise self.update_failures.pop(meta.item_id)
            labels = current.labels + tuple(
                label for label in item.labels or () if label.casefold() not in {x.casefold() for x in current.labels}
            )
            changes = {k: v for k, v in attrs.asdict(item, recurse=False).items() if v is not None and k != "labels"}
            updated = attrs.evolve(current, labels=labels, **changes)
            self.items[item_id] = updated
            return updated

    async def get_item(self, item_id: str) -> Item:
        if item_id not in self.items:
            raise ItemNotFoundError(item_id)
        return self.items[item_id]

    async def delete_item(self, item_id: str) -> None:
        del self.items[item_id]

    async def close_duplicate(self, item_id: str, kept: Item, *, label: str) -> None:
        current = self.items[item_id]
        async with self.call("close_duplicate", current.key):
            labels = tuple(name for name in current.labels if name.casefold() != label.casefold())
            self.items[item_id] = attrs.evolve(current, labels=labels)
            self.closed[item_id] = kept.id

    async def fetch_relations(self, items: Sequence[Item]) -> dict[str, ItemRelations]:
        async with self.call("fetch_relations", str(len(items))):
            return {item.id: self.relations(item.id) for item in items}


# -- plans -------------------------------------------------------------------------------------------


def item(item_id: str, item_type: str, parent: str | None = None, *deps: str, size: str | None = None) -> PlanItem:
    return PlanItem(
        id=item_id,
        type=item_type,
        title=f"{item_type.title()} {item_id}",
        goal=f"Goal of {item_id}",
        requirements=["r"],
        acceptance_criteria=["a"],
        parent_id=parent,
        depends_on=deps,
        estimate=Estimate(tshirt=size) if size else None,
    )


def standard_plan() -> Plan:
    """Two epics; T3 (under S2) waits for T1 (under S1), T4 (under S3, in E2) waits for T3."""
    return Plan(
        items=[
            item("E1", "EPIC"),
            item("E2", "EPIC"),
            item("S1", "STORY", "E1", size="M"),
            item("S2", "STORY", "E1"),
            item("S3", "STORY", "E2"),
            item("T1", "TASK", "S1", size="S"),
            item("T2", "TASK", "S1", "T1"),
            item("T3", "TASK", "S2", "T1"),
            item("T4", "TASK", "S3", "T3", size="L"),
        ]
    )


async def run(provider: FakeTracker, plan: Plan, **kwargs: Any) -> SyncResult:
    async with provider:
        return await sync_plan(provider, plan, **kwargs)


# -- first sync -----------------------------------------------------------------------------------------


async def test_first_sync_creates_every_item_and_reports_keys_and_urls() -> None:
    provider, plan = FakeTracker(), standard_plan()

    result = await run(provider, plan)

    assert result.ok
    assert result.plan_id == plan.plan_id
    assert result.provider == "fake"
    assert [o.item_id for o in result.items] == ["E1", "E2", "S1", "S2", "S3", "T1", "T2", "T3", "T4"]
    counts = result.counts()
    assert {t: counts[t][ItemAction.CREATED] for t in PlanItemType} == {
        PlanItemType.EPIC: 2,
        PlanItemType.STORY: 3,
        PlanItemType.TASK: 4,
    }
    assert sum(n for row in counts.values() for n in row.values()) == 9
    for outcome in result.items:
        stored = provider.one(outcome.item_id)
        assert (outcome.key, outcome.url) == (stored.key, stored.url)
        assert outcome.action is ItemAction.CREATED
        assert stored.labels == ("planpilot",)
    assert provider.one("S1").size == "M"
    assert provider.one("T4").size == "L"
    assert result.writes == len(provider.writes)


async def test_relations_follow_parents_dependencies_and_planpilots_roll_ups() -> None:
    provider = FakeTracker()
    await run(provider, standard_plan())

    def key(item_id: str | None) -> str | None:
        return None if item_id is None else provider.items[item_id].key

    def keys(item_id: str) -> set[str]:
        return {provider.items[b].key for b in provider.blockers.get(provider.one(item_id).id, set())}

    by_id = {i: provider.one(i) for i in ("E1", "E2", "S1", "S2", "S3", "T1", "T2", "T3", "T4")}
    assert {i: key(provider.parents.get(v.id)) for i, v in by_id.items()} == {
        "E1": None,
        "E2": None,
        "S1": by_id["E1"].key,
        "S2": by_id["E1"].key,
        "S3": by_id["E2"].key,
        "T1": by_id["S1"].key,
        "T2": by_id["S1"].key,
        "T3": by_id["S2"].key,
        "T4": by_id["S3"].key,
    }
    assert keys("T2") == {by_id["T1"].key}
    assert keys("T4") == {by_id["T3"].key}
    assert keys("S2") == {by_id["S1"].key}, "T3 (S2) waits for T1 (S1)"
    assert keys("S3") == {by_id["S2"].key}, "T4 (S3) waits for T3 (S2)"
    assert keys("E2") == {by_id["E1"].key}, "S3 (E2) is blocked by S2 (E1)"
    assert keys("E1") == keys("S1") == keys("T1") == set()


async def test_upsert_goes_level_by_level_and_waits_for_same_level_dependencies() -> None:
    provider, plan = FakeTracker(latency=0.001), standard_plan()

    await run(provider, plan, max_concurrent=8)

    created = [item_id for method, item_id in provider.calls if method == "create_item"]
    types = [plan[i].type for i in created]
    assert types == sorted(types, key=[PlanItemType.EPIC, PlanItemType.STORY, PlanItemType.TASK].index)
    assert created.index("T1") < created.index("T2")
    assert created.index("T3") < created.index("T4")
    # T2 was created after T1, so its first body already names T1 (and the enrich phase had nothing to add).
    t1, t2 = provider.one("T1"), provider.one("T2")
    assert f"Blocked by:\n\n* {t1.key}" in t2.body
    assert ("update_item", t2.key) not in provider.calls


@pytest.mark.parametrize("bound", [1, 3])
async def test_concurrency_never_exceeds_max_concurrent(bound: int) -> None:
    tasks = [item(f"T{n}", "TASK", "S1") for n in range(12)]
    plan = Plan(items=[item("E1", "EPIC"), item("S1", "STORY", "E1"), *tasks])
    provider = FakeTracker(latency=0.005)

    result = await run(provider, plan, max_concurrent=bound)

    assert result.ok
    assert provider.max_in_flight == bound, "the bound is reached and never exceeded"


async def test_discovery_searches_label_and_marker_and_ignores_other_plans() -> None:
    plan = standard_plan()
    provider = FakeTracker()
    pid = plan.plan_id
    # Another plan that also names an epic E1, with its own title and goal: it is not this plan's.
    foreign_e1 = attrs.evolve(plan["E1"], title="Other E1", goal="Another plan's goal")
    other_plan = provider.seed(title="Other E1", body=render_body(foreign_e1, "0123456789ab"))
    longer_id = provider.seed(title="Other E1", body=render_body(foreign_e1, pid + "0"))
    no_block = provider.seed(title="Mentions", body=f"see PLAN_ID:{pid} for context")
    unlabelled = provider.seed(title="No label", body=render_body(plan["E1"], pid), labels=("other",))

    result = await run(provider, plan)

    # Discovery, then the settle after the creates: both the same search.
    assert provider.searches == [ItemSearchFilters(labels=("planpilot",), body_contains="PLANPILOT_META_V1")] * 2
    assert result.ok
    assert result.outcome("E1").action is ItemAction.CREATED
    foreign = {other_plan.key, longer_id.key, no_block.key, unlabelled.key}
    assert not [call for call in provider.calls if call[1] in foreign]
    assert len(provider.items) == 4 + 9


async def test_a_duplicate_found_by_discovery_is_merged_into_the_oldest_copy() -> None:
    provider, plan = FakeTracker(), standard_plan()
    await run(provider, plan)
    original = provider.one("E2")
    duplicate = provider.seed(title=original.title, body=original.body, item_type="EPIC")
    writes_before = len(provider.writes)

    result = await run(provider, plan)

    assert result.ok
    assert result.outcome("E2").key == original.key
    assert [m.to_json() for m in result.merged] == [
        {"id": "E2", "kept": original.key, "url": original.url, "closed": [duplicate.key]}
    ]
    assert provider.closed == {duplicate.id: original.id}
    assert "planpilot" not in provider.items[duplicate.id].labels, "out of discovery"
    assert provider.writes[writes_before:] == [("close_duplicate", duplicate.key)], "nothing else is written"
    assert (await run(provider, plan)).writes == 0


async def test_without_close_duplicate_a_duplicate_is_a_problem_not_success() -> None:
    provider = FakeTracker(capabilities=ALL - {Capability.ITEM_CLOSE_DUPLICATE})
    plan = standard_plan()
    await run(provider, plan)
    original = provider.one("E2")
    duplicate = provider.seed(title=original.title, body=original.body, item_type="EPIC")

    result = await run(provider, plan)

    assert not result.ok, "never 'the tracker matches the plan' while duplicates exist"
    (problem,) = result.problems
    assert (problem.item_id, problem.phase) == ("E2", Phase.MERGE)
    assert f"close {duplicate.key} as duplicates of {original.key}" in problem.message
    assert result.outcome("E2").key == original.key
    assert not [call for call in provider.calls if call[1] == duplicate.key]


# -- enrich -------------------------------------------------------------------------------------------


async def test_enrich_gives_every_item_its_full_body_with_references_by_key() -> None:
    provider, plan = FakeTracker(), standard_plan()
    await run(provider, plan)
    k = {i.id: provider.one(i.id).key for i in plan}

    expected = {
        "E1": References(sub_items=[(k["S1"], plan["S1"].title), (k["S2"], plan["S2"].title)]),
        "S2": References(parent=k["E1"], sub_items=[(k["T3"], plan["T3"].title)]),
        "T3": References(parent=k["S2"], blocked_by={"T1": k["T1"]}),
    }
    for item_id, refs in expected.items():
        assert provider.one(item_id).body == render_body(plan[item_id], plan.plan_id, refs)
    # Created bodies lacked the sub-items (children come later): parents were updated once, leaves never.
    updated = {key for method, key in provider.calls if method == "update_item"}
    assert updated == {k[i] for i in ("E1", "E2", "S1", "S2", "S3")}


async def test_second_sync_over_the_same_state_writes_nothing() -> None:
    provider, plan = FakeTracker(), standard_plan()
    await run(provider, plan)
    before = len(provider.calls)

    result = await run(provider, plan)

    second = provider.calls[before:]
    assert [method for method, _ in second] == ["search_items", "fetch_relations"]
    assert result.writes == 0
    assert result.ok
    assert {o.action for o in result.items} == {ItemAction.UNCHANGED}
    assert {o.relations for o in result.items} == {RelationsAction.UNCHANGED}


async def test_only_items_whose_fields_differ_are_updated_and_labels_are_additive() -> None:
    provider, plan = FakeTracker(), standard_plan()
    await run(provider, plan)
    t1, t2, t4, e1 = (provider.one(i) for i in ("T1", "T2", "T4", "E1"))
    provider.items[t1.id] = attrs.evolve(t1, title="Renamed by a human")
    provider.items[t2.id] = attrs.evolve(t2, labels=("PlanPilot", "customer-label"))
    provider.items[t4.id] = attrs.evolve(t4, size="XL")
    provider.items[e1.id] = attrs.evolve(e1, body=e1.body.replace("\n", "\r\n") + "\n")
    before = len(provider.calls)

    result = await run(provider, plan)

    updates = [key for method, key in provider.calls[before:] if method == "update_item"]
    assert sorted(updates) == sorted([t1.key, t4.key])
    assert result.outcome("T1").action is ItemAction.UPDATED
    assert result.outcome("T4").action is ItemAction.UPDATED
    assert result.outcome("T2").action is ItemAction.UNCHANGED
    assert result.outcome("E1").action is ItemAction.UNCHANGED
    assert provider.one("T1").title == plan["T1"].title
    assert provider.one("T4").size == "L"
    assert provider.one("T2").labels == ("PlanPilot", "customer-label")


# -- relations ----------------------------------------------------------------------------------------


async def test_relations_are_read_in_batches_and_reconciled_only_where_they_differ() -> None:
    provider, plan = FakeTracker(), standard_plan()
    await run(provider, plan)
    t2, t3, s1 = provider.one("T2"), provider.one("T3"), provider.one("S1")
    provider.blockers[t2.id] = set()
    provider.parents[t3.id] = s1.id
    before = len(provider.calls)

    result = await run(provider, plan, relation_batch_size=4)

    second = provider.calls[before:]
    assert [size for method, size in second if method == "fetch_relations"] == ["4", "4", "1"]
    assert sorted(key for method, key in second if method in WRITES) == sorted([t2.key, t3.key])
    assert {o.item_id for o in result.items if o.relations is RelationsAction.UPDATED} == {"T2", "T3"}
    assert provider.parents[t3.id] == provider.one("S2").id
    assert provider.blockers[t2.id] == {provider.one("T1").id}


async def test_missing_blocked_by_capability_sets_parents_only_and_says_so() -> None:
    provider = FakeTracker(capabilities=ALL - {Capability.RELATION_BLOCKED_BY})

    result = await run(provider, standard_plan())

    assert result.ok
    assert result.unsupported_relations == ("relations.blocked-by",)
    assert any("lacks relations.blocked-by" in w for w in result.warnings)
    methods = {method for method, _ in provider.writes}
    assert methods == {"create_item", "update_item", "set_parent"}
    assert not provider.blockers
    assert len(provider.parents) == 7


async def test_missing_parent_capability_adds_blockers_only() -> None:
    provider = FakeTracker(capabilities=ALL - {Capability.RELATION_PARENT})

    result = await run(provider, standard_plan())

    assert result.unsupported_relations == ("relations.parent",)
    assert {method for method, _ in provider.writes} == {"create_item", "update_item", "add_dependency"}
    assert not provider.parents
    assert provider.blockers[provider.one("E2").id] == {provider.one("E1").id}


async def test_without_relation_capabilities_relations_are_not_even_read() -> None:
    provider = FakeTracker(capabilities=ALL - {Capability.RELATION_PARENT, Capability.RELATION_BLOCKED_BY})

    result = await run(provider, standard_plan())

    assert result.ok
    assert result.unsupported_relations == ("relations.parent", "relations.blocked-by")
    assert not [call for call in provider.calls if call[0] == "fetch_relations"]
    assert {o.relations for o in result.items} == {RelationsAction.SKIPPED}


# -- failures ----------------------------------------------------------------------------------------


async def test_partial_create_is_reported_and_the_next_run_converges_without_duplicates() -> None:
    provider, plan = FakeTracker(), standard_plan()
    provider.partial_creates["S1"] = ("issue_created", "issue_type_set", "labels_set", "project_item_added")

    first = await run(provider, plan)

    assert not first.ok
    (problem,) = first.problems
    created = provider.one("S1")
    assert problem.partial
    assert (problem.item_id, problem.phase) == ("S1", Phase.UPSERT)
    assert (problem.created_item_id, problem.created_item_key, problem.created_item_url) == (
        created.id,
        created.key,
        created.url,
    )
    assert problem.completed_steps == ("issue_created", "issue_type_set", "labels_set", "project_item_added")
    assert problem.retryable is True
    s1 = first.outcome("S1")
    assert (s1.action, s1.key, s1.url) == (ItemAction.FAILED, created.key, created.url)
    assert "run the sync again" in (s1.reason or "")
    skipped = {o.item_id for o in first.items if o.action is ItemAction.SKIPPED}
    assert skipped == {"T1", "T2", "T3", "T4"}, "children of S1, and T3/T4 which wait for T1 and T3"
    assert first.outcome("T1").reason == "its parent S1 was failed"
    assert first.outcome("T3").reason == "its dependency T1 was skipped"
    assert {o.action for o in first.items if o.item_id in {"E1", "E2", "S2", "S3"}} == {ItemAction.CREATED}
    assert provider.one("S1").size is None

    second = await run(provider, plan)

    assert second.ok
    assert len(provider.by_plan_id("S1")) == 1, "found by discovery, not created again"
    assert second.outcome("S1").action is ItemAction.UPDATED
    assert second.outcome("S1").key == created.key
    assert provider.one("S1").size == "M"
    assert {second.outcome(i).action for i in ("T1", "T2", "T3", "T4")} == {ItemAction.CREATED}
    assert len(provider.items) == 9
    third = await run(provider, plan)
    assert third.writes == 0


async def test_item_errors_are_collected_and_dependents_skipped_without_crashing() -> None:
    provider, plan = FakeTracker(), standard_plan()
    provider.create_failures["E2"] = ProviderError("422 title rejected")
    provider.update_failures["S2"] = ProviderError("502 bad gateway")

    result = await run(provider, plan)

    assert not result.ok
    assert [(p.item_id, p.phase, p.error, p.message) for p in result.problems] == [
        ("E2", Phase.UPSERT, "ProviderError", "422 title rejected"),
        ("S2", Phase.ENRICH, "ProviderError", "502 bad gateway"),
    ]
    actions = {o.item_id: o.action for o in result.items}
    assert actions == {
        "E1": ItemAction.CREATED,
        "E2": ItemAction.FAILED,
        "S1": ItemAction.CREATED,
        "S2": ItemAction.FAILED,
        "S3": ItemAction.SKIPPED,
        "T1": ItemAction.CREATED,
        "T2": ItemAction.CREATED,
        "T3": ItemAction.CREATED,
        "T4": ItemAction.SKIPPED,
    }
    assert result.outcome("E2").key is None
    assert result.outcome("S2").key == provider.one("S2").key
    assert not provider.by_plan_id("E2")
    assert not provider.by_plan_id("S3")

    again = await run(provider, plan)
    assert again.ok
    assert {o.item_id for o in again.items if o.action is ItemAction.CREATED} == {"E2", "S3", "T4"}


async def test_failing_relation_reads_are_problems_of_the_relations_phase() -> None:
    class BrokenRelations(FakeTracker):
        async def fetch_relations(self, items: Sequence[Item]) -> dict[str, ItemRelations]:
            raise ProviderError("relations unavailable")

    result = await run(BrokenRelations(), standard_plan())

    assert not result.ok
    assert {p.phase for p in result.problems} == {Phase.RELATIONS}
    assert len(result.problems) == 9
    assert {o.action for o in result.items} == {ItemAction.CREATED}
    assert {o.relations for o in result.items} == {RelationsAction.FAILED}


async def test_progress_reports_each_phase_from_zero_to_total() -> None:
    events: list[tuple[str, int, int]] = []

    await run(FakeTracker(), standard_plan(), progress=lambda *event: events.append(event))

    phases = list(dict.fromkeys(phase for phase, _, _ in events))
    assert phases == ["discover", "upsert", "enrich", "relations"]
    for phase in phases:
        mine = [(done, total) for p, done, total in events if p == phase]
        assert mine[0][0] == 0
        assert mine[-1][0] == mine[-1][1]
        assert [done for done, _ in mine] == list(range(len(mine)))


async def test_discovery_failure_stops_the_run() -> None:
    class BrokenSearch(FakeTracker):
        async def search_items(self, filters: ItemSearchFilters) -> list[Item]:
            raise ProviderError("search index unavailable")

    provider = BrokenSearch()
    with pytest.raises(ProviderError, match="search index unavailable"):
        await run(provider, standard_plan())
    assert not provider.writes


async def test_the_provider_must_be_entered_and_options_valid() -> None:
    provider, plan = FakeTracker(), standard_plan()
    with pytest.raises(ProviderError, match="not entered"):
        await sync_plan(provider, plan)
    async with provider:
        with pytest.raises(ValueError, match="max_concurrent must be a positive integer"):
            await sync_plan(provider, plan, max_concurrent=0)
        with pytest.raises(ValueError, match="label must be a non-empty string"):
            await sync_plan(provider, plan, label=" ")
    assert not provider.calls


async def test_result_json_lists_items_per_type_with_keys() -> None:
    provider = FakeTracker()
    provider.partial_creates["T4"] = ("issue_created",)

    payload = (await run(provider, standard_plan())).to_json()

    assert payload["ok"] is False
    assert payload["summary"]["TASK"] == {"created": 3, "updated": 0, "unchanged": 0, "failed": 1, "skipped": 0}
    t4 = next(i for i in payload["items"] if i["id"] == "T4")
    assert t4["key"] == provider.one("T4").key
    assert t4["action"] == "failed"
    (problem,) = payload["problems"]
    assert problem["partial"] is True
    assert problem["completed_steps"] == ["issue_created"]
    assert problem["created_item_url"] == provider.one("T4").url
