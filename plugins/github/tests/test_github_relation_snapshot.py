"""A batch relation read is reused once by the reconcile that follows it, never after a write."""

from collections.abc import Callable

from planpilot_provider_github.provider import GitHubProvider
from planpilot_provider_github.testing import GitHubEmulator
from planpilot_providers_core.contracts import CreateItemInput, ItemRelations

MakeGitHub = Callable[..., GitHubProvider]


async def _items(provider: GitHubProvider, count: int) -> list:  # type: ignore[type-arg]
    return [
        await provider.create_item(CreateItemInput(title=f"i{n}", body=f"b{n}", item_type="TASK")) for n in range(count)
    ]


async def test_reconcile_after_batch_read_sends_no_second_read(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    async with make_github() as provider:
        parent, *children = await _items(provider, 5)
        emulator.stats.reset()
        await provider.fetch_relations(children)
        for child in children:
            await child.reconcile_relations(parent=parent, blockers=[])
    assert emulator.stats.operations["IssueRelations"] == 1
    assert emulator.stats.operations["AddSubIssue"] == 4


async def test_snapshot_is_not_reused_after_a_write(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        parent, child, blocker = await _items(provider, 3)
        await provider.fetch_relations([child])
        await child.reconcile_relations(parent=parent, blockers=[blocker])
        emulator.stats.reset()
        await child.reconcile_relations(parent=parent, blockers=[blocker])
        assert emulator.stats.mutation_requests == 0
        assert await child.get_relations() == ItemRelations(parent_id=parent.id, blocker_ids={blocker.id})


async def test_a_snapshot_stands_in_once(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    """The batch read replaces one read, not every later one: a second reconcile reads again."""
    async with make_github() as provider:
        parent, child = await _items(provider, 2)
        await provider.fetch_relations([child])
        emulator.stats.reset()
        await child.reconcile_relations(parent=parent, blockers=[])
        assert "IssueRelations" not in emulator.stats.operations
        await child.reconcile_relations(parent=parent, blockers=[])
    assert emulator.stats.operations["IssueRelations"] == 1
