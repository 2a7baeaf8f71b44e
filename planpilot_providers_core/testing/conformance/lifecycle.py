"""Checks of entering and exiting: a frozen context, no double enter, a clean exit, required capabilities."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
import pytest

from planpilot_providers_core.capabilities import Capability
from planpilot_providers_core.context import ProviderContext, mutable_members
from planpilot_providers_core.contracts import UpdateItemInput
from planpilot_providers_core.errors import ProviderCapabilityError, ProviderError
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.testing.conformance.calls import _bounded, _create, _get, _search
from planpilot_providers_core.testing.conformance.checks import (
    _create_call,
    _describe,
    _expect,
    _expect_fields,
    _fail,
    _ids,
    _names,
    _raised,
    _raises,
    _raises_now,
    _search_call,
    _show,
    _update_call,
)
from planpilot_providers_core.testing.conformance.marker import _Marker
from planpilot_providers_core.testing.conformance.settings import ConformanceSettings


class LifecycleChecks:
    """The provider as an async context manager, from enter to exit and back."""

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
