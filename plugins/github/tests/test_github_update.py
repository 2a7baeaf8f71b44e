"""``update_item``, ``get_item`` and ``delete_item`` against the emulator.

The contract (providers spec, "Reconciliation ownership"): update applies only the plan-authoritative
fields (title, body, item type, labels, size); labels are additive; status, priority and iteration
are creation defaults that are never changed once set; when nothing differs, nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from planpilot_provider_github.provider import GitHubProvider
from planpilot_provider_github.testing import GitHubEmulator
from planpilot_provider_github.testing.state import IssueView
from planpilot_providers_core.contracts import CreateItemInput, PlanItemType, UpdateItemInput
from planpilot_providers_core.errors import ItemNotFoundError, ProviderError

ORG_REPO = "acme/roadmap"
USER_REPO = "octo/side"
USER_BOARD = "https://github.com/users/octo/projects/1"
BODY = "PLAN_ID:p1\nITEM_ID:E1"

MakeGitHub = Callable[..., GitHubProvider]


def view(emulator: GitHubEmulator, item_id: str) -> IssueView:
    for repo in (ORG_REPO, USER_REPO):
        for issue in emulator.state.issues(repo, include_deleted=True):
            if issue.id == item_id:
                return issue
    raise AssertionError(f"no issue {item_id} in the emulator")


def board_fields(emulator: GitHubEmulator, item_id: str, board: str = "acme/1") -> dict[str, object]:
    return dict(view(emulator, item_id).project_fields.get(board, {}))


def human_adds_label(emulator: GitHubEmulator, repo: str, item_id: str, name: str) -> None:
    """A person labels the issue in the GitHub UI (no request through the provider)."""
    state = emulator.state
    with state.lock:
        repository = state.repository(repo)
        label = repository.labels.get(name.lower()) or state.add_label(repo, name)
        state.add_labels(item_id, [label.id])


def human_sets_field(emulator: GitHubEmulator, item_id: str, field: str, value: str, *, owner: str = "acme") -> None:
    project = emulator.state.project(owner, 1)
    emulator.state.set_field(project.items[item_id], field, value)


def human_clears_field(emulator: GitHubEmulator, item_id: str, field: str, *, owner: str = "acme") -> None:
    state = emulator.state
    project = state.project(owner, 1)
    project_field = project.field_named(field)
    assert project_field is not None
    with state.lock:
        state.clear_field_value(project_id=project.id, item_id=project.items[item_id].id, field_id=project_field.id)


async def create(provider: GitHubProvider, item_type: str = "EPIC", **overrides: object) -> str:
    values: dict[str, object] = {"title": "Epic A", "body": BODY, "item_type": item_type, "size": "M"}
    values.update(overrides)
    item = await provider.create_item(CreateItemInput(**values))  # type: ignore[arg-type]
    return item.id


# -- plan-authoritative fields ---------------------------------------------------------------------


async def test_title_and_body_are_updated_with_one_write(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        item_id = await create(provider)
        emulator.stats.reset()
        updated = await provider.update_item(item_id, UpdateItemInput(title="Epic A (renamed)", body=BODY + "\nmore"))

    issue = view(emulator, item_id)
    assert (issue.title, issue.body) == ("Epic A (renamed)", BODY + "\nmore")
    assert (updated.title, updated.body) == ("Epic A (renamed)", BODY + "\nmore")
    assert emulator.stats.operations == {"GetIssues": 1, "UpdateIssue": 1}
    assert emulator.stats.mutation_requests == 1


async def test_only_given_fields_change(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        item_id = await create(provider)
        await provider.update_item(item_id, UpdateItemInput(title="New title"))

    issue = view(emulator, item_id)
    assert issue.title == "New title"
    assert issue.body == BODY  # None leaves a field as it is
    assert issue.issue_type == "Epic"
    assert board_fields(emulator, item_id)["Size"] == "M"


async def test_native_issue_type_is_changed(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        item_id = await create(provider, "EPIC")
        emulator.stats.reset()
        updated = await provider.update_item(item_id, UpdateItemInput(item_type="STORY"))
        again = await provider.get_item(item_id)

    assert view(emulator, item_id).issue_type == "Story"
    assert updated.item_type is PlanItemType.STORY
    assert again.item_type is PlanItemType.STORY
    assert emulator.stats.operations["UpdateIssue"] == 1
    assert "RemoveLabels" not in emulator.stats.operations


async def test_type_labels_on_a_user_board_swap_only_the_type_label(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    async with make_github(target=USER_REPO, board_url=USER_BOARD) as provider:
        assert provider.context.create_type_strategy == "label"
        item_id = await create(provider, "EPIC", labels=("team-a",))
        human_adds_label(emulator, USER_REPO, item_id, "customer")
        assert set(view(emulator, item_id).labels) == {"planpilot", "team-a", "Epic", "customer"}

        updated = await provider.update_item(item_id, UpdateItemInput(item_type="STORY"))
        again = await provider.get_item(item_id)

    labels = view(emulator, item_id).labels
    assert set(labels) == {"planpilot", "team-a", "Story", "customer"}
    assert view(emulator, item_id).issue_type is None
    assert updated.item_type is PlanItemType.STORY
    assert set(updated.labels) == set(labels)
    assert again.item_type is PlanItemType.STORY


async def test_size_change_is_applied(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        item_id = await create(provider, size="M")
        emulator.stats.reset()
        await provider.update_item(item_id, UpdateItemInput(size="XL"))

    assert board_fields(emulator, item_id)["Size"] == "XL"
    assert emulator.stats.operations == {"GetIssues": 1, "SetProjectFields1": 1}


async def test_size_on_a_number_field_gets_points(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    from planpilot_providers_core.contracts import FieldConfig

    async with make_github(field_config=FieldConfig(size_field="Estimate")) as provider:
        item_id = await create(provider, size="S")
        assert board_fields(emulator, item_id)["Estimate"] == 2
        await provider.update_item(item_id, UpdateItemInput(size="L"))

    assert board_fields(emulator, item_id)["Estimate"] == 5


# -- labels are additive ---------------------------------------------------------------------------


async def test_labels_are_only_ever_added(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        item_id = await create(provider, labels=("team-a", "area-x"))
        human_adds_label(emulator, ORG_REPO, item_id, "customer-request")
        emulator.stats.reset()

        updated = await provider.update_item(item_id, UpdateItemInput(labels=("team-b",)))

    labels = set(view(emulator, item_id).labels)
    assert labels == {"planpilot", "team-a", "area-x", "customer-request", "team-b"}
    assert set(updated.labels) == labels
    assert "RemoveLabels" not in emulator.stats.operations
    assert emulator.stats.operations["AddLabels"] == 1


async def test_labels_already_present_in_another_case_are_not_re_added(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    async with make_github() as provider:
        item_id = await create(provider, labels=("Team-A",))
        emulator.stats.reset()
        await provider.update_item(item_id, UpdateItemInput(labels=("team-a",)))

    assert emulator.stats.mutation_requests == 0
    assert view(emulator, item_id).labels.count("Team-A") == 1


async def test_a_lost_discovery_label_is_restored(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        item_id = await create(provider)
        state = emulator.state
        with state.lock:
            state.remove_labels(item_id, [state.repository(ORG_REPO).labels["planpilot"].id])
        assert "planpilot" not in view(emulator, item_id).labels

        await provider.update_item(item_id, UpdateItemInput(title="Epic A"))

    assert "planpilot" in view(emulator, item_id).labels


# -- board fields owned by people after create -----------------------------------------------------


async def test_status_priority_and_iteration_set_by_a_person_are_left_alone(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    async with make_github() as provider:
        item_id = await create(provider)
        assert board_fields(emulator, item_id) == {
            "Status": "Backlog",
            "Priority": "P1",
            "Size": "M",
            "Iteration": "Iteration 3",
        }
        human_sets_field(emulator, item_id, "Status", "In Progress")
        human_sets_field(emulator, item_id, "Priority", "P0")
        human_sets_field(emulator, item_id, "Iteration", "Iteration 4")
        emulator.stats.reset()

        await provider.update_item(item_id, UpdateItemInput(title="Renamed", size="L"))

    assert board_fields(emulator, item_id) == {
        "Status": "In Progress",
        "Priority": "P0",
        "Size": "L",
        "Iteration": "Iteration 4",
    }
    assert emulator.stats.operations == {"GetIssues": 1, "UpdateIssue": 1, "SetProjectFields1": 1}


async def test_an_empty_board_field_gets_its_creation_default(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    """Documented on update_item: a default is set when the field is still empty, never over a value."""
    async with make_github() as provider:
        item_id = await create(provider)
        human_sets_field(emulator, item_id, "Status", "Done")
        human_clears_field(emulator, item_id, "Priority")
        emulator.stats.reset()

        await provider.update_item(item_id, UpdateItemInput(title="Epic A"))

    fields = board_fields(emulator, item_id)
    assert fields["Priority"] == "P1"
    assert fields["Status"] == "Done"
    assert emulator.stats.operations == {"GetIssues": 1, "SetProjectFields1": 1}


async def test_update_converges_an_issue_whose_create_stopped_before_the_board(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    """A create that failed after ``issue_created``: the issue exists, but is not on the board."""
    seeded = emulator.state.add_issue(ORG_REPO, "Epic A", BODY, labels=["planpilot"], issue_type="Epic")
    async with make_github() as provider:
        updated = await provider.update_item(seeded.id, UpdateItemInput(title="Epic A", item_type="EPIC", size="S"))

    assert board_fields(emulator, seeded.id) == {
        "Status": "Backlog",
        "Priority": "P1",
        "Size": "S",
        "Iteration": "Iteration 3",
    }
    assert updated.item_type is PlanItemType.EPIC
    assert emulator.stats.operations["AddProjectItem"] == 1


# -- nothing to do, nothing sent -------------------------------------------------------------------


@pytest.mark.parametrize("board", ["org", "user"])
async def test_an_update_where_nothing_differs_is_one_read(
    make_github: MakeGitHub, emulator: GitHubEmulator, board: str
) -> None:
    options = {} if board == "org" else {"target": USER_REPO, "board_url": USER_BOARD}
    owner = "acme" if board == "org" else "octo"
    async with make_github(**options) as provider:
        item_id = await create(provider, labels=("team-a",))
        human_sets_field(emulator, item_id, "Status", "Done", owner=owner)
        human_adds_label(emulator, ORG_REPO if board == "org" else USER_REPO, item_id, "customer")
        emulator.stats.reset()

        updated = await provider.update_item(
            item_id,
            UpdateItemInput(title="Epic A", body=BODY, item_type="EPIC", labels=("team-a",), size="M"),
        )

    assert emulator.stats.requests == 1
    assert emulator.stats.operations == {"GetIssues": 1}
    assert emulator.stats.mutation_requests == 0
    assert updated.item_type is PlanItemType.EPIC
    assert {"planpilot", "team-a", "customer"} <= set(updated.labels)


# -- errors ----------------------------------------------------------------------------------------


async def test_update_of_a_missing_item_is_item_not_found(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        emulator.stats.reset()
        with pytest.raises(ItemNotFoundError, match="I_doesNotExist"):
            await provider.update_item("I_doesNotExist", UpdateItemInput(title="x"))
    assert emulator.stats.mutation_requests == 0


async def test_a_size_the_board_lacks_fails_before_any_write(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        item_id = await create(provider)
        emulator.stats.reset()
        with pytest.raises(ProviderError, match="XXL") as info:
            await provider.update_item(item_id, UpdateItemInput(title="Renamed", labels=("new",), size="XXL"))

    message = str(info.value)
    assert "Size" in message
    assert "XS" in message  # names the options so the user can fix the plan or the board
    assert emulator.stats.mutation_requests == 0
    assert view(emulator, item_id).title == "Epic A"


async def test_a_read_only_provider_refuses_updates(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        item_id = await create(provider)
    emulator.stats.reset()
    async with make_github(read_only=True) as provider:
        with pytest.raises(ProviderError, match="read_only"):
            await provider.update_item(item_id, UpdateItemInput(title="x"))
        with pytest.raises(ProviderError, match="read_only"):
            await provider.delete_item(item_id)
    assert emulator.stats.mutation_requests == 0


# -- get and delete --------------------------------------------------------------------------------


async def test_get_item_reads_what_is_on_github(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        item_id = await create(provider, "STORY", labels=("team-a",))
        item = await provider.get_item(item_id)

    issue = view(emulator, item_id)
    assert (item.id, item.key, item.url, item.title, item.body) == (
        issue.id,
        f"#{issue.number}",
        issue.url,
        issue.title,
        issue.body,
    )
    assert item.item_type is PlanItemType.STORY
    assert set(item.labels) == {"planpilot", "team-a"}


async def test_delete_then_get_is_item_not_found(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    async with make_github() as provider:
        item_id = await create(provider)
        keep_id = await create(provider, title="Other")
        await provider.delete_item(item_id)

        assert view(emulator, item_id).deleted
        with pytest.raises(ItemNotFoundError):
            await provider.get_item(item_id)
        with pytest.raises(ItemNotFoundError):
            await provider.delete_item(item_id)
        assert (await provider.get_item(keep_id)).title == "Other"
    assert emulator.stats.operations["DeleteIssue"] == 1
