"""Sub-issue and blocked-by relations against the emulator: writes, reconciliation, races, batched reads."""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest

from planpilot_provider_github.item import GitHubItem
from planpilot_provider_github.provider import GitHubProvider
from planpilot_provider_github.relations import RelationOps
from planpilot_provider_github.testing import GitHubEmulator, IssueSeed
from planpilot_provider_github.testing.model import Issue
from planpilot_provider_github.testing.state import IssueView
from planpilot_providers_core.capabilities import Capability, check_capabilities
from planpilot_providers_core.contracts import CreateItemInput, ItemRelations
from planpilot_providers_core.errors import ItemNotFoundError, ProviderCapabilityError, ProviderError

REPO = "acme/roadmap"
MakeGitHub = Callable[..., GitHubProvider]
RELATION_MUTATIONS = ("AddSubIssue", "RemoveSubIssue", "AddBlockedBy", "RemoveBlockedBy")


def issue(emulator: GitHubEmulator, item: GitHubItem) -> Issue:
    found = emulator.state.node(item.id)
    assert isinstance(found, Issue)
    return found


def view(emulator: GitHubEmulator, item: GitHubItem) -> IssueView:
    return emulator.state.issue_view(issue(emulator, item))


def relation_writes(emulator: GitHubEmulator) -> dict[str, int]:
    ops = emulator.stats.operations
    return {name: ops[name] for name in RELATION_MUTATIONS if ops[name]}


async def make_items(provider: GitHubProvider, *names: str) -> list[GitHubItem]:
    items = []
    for n, name in enumerate(names):
        items.append(
            await provider.create_item(CreateItemInput(title=name, body=f"PLAN_ID:r\nITEM_ID:{n}", item_type="TASK"))
        )
    return items


# -- single writes -----------------------------------------------------------------------------------


async def test_set_parent_and_add_dependency(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        parent, child, blocker = await make_items(provider, "parent", "child", "blocker")
        emulator.stats.reset()
        await child.set_parent(parent)
        await child.add_dependency(blocker)
        relations = await child.get_relations()

    assert view(emulator, child).parent == parent.number
    assert view(emulator, child).blocked_by == (blocker.number,)
    assert relations == ItemRelations(parent_id=parent.id, blocker_ids={blocker.id})
    assert relation_writes(emulator) == {"AddSubIssue": 1, "AddBlockedBy": 1}


async def test_set_parent_moves_a_child_from_another_parent(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        old, new, child = await make_items(provider, "old", "new", "child")
        emulator.state.link_sub_issue(issue(emulator, old), issue(emulator, child))
        await child.set_parent(new)

    assert view(emulator, child).parent == new.number
    assert view(emulator, old).sub_issues == ()


async def test_already_linked_counts_as_success(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    """Someone (or an earlier, ambiguous attempt) already made the link: GitHub errors, we succeed."""
    async with make_github() as provider:
        parent, child, blocker = await make_items(provider, "parent", "child", "blocker")
        emulator.state.link_sub_issue(issue(emulator, parent), issue(emulator, child))
        emulator.state.link_blocked_by(issue(emulator, child), issue(emulator, blocker))
        emulator.stats.reset()

        await child.set_parent(parent)
        await child.add_dependency(blocker)

    # The writes were sent and refused by GitHub, and that refusal was accepted as "already done".
    assert relation_writes(emulator) == {"AddSubIssue": 1, "AddBlockedBy": 1}
    assert view(emulator, child).parent == parent.number
    assert view(emulator, child).blocked_by == (blocker.number,)


async def test_other_relation_errors_are_raised(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        (item,) = await make_items(provider, "alone")
        with pytest.raises(ProviderError, match="itself"):
            await item.set_parent(item)
        with pytest.raises(ProviderError, match="itself"):
            await item.add_dependency(item)


# -- reconciliation ----------------------------------------------------------------------------------


async def test_reconcile_adds_missing_and_removes_stale(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        parent, child, keep, stale, new = await make_items(provider, "parent", "child", "keep", "stale", "new")
        emulator.state.link_blocked_by(issue(emulator, child), issue(emulator, keep))
        emulator.state.link_blocked_by(issue(emulator, child), issue(emulator, stale))
        emulator.stats.reset()

        await child.reconcile_relations(parent=parent, blockers=[keep, new])

        relations = await child.get_relations()
        assert (relations.parent_id, relations.blockers) == (parent.id, {keep.id, new.id})
    assert view(emulator, child).parent == parent.number
    assert set(view(emulator, child).blocked_by) == {keep.number, new.number}
    assert relation_writes(emulator) == {"AddSubIssue": 1, "AddBlockedBy": 1, "RemoveBlockedBy": 1}


async def test_reconcile_moves_a_child_with_one_write(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        old, new, child = await make_items(provider, "old", "new", "child")
        emulator.state.link_sub_issue(issue(emulator, old), issue(emulator, child))
        emulator.stats.reset()

        await child.reconcile_relations(parent=new, blockers=[])

    assert view(emulator, child).parent == new.number
    assert view(emulator, old).sub_issues == ()
    # A move is one addSubIssue(replaceParent: true), not a remove followed by an add.
    assert relation_writes(emulator) == {"AddSubIssue": 1}
    assert emulator.stats.mutation_requests == 1


async def test_reconcile_removes_the_parent_when_none_is_wanted(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    async with make_github() as provider:
        parent, child = await make_items(provider, "parent", "child")
        emulator.state.link_sub_issue(issue(emulator, parent), issue(emulator, child))
        emulator.stats.reset()

        await child.reconcile_relations(parent=None, blockers=[])

    assert view(emulator, child).parent is None
    assert view(emulator, parent).sub_issues == ()
    assert relation_writes(emulator) == {"RemoveSubIssue": 1}


async def test_reconcile_is_idempotent(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        parent, child, a, b = await make_items(provider, "parent", "child", "a", "b")
        await child.reconcile_relations(parent=parent, blockers=[a, b])
        emulator.stats.reset()

        await child.reconcile_relations(parent=parent, blockers=[b, a])

    assert emulator.stats.mutation_requests == 0
    assert emulator.stats.operations == {"IssueRelations": 1}


async def test_reconcile_tolerates_links_already_gone(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    """Between our read and our write someone removed the stale links: the removals still succeed."""
    async with make_github() as provider:
        parent, child, blocker = await make_items(provider, "parent", "child", "blocker")
        emulator.state.link_sub_issue(issue(emulator, parent), issue(emulator, child))
        emulator.state.link_blocked_by(issue(emulator, child), issue(emulator, blocker))
        current = await child.get_relations()
        assert current == ItemRelations(parent_id=parent.id, blocker_ids={blocker.id})

        state = emulator.state
        with state.lock:  # a person unlinks both in the UI
            state.remove_sub_issue(issue_id=parent.id, sub_issue_id=child.id)
            state.remove_blocked_by(issue_id=child.id, blocking_issue_id=blocker.id)
        emulator.stats.reset()

        await provider.relations.reconcile(child.id, current, ItemRelations())

    assert relation_writes(emulator) == {"RemoveSubIssue": 1, "RemoveBlockedBy": 1}
    assert view(emulator, child).parent is None
    assert view(emulator, child).blocked_by == ()


async def test_reconcile_tolerates_links_made_meanwhile(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        parent, child, blocker = await make_items(provider, "parent", "child", "blocker")
        current = await child.get_relations()
        emulator.state.link_sub_issue(issue(emulator, parent), issue(emulator, child))
        emulator.state.link_blocked_by(issue(emulator, child), issue(emulator, blocker))

        await provider.relations.reconcile(
            child.id, current, ItemRelations(parent_id=parent.id, blocker_ids={blocker.id})
        )

    assert view(emulator, child).parent == parent.number
    assert view(emulator, child).blocked_by == (blocker.number,)


# -- batched reads -----------------------------------------------------------------------------------


async def test_fetch_relations_reads_150_items_in_two_requests(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    seeded = emulator.state.add_issues(REPO, [IssueSeed(f"t{n}", labels=("planpilot",)) for n in range(150)])
    emulator.state.link_sub_issue(seeded[0], seeded[1])
    emulator.state.link_sub_issue(seeded[0], seeded[149])
    emulator.state.link_blocked_by(seeded[120], seeded[3])
    emulator.state.link_blocked_by(seeded[120], seeded[4])
    async with make_github() as provider:
        items = [
            GitHubItem(
                id=s.id,
                key=f"#{s.number}",
                url=s.url,
                title=s.title,
                body="",
                item_type="TASK",
                number=s.number,
                relations=provider.relations,
            )
            for s in seeded
        ]
        emulator.stats.reset()
        relations = await provider.fetch_relations(items)

    assert emulator.stats.operations == {"IssueRelations": 2}
    assert len(relations) == 150
    assert relations[seeded[1].id].parent_id == seeded[0].id
    assert relations[seeded[149].id].parent_id == seeded[0].id
    assert relations[seeded[120].id].blockers == {seeded[3].id, seeded[4].id}
    assert relations[seeded[50].id] == ItemRelations()


async def test_fetch_relations_of_a_deleted_item_is_item_not_found(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    async with make_github() as provider:
        a, b = await make_items(provider, "a", "b")
        emulator.state.remove_issue(issue(emulator, b))
        with pytest.raises(ItemNotFoundError, match=b.id):
            await provider.fetch_relations([a, b])


async def test_fetch_relations_of_an_id_that_is_not_an_issue_is_item_not_found(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    async with make_github() as provider:
        (a,) = await make_items(provider, "a")
        label_id = emulator.state.repository(REPO).labels["planpilot"].id
        with pytest.raises(ItemNotFoundError, match=label_id):
            await provider.relations.fetch([a.id, label_id])


async def test_fetch_relations_of_nothing_sends_nothing(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        emulator.stats.reset()
        assert await provider.fetch_relations([]) == {}
    assert emulator.stats.requests == 0


# -- capability gating -------------------------------------------------------------------------------


def _raise_capability(capability: Capability) -> None:
    check_capabilities("github", (), (capability,))


async def test_reconcile_checks_the_capability_before_writing(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    async with make_github() as provider:
        parent, child, blocker = await make_items(provider, "parent", "child", "blocker")
        ops = RelationOps(
            provider._gql,
            require=_raise_capability,
            ensure_entered=provider.ensure_entered,
            ensure_writable=provider.ensure_writable,
        )
        emulator.stats.reset()

        with pytest.raises(ProviderCapabilityError) as info:
            await ops.reconcile(child.id, ItemRelations(), ItemRelations(parent_id=parent.id))
        assert info.value.capability == Capability.RELATION_PARENT
        with pytest.raises(ProviderCapabilityError) as info:
            await ops.reconcile(child.id, ItemRelations(), ItemRelations(blocker_ids={blocker.id}))
        assert info.value.capability == Capability.RELATION_BLOCKED_BY
        # Nothing to change needs no capability.
        await ops.reconcile(child.id, ItemRelations(), ItemRelations())

    assert emulator.stats.mutation_requests == 0


async def test_items_refuse_relations_the_provider_does_not_offer(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    async with make_github() as provider:
        parent, child = await make_items(provider, "parent", "child")
        context = provider.context
        without = context.capabilities - {Capability.RELATION_PARENT, Capability.RELATION_BLOCKED_BY}
        provider._context = attrs.evolve(context, capabilities=without)
        emulator.stats.reset()

        with pytest.raises(ProviderCapabilityError, match=r"relations\.parent"):
            await child.set_parent(parent)
        with pytest.raises(ProviderCapabilityError, match=r"relations\.blocked-by"):
            await child.add_dependency(parent)
        with pytest.raises(ProviderCapabilityError):
            await child.reconcile_relations(parent=parent, blockers=[])

    assert emulator.stats.mutation_requests == 0
    assert view(emulator, child).parent is None
