"""Checks of one item's create, get, update and delete, and of ids that never existed."""

from __future__ import annotations

from typing import Any

import pytest

from planpilot_providers_core.capabilities import Capability
from planpilot_providers_core.contracts import PlanItemType, UpdateItemInput
from planpilot_providers_core.errors import ItemNotFoundError, ProviderCapabilityError
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.testing.conformance.calls import _create, _get, _ok, _search, _update
from planpilot_providers_core.testing.conformance.checks import (
    _create_call,
    _describe,
    _expect,
    _expect_fields,
    _ids,
    _labels,
    _observable,
    _raises,
    _search_call,
    _update_call,
)
from planpilot_providers_core.testing.conformance.marker import _Marker


class ItemChecks:
    """An item's round trip through the provider, and ``ItemNotFoundError`` for a missing id."""

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
