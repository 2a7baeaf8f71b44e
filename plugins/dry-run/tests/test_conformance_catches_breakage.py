"""The conformance suite is only worth running if it fails for broken providers.

Each case below breaks one promise of the contract in a ``DryRunProvider`` subclass and runs one
suite test against it directly; the test must fail, and for the stated reason. A meta-test keeps
every suite test covered by at least one such case, so a new suite test cannot be vacuous.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import attrs
import pytest

from planpilot_provider_dry_run.provider import DryRunContext, DryRunItem, DryRunProvider
from planpilot_providers_core.capabilities import Capability, check_capabilities
from planpilot_providers_core.contracts import (
    CreateItemInput,
    Item,
    ItemSearchFilters,
    UpdateItemInput,
)
from planpilot_providers_core.errors import ProviderError
from planpilot_providers_core.testing import ConformanceSettings, ProviderConformance

SETTINGS = ConformanceSettings(page_size=10, concurrency=20, call_timeout=0.2)


def _dedupe(items: Sequence[Item]) -> list[Item]:
    return list({item.id: item for item in items}.values())


# -- discovery -----------------------------------------------------------------------------------


class LacksDiscovery(DryRunProvider):
    CAPABILITIES = DryRunProvider.CAPABILITIES - {Capability.DISCOVERY_COMPLETE}


class OrSearch(DryRunProvider):
    """Treats the labels and the body text as alternatives."""

    async def search_items(self, filters: ItemSearchFilters) -> list[Item]:
        by_labels = await super().search_items(ItemSearchFilters(labels=filters.labels))
        if not filters.body_contains:
            return by_labels
        by_body = await super().search_items(ItemSearchFilters(labels=(), body_contains=filters.body_contains))
        return _dedupe([*by_labels, *by_body])


class AnyLabelSearch(DryRunProvider):
    """Matches items carrying any one of the labels."""

    async def search_items(self, filters: ItemSearchFilters) -> list[Item]:
        found: list[Item] = []
        for label in filters.labels:
            found += await super().search_items(ItemSearchFilters(labels=(label,), body_contains=filters.body_contains))
        return _dedupe(found)


class FirstPageOnly(DryRunProvider):
    async def search_items(self, filters: ItemSearchFilters) -> list[Item]:
        return (await super().search_items(filters))[: SETTINGS.page_size]


class DuplicatingSearch(DryRunProvider):
    """Returns the union of overlapping partitions without de-duplicating it."""

    async def search_items(self, filters: ItemSearchFilters) -> list[Item]:
        found = await super().search_items(filters)
        return found + found[-1:]


# -- items ---------------------------------------------------------------------------------------


class DeleteDoesNothing(DryRunProvider):
    async def delete_item(self, item_id: str) -> None:
        await self.get_item(item_id)


class StaleGet(DryRunProvider):
    """Serves get_item from a cache filled on first read and never refreshed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cache: dict[str, DryRunItem] = {}

    async def get_item(self, item_id: str) -> DryRunItem:
        if item_id not in self.cache:
            self.cache[item_id] = await super().get_item(item_id)
        return self.cache[item_id]


class UpdateClearsNoneBody(DryRunProvider):
    async def update_item(self, item_id: str, item: UpdateItemInput) -> DryRunItem:
        return await super().update_item(item_id, attrs.evolve(item, body=item.body or ""))


class UpdateReplacesLabels(DryRunProvider):
    async def update_item(self, item_id: str, item: UpdateItemInput) -> DryRunItem:
        updated = await super().update_item(item_id, item)
        if item.labels is not None:
            updated = attrs.evolve(updated, labels=item.labels)
            self._items[item_id] = updated
        return updated


class UpdateAlwaysTouches(DryRunProvider):
    """Adds a marker label on every update call, even when nothing differs."""

    async def update_item(self, item_id: str, item: UpdateItemInput) -> DryRunItem:
        return await super().update_item(item_id, attrs.evolve(item, labels=(*(item.labels or ()), "touched")))


# -- relations -----------------------------------------------------------------------------------


class ReconcileOnlyAdds(DryRunProvider):
    async def _reconcile(self, item_id: str, parent_id: str | None, blocker_ids: Sequence[str]) -> None:
        if parent_id is not None:
            await self._set_parent(item_id, parent_id)
        for blocker_id in blocker_ids:
            await self._add_dependency(item_id, blocker_id)


class IgnoresParentAtCreate(DryRunProvider):
    async def create_item(self, item: CreateItemInput) -> DryRunItem:
        return await super().create_item(attrs.evolve(item, parent_id=None))


class ParentNeverMoves(DryRunProvider):
    def _link_parent(self, child_id: str, parent_id: str) -> None:
        if child_id not in self._parent_of:
            super()._link_parent(child_id, parent_id)


class UndeclaredRelationsSucceed(DryRunProvider):
    """Does not declare relations, yet silently accepts relation calls."""

    CAPABILITIES = DryRunProvider.CAPABILITIES - {Capability.RELATION_PARENT, Capability.RELATION_BLOCKED_BY}

    def require(self, capability: Capability) -> None:
        pass


# -- concurrency and lifecycle ---------------------------------------------------------------------


class RacyCreate(DryRunProvider):
    """Reads the next number, yields, then uses it: concurrent creates collide."""

    async def create_item(self, item: CreateItemInput) -> DryRunItem:
        number = self._next_number
        await asyncio.sleep(0)
        created = await super().create_item(item)
        racy = attrs.evolve(created, id=f"dry-run-{number}", key=f"DRY-{number}", url=f"dry-run://x/{number}")
        self._items[racy.id] = racy
        return racy


class _SettableContext(DryRunContext):
    def __setattr__(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)


class SettableContext(DryRunProvider):
    async def resolve_context(self) -> DryRunContext:
        return _SettableContext(**attrs.asdict(await super().resolve_context(), recurse=False))


@attrs.frozen(kw_only=True)
class _LeakyContext(DryRunContext):
    cache: dict[str, str] = attrs.field(factory=dict)


class MutableFieldInContext(DryRunProvider):
    async def resolve_context(self) -> DryRunContext:
        return _LeakyContext(**attrs.asdict(await super().resolve_context(), recurse=False))


class ReplacesContext(DryRunProvider):
    async def create_item(self, item: CreateItemInput) -> DryRunItem:
        self._context = attrs.evolve(await self._entered(), label="changed")
        return await super().create_item(item)


class EntersTwice(DryRunProvider):
    async def __aenter__(self) -> Self:
        if self._context is not None:
            return self
        return await super().__aenter__()


class UsableAfterExit(DryRunProvider):
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


class HangsAfterExit(DryRunProvider):
    async def _entered(self) -> DryRunContext:
        if self._context is None:
            await asyncio.Event().wait()
        return await super()._entered()


class CannotReenter(DryRunProvider):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.closed = False

    async def resolve_context(self) -> DryRunContext:
        if self.closed:
            raise ProviderError("the client is closed")
        return await super().resolve_context()

    async def aclose(self) -> None:
        self.closed = True


class SkipsCapabilityCheck(DryRunProvider):
    async def __aenter__(self) -> Self:
        self._context = await self.resolve_context()
        return self


class HalfEnteredOnFailure(DryRunProvider):
    async def __aenter__(self) -> Self:
        self._context = context = await self.resolve_context()
        check_capabilities(self.name, context.capabilities, self.required_capabilities)
        return self


@attrs.frozen
class Breakage:
    test: str
    provider: type[DryRunProvider]
    reason: str
    """A regex the failure message must match, so the case fails for the intended reason."""
    options: dict[str, Any] = attrs.field(factory=dict)


CASES = [
    Breakage(
        "test_declares_discovery_capabilities",
        LacksDiscovery,
        "lacks.*discovery.complete",
        {"required_capabilities": ()},
    ),
    Breakage("test_search_filter_is_conjunctive", OrSearch, "label AND body text"),
    Breakage("test_search_filter_is_conjunctive", AnyLabelSearch, "two labels AND body text"),
    Breakage("test_search_returns_every_page", FirstPageOnly, "returned 10 of 15 .*never truncate"),
    Breakage("test_search_returns_every_page", DuplicatingSearch, "more than once"),
    Breakage("test_search_returns_each_item_once", DuplicatingSearch, "de-duplicated union"),
    Breakage("test_create_get_update_delete_round_trip", DeleteDoesNothing, "DID NOT RAISE.*ItemNotFoundError"),
    Breakage("test_create_get_update_delete_round_trip", StaleGet, "stale"),
    Breakage("test_update_leaves_none_fields_alone", UpdateClearsNoneBody, "given as None"),
    Breakage("test_update_adds_labels_without_removing_any", UpdateReplacesLabels, "additive"),
    Breakage("test_update_with_identical_values_changes_nothing", UpdateAlwaysTouches, "identical values"),
    Breakage("test_relations_reconcile_idempotently", ReconcileOnlyAdds, "remove a blocker"),
    Breakage("test_relations_reconcile_idempotently", ParentNeverMoves, "move to another parent"),
    Breakage("test_create_under_a_parent", IgnoresParentAtCreate, "ignored parent_id"),
    Breakage("test_relations_reconcile_idempotently", UndeclaredRelationsSucceed, "DID NOT RAISE.*Capability"),
    Breakage("test_set_parent_and_add_dependency", UndeclaredRelationsSucceed, "DID NOT RAISE.*Capability"),
    Breakage("test_concurrent_creates_give_distinct_items", RacyCreate, "same id more than once"),
    Breakage("test_context_is_immutable_after_enter", SettableContext, "DID NOT RAISE"),
    Breakage("test_context_is_immutable_after_enter", MutableFieldInContext, "'cache' holds a mutable dict"),
    Breakage("test_context_is_immutable_after_enter", ReplacesContext, "context changed after enter"),
    Breakage("test_entering_twice_fails", EntersTwice, "DID NOT RAISE.*ProviderError"),
    Breakage("test_exit_is_clean", UsableAfterExit, "DID NOT RAISE.*ProviderError"),
    Breakage("test_exit_is_clean", HangsAfterExit, "did not return within 0.2s"),
    Breakage("test_exit_is_clean", CannotReenter, "could not be entered again"),
    Breakage("test_required_capabilities_are_checked_on_enter", SkipsCapabilityCheck, "DID NOT RAISE"),
    Breakage(
        "test_required_capabilities_are_checked_on_enter",
        HalfEnteredOnFailure,
        "DID NOT RAISE.*ProviderError",
    ),
]
SUITE_TESTS = sorted(name for name in dir(ProviderConformance) if name.startswith("test_"))


async def run_suite_test(name: str, provider_cls: type[DryRunProvider], **options: Any) -> None:
    """Call one suite test the way pytest would, with the suite's fixtures done by hand."""
    method = getattr(ProviderConformance(), name)
    wanted = inspect.signature(method).parameters

    def make_provider() -> DryRunProvider:
        return provider_cls(target="acme/roadmap", **options)

    fixtures: dict[str, Any] = {"make_provider": make_provider, "conformance_settings": SETTINGS}
    kwargs = {key: value for key, value in fixtures.items() if key in wanted}
    if "provider" not in wanted:
        await method(**kwargs)
        return
    async with make_provider() as provider:
        await method(provider=provider, **kwargs)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.test.removeprefix('test_')}-{c.provider.__name__}")
async def test_suite_fails_for_a_provider_that_breaks_it(case: Breakage) -> None:
    with pytest.raises((AssertionError, pytest.fail.Exception)) as failure:
        await run_suite_test(case.test, case.provider, **case.options)
    assert re.search(case.reason, str(failure.value), re.DOTALL), str(failure.value)


@pytest.mark.parametrize("name", SUITE_TESTS)
async def test_suite_passes_for_the_intact_provider_under_the_same_harness(name: str) -> None:
    await run_suite_test(name, DryRunProvider)


def test_every_suite_test_is_shown_to_catch_some_breakage() -> None:
    assert sorted({case.test for case in CASES}) == SUITE_TESTS


def test_suite_runs_in_a_strict_mode_project_and_reports_failures(tmp_path: Path) -> None:
    """A third party's project: strict asyncio mode, ``make_provider`` in conftest, warnings as errors."""
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
    )
    (tmp_path / "conftest.py").write_text(
        textwrap.dedent(
            """
            import pytest
            from planpilot_provider_dry_run.provider import DryRunProvider

            @pytest.fixture
            def make_provider():
                return lambda: DryRunProvider(ProviderConfig.from_keywords("dry-run", target="acme/roadmap"))
            """
        )
    )
    (tmp_path / "test_my_provider.py").write_text(
        textwrap.dedent(
            """
            import pytest
            from planpilot_providers_core.testing import ConformanceSettings, ProviderConformance

            class TestDryRun(ProviderConformance):
                @pytest.fixture
                def conformance_settings(self):
                    return ConformanceSettings(page_size=3, concurrency=5)

            class TestBrokenSearch(ProviderConformance):
                @pytest.fixture
                def make_provider(self):
                    from planpilot_provider_dry_run.provider import DryRunProvider

                    class Broken(DryRunProvider):
                        async def search_items(self, filters):
                            return (await super().search_items(filters))[:1]

                    return lambda: Broken(target="acme/roadmap")
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", "-rf"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    summary = result.stdout.strip().splitlines()[-1]
    outcomes = {kind: int(n) for n, kind in re.findall(r"(\d+) (\w+)", summary)}
    assert outcomes.keys() == {"passed", "failed"}, result.stdout
    assert outcomes["passed"] + outcomes["failed"] == 2 * len(SUITE_TESTS), result.stdout
    failed = set(re.findall(r"FAILED test_my_provider.py::(\w+)::(\w+)", result.stdout))
    assert {cls for cls, _ in failed} == {"TestBrokenSearch"}, result.stdout
    assert {
        "test_search_filter_is_conjunctive",
        "test_search_returns_every_page",
        "test_search_returns_each_item_once",
        "test_concurrent_creates_give_distinct_items",
    } <= {test for _, test in failed}, result.stdout
