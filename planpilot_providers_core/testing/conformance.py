"""``ProviderConformance``: the provider contract as a pytest base class (usage: package docstring)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

import attrs
import pytest
import pytest_asyncio

from planpilot_providers_core.capabilities import DISCOVERY_CAPABILITIES, Capability
from planpilot_providers_core.context import ProviderContext
from planpilot_providers_core.contracts import (
    CreateItemInput,
    Item,
    ItemSearchFilters,
    PlanItemType,
    UpdateItemInput,
)
from planpilot_providers_core.errors import ItemNotFoundError, ProviderCapabilityError, ProviderError
from planpilot_providers_core.provider import Provider

__all__ = ["ConformanceSettings", "ProviderConformance"]

_T = TypeVar("_T")
_MUTABLE_BUILTINS = (list, dict, set, bytearray)


@attrs.frozen(kw_only=True)
class ConformanceSettings:
    """What the suite needs to know about the provider under test."""

    page_size: int = attrs.field(default=100, validator=[attrs.validators.instance_of(int), attrs.validators.gt(0)])
    """The provider's search page size; the paging test creates ``page_size + 5`` matching items."""
    concurrency: int = attrs.field(default=50, validator=[attrs.validators.instance_of(int), attrs.validators.gt(1)])
    """How many creates the concurrency test runs at once; also bounds the suite's own bulk creates."""
    call_timeout: float = attrs.field(default=30.0, validator=attrs.validators.gt(0))
    """Seconds a call on an exited provider may take before the suite calls it a hang."""


@attrs.frozen
class _Marker:
    """A unique label pair and body text, so a test finds only its own items on a shared backend."""

    label: str
    other_label: str
    body: str

    @classmethod
    def new(cls) -> _Marker:
        token = uuid.uuid4().hex
        return cls(label=f"ppc-{token[:20]}", other_label=f"ppc-{token[20:]}-and", body=f"ppc{token}")

    def create(
        self,
        title: str,
        *,
        labels: Sequence[str] | None = None,
        in_body: bool = True,
        item_type: PlanItemType = PlanItemType.TASK,
    ) -> CreateItemInput:
        """A create input carrying this marker's label (unless ``labels`` says otherwise) and body text."""
        marker = self.body if in_body else f"ppc-unrelated-{uuid.uuid4().hex}"
        return CreateItemInput(
            title=f"[conformance] {title}",
            body=f"Created by the planpilot provider conformance suite.\n\nmarker: {marker}\n",
            item_type=item_type,
            labels=(self.label,) if labels is None else labels,
        )

    def filters(self, *labels: str, body: bool = True) -> ItemSearchFilters:
        return ItemSearchFilters(labels=labels or (self.label,), body_contains=self.body if body else "")


def _labels(item: Item) -> frozenset[str]:
    """Labels as trackers compare them: without order or case."""
    return frozenset(label.casefold() for label in item.labels)


def _observable(item: Item) -> tuple[object, ...]:
    """Everything a caller can see of an item, in comparable form."""
    return (item.id, item.key, item.url, item.title, item.body, item.item_type, _labels(item))


def _ids(items: Iterable[Item]) -> list[str]:
    return [item.id for item in items]


def _describe(items: Iterable[Item]) -> list[str]:
    return [f"{item.key} {item.title!r}" for item in items]


async def _create_all(provider: Provider[Any], inputs: Sequence[CreateItemInput], limit: int) -> list[Item]:
    """Create concurrently, at most ``limit`` at a time, keeping the input order in the result."""
    gate = asyncio.Semaphore(limit)

    async def one(item: CreateItemInput) -> Item:
        async with gate:
            return await provider.create_item(item)

    return list(await asyncio.gather(*(one(item) for item in inputs)))


async def _bounded(call: Awaitable[_T], settings: ConformanceSettings, what: str) -> _T:
    """Await ``call`` but turn a hang into a clear test failure."""
    try:
        async with asyncio.timeout(settings.call_timeout):
            return await call
    except TimeoutError:
        pytest.fail(f"{what} did not return within {settings.call_timeout}s; it must fail fast instead of hanging")


class ProviderConformance:
    """Subclass as ``Test...`` and define the ``make_provider`` fixture to run the contract on a provider."""

    @pytest.fixture
    def conformance_settings(self) -> ConformanceSettings:
        """Override to describe the provider under test (its page size, how much concurrency to try)."""
        return ConformanceSettings()

    @pytest_asyncio.fixture
    async def provider(self, make_provider: Callable[[], Provider[Any]]) -> AsyncIterator[Provider[Any]]:
        """A fresh provider from ``make_provider``, entered for the test and exited after it."""
        fresh = make_provider()
        assert isinstance(fresh, Provider), f"make_provider() must return a Provider, got {fresh!r}"
        async with fresh as entered:
            assert entered is fresh, "__aenter__ must return the provider itself"
            yield entered

    # -- discovery -------------------------------------------------------------------------------

    @pytest.mark.asyncio
    async def test_declares_discovery_capabilities(self, provider: Provider[Any]) -> None:
        missing = sorted(DISCOVERY_CAPABILITIES - provider.capabilities)
        assert not missing, f"every provider must offer the discovery capabilities; {provider.name} lacks {missing}"

    @pytest.mark.asyncio
    async def test_search_filter_is_conjunctive(self, provider: Provider[Any]) -> None:
        m = _Marker.new()
        label_only = await provider.create_item(m.create("label only", in_body=False))
        body_only = await provider.create_item(m.create("body only", labels=()))
        both = await provider.create_item(m.create("label and body"))
        two_labels = await provider.create_item(m.create("two labels and body", labels=(m.label, m.other_label)))
        everything = [label_only, body_only, both, two_labels]

        cases = [
            (m.filters(m.label), {both.id, two_labels.id}, "label AND body text"),
            (m.filters(m.label, m.other_label), {two_labels.id}, "two labels AND body text"),
            (
                m.filters(m.label, m.other_label, body=False),
                {two_labels.id},
                "two labels (AND), no body text",
            ),
        ]
        for filters, expected, meaning in cases:
            found = await provider.search_items(filters)
            got = set(_ids(found))
            assert got == expected, (
                f"search for {meaning} must return only items matching every condition; "
                f"expected {_describe(i for i in everything if i.id in expected)}, got {_describe(found)}"
            )

    @pytest.mark.asyncio
    async def test_search_returns_every_page(
        self, provider: Provider[Any], conformance_settings: ConformanceSettings
    ) -> None:
        m = _Marker.new()
        count = conformance_settings.page_size + 5
        created = await _create_all(
            provider, [m.create(f"paging {n}") for n in range(count)], conformance_settings.concurrency
        )
        found = await provider.search_items(m.filters())
        ids = _ids(found)
        assert len(ids) == len(set(ids)), "search returned some items more than once"
        missing = set(_ids(created)) - set(ids)
        assert not missing, (
            f"search returned {len(set(ids))} of {count} matching items "
            f"(page size {conformance_settings.page_size}); "
            "it must page through every result or fail, never truncate silently"
        )
        assert set(ids) == set(_ids(created)), "search returned items that do not match the filter"

    @pytest.mark.asyncio
    async def test_search_returns_each_item_once(self, provider: Provider[Any]) -> None:
        m = _Marker.new()
        created = [await provider.create_item(m.create(f"once {n}", labels=(m.label, m.other_label))) for n in range(3)]
        for filters in (m.filters(m.label), m.filters(m.label, m.other_label), m.filters(m.other_label)):
            counts = Counter(_ids(await provider.search_items(filters)))
            repeated = sorted(item_id for item_id, n in counts.items() if n > 1)
            assert not repeated, f"search must return the de-duplicated union; {repeated} came back more than once"
            assert set(counts) == set(_ids(created))

    # -- items -----------------------------------------------------------------------------------

    @pytest.mark.asyncio
    async def test_create_get_update_delete_round_trip(self, provider: Provider[Any]) -> None:
        m = _Marker.new()
        request = m.create("round trip", labels=(m.label, "conformance-extra"), item_type=PlanItemType.STORY)
        created = await provider.create_item(request)
        for field in ("id", "key", "url"):
            value = getattr(created, field)
            assert isinstance(value, str), f"created item's {field} must be a string, got {value!r}"
            assert value.strip(), f"created item needs a non-empty {field}"
        assert (created.title, created.body, created.item_type) == (
            request.title,
            request.body,
            request.item_type,
        )
        assert {label.casefold() for label in request.labels} <= _labels(created), "created item lost input labels"
        assert _observable(await provider.get_item(created.id)) == _observable(created)

        change = UpdateItemInput(
            title=f"{request.title} (renamed)", body=f"{request.body}\nupdated\n", item_type=PlanItemType.EPIC
        )
        updated = await provider.update_item(created.id, change)
        assert (updated.id, updated.key, updated.url) == (created.id, created.key, created.url)
        assert (updated.title, updated.body, updated.item_type) == (
            change.title,
            change.body,
            change.item_type,
        )
        assert _observable(await provider.get_item(created.id)) == _observable(updated), "get_item shows stale data"

        if Capability.ITEM_DELETE not in provider.capabilities:
            with pytest.raises(ProviderCapabilityError):
                await provider.delete_item(created.id)
            return
        await provider.delete_item(created.id)
        with pytest.raises(ItemNotFoundError):
            await provider.get_item(created.id)
        with pytest.raises(ItemNotFoundError):
            await provider.delete_item(created.id)
        assert created.id not in _ids(await provider.search_items(m.filters())), "search still finds a deleted item"

    @pytest.mark.asyncio
    async def test_update_leaves_none_fields_alone(self, provider: Provider[Any]) -> None:
        m = _Marker.new()
        created = await provider.create_item(m.create("none fields", item_type=PlanItemType.STORY))

        renamed = await provider.update_item(created.id, UpdateItemInput(title=f"{created.title} v2"))
        assert renamed.title == f"{created.title} v2"
        assert (renamed.body, renamed.item_type, _labels(renamed)) == (
            created.body,
            created.item_type,
            _labels(created),
        ), "update_item changed a field it was given as None"

        rewritten = await provider.update_item(created.id, UpdateItemInput(body=f"{created.body}v2\n"))
        assert (rewritten.title, rewritten.body) == (renamed.title, f"{created.body}v2\n")

        untouched = await provider.update_item(created.id, UpdateItemInput())
        assert _observable(untouched) == _observable(rewritten), "an all-None update must change nothing"
        assert _observable(await provider.get_item(created.id)) == _observable(rewritten)

    @pytest.mark.asyncio
    async def test_update_adds_labels_without_removing_any(self, provider: Provider[Any]) -> None:
        m = _Marker.new()
        created = await provider.create_item(m.create("labels", labels=(m.label, "keep-me")))
        updated = await provider.update_item(created.id, UpdateItemInput(labels=(m.label, "added")))
        for item in (updated, await provider.get_item(created.id)):
            assert {m.label.casefold(), "keep-me", "added"} <= _labels(item), (
                f"labels are additive: update must keep 'keep-me' and add 'added', got {sorted(item.labels)}"
            )
            assert _labels(created) <= _labels(item), "update_item removed a label"

    @pytest.mark.asyncio
    async def test_update_with_identical_values_changes_nothing(self, provider: Provider[Any]) -> None:
        m = _Marker.new()
        created = await provider.create_item(m.create("identical", labels=(m.label, "keep-me")))
        before = await provider.get_item(created.id)
        same = UpdateItemInput(
            title=before.title, body=before.body, item_type=before.item_type, labels=tuple(before.labels)
        )
        returned = await provider.update_item(created.id, same)
        assert _observable(returned) == _observable(before), "an update with identical values changed the item"
        assert _observable(await provider.get_item(created.id)) == _observable(before)

    # -- relations -------------------------------------------------------------------------------

    @pytest.mark.asyncio
    async def test_set_parent_and_add_dependency(self, provider: Provider[Any]) -> None:
        m = _Marker.new()
        parent, child, blocker = await _create_all(
            provider,
            [m.create("parent", item_type=PlanItemType.STORY), m.create("child"), m.create("blocker")],
            3,
        )
        if Capability.RELATION_PARENT in provider.capabilities:
            for _ in range(2):  # already the parent counts as success
                await child.set_parent(parent)
                assert (await child.get_relations()).parent_id == parent.id
        else:
            with pytest.raises(ProviderCapabilityError):
                await child.set_parent(parent)
        if Capability.RELATION_BLOCKED_BY in provider.capabilities:
            for _ in range(2):  # already blocked counts as success
                await child.add_dependency(blocker)
                assert (await child.get_relations()).blocker_ids == (blocker.id,)
        else:
            with pytest.raises(ProviderCapabilityError):
                await child.add_dependency(blocker)

    @pytest.mark.asyncio
    async def test_create_under_a_parent(self, provider: Provider[Any]) -> None:
        m = _Marker.new()
        parent = await provider.create_item(m.create("parent at create", item_type=PlanItemType.STORY))
        child = await provider.create_item(attrs.evolve(m.create("child at create"), parent_id=parent.id))
        relations = await child.get_relations()
        if Capability.RELATION_PARENT in provider.capabilities:
            assert relations.parent_id == parent.id, "create_item ignored parent_id"
        else:
            assert relations.parent_id is None, "a provider without relations.parent set a parent"

    @pytest.mark.asyncio
    async def test_relations_reconcile_idempotently(self, provider: Provider[Any]) -> None:
        m = _Marker.new()
        first, second, child, b1, b2 = await _create_all(
            provider,
            [
                m.create("first parent", item_type=PlanItemType.STORY),
                m.create("second parent", item_type=PlanItemType.STORY),
                m.create("child"),
                m.create("blocker 1"),
                m.create("blocker 2"),
            ],
            5,
        )
        has_parent = Capability.RELATION_PARENT in provider.capabilities
        has_blockers = Capability.RELATION_BLOCKED_BY in provider.capabilities
        if not has_parent:
            with pytest.raises(ProviderCapabilityError):
                await child.set_parent(first)
        if not has_blockers:
            with pytest.raises(ProviderCapabilityError):
                await child.add_dependency(b1)
        if not (has_parent and has_blockers):
            return

        async def reconcile(parent: Item | None, blockers: list[Item], meaning: str) -> None:
            for attempt in ("first", "repeated"):
                await child.reconcile_relations(parent=parent, blockers=blockers)
                # Read through a fresh copy and the batch read too: relations live in the tracker.
                views = {
                    "the item": await child.get_relations(),
                    "a fresh get_item copy": await (await provider.get_item(child.id)).get_relations(),
                    "fetch_relations": (await provider.fetch_relations([child, first]))[child.id],
                }
                expected = (None if parent is None else parent.id, set(_ids(blockers)))
                for view, relations in views.items():
                    assert (relations.parent_id, set(relations.blocker_ids)) == expected, (
                        f"after the {attempt} reconcile ({meaning}) {view} shows parent "
                        f"{relations.parent_id} and blockers {sorted(relations.blocker_ids)}; "
                        f"expected {expected}"
                    )

        await reconcile(first, [b1, b2], "set parent and two blockers")
        await reconcile(second, [b1, b2], "move to another parent")
        await reconcile(second, [b1], "remove a blocker")
        await reconcile(None, [], "remove the parent and all blockers")

    # -- concurrency -----------------------------------------------------------------------------

    @pytest.mark.asyncio
    async def test_concurrent_creates_give_distinct_items(
        self, provider: Provider[Any], conformance_settings: ConformanceSettings
    ) -> None:
        m = _Marker.new()
        count = conformance_settings.concurrency
        created = await asyncio.gather(*(provider.create_item(m.create(f"concurrent {n}")) for n in range(count)))
        for field in ("id", "key", "url"):
            values = Counter(getattr(item, field) for item in created)
            clashes = sorted(value for value, n in values.items() if n > 1)
            assert not clashes, f"{count} concurrent creates produced the same {field} more than once: {clashes}"
        assert sorted(item.title for item in created) == sorted(f"[conformance] concurrent {n}" for n in range(count))
        found = _ids(await provider.search_items(m.filters()))
        assert sorted(found) == sorted(_ids(created)), "search does not find exactly the concurrently created items"

    # -- lifecycle -------------------------------------------------------------------------------

    @pytest.mark.asyncio
    async def test_context_is_immutable_after_enter(self, provider: Provider[Any]) -> None:
        context = provider.context
        assert isinstance(context, ProviderContext), "the context must be a ProviderContext (a frozen attrs class)"
        for field in attrs.fields(type(context)):
            value = getattr(context, field.name)
            with pytest.raises((attrs.exceptions.FrozenInstanceError, AttributeError)):
                setattr(context, field.name, value)
            assert not isinstance(value, _MUTABLE_BUILTINS), (
                f"context field {field.name!r} holds a mutable {type(value).__name__}; "
                "store a tuple, frozenset or frozen_mapping() instead"
            )
        m = _Marker.new()
        await provider.create_item(m.create("context"))
        await provider.search_items(m.filters())
        assert provider.context == context, "the context changed after enter"

    @pytest.mark.asyncio
    async def test_entering_twice_fails(self, provider: Provider[Any]) -> None:
        context = provider.context
        with pytest.raises(ProviderError):
            await provider.__aenter__()
        # The refused second enter must not tear down the first.
        assert provider.context == context
        m = _Marker.new()
        created = await provider.create_item(m.create("after double enter"))
        assert _ids(await provider.search_items(m.filters())) == [created.id]

    @pytest.mark.asyncio
    async def test_exit_is_clean(
        self, make_provider: Callable[[], Provider[Any]], conformance_settings: ConformanceSettings
    ) -> None:
        m = _Marker.new()
        provider = make_provider()
        async with provider as entered:
            assert entered is provider, "__aenter__ must return the provider itself"
            item = await provider.create_item(m.create("before exit"))

        with pytest.raises(ProviderError):
            _ = provider.context
        calls: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("search_items", lambda: provider.search_items(m.filters())),
            ("create_item", lambda: provider.create_item(m.create("after exit"))),
            ("get_item", lambda: provider.get_item(item.id)),
            ("update_item", lambda: provider.update_item(item.id, UpdateItemInput(title="after exit"))),
            ("Item.get_relations", item.get_relations),
        ]
        for name, call in calls:
            with pytest.raises(ProviderError):
                await _bounded(call(), conformance_settings, f"{name} on an exited provider")

        try:
            await provider.__aenter__()
        except ProviderError as exc:
            pytest.fail(f"the provider could not be entered again after a clean exit: {exc!r}")
        try:
            again = await provider.create_item(m.create("after re-enter"))
            assert (await provider.get_item(again.id)).id == again.id
            assert again.id in _ids(await provider.search_items(m.filters()))
        finally:
            await provider.__aexit__(None, None, None)

    @pytest.mark.asyncio
    async def test_required_capabilities_are_checked_on_enter(self, make_provider: Callable[[], Provider[Any]]) -> None:
        async with make_provider() as probe:
            declared = probe.capabilities
        lacking = sorted(set(Capability) - declared)
        template = make_provider()

        def requiring(capabilities: frozenset[Capability]) -> Provider[Any]:
            config = attrs.evolve(template.config, required_capabilities=capabilities)
            return type(template)(config)

        if lacking:
            provider = requiring(declared | {lacking[0]})
            with pytest.raises(ProviderCapabilityError) as failure:
                await provider.__aenter__()
            assert lacking[0] in failure.value.missing, f"the error must name {lacking[0]!r}: {failure.value}"
            with pytest.raises(ProviderError):
                _ = provider.context  # a failed enter must not leave the provider half-entered
        provider = requiring(declared)
        async with provider:
            assert provider.capabilities == declared
