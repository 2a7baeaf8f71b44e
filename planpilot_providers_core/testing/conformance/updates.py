"""Checks of what ``update_item`` changes and leaves alone: None fields, labels, identical values, types."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from planpilot_providers_core.capabilities import Capability
from planpilot_providers_core.contracts import Item, PlanItemType, UpdateItemInput
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.testing.conformance.calls import _create, _create_all, _get, _update
from planpilot_providers_core.testing.conformance.checks import (
    _create_call,
    _expect,
    _expect_fields,
    _labels,
    _observable,
    _update_call,
)
from planpilot_providers_core.testing.conformance.marker import _Marker


class UpdateChecks:
    """The field rules of ``update_item``, read back both from its return value and from ``get_item``."""

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
