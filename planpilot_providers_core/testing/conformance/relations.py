"""Checks of parents and blockers: set, created under a parent, and reconciled idempotently."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from planpilot_providers_core.capabilities import Capability
from planpilot_providers_core.contracts import Item, ItemRelations, PlanItemType
from planpilot_providers_core.errors import ProviderCapabilityError
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.testing.conformance.calls import _create, _create_all, _get, _ok
from planpilot_providers_core.testing.conformance.checks import _create_call, _expect, _ids, _raises, _relations
from planpilot_providers_core.testing.conformance.marker import _Marker


class RelationChecks:
    """Relations as the tracker shows them, or their refusal without the capability."""

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
