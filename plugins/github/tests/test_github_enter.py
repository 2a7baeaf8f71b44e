"""Entering the GitHub provider: what it resolves, what it refuses, and what it creates."""

from collections.abc import Callable
from typing import Any

import pytest

from planpilot_provider_github.context import GitHubContext
from planpilot_provider_github.provider import GitHubProvider
from planpilot_provider_github.testing import GitHubEmulator
from planpilot_providers_core.capabilities import DISCOVERY_CAPABILITIES, Capability
from planpilot_providers_core.contracts import FieldConfig, PlanItemType
from planpilot_providers_core.errors import AuthenticationError, ProjectURLError, ProviderCapabilityError, ProviderError

USER_BOARD = "https://github.com/users/octo/projects/1"
MakeGitHub = Callable[..., GitHubProvider]


def _context(provider: GitHubProvider) -> GitHubContext:
    return provider.context


async def test_org_board_resolves_native_types_fields_and_defaults(make_github: MakeGitHub) -> None:
    async with make_github() as provider:
        context = _context(provider)
        assert context.repository == "acme/roadmap"
        assert context.create_type_strategy == "issue-type"
        assert set(context.issue_type_ids) == set(PlanItemType)
        assert Capability.ITEM_TYPES_NATIVE in provider.capabilities
        assert provider.capabilities >= DISCOVERY_CAPABILITIES
        assert context.size_field is not None
        assert context.size_field.name == "Size"
        defaults = {v.field_name: v.display for v in context.creation_defaults}
        assert defaults == {"Status": "Backlog", "Priority": "P1", "Iteration": defaults["Iteration"]}
        current = next(f for f in context.fields.values() if f.name == "Iteration")
        assert any(i.title == defaults["Iteration"] and i.id for i in current.iterations)


async def test_enter_is_two_concurrent_reads_when_everything_fits_one_page(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    emulator.state.add_label("acme/roadmap", "planpilot")
    async with make_github():
        assert emulator.stats.requests == 2
        assert emulator.stats.mutation_requests == 0


async def test_user_board_falls_back_to_type_labels_and_creates_them_when_first_needed(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    from planpilot_providers_core.contracts import CreateItemInput

    async with make_github(target="octo/side", board_url=USER_BOARD) as provider:
        context = _context(provider)
        assert context.create_type_strategy == "label"
        assert "user" in context.type_strategy_reason
        assert Capability.ITEM_TYPES_LABEL in provider.capabilities
        assert Capability.ITEM_TYPES_NATIVE not in provider.capabilities
        assert emulator.stats.mutation_requests == 0, "entering writes nothing"
        await provider.create_item(CreateItemInput(title="t", body="b", item_type="EPIC"))
    summary = emulator.state.summary()["repositories"]["octo/side"]
    assert {"planpilot", "Epic"} <= set(summary["labels"])
    assert not {"Story", "Task"} & set(summary["labels"]), "only the labels a write needed"


async def test_insisting_on_native_types_fails_on_enter_with_the_capability(make_github: MakeGitHub) -> None:
    provider = make_github(
        target="octo/side",
        board_url=USER_BOARD,
        required_capabilities={*DISCOVERY_CAPABILITIES, Capability.ITEM_TYPES_NATIVE},
    )
    with pytest.raises(ProviderCapabilityError) as info:
        async with provider:
            pass
    assert info.value.capability == Capability.ITEM_TYPES_NATIVE


async def test_missing_issue_type_falls_back_to_labels_naming_it(make_github: MakeGitHub) -> None:
    config = FieldConfig(create_type_map={"EPIC": "Initiative", "STORY": "Story", "TASK": "Task"})
    async with make_github(field_config=config) as provider:
        context = _context(provider)
        assert context.create_type_strategy == "label"
        assert "Initiative" in context.type_strategy_reason


async def test_label_strategy_can_be_configured(make_github: MakeGitHub) -> None:
    async with make_github(field_config=FieldConfig(create_type_strategy="label")) as provider:
        assert _context(provider).create_type_strategy == "label"


async def test_discovery_label_created_once_when_missing(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    from planpilot_providers_core.contracts import CreateItemInput

    async with make_github(label="roadmap-sync"):
        pass
    assert emulator.stats.mutation_requests == 0, "entering writes nothing, even without the label"
    for n in range(2):
        async with make_github(label="roadmap-sync") as provider:
            await provider.create_item(CreateItemInput(title=f"t{n}", body="b", item_type="TASK"))
    assert emulator.stats.operations["CreateLabel"] == 1
    assert "roadmap-sync" in emulator.state.summary()["repositories"]["acme/roadmap"]["labels"]


async def test_read_only_enter_writes_nothing_and_refuses_writes(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    from planpilot_providers_core.contracts import CreateItemInput

    async with make_github(read_only=True, label="fresh-label") as provider:
        with pytest.raises(ProviderError, match="read_only"):
            await provider.create_item(CreateItemInput(title="t", body="b", item_type="TASK"))
    assert emulator.stats.mutation_requests == 0


async def test_labels_issue_types_and_fields_are_paged_past_100(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    for n in range(150):
        emulator.state.add_label("acme/roadmap", f"label-{n:03d}")
    emulator.state.add_label("acme/roadmap", "planpilot")
    for n in range(100):
        emulator.state.add_issue_type("acme", f"Type {n:03d}")
    project = emulator.state.project("acme", 1)
    for n in range(100):
        emulator.state.add_field(project, f"Extra {n:03d}", "TEXT")
    async with make_github() as provider:
        context = _context(provider)
        assert "Extra 099" in context.fields
        assert set(context.issue_type_ids) == set(PlanItemType)
        label_149 = emulator.state.repository("acme/roadmap").labels["label-149"].id
        assert await provider._labels.ids(["label-149"], context) == {"label-149": label_149}
    assert emulator.stats.operations["RepositoryLabels"] >= 1
    assert emulator.stats.operations["RepositoryIssueTypes"] >= 1
    assert emulator.stats.operations["ProjectFields"] >= 1
    assert emulator.stats.operations["CreateLabel"] == 0


async def test_misconfigured_status_is_a_clear_error_before_any_write(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    with pytest.raises(ProviderError) as info:
        async with make_github(field_config=FieldConfig(status="Triage")):
            pass
    message = str(info.value)
    assert "Triage" in message
    assert "Backlog" in message
    assert "field_config.status" in message
    assert emulator.stats.mutation_requests == 0


async def test_unknown_iteration_title_is_an_error(make_github: MakeGitHub) -> None:
    with pytest.raises(ProviderError, match="Iteration 99"):
        async with make_github(field_config=FieldConfig(iteration="Iteration 99")):
            pass


async def test_fields_the_board_lacks_are_simply_not_defaults(
    make_github: MakeGitHub, emulator: GitHubEmulator
) -> None:
    emulator.state.add_repository("acme", "bare")
    emulator.state.add_project("acme", "Bare", number=7, builtin_fields=True)
    async with make_github(target="acme/bare", board_url="https://github.com/orgs/acme/projects/7") as provider:
        assert _context(provider).creation_defaults == ()
        assert _context(provider).size_field is None


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"target": "acme/nope"}, "acme/nope"),
        ({"board_url": "https://github.com/orgs/acme/projects/9"}, "project 9"),
        ({"board_url": "https://github.com/orgs/nobody/projects/1"}, "nobody"),
    ],
)
async def test_missing_repository_or_project_is_a_clear_provider_error(
    make_github: MakeGitHub, overrides: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ProviderError) as info:
        async with make_github(**overrides):
            pass
    assert fragment in str(info.value)


def test_bad_board_url_fails_at_construction(make_github: MakeGitHub) -> None:
    with pytest.raises(ProjectURLError, match="orgs/<org>/projects/<number>"):
        make_github(board_url="https://github.com/acme/roadmap")


async def test_bad_token_is_authentication_error(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    emulator.accept_tokens("the-right-token")
    with pytest.raises(AuthenticationError, match="401"):
        async with make_github():
            pass


async def test_empty_token_fails_before_any_request(make_github: MakeGitHub, emulator: GitHubEmulator) -> None:
    with pytest.raises(AuthenticationError, match="GITHUB_TOKEN"):
        async with make_github(token=""):
            pass
    assert emulator.stats.requests == 0


async def test_forbidden_403_is_authentication_error_with_githubs_reason(
    make_github: MakeGitHub, emulator: GitHubEmulator, github_token: str
) -> None:
    emulator.forbid_token(github_token)
    with pytest.raises(AuthenticationError, match="SAML"):
        async with make_github():
            pass
    assert emulator.stats.requests == 2  # both first reads, neither retried
