"""Writes the Linear way: creates with a client-chosen id, several to one issueBatchCreate, never twice however
the answer is lost; labels created once; updates of only what differs; blocks relations reconciled as aliased
mutations whose outcome stays exact when Linear nulls a batch; duplicates closed the Linear way."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from planpilot_provider_linear.aliases import Kind, Write, send_writes
from planpilot_provider_linear.provider import LinearProvider
from planpilot_provider_linear.testing import LinearEmulator
from planpilot_providers_core import CreateItemInput, ItemRelations, UpdateItemInput
from planpilot_providers_core.errors import CreateItemPartialFailureError, ItemNotFoundError, ProviderError

MakeLinear = Callable[..., LinearProvider]


def task(title: str, **fields: Any) -> CreateItemInput:
    return CreateItemInput(title=title, body=f"marker: {title}\n", item_type=fields.pop("item_type", "TASK"), **fields)


def operations(emulator: LinearEmulator) -> dict[str, int]:
    return dict(emulator.stats.as_dict()["operations"])


async def test_creates_that_come_together_go_as_one_batch(
    make_linear: MakeLinear, live_emulator: LinearEmulator
) -> None:
    async with make_linear() as linear:
        live_emulator.stats.reset()
        created = await asyncio.gather(*(linear.create_item(task(f"together {n}")) for n in range(30)))
    assert len({item.id for item in created}) == 30
    assert operations(live_emulator) == {"IssueBatchCreate": 2}  # 25 + 5: batch_size a request
    assert [i.title for i in created] == [f"together {n}" for n in range(30)]


async def test_a_lost_batch_answer_is_read_back_and_nothing_is_created_twice(
    make_linear: MakeLinear, live_emulator: LinearEmulator
) -> None:
    async with make_linear() as linear:
        live_emulator.inject("drop_after_commit", operation="IssueBatchCreate")
        live_emulator.inject("timeout_after_commit", operation="IssueCreate")
        batch = await asyncio.gather(*(linear.create_item(task(f"lost {n}")) for n in range(3)))
        single = await linear.create_item(task("lost alone"))
    titles = [issue.title for issue in live_emulator.state.team_issues("ENG")]
    assert sorted(titles) == ["lost 0", "lost 1", "lost 2", "lost alone"]
    assert {item.title for item in batch} == {"lost 0", "lost 1", "lost 2"}
    assert single.title == "lost alone"
    assert operations(live_emulator)["IssuesByIds"] == 1  # one read settled the whole batch
    assert operations(live_emulator)["IssueById"] == 1


async def test_a_batch_linear_refuses_is_created_one_by_one_with_each_error_its_own(
    make_linear: MakeLinear, live_emulator: LinearEmulator
) -> None:
    async with make_linear() as linear:
        good = [task(f"good {n}") for n in range(3)]
        orphan = task("orphan", parent_id=str(uuid.uuid4()))  # a parent Linear does not have refuses the batch
        results = await asyncio.gather(*(linear.create_item(item) for item in [*good, orphan]), return_exceptions=True)
    assert [getattr(r, "title", None) for r in results[:3]] == ["good 0", "good 1", "good 2"]
    assert isinstance(results[3], ItemNotFoundError)
    assert not isinstance(results[3], CreateItemPartialFailureError)  # nothing was created for it
    assert sorted(i.title for i in live_emulator.state.team_issues("ENG")) == ["good 0", "good 1", "good 2"]


async def test_a_size_off_the_scale_fails_before_anything_is_written(
    make_linear: MakeLinear, live_emulator: LinearEmulator
) -> None:
    async with make_linear() as linear:
        live_emulator.stats.reset()
        with pytest.raises(ProviderError, match="XXL and XXXL need the team's extended estimates"):
            await linear.create_item(task("huge", size="XXL"))
    assert live_emulator.stats.as_dict()["write_requests"] == 0


async def test_a_missing_label_is_created_once_however_many_creates_need_it(
    make_linear: MakeLinear, live_emulator: LinearEmulator
) -> None:
    async with make_linear() as linear:
        live_emulator.inject("drop_after_commit", operation="IssueLabelCreate")  # made, its answer lost
        items = await asyncio.gather(*(linear.create_item(task(f"l{n}", labels=("Billing",))) for n in range(8)))
        customer = await linear.create_item(task("workspace label", labels=("customer",)))
    billing = [label for label in live_emulator.state.labels.values() if label.name.casefold() == "billing"]
    assert len(billing) == 1
    assert all("Billing" in item.labels for item in items)
    assert "Customer" in customer.labels  # the workspace's label, found ignoring case, not made again for the team
    assert [label.name for label in live_emulator.state.labels.values()].count("Customer") == 1


async def test_a_label_group_cannot_be_applied_and_says_so(make_linear: MakeLinear) -> None:
    async with make_linear() as linear:
        with pytest.raises(ProviderError, match="label group"):
            await linear.create_item(task("grouped", labels=("Type",)))


async def test_an_update_writes_only_what_differs(make_linear: MakeLinear, live_emulator: LinearEmulator) -> None:
    async with make_linear() as linear:
        body = "See [the spec](https://example.com/spec).\n"
        item = await linear.create_item(CreateItemInput(title="t", body=body, item_type="TASK", size="S"))
        # Linear rewrites link destinations as <...>: the canonical form compares them equal.
        with live_emulator.state.lock:
            live_emulator.state.update_issue(item.id, description="See [the spec](<https://example.com/spec>).")
        live_emulator.stats.reset()
        same = await linear.update_item(item.id, UpdateItemInput(title="t", body=body, item_type="TASK", size="S"))
        assert live_emulator.stats.as_dict()["write_requests"] == 0
        assert same.size == "S"
        moved = await linear.update_item(item.id, UpdateItemInput(size="L", item_type="EPIC", labels=("extra",)))
    assert (moved.size, moved.item_type.value) == ("L", "EPIC")
    assert {"Epic", "extra", "planpilot"} <= set(moved.labels)
    assert "Task" not in moved.labels
    assert live_emulator.state.issue(moved.key).estimate == 5


async def test_many_updates_each_get_their_own_outcome(make_linear: MakeLinear, live_emulator: LinearEmulator) -> None:
    async with make_linear() as linear:
        a, b = await asyncio.gather(linear.create_item(task("a")), linear.create_item(task("b")))
        results = await linear.update_items(
            [
                (a.id, UpdateItemInput(title="a2")),
                (str(uuid.uuid4()), UpdateItemInput(title="nobody")),
                (b.id, UpdateItemInput(size="XXL")),  # off the scale: refused for b alone, before writing
                (b.id, UpdateItemInput(title="b")),  # identical: nothing to write
            ]
        )
    assert getattr(results[0], "title", None) == "a2"
    assert isinstance(results[1], ItemNotFoundError)
    assert isinstance(results[2], ProviderError)
    assert getattr(results[3], "title", None) == "b"


async def test_a_nulled_aliased_batch_still_says_exactly_what_happened(
    make_linear: MakeLinear, live_emulator: LinearEmulator
) -> None:
    """Linear's payloads are non-null: the second alias failing nulls the data and the third does not run.
    The first was applied, the second failed with its own error, the third is sent again."""
    async with make_linear() as linear:
        a, c = await asyncio.gather(linear.create_item(task("a")), linear.create_item(task("c")))
        writes = [
            Write(Kind.UPDATE_ISSUE, {"id": a.id, "input": {"title": "a!"}}, 0),
            Write(Kind.UPDATE_ISSUE, {"id": str(uuid.uuid4()), "input": {"title": "?"}}, 1),
            Write(Kind.UPDATE_ISSUE, {"id": c.id, "input": {"title": "c!"}}, 2),
        ]
        live_emulator.stats.reset()
        outcomes = await send_writes(linear._gql, "IssueUpdates", writes, per_request=25)
    assert outcomes[0].error is None  # applied; its answer went down with the data
    assert outcomes[0].data is None
    assert isinstance(outcomes[1].error, ItemNotFoundError)
    assert outcomes[2].error is None
    assert outcomes[2].data.issue.title == "c!"
    assert operations(live_emulator) == {"IssueUpdates": 2}
    assert (live_emulator.state.issue(a.key).title, live_emulator.state.issue(c.key).title) == ("a!", "c!")


async def test_relations_are_reconciled_exactly_once_even_when_an_answer_is_lost(
    make_linear: MakeLinear, live_emulator: LinearEmulator
) -> None:
    async with make_linear() as linear:
        parent, child, b1, b2 = await asyncio.gather(*(linear.create_item(task(n)) for n in ("p", "c", "b1", "b2")))
        # Someone linked b1 twice by hand: the reconcile keeps one.
        for _ in range(2):
            with live_emulator.state.lock:
                live_emulator.state.create_relation(issue_id=b1.id, related_issue_id=child.id, type="blocks")
        live_emulator.inject("drop_after_commit", operation="IssueRelationChanges")
        await child.reconcile_relations(parent=parent, blockers=[b1, b2])
        assert live_emulator.state.blockers_of(child.key) == [b1.key, b2.key]
        assert live_emulator.state.issue(child.key).parent.id == parent.id
        live_emulator.stats.reset()
        await child.reconcile_relations(parent=parent, blockers=[b1, b2])
        assert "IssueRelationChanges" not in operations(live_emulator)  # nothing to change: nothing written
        await child.add_dependency(b2)
        await child.reconcile_relations(parent=None, blockers=[b2])
        relations = await linear.fetch_relations([child])
    assert relations[child.id] == ItemRelations(parent_id=None, blocker_ids=[b2.id])
    assert "IssueRelationChanges" in operations(live_emulator)


async def test_an_issue_with_more_blockers_than_a_page_reads_them_all(make_linear: MakeLinear) -> None:
    async with make_linear() as linear:
        blocked = await linear.create_item(task("blocked"))
        blockers = await asyncio.gather(*(linear.create_item(task(f"b{n}")) for n in range(27)))
        await blocked.reconcile_relations(parent=None, blockers=blockers)
        read = await blocked.get_relations()
    assert read.blockers == {b.id for b in blockers}
    assert len(read.blocker_ids) == 27  # 20 in the batch read, the rest paged


async def test_a_duplicate_is_closed_the_linear_way(make_linear: MakeLinear, live_emulator: LinearEmulator) -> None:
    async with make_linear() as linear:
        kept, surplus = await asyncio.gather(linear.create_item(task("kept")), linear.create_item(task("surplus")))
        await linear.close_duplicate(surplus.id, kept, label="planpilot")
        live_emulator.stats.reset()
        await linear.close_duplicate(surplus.id, kept, label="planpilot")  # already so: nothing written
        assert live_emulator.stats.as_dict()["write_requests"] == 0
        with pytest.raises(ProviderError, match="duplicate of itself"):
            await linear.close_duplicate(kept.id, kept, label="planpilot")
        still = await linear.get_item(surplus.id)
    issue = live_emulator.state.issue(surplus.key)
    assert [(r.type, r.related_issue.id) for r in issue.relations] == [("duplicate", kept.id)]
    assert issue.state.type == "canceled"  # the default team has no duplicate state
    assert "planpilot" not in {label.name for label in issue.labels}
    assert still.id == surplus.id
