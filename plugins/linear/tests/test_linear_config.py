"""Configuration as Linear users know it: a team key, a project URL, options with readable errors, and the
credential sent the way Linear expects each kind, never over plain http, never shown."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from planpilot_provider_linear.credentials import authorization, is_api_key
from planpilot_provider_linear.provider import LinearProvider
from planpilot_provider_linear.testing import LinearEmulator
from planpilot_provider_linear.urls import parse_project_url, parse_team_key
from planpilot_providers_core import Credential, ProviderConfig
from planpilot_providers_core.errors import (
    AuthenticationError,
    InsecureTransportError,
    ProjectURLError,
    ProviderConfigError,
)

MakeLinear = Callable[..., LinearProvider]


@pytest.mark.parametrize(("target", "key"), [("ENG", "ENG"), ("eng", "ENG"), (" Ops2 ", "OPS2"), ("A_B", "A_B")])
def test_the_target_is_a_team_key_in_upper_case(target: str, key: str) -> None:
    assert parse_team_key(target) == key


@pytest.mark.parametrize("target", ["ENG-12", "acme/eng", "1ENG", "", "ENGINEERING1234"])
def test_a_target_that_is_no_team_key_says_what_one_looks_like(target: str) -> None:
    with pytest.raises(ProviderConfigError, match="team key such as ENG"):
        parse_team_key(target)


@pytest.mark.parametrize(
    "url",
    [
        "https://linear.app/acme/project/roadmap-7d3e2f9a1b4c",
        "https://linear.app/acme/project/roadmap-7d3e2f9a1b4c/overview",
        "https://linear.app/acme/project/q3-billing-roadmap-7d3e2f9a1b4c/issues?layout=list",
    ],
)
def test_a_project_url_names_its_slug_id(url: str) -> None:
    assert parse_project_url(url) == "7d3e2f9a1b4c"


def test_no_board_url_is_no_project() -> None:
    assert parse_project_url("") is None


@pytest.mark.parametrize(
    "url",
    [
        "https://linear.app/acme/team/ENG/active",
        "https://github.com/orgs/acme/projects/1",
        "linear.app/acme/project/roadmap-7d3e2f9a1b4c",
        "https://linear.app/acme/project/-",
    ],
)
def test_another_url_is_refused_with_the_shape_expected(url: str) -> None:
    with pytest.raises(ProjectURLError, match=r"https://linear.app/<workspace>/project/<project-name>-<id>"):
        parse_project_url(url)


def config(**keywords: Any) -> ProviderConfig:
    keywords.setdefault("target", "ENG")
    return ProviderConfig.from_keywords("linear", **keywords)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"api_url": "https://api.linear.app"}, "does not end in /graphql"),
        ({"api_url": "ftp://api.linear.app/graphql"}, "not an http(s) URL"),
        ({"page_size": 500}, "page_size"),
        ({"batch_size": 0}, "batch_size"),
        ({"recent_window": -1}, "recent_window"),
        ({"pages": 3}, "does not accept option(s) pages"),
    ],
)
def test_options_are_checked_before_anything_else(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ProviderConfigError, match=re.escape(message)):
        LinearProvider.validate_config(config(**options))


def test_a_personal_key_goes_bare_and_an_oauth_token_as_bearer() -> None:
    key = Credential(name="Linear API key", parts={"token": "lin_api_abcdefgh12"}, sent_as="header")
    oauth = Credential(name="Linear OAuth token", parts={"token": "lin_oauth_abcdefgh"}, sent_as="bearer")
    assert (authorization(key), authorization(oauth)) == ("lin_api_abcdefgh12", "Bearer lin_oauth_abcdefgh")
    # Handed over as token= (no declaration of its kind): a key by its prefix, else an OAuth token.
    assert authorization(Credential.token("lin_api_abcdefgh12")) == "lin_api_abcdefgh12"
    assert authorization(Credential.token("oauth-access-token")) == "Bearer oauth-access-token"
    assert is_api_key(key)
    assert not is_api_key(oauth)


def test_no_credential_says_where_to_put_one() -> None:
    with pytest.raises(AuthenticationError, match="LINEAR_API_KEY"):
        authorization(Credential.token(""))


def test_a_credential_is_never_sent_over_plain_http_to_another_host() -> None:
    with pytest.raises(InsecureTransportError, match="over plain http") as refused:
        LinearProvider(config(token="lin_api_abcdefgh12", api_url="http://linear.example/graphql"))
    assert "abcdefgh" not in str(refused.value)
    loopback = LinearProvider(config(token="lin_api_abcdefgh12", api_url="http://127.0.0.1:8766/graphql"))
    assert loopback.options.api_url.startswith("http://127.0.0.1")  # the emulator on loopback is fine


async def test_the_provider_works_with_either_credential(
    make_linear: MakeLinear, live_emulator: LinearEmulator
) -> None:
    live_emulator.accept(api_keys=["lin_api_test-key-0123456789"], oauth_tokens=["lin_oauth_test-token-0123456789"])
    for credential in (
        Credential(name="Linear API key", parts={"token": "lin_api_test-key-0123456789"}, sent_as="header"),
        Credential(name="Linear OAuth token", parts={"token": "lin_oauth_test-token-0123456789"}, sent_as="bearer"),
    ):
        async with make_linear(credential=credential) as provider:
            assert provider.context.team_key == "ENG"
            assert "test-" not in repr(provider) + repr(provider.context)


async def test_a_refused_key_is_an_authentication_error_without_the_key(
    make_linear: MakeLinear, live_emulator: LinearEmulator
) -> None:
    live_emulator.accept(api_keys=["lin_api_another-key-0000"])
    with pytest.raises(AuthenticationError) as refused:
        async with make_linear():
            pass  # pragma: no cover - refused on entering
    assert "LINEAR_API_KEY" in str(refused.value)
    assert "test-key" not in str(refused.value)


async def test_an_unknown_team_or_project_is_named(make_linear: MakeLinear) -> None:
    from planpilot_providers_core.errors import ProviderError

    with pytest.raises(ProviderError, match="no team with key 'OPS'"):
        async with make_linear(target="OPS"):
            pass  # pragma: no cover
    with pytest.raises(ProviderError, match="no project"):
        async with make_linear(board_url="https://linear.app/acme/project/other-0123456789ab"):
            pass  # pragma: no cover
