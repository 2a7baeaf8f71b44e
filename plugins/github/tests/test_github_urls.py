"""Board URL and target parsing: the accepted shapes and the errors for everything else."""

import pytest

from planpilot_provider_github.urls import BoardRef, RepoRef, parse_board_url, parse_target
from planpilot_providers_core.errors import ProjectURLError, ProviderError


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/orgs/acme/projects/3", BoardRef(owner_is_org=True, login="acme", number=3)),
        ("https://github.com/users/octo/projects/12/", BoardRef(owner_is_org=False, login="octo", number=12)),
        (
            "https://github.com/orgs/acme-inc/projects/1/views/4",
            BoardRef(owner_is_org=True, login="acme-inc", number=1),
        ),
    ],
)
def test_accepted_board_urls(url: str, expected: BoardRef) -> None:
    assert parse_board_url(url) == expected


def test_a_github_enterprise_board_is_accepted_on_its_own_host() -> None:
    url = "https://ghe.example.com/orgs/acme/projects/2"
    assert parse_board_url(url, hosts={"github.com", "ghe.example.com"}) == BoardRef(True, "acme", 2)


@pytest.mark.parametrize(
    "url", ["https://gitlab.com/orgs/acme/projects/1", "https://ghe.example.com/orgs/acme/projects/2"]
)
def test_a_board_on_another_host_is_refused_naming_the_hosts(url: str) -> None:
    with pytest.raises(ProjectURLError, match=r"not on github\.com"):
        parse_board_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "github.com/orgs/acme/projects/3",
        "https://github.com/acme/roadmap/projects/3",
        "https://github.com/orgs/acme/projects/0",
        "https://github.com/orgs/acme/projects/abc",
        "https://github.com/orgs/acme",
        "ftp://github.com/orgs/acme/projects/3",
    ],
)
def test_rejected_board_urls_name_the_accepted_shapes(url: str) -> None:
    with pytest.raises(ProjectURLError) as info:
        parse_board_url(url)
    assert "https://github.com/orgs/<org>/projects/<number>" in str(info.value)
    assert "https://github.com/users/<user>/projects/<number>" in str(info.value)


def test_target_parsing() -> None:
    assert parse_target("acme/roadmap") == RepoRef(owner="acme", name="roadmap")
    assert parse_target("acme/roadmap").full_name == "acme/roadmap"
    for bad in ("acme", "acme/roadmap/x", "/roadmap", "ac me/roadmap"):
        with pytest.raises(ProviderError, match="OWNER/REPO"):
            parse_target(bad)
