"""``ProviderConformance``: the provider contract as a pytest base class (usage: package docstring).

Every failure names the provider call, what the contract expected and what came back (see
:func:`_fail`), so a provider author can act on it without reading the suite.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, NoReturn, TypeAlias, TypeVar

import attrs
import pytest
import pytest_asyncio

from planpilot_providers_core.capabilities import DISCOVERY_CAPABILITIES, Capability, undeclared, unresolved
from planpilot_providers_core.context import ProviderContext, mutable_members
from planpilot_providers_core.contracts import (
    CreateItemInput,
    Item,
    ItemRelations,
    ItemSearchFilters,
    PlanItemType,
    UpdateItemInput,
)
from planpilot_providers_core.errors import (
    CreateItemPartialFailureError,
    ItemNotFoundError,
    PluginError,
    ProviderCapabilityError,
    ProviderError,
)
from planpilot_providers_core.progress import failing_after
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.steps import CreateStep

__all__ = [
    "ConformanceSettings",
    "CreateFailureInjector",
    "ProviderConformance",
    "failing_after",
    "failing_after_or_skip",
]

_T = TypeVar("_T")
_E = TypeVar("_E", bound=BaseException)

#: How the suite makes ``create_item`` fail right after ``step``: a context manager the suite enters
#: around one ``create_item`` call. Core's :func:`~planpilot_providers_core.progress.failing_after`
#: is one, for providers that record their steps with ``CreateProgress``.
CreateFailureInjector: TypeAlias = Callable[[CreateStep], contextlib.AbstractContextManager[object]]


def failing_after_or_skip(step: CreateStep) -> contextlib.AbstractContextManager[object]:
    """The default ``inject_create_failure``: core's ``failing_after``, without the author's say-so.

    It works for every provider that records its steps with ``CreateProgress``. A provider that
    records none under it is taken as not having opted in: the partial-failure test is skipped and
    says why. Returning ``failing_after`` (or your own injector) from the fixture opts in, and then
    a create that never fails is a test failure instead.
    """
    return failing_after(step)


@attrs.frozen(kw_only=True)
class ConformanceSettings:
    """What the suite needs to know about the provider under test."""

    page_size: int = attrs.field(default=100, validator=[attrs.validators.instance_of(int), attrs.validators.gt(0)])
    """The provider's search page size; the paging test creates ``page_size + 5`` matching items."""
    concurrency: int = attrs.field(default=50, validator=[attrs.validators.instance_of(int), attrs.validators.gt(1)])
    """How many creates the concurrency test runs at once; also bounds the suite's own bulk creates."""
    call_timeout: float = attrs.field(default=30.0, validator=attrs.validators.gt(0))
    """Seconds a call on an exited provider may take before the suite calls it a hang."""


# -- failure messages: the rule, the provider call, what was expected, what came back ------------


def _message(rule: str, *, call: str, expected: object, got: object) -> str:
    return f"{rule}\n  call:     {call}\n  expected: {expected}\n  got:      {got}"


def _fail(rule: str, *, call: str, expected: object, got: object) -> NoReturn:
    """Fail the test, naming the broken rule, the provider call, what was expected and what came back."""
    __tracebackhide__ = True
    raise AssertionError(_message(rule, call=call, expected=expected, got=got))


def _expect(ok: object, rule: str, *, call: str, expected: object, got: object) -> None:
    """:func:`_fail` unless ``ok``."""
    __tracebackhide__ = True
    if not ok:
        _fail(rule, call=call, expected=expected, got=got)


def _kind(kind: type[BaseException] | tuple[type[BaseException], ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds) + " raised"


def _raised(exc: BaseException) -> str:
    return f"{type(exc).__name__} raised: {exc}"


async def _raises(kind: type[_E], awaitable: Awaitable[object], rule: str, *, call: str) -> _E:
    """Await ``awaitable`` and return the ``kind`` exception it raised; fail on anything else."""
    __tracebackhide__ = True
    try:
        result = await awaitable
    except kind as exc:
        return exc
    except AssertionError:
        raise  # the suite's own verdict (a hang, say), not the provider's answer
    except Exception as exc:
        raise AssertionError(_message(rule, call=call, expected=_kind(kind), got=_raised(exc))) from exc
    _fail(rule, call=call, expected=_kind(kind), got=f"it returned {_show(result)}")


def _raises_now(
    kind: type[BaseException] | tuple[type[BaseException], ...], action: Callable[[], object], rule: str, *, call: str
) -> None:
    """:func:`_raises` for a synchronous action (an attribute read or write)."""
    __tracebackhide__ = True
    try:
        result = action()
    except kind:
        return
    except Exception as exc:
        raise AssertionError(_message(rule, call=call, expected=_kind(kind), got=_raised(exc))) from exc
    _fail(rule, call=call, expected=_kind(kind), got=f"it returned {_show(result)}")


async def _call(awaitable: Awaitable[_T], rule: str, *, call: str, expected: object) -> _T:
    """Await a call that must succeed; an exception becomes a failure naming the call."""
    __tracebackhide__ = True
    try:
        return await awaitable
    except AssertionError:
        raise
    except Exception as exc:
        raise AssertionError(_message(rule, call=call, expected=expected, got=_raised(exc))) from exc


def _show(value: object, limit: int = 400) -> str:
    if isinstance(value, ProviderContext):
        return f"a context ({type(value).__name__} for provider {value.provider!r})"
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _item(item: Item) -> str:
    """An item as a failure message shows it: identity, type and labels."""
    return f"{item.key} {item.title!r} ({item.item_type.value}, labels {sorted(item.labels)})"


def _describe(items: Iterable[Item]) -> list[str]:
    return [f"{item.key} {item.title!r}" for item in items]


def _search_call(filters: ItemSearchFilters) -> str:
    return f"search_items(labels={list(filters.labels)}, body_contains={filters.body_contains!r})"


def _create_call(request: CreateItemInput) -> str:
    extra = "".join(
        f", {name}={value!r}" for name in ("size", "parent_id") if (value := getattr(request, name)) is not None
    )
    labels = list(request.labels)
    return f"create_item(title={request.title!r}, item_type={request.item_type.value}, labels={labels}{extra})"


def _update_call(item_id: str, change: UpdateItemInput) -> str:
    fields = ", ".join(
        f"{field.name}={value.value if isinstance(value, PlanItemType) else value!r}"
        for field in attrs.fields(UpdateItemInput)
        if (value := getattr(change, field.name)) is not None
    )
    return f"update_item({item_id!r}, {fields or 'every field None'})"


def _names(capabilities: Iterable[Capability]) -> list[str]:
    return sorted(capability.value for capability in capabilities)


def _relations(relations: ItemRelations) -> str:
    return f"parent {relations.parent_id}, blockers {list(relations.blocker_ids)}"


# -- items the suite creates ---------------------------------------------------------------------


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


def _observable(item: Item) -> dict[str, object]:
    """Everything a caller can see of an item, in comparable form."""
    return {
        "id": item.id,
        "key": item.key,
        "url": item.url,
        "title": item.title,
        "body": item.body,
        "item_type": item.item_type.value,
        "labels": sorted(_labels(item)),
        "size": item.size,
    }


def _expect_fields(got: Mapping[str, object], expected: Mapping[str, object], rule: str, *, call: str) -> None:
    """:func:`_expect` for records: the message shows only the fields that differ."""
    __tracebackhide__ = True
    differ = [name for name in expected if got.get(name) != expected[name]]
    _expect(
        not differ,
        rule,
        call=call,
        expected={name: expected[name] for name in differ},
        got={name: got.get(name) for name in differ},
    )


def _ids(items: Iterable[Item]) -> list[str]:
    return [item.id for item in items]


async def _ok(awaitable: Awaitable[_T], call: str) -> _T:
    """Await a call the contract says must succeed here."""
    __tracebackhide__ = True
    return await _call(
        awaitable, "a valid call on an entered provider must succeed", call=call, expected="success, no exception"
    )


async def _search(provider: Provider[Any], filters: ItemSearchFilters) -> Sequence[Item]:
    return await _ok(provider.search_items(filters), _search_call(filters))


async def _update(provider: Provider[Any], item_id: str, change: UpdateItemInput) -> Item:
    return await _ok(provider.update_item(item_id, change), _update_call(item_id, change))


async def _create(provider: Provider[Any], request: CreateItemInput) -> Item:
    """``create_item`` that must succeed."""
    return await _call(
        provider.create_item(request),
        "create_item must create the item",
        call=_create_call(request),
        expected="the created item",
    )


async def _get(provider: Provider[Any], item_id: str, why: str) -> Item:
    """``get_item`` of an item that exists."""
    return await _call(
        provider.get_item(item_id),
        f"get_item must return an existing item ({why})",
        call=f"get_item({item_id!r})",
        expected="the item",
    )


async def _create_all(provider: Provider[Any], inputs: Sequence[CreateItemInput], limit: int) -> list[Item]:
    """Create concurrently, at most ``limit`` at a time, keeping the input order in the result."""
    gate = asyncio.Semaphore(limit)

    async def one(item: CreateItemInput) -> Item:
        async with gate:
            return await _create(provider, item)

    return list(await asyncio.gather(*(one(item) for item in inputs)))


async def _bounded(call: Awaitable[_T], settings: ConformanceSettings, what: str) -> _T:
    """Await ``call`` but turn a hang into a clear test failure."""
    __tracebackhide__ = True
    try:
        async with asyncio.timeout(settings.call_timeout):
            return await call
    except TimeoutError:
        _fail(
            "a provider must fail fast instead of hanging",
            call=what,
            expected=f"an answer within {settings.call_timeout}s",
            got=f"no answer: did not return within {settings.call_timeout}s",
        )


def _declared_capabilities(provider: Provider[Any]) -> tuple[frozenset[Capability], str]:
    """What the provider's registration declares, and where that came from."""
    declared = provider.config.declared_capabilities
    if declared is not None:
        return declared, "config.declared_capabilities, set by the factory from the registration"
    from planpilot_providers_core.registry import get_registry

    try:
        registered = get_registry().get(provider.name)
    except (ValueError, PluginError) as exc:
        _fail(
            "the suite compares the capabilities a provider resolves with those its registration declares",
            call=f"get_registry().get({provider.name!r})",
            expected=f"the ProviderSpec registered as {provider.name!r} (install the plugin, e.g. pip install -e .)",
            got=_raised(exc),
        )
    return registered.spec.capabilities, f"the ProviderSpec registered as {provider.name!r}"


class ProviderConformance:
    """Subclass as ``Test...`` and define the ``make_provider`` fixture to run the contract on a provider."""

    @pytest.fixture
    def conformance_settings(self) -> ConformanceSettings:
        """Override to describe the provider under test (its page size, how much concurrency to try)."""
        return ConformanceSettings()

    @pytest.fixture
    def missing_item_id(self) -> str:
        """An id no item has ever had; override it with one shaped like your tracker's ids."""
        return f"ppc-missing-{uuid.uuid4().hex}"

    @pytest.fixture
    def inject_create_failure(self) -> CreateFailureInjector | None:
        """How the suite makes ``create_item`` fail right after a step (see the package docstring).

        The default is :func:`failing_after_or_skip`. Return :func:`failing_after` (providers that
        record steps with ``CreateProgress``) or your own ``step -> context manager`` to opt in, or
        ``None`` to say your provider cannot inject failures (the test is then skipped).
        """
        return failing_after_or_skip

    @pytest_asyncio.fixture
    async def provider(self, make_provider: Callable[[], Provider[Any]]) -> AsyncIterator[Provider[Any]]:
        """A fresh provider from ``make_provider``, entered for the test and exited after it."""
        fresh = make_provider()
        _expect(
            isinstance(fresh, Provider),
            "make_provider() must return a fresh, not entered Provider",
            call="make_provider()",
            expected="a Provider instance",
            got=_show(fresh),
        )
        async with fresh as entered:
            _expect(
                entered is fresh,
                "__aenter__ must return the provider itself",
                call="provider.__aenter__()",
                expected=_show(fresh),
                got=_show(entered),
            )
            yield entered

    # -- capabilities ----------------------------------------------------------------------------

    @pytest.mark.asyncio
    async def test_declares_discovery_capabilities(self, provider: Provider[Any]) -> None:
        missing = sorted(DISCOVERY_CAPABILITIES - provider.capabilities)
        _expect(
            not missing,
            "every provider must offer the discovery capabilities",
            call="provider.__aenter__(), then provider.capabilities",
            expected=f"at least {_names(DISCOVERY_CAPABILITIES)}",
            got=f"{_names(provider.capabilities)} (lacking {_names(missing)})",
        )

    @pytest.mark.asyncio
    async def test_resolves_exactly_the_declared_capabilities(self, provider: Provider[Any]) -> None:
        declared, source = _declared_capabilities(provider)
        resolved = provider.capabilities
        call = "provider.__aenter__(), then provider.capabilities"
        extra = undeclared(declared, resolved)
        _expect(
            not extra,
            "every capability a provider resolves must be declared by its registration "
            "(the factory and `planpilot-providers check` trust the declaration)",
            call=call,
            expected=f"a subset of {_names(declared)} ({source})",
            got=f"{_names(resolved)}, of which {_names(extra)} are not declared",
        )
        missing = unresolved(declared, resolved)
        _expect(
            not missing,
            "every capability a registration declares must be resolved on enter "
            "(one of types.native / types.label stands for both)",
            call=call,
            expected=f"all of {_names(declared)} ({source})",
            got=f"{_names(resolved)}, lacking {_names(missing)}",
        )

    # -- discovery -------------------------------------------------------------------------------

    @pytest.mark.asyncio
    async def test_search_filter_is_conjunctive(self, provider: Provider[Any]) -> None:
        m = _Marker.new()
        label_only = await _create(provider, m.create("label only", in_body=False))
        body_only = await _create(provider, m.create("body only", labels=()))
        both = await _create(provider, m.create("label and body"))
        two_labels = await _create(provider, m.create("two labels and body", labels=(m.label, m.other_label)))
        everything = [label_only, body_only, both, two_labels]

        cases = [
            (m.filters(m.label), {both.id, two_labels.id}, "label AND body text"),
            (m.filters(m.label, m.other_label), {two_labels.id}, "two labels AND body text"),
            (m.filters(m.label, m.other_label, body=False), {two_labels.id}, "two labels (AND), no body text"),
        ]
        for filters, expected, meaning in cases:
            found = await _call(
                provider.search_items(filters), "search_items must answer", call=_search_call(filters), expected="items"
            )
            _expect(
                set(_ids(found)) == expected,
                f"search must return only items matching every condition ({meaning})",
                call=_search_call(filters),
                expected=_describe(i for i in everything if i.id in expected),
                got=_describe(found),
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
        filters = m.filters()
        found = await _search(provider, filters)
        ids = _ids(found)
        repeated = sorted(item_id for item_id, n in Counter(ids).items() if n > 1)
        _expect(
            not repeated,
            "search must return each matching item once",
            call=_search_call(filters),
            expected=f"{count} distinct items",
            got=f"{len(ids)} items; these more than once: {repeated}",
        )
        missing = set(_ids(created)) - set(ids)
        _expect(
            not missing,
            f"search must page through every result or fail, never truncate silently "
            f"(page size {conformance_settings.page_size})",
            call=_search_call(filters),
            expected=f"all {count} matching items",
            got=f"returned {len(set(ids))} of {count}; missing {len(missing)}",
        )
        _expect(
            set(ids) == set(_ids(created)),
            "search must return only items matching the filter",
            call=_search_call(filters),
            expected=f"the {count} items created for this test",
            got=f"also {_describe(i for i in found if i.id not in set(_ids(created)))}",
        )

    @pytest.mark.asyncio
    async def test_search_returns_each_item_once(self, provider: Provider[Any]) -> None:
        m = _Marker.new()
        created = [await _create(provider, m.create(f"once {n}", labels=(m.label, m.other_label))) for n in range(3)]
        for filters in (m.filters(m.label), m.filters(m.label, m.other_label), m.filters(m.other_label)):
            found = await _search(provider, filters)
            counts = Counter(_ids(found))
            repeated = sorted(item_id for item_id, n in counts.items() if n > 1)
            _expect(
                not repeated and set(counts) == set(_ids(created)),
                "search must return the de-duplicated union: every match exactly once",
                call=_search_call(filters),
                expected=_describe(created),
                got=_describe(found),
            )

    # -- items -----------------------------------------------------------------------------------

    @pytest.mark.asyncio
    async def test_create_get_update_delete_round_trip(self, provider: Provider[Any]) -> None:
        m = _Marker.new()
        request = m.create("round trip", labels=(m.label, "conformance-extra"), item_type=PlanItemType.STORY)
        created = await _create(provider, request)
        create_call = _create_call(request)
        for field in ("id", "key", "url"):
            value = getattr(created, field)
            _expect(
                isinstance(value, str) and value.strip(),
                f"a created item needs a non-empty string {field}",
                call=create_call,
                expected=f"{field}: a non-empty string",
                got=f"{field}: {value!r}",
            )
        _expect_fields(
            _observable(created),
            {"title": request.title, "body": request.body, "item_type": request.item_type.value},
            "create_item must return the item as requested",
            call=create_call,
        )
        _expect(
            {label.casefold() for label in request.labels} <= _labels(created),
            "a created item carries every requested label",
            call=create_call,
            expected=f"labels including {list(request.labels)}",
            got=f"labels {sorted(created.labels)}",
        )
        fetched = await _get(provider, created.id, "just created")
        _expect_fields(
            _observable(fetched),
            _observable(created),
            "get_item must show what create_item returned",
            call=f"get_item({created.id!r}) after {create_call}",
        )

        change = UpdateItemInput(
            title=f"{request.title} (renamed)", body=f"{request.body}\nupdated\n", item_type=PlanItemType.EPIC
        )
        update_call = _update_call(created.id, change)
        updated = await _update(provider, created.id, change)
        _expect_fields(
            _observable(updated),
            {"id": created.id, "key": created.key, "url": created.url},
            "update_item keeps the item's identity",
            call=update_call,
        )
        _expect_fields(
            _observable(updated),
            {"title": change.title, "body": change.body, "item_type": PlanItemType.EPIC.value},
            "update_item must apply the given fields",
            call=update_call,
        )
        fetched = await _get(provider, created.id, "just updated")
        _expect_fields(
            _observable(fetched),
            _observable(updated),
            "get_item must show the update (no stale data)",
            call=f"get_item({created.id!r}) after {update_call}",
        )

        if Capability.ITEM_DELETE not in provider.capabilities:
            await _raises(
                ProviderCapabilityError,
                provider.delete_item(created.id),
                "a provider without items.delete must refuse to delete",
                call=f"delete_item({created.id!r})",
            )
            return
        await _ok(provider.delete_item(created.id), f"delete_item({created.id!r})")
        await _raises(
            ItemNotFoundError,
            provider.get_item(created.id),
            "get_item of a deleted item must raise ItemNotFoundError",
            call=f"get_item({created.id!r}) after delete_item",
        )
        await _raises(
            ItemNotFoundError,
            provider.delete_item(created.id),
            "deleting a deleted item must raise ItemNotFoundError",
            call=f"delete_item({created.id!r}) a second time",
        )
        filters = m.filters()
        found = await _search(provider, filters)
        _expect(
            created.id not in _ids(found),
            "search must not find a deleted item",
            call=f"{_search_call(filters)} after delete_item",
            expected=f"no {created.key}",
            got=_describe(found),
        )

    @pytest.mark.asyncio
    async def test_get_of_a_missing_id_raises_item_not_found(
        self, provider: Provider[Any], missing_item_id: str
    ) -> None:
        await _raises(
            ItemNotFoundError,
            provider.get_item(missing_item_id),
            "get_item of an id that never existed must raise ItemNotFoundError, never return None or a placeholder",
            call=f"get_item({missing_item_id!r})",
        )
        change = UpdateItemInput(title="[conformance] never exists")
        await _raises(
            ItemNotFoundError,
            provider.update_item(missing_item_id, change),
            "update_item of an id that never existed must raise ItemNotFoundError, never create or pretend",
            call=_update_call(missing_item_id, change),
        )
        if Capability.ITEM_DELETE in provider.capabilities:
            await _raises(
                ItemNotFoundError,
                provider.delete_item(missing_item_id),
                "delete_item of an id that never existed must raise ItemNotFoundError",
                call=f"delete_item({missing_item_id!r})",
            )

    @pytest.mark.asyncio
    async def test_update_leaves_none_fields_alone(self, provider: Provider[Any]) -> None:
        m = _Marker.new()
        created = await _create(provider, attrs.evolve(m.create("none fields", item_type=PlanItemType.STORY), size="M"))
        rule = "update_item must leave every field given as None as it is"

        async def check(change: UpdateItemInput, before: Item, **wanted: object) -> Item:
            expected = {**_observable(before), **wanted}
            call = _update_call(created.id, change)
            returned = await _update(provider, created.id, change)
            for view, item in (("returned", returned), ("get_item", await _get(provider, created.id, "updated"))):
                _expect_fields(_observable(item), expected, f"{rule} ({view})", call=call)
            return returned

        renamed = await check(UpdateItemInput(title=f"{created.title} v2"), created, title=f"{created.title} v2")
        rewritten = await check(UpdateItemInput(body=f"{created.body}v2\n"), renamed, body=f"{created.body}v2\n")
        await check(UpdateItemInput(), rewritten)  # an all-None update changes nothing

    @pytest.mark.asyncio
    async def test_update_adds_labels_without_removing_any(self, provider: Provider[Any]) -> None:
        m = _Marker.new()
        created = await _create(provider, m.create("labels", labels=(m.label, "keep-me")))
        change = UpdateItemInput(labels=(m.label, "added"))
        updated = await _update(provider, created.id, change)
        wanted = _labels(created) | {"added"}
        for view, item in (("returned", updated), ("get_item", await _get(provider, created.id, "updated"))):
            _expect(
                wanted <= _labels(item),
                f"labels are additive: update_item keeps every label and adds the new ones ({view})",
                call=_update_call(created.id, change),
                expected=f"labels including {sorted(wanted)}",
                got=f"labels {sorted(item.labels)}",
            )

    @pytest.mark.asyncio
    async def test_update_with_identical_values_changes_nothing(self, provider: Provider[Any]) -> None:
        m = _Marker.new()
        created = await _create(provider, m.create("identical", labels=(m.label, "keep-me")))
        before = await _get(provider, created.id, "just created")
        same = UpdateItemInput(
            title=before.title, body=before.body, item_type=before.item_type, labels=tuple(before.labels)
        )
        call = _update_call(created.id, same)
        returned = await _update(provider, created.id, same)
        after = await _get(provider, created.id, "updated")
        for view, item in (("returned", returned), ("get_item", after)):
            _expect_fields(
                _observable(item),
                _observable(before),
                f"an update with identical values must change nothing ({view})",
                call=call,
            )

    @pytest.mark.asyncio
    async def test_type_change_swaps_the_type_label(self, provider: Provider[Any]) -> None:
        m = _Marker.new()
        task, story = await _create_all(
            provider,
            [m.create("type task", item_type=PlanItemType.TASK), m.create("type story", item_type=PlanItemType.STORY)],
            2,
        )
        task = await _get(provider, task.id, "just created")
        story = await _get(provider, story.id, "just created")
        # Created with the same labels, the two differ by exactly their type labels (if any).
        task_only, story_only = _labels(task) - _labels(story), _labels(story) - _labels(task)
        by_label = Capability.ITEM_TYPES_LABEL in provider.capabilities
        if by_label:
            _expect(
                task_only and story_only,
                "a provider with types.label expresses the type as a label: a TASK and a STORY created with the "
                "same labels must differ by their type labels",
                call=f"{_create_call(m.create('type task'))}, and the same as STORY",
                expected="a label only the TASK has and one only the STORY has",
                got=f"TASK labels {sorted(task.labels)}, STORY labels {sorted(story.labels)}",
            )
        change = UpdateItemInput(item_type=PlanItemType.STORY)
        call = f"{_update_call(task.id, change)} of a TASK"
        returned = await _update(provider, task.id, change)
        for view, item in (("returned", returned), ("get_item", await _get(provider, task.id, "retyped"))):
            _expect(
                item.item_type is PlanItemType.STORY,
                f"after a type change the item reads back as the new type ({view})",
                call=call,
                expected="item_type STORY",
                got=f"item_type {item.item_type.value}",
            )
            if by_label:
                labels = _labels(item)
                _expect(
                    story_only <= labels and not task_only & labels and m.label.casefold() in labels,
                    f"a type change replaces the old type's label with the new type's and keeps the others ({view}); "
                    "a dry run must preview what the tracker does",
                    call=call,
                    expected=f"labels with {sorted(story_only)} and {m.label}, without {sorted(task_only)}",
                    got=f"labels {sorted(item.labels)}",
                )

    @pytest.mark.asyncio
    async def test_create_failure_after_each_step_is_reported_as_partial(
        self, provider: Provider[Any], inject_create_failure: CreateFailureInjector | None
    ) -> None:
        if inject_create_failure is None:
            pytest.skip(
                f"provider {provider.name!r}: the inject_create_failure fixture returned None, "
                "so partial-failure reporting is not checked"
            )
        capabilities = provider.capabilities
        parent = None
        if Capability.RELATION_PARENT in capabilities:
            parent = await _create(
                provider, _Marker.new().create("partial-failure parent", item_type=PlanItemType.EPIC)
            )
        for step in CreateStep:
            m = _Marker.new()
            request = attrs.evolve(
                m.create(f"fails after {step.value}", labels=(m.label, m.other_label), item_type=PlanItemType.STORY),
                size="M" if Capability.PROJECT_FIELDS in capabilities else None,
                parent_id=None if parent is None else parent.id,
            )
            call = f"{_create_call(request)}, failing right after {step.value}"
            try:
                with inject_create_failure(step):
                    returned = await provider.create_item(request)
            except CreateItemPartialFailureError as exc:
                failure = exc
            except Exception as exc:
                raise AssertionError(
                    _message(
                        "once the item exists, every failure of create_item must be raised as "
                        "CreateItemPartialFailureError (a plain exception makes the caller create the item again)",
                        call=call,
                        expected="CreateItemPartialFailureError raised",
                        got=_raised(exc),
                    )
                ) from exc
            else:
                if step is not CreateStep.ISSUE_CREATED:
                    continue  # the provider does not record this step (for this input): nothing to check
                if inject_create_failure is failing_after_or_skip:
                    pytest.skip(
                        f"provider {provider.name!r} records no create step with CreateProgress, so partial-failure "
                        "reporting is not checked: record the steps with CreateProgress, or override the "
                        "inject_create_failure fixture (see planpilot_providers_core.testing)"
                    )
                _fail(
                    "issue_created is the step every create completes: an injected failure after it must fail "
                    "create_item (the inject_create_failure fixture opts in to this check)",
                    call=call,
                    expected="CreateItemPartialFailureError raised",
                    got=f"it returned {_item(returned)}",
                )
            await self._check_partial_failure(provider, step, request, failure, m, call)

    async def _check_partial_failure(
        self,
        provider: Provider[Any],
        step: CreateStep,
        request: CreateItemInput,
        failure: CreateItemPartialFailureError,
        m: _Marker,
        call: str,
    ) -> None:
        item_id = failure.created_item_id
        if not (isinstance(item_id, str) and item_id.strip()):
            _fail(
                "CreateItemPartialFailureError must carry the created item's id",
                call=call,
                expected="created_item_id: the new item's id",
                got=f"created_item_id {item_id!r} ({failure})",
            )
        steps = list(failure.completed_steps)
        _expect(
            CreateStep.ISSUE_CREATED in steps and step in steps and len(set(steps)) == len(steps),
            "completed_steps names each completed step once, issue_created and the step the failure came after "
            "included",
            call=call,
            expected=f"completed_steps including {sorted({CreateStep.ISSUE_CREATED.value, step.value})}, none twice",
            got=f"completed_steps {[s.value for s in steps]}",
        )
        found = await _get(provider, item_id, f"created before the failure after {step.value}")
        _expect(
            found.id == item_id and found.title == request.title and m.body in found.body,
            "the item a partial failure names is the one requested",
            call=f"get_item({item_id!r}) after {call}",
            expected=f"{item_id} {request.title!r} with the body marker",
            got=f"{found.id} {found.title!r}, body {found.body!r}",
        )
        discovery = ItemSearchFilters(labels=(provider.config.label,), body_contains=m.body)
        hits = await _search(provider, discovery)
        _expect(
            _ids(hits) == [item_id],
            "a partially created item must be discoverable by the discovery label and its body marker from creation "
            "on, or the next sync creates it again",
            call=f"{_search_call(discovery)} after {call}",
            expected=[f"{found.key} {found.title!r}"],
            got=_describe(hits),
        )
        plan = UpdateItemInput(
            title=request.title,
            body=request.body,
            item_type=request.item_type,
            labels=request.labels,
            size=request.size,
        )
        update = f"{_update_call(item_id, plan)} after {call}"
        updated = await _call(
            provider.update_item(item_id, plan),
            "update_item must finish a partially created item",
            call=update,
            expected="the finished item",
        )
        wanted = {label.casefold() for label in (*request.labels, provider.config.label)}
        for view, item in (("returned", updated), ("get_item", await _get(provider, item_id, "finished"))):
            got = (item.title, item.body, item.item_type, item.size if request.size else None)
            expected = (request.title, request.body, request.item_type, request.size)
            _expect(
                got == expected and wanted <= _labels(item),
                f"update_item with the plan's fields must make a partially created item converge ({view})",
                call=update,
                expected=f"{expected}, labels including {sorted(wanted)}",
                got=f"{got}, labels {sorted(item.labels)}",
            )

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
            for attempt in ("first", "repeated"):  # already the parent counts as success
                await _ok(child.set_parent(parent), f"{child.key}.set_parent({parent.key}) ({attempt} call)")
                relations = await _ok(child.get_relations(), f"{child.key}.get_relations()")
                _expect(
                    relations.parent_id == parent.id,
                    "set_parent makes the item a child of the parent; repeating it changes nothing",
                    call=f"{child.key}.set_parent({parent.key}) ({attempt} call), then get_relations()",
                    expected=f"parent {parent.id}",
                    got=_relations(relations),
                )
        else:
            await _raises(
                ProviderCapabilityError,
                child.set_parent(parent),
                "a provider without relations.parent must refuse set_parent",
                call=f"{child.key}.set_parent({parent.key})",
            )
        if Capability.RELATION_BLOCKED_BY in provider.capabilities:
            for attempt in ("first", "repeated"):  # already blocked counts as success
                await _ok(child.add_dependency(blocker), f"{child.key}.add_dependency({blocker.key}) ({attempt} call)")
                relations = await _ok(child.get_relations(), f"{child.key}.get_relations()")
                _expect(
                    relations.blocker_ids == (blocker.id,),
                    "add_dependency records the blocker once; repeating it changes nothing",
                    call=f"{child.key}.add_dependency({blocker.key}) ({attempt} call), then get_relations()",
                    expected=f"blockers [{blocker.id!r}]",
                    got=_relations(relations),
                )
        else:
            await _raises(
                ProviderCapabilityError,
                child.add_dependency(blocker),
                "a provider without relations.blocked-by must refuse add_dependency",
                call=f"{child.key}.add_dependency({blocker.key})",
            )

    @pytest.mark.asyncio
    async def test_create_under_a_parent(self, provider: Provider[Any]) -> None:
        m = _Marker.new()
        parent = await _create(provider, m.create("parent at create", item_type=PlanItemType.STORY))
        request = attrs.evolve(m.create("child at create"), parent_id=parent.id)
        child = await _create(provider, request)
        relations = await _ok(child.get_relations(), f"{child.key}.get_relations()")
        has_parent = Capability.RELATION_PARENT in provider.capabilities
        _expect(
            relations.parent_id == (parent.id if has_parent else None),
            "create_item places the item under parent_id with relations.parent, and ignores it without",
            call=f"{_create_call(request)}, then get_relations()",
            expected=f"parent {parent.id if has_parent else None}",
            got=_relations(relations),
        )

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
        if not (has_parent and has_blockers):
            await _raises(
                ProviderCapabilityError,
                child.reconcile_relations(parent=first, blockers=[b1]),
                "a provider without relations.parent and relations.blocked-by must refuse reconcile_relations",
                call=f"{child.key}.reconcile_relations(parent={first.key}, blockers=[{b1.key}])",
            )
            return

        async def reconcile(parent: Item | None, blockers: list[Item], meaning: str) -> None:
            expected = ItemRelations(
                parent_id=None if parent is None else parent.id, blocker_ids=sorted(_ids(blockers))
            )
            for attempt in ("first", "repeated"):
                call = (
                    f"{child.key}.reconcile_relations(parent={None if parent is None else parent.key}, "
                    f"blockers={[b.key for b in blockers]}) ({attempt} call, {meaning})"
                )
                await _ok(child.reconcile_relations(parent=parent, blockers=blockers), call)
                # Read through a fresh copy and the batch read too: relations live in the tracker.
                fresh = await _get(provider, child.id, "reconciled")
                batch = await _ok(
                    provider.fetch_relations([child, first]), f"fetch_relations([{child.key}, {first.key}])"
                )
                views = {
                    "the item's get_relations()": await _ok(child.get_relations(), f"{child.key}.get_relations()"),
                    "a fresh get_item copy's get_relations()": await _ok(
                        fresh.get_relations(), f"get_item({child.id!r}).get_relations()"
                    ),
                    "fetch_relations()": batch[child.id],
                }
                for view, relations in views.items():
                    seen = ItemRelations(parent_id=relations.parent_id, blocker_ids=sorted(relations.blocker_ids))
                    _expect(
                        seen == expected,
                        "reconcile_relations makes the tracker show exactly this parent and these blockers, each "
                        f"once, however often it runs (read by {view})",
                        call=call,
                        expected=_relations(expected),
                        got=_relations(seen),
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
        call = f"{count} concurrent create_item calls"
        created = await asyncio.gather(*(_create(provider, m.create(f"concurrent {n}")) for n in range(count)))
        for field in ("id", "key", "url"):
            values = Counter(getattr(item, field) for item in created)
            clashes = sorted(value for value, n in values.items() if n > 1)
            _expect(
                not clashes,
                f"concurrent creates must give distinct items: each its own {field}",
                call=call,
                expected=f"{count} distinct {field}s",
                got=f"the same {field} more than once: {clashes}",
            )
        titles = sorted(item.title for item in created)
        wanted = sorted(f"[conformance] concurrent {n}" for n in range(count))
        _expect(
            titles == wanted,
            "each concurrent create returns its own item",
            call=call,
            expected=f"titles {wanted}",
            got=f"titles {titles}",
        )
        filters = m.filters()
        found = await _search(provider, filters)
        _expect(
            sorted(_ids(found)) == sorted(_ids(created)),
            "search finds exactly the concurrently created items",
            call=f"{_search_call(filters)} after {call}",
            expected=f"{count} items: {_describe(created)}",
            got=f"{len(found)} items: {_describe(found)}",
        )

    # -- lifecycle -------------------------------------------------------------------------------

    @pytest.mark.asyncio
    async def test_context_is_immutable_after_enter(self, provider: Provider[Any]) -> None:
        context = provider.context
        call = "provider.__aenter__(), then provider.context"
        _expect(
            isinstance(context, ProviderContext),
            "the context must be a ProviderContext (a frozen attrs class)",
            call=call,
            expected="a ProviderContext",
            got=_show(context),
        )
        mutable = list(mutable_members(context))
        _expect(
            not mutable,
            "the context must be immutable all the way down, so concurrent calls can share it; store tuples, "
            "frozensets, frozen_mapping() views and frozen attrs classes",
            call=call,
            expected="no member that can change",
            got=f"mutable: {', '.join(mutable)}",
        )
        for field in attrs.fields(type(context)):
            value = getattr(context, field.name)
            _raises_now(
                (attrs.exceptions.FrozenInstanceError, AttributeError),
                functools.partial(setattr, context, field.name, value),
                "the context must be frozen after enter",
                call=f"setattr(provider.context, {field.name!r}, ...)",
            )
        m = _Marker.new()
        await _create(provider, m.create("context"))
        await _search(provider, m.filters())
        _expect_fields(
            attrs.asdict(provider.context, recurse=False),
            attrs.asdict(context, recurse=False),
            "the context must not change after enter",
            call="provider.context after create_item and search_items",
        )

    @pytest.mark.asyncio
    async def test_entering_twice_fails(self, provider: Provider[Any]) -> None:
        context = provider.context
        await _raises(
            ProviderError,
            provider.__aenter__(),
            "entering an entered provider must fail",
            call="provider.__aenter__() on an entered provider",
        )
        # The refused second enter must not tear down the first.
        _expect_fields(
            attrs.asdict(provider.context, recurse=False),
            attrs.asdict(context, recurse=False),
            "a refused second enter leaves the first one intact",
            call="provider.context after a refused second __aenter__()",
        )
        m = _Marker.new()
        created = await _create(provider, m.create("after double enter"))
        filters = m.filters()
        found = await _search(provider, filters)
        _expect(
            _ids(found) == [created.id],
            "the provider keeps working after a refused second enter",
            call=f"{_search_call(filters)} after a refused second __aenter__()",
            expected=_describe([created]),
            got=_describe(found),
        )

    @pytest.mark.asyncio
    async def test_exit_is_clean(
        self, make_provider: Callable[[], Provider[Any]], conformance_settings: ConformanceSettings
    ) -> None:
        m = _Marker.new()
        provider = make_provider()
        async with provider as entered:
            _expect(
                entered is provider,
                "__aenter__ must return the provider itself",
                call="provider.__aenter__()",
                expected=_show(provider),
                got=_show(entered),
            )
            item = await _create(provider, m.create("before exit"))

        _raises_now(
            ProviderError,
            lambda: provider.context,
            "an exited provider has no context",
            call="provider.context after __aexit__()",
        )
        calls: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            (_search_call(m.filters()), lambda: provider.search_items(m.filters())),
            (_create_call(m.create("after exit")), lambda: provider.create_item(m.create("after exit"))),
            (f"get_item({item.id!r})", lambda: provider.get_item(item.id)),
            (
                _update_call(item.id, UpdateItemInput(title="after exit")),
                lambda: provider.update_item(item.id, UpdateItemInput(title="after exit")),
            ),
            (f"{item.key}.get_relations()", item.get_relations),
        ]
        for name, call in calls:
            what = f"{name} on an exited provider"
            await _raises(
                ProviderError,
                _bounded(call(), conformance_settings, what),
                "every call on an exited provider must raise ProviderError",
                call=what,
            )

        try:
            await provider.__aenter__()
        except ProviderError as exc:
            _fail(
                "a provider can be entered again after a clean exit",
                call="provider.__aenter__() after __aexit__()",
                expected="the provider, entered again",
                got=_raised(exc),
            )
        try:
            again = await _create(provider, m.create("after re-enter"))
            fetched = await _get(provider, again.id, "created after re-enter")
            filters = m.filters()
            found = await _search(provider, filters)
            _expect(
                fetched.id == again.id and again.id in _ids(found),
                "a re-entered provider works like a fresh one",
                call=f"get_item({again.id!r}) and {_search_call(filters)} after re-enter",
                expected=f"{again.key} found",
                got=f"get_item: {fetched.key}; search: {_describe(found)}",
            )
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
            call = f"provider.__aenter__() with required_capabilities including {lacking[0].value}, which it lacks"
            failure = await _raises(
                ProviderCapabilityError,
                provider.__aenter__(),
                "entering must fail when a required capability is missing",
                call=call,
            )
            _expect(
                lacking[0] in failure.missing,
                "ProviderCapabilityError names the missing capability",
                call=call,
                expected=f"missing including {lacking[0].value}",
                got=f"missing {sorted(failure.missing)}: {failure}",
            )
            _raises_now(
                ProviderError,
                lambda: provider.context,
                "a failed enter must not leave the provider half-entered",
                call=f"provider.context after {call}",
            )
        provider = requiring(declared)
        async with provider:
            _expect(
                provider.capabilities == declared,
                "the capabilities a provider resolves do not depend on what is required",
                call=f"provider.__aenter__() with required_capabilities {_names(declared)}",
                expected=_names(declared),
                got=_names(provider.capabilities),
            )
