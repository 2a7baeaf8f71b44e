"""update_item edge cases: paged-off project state and type labels a person added."""

from collections.abc import Callable

from planpilot_provider_github.provider import GitHubProvider
from planpilot_provider_github.testing import GitHubEmulator
from planpilot_providers_core.contracts import CreateItemInput, UpdateItemInput

MakeGitHub = Callable[..., GitHubProvider]
USER_BOARD = "https://github.com/users/octo/projects/1"


async def test_defaults_are_not_filled_when_the_board_state_was_paged_off(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    """On more than 20 boards, ours may not be in the first page: absence is unknown, not empty."""
    state = emulator.state
    issue = state.add_issue("acme/roadmap", "busy issue", "PLAN_ID:p", labels=("planpilot",), issue_type="Task")
    for n in range(21):
        state.add_to_project(state.add_project("acme", f"Other {n}", number=100 + n), issue)
    ours = state.add_to_project(state.project("acme", 1), issue)
    state.set_field(ours, "Priority", "P0")  # status left empty by a person on purpose
    async with make_github() as provider:
        emulator.stats.reset()
        await provider.update_item(issue.id, UpdateItemInput(title="busy issue, renamed"))
    view = state.issue("acme/roadmap", issue.number)
    assert view.title == "busy issue, renamed"
    assert "Status" not in view.project_fields["acme/1"]
    assert view.project_fields["acme/1"]["Priority"] == "P0"
    assert not any(op.startswith("SetProjectFields") for op in emulator.stats.operations)


async def test_update_without_a_type_keeps_type_labels_a_person_added(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    emulator.state.add_label("octo/side", "Task")
    async with make_github(target="octo/side", board_url=USER_BOARD) as provider:
        item = await provider.create_item(CreateItemInput(title="t", body="b", item_type="STORY"))
        state = emulator.state
        [view] = state.issues("octo/side")
        with state.lock:
            state.add_labels(item.id, [state.repository("octo/side").labels["task"].id])
        await provider.update_item(item.id, UpdateItemInput(title="t2"))
        assert {"Story", "Task"} <= set(state.issue("octo/side", view.number).labels)
        await provider.update_item(item.id, UpdateItemInput(item_type="TASK"))
        labels = set(state.issue("octo/side", view.number).labels)
    assert "Task" in labels
    assert "Story" not in labels
