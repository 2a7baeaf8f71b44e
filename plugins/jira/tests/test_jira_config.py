"""Configuration as Jira users know it, checked before any credential is read or anything is contacted; and the
label mapping (no whitespace in Jira labels: stable and reversible)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planpilot_provider_jira.labels import decode_label, encode_label, label_problem
from planpilot_provider_jira.options import board_id, parse_site_url, project_key
from planpilot_provider_jira.provider import JiraProvider
from planpilot_provider_jira.testing import JiraEmulator
from planpilot_providers_core import (
    InsecureTransportError,
    ProjectURLError,
    ProviderConfig,
    ProviderConfigError,
    create_provider,
)

from .support import CREDENTIAL, provider_factory


@pytest.mark.parametrize(
    ("label", "jira"),
    [
        ("planpilot", "planpilot"),
        ("needs review", "needs%20review"),
        ("100% done", "100%25%20done"),
        ("tab\there", "tab%09here"),
        ("non\u00a0breaking", "non%C2%A0breaking"),
        ("team-a/v1.2", "team-a/v1.2"),
    ],
)
def test_labels_map_to_jira_without_whitespace_and_back(label: str, jira: str) -> None:
    assert encode_label(label) == jira
    assert decode_label(jira) == label
    assert not any(ch.isspace() for ch in encode_label(label))


@given(st.text(min_size=1))
def test_the_label_mapping_is_reversible_for_every_label(label: str) -> None:
    encoded = encode_label(label)
    assert decode_label(encoded) == label
    assert encode_label(label) == encoded  # stable
    assert not any(ch.isspace() for ch in encoded)


def test_a_label_someone_typed_in_jira_reads_as_itself() -> None:
    assert decode_label("50%-off") == "50%-off"
    assert decode_label("%FF") == "%FF"  # not UTF-8: not something the mapping wrote
    assert label_problem("x" * 256) is not None
    assert label_problem("fine label") is None


@pytest.mark.parametrize(
    ("url", "base", "cloud"),
    [
        ("https://acme.atlassian.net", "https://acme.atlassian.net", None),
        ("https://acme.atlassian.net/", "https://acme.atlassian.net", None),
        ("http://127.0.0.1:8766", "http://127.0.0.1:8766", None),
        ("https://api.atlassian.com/ex/jira/abc-123", "https://api.atlassian.com/ex/jira/abc-123", "abc-123"),
    ],
)
def test_api_urls_are_a_site_or_the_gateway_form(url: str, base: str, cloud: str | None) -> None:
    site = parse_site_url(url)
    assert (site.base, site.cloud_id) == (base, cloud)


@pytest.mark.parametrize("url", ["acme.atlassian.net", "ftp://acme", "https://acme.atlassian.net/rest/api/3"])
def test_a_bad_api_url_says_what_to_give(url: str) -> None:
    with pytest.raises(ProviderConfigError, match=r"https://acme\.atlassian\.net|site"):
        parse_site_url(url)


@pytest.mark.parametrize(
    ("url", "board"),
    [
        ("https://acme.atlassian.net/jira/software/c/projects/PROJ/boards/7", 7),
        ("https://acme.atlassian.net/jira/software/projects/PROJ/boards/12/backlog", 12),
        ("https://acme.atlassian.net/secure/RapidBoard.jspa?rapidView=3", 3),
        ("", None),
    ],
)
def test_board_urls_of_both_project_kinds(url: str, board: int | None) -> None:
    assert board_id(url, "PROJ") == board


def test_a_board_of_another_project_or_shape_is_refused() -> None:
    with pytest.raises(ProjectURLError, match="of project OTHER, not of the target PROJ"):
        board_id("https://acme.atlassian.net/jira/software/c/projects/OTHER/boards/7", "PROJ")
    with pytest.raises(ProjectURLError, match="not a Jira Software board URL"):
        board_id("https://acme.atlassian.net/browse/PROJ-1", "PROJ")


@pytest.mark.parametrize("target", ["proj", "P", "PROJ-1", "acme/roadmap", ""])
def test_a_target_that_is_not_a_project_key_is_refused(target: str) -> None:
    with pytest.raises(ProviderConfigError, match="project key"):
        project_key(target)


def test_a_missing_api_url_names_its_flag() -> None:
    with pytest.raises(ProviderConfigError, match="--api-url"):
        JiraProvider(ProviderConfig.from_keywords("jira", target="PROJ", credential=CREDENTIAL))


def test_a_bad_option_is_one_sentence_naming_it() -> None:
    with pytest.raises(ProviderConfigError, match="page_size") as raised:
        create_provider("jira", target="PROJ", token="", board_url="", api_url="https://a.atlassian.net", page_size=500)
    assert "Attribute(" not in str(raised.value)


async def test_the_credential_is_refused_over_plain_http_to_another_host() -> None:
    provider = create_provider(
        "jira", target="PROJ", token="", credential=CREDENTIAL, board_url="", api_url="http://jira.acme.test"
    )
    with pytest.raises(InsecureTransportError, match="plain http"):
        async with provider:
            pass


async def test_entering_resolves_the_project_s_mapping(emulator: JiraEmulator) -> None:
    async with provider_factory(emulator)() as provider:
        context = provider.context
        assert {t.value: ref.name for t, ref in context.types.items()} == {
            "EPIC": "Epic",
            "STORY": "Story",
            "TASK": "Task",
        }
        assert context.subtask is not None
        assert context.subtask.name == "Sub-task"
        assert context.size is not None
        assert context.size.name == "Story Points"
        assert (context.status, context.priority, context.sprint) == (None, None, None)  # core's defaults skipped
        assert context.link_type.name == "Blocks"
        assert repr(CREDENTIAL.parts["token"]) not in repr(provider)
