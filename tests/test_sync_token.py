"""Token resolution: environment first, then ``gh auth token``; a clear error that names no secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from planpilot_providers_core.errors import AuthenticationError
from planpilot_providers_core.sync.token import redact, resolve_token


class FakeGh:
    def __init__(self, token: str | None) -> None:
        self.token = token
        self.calls: list[list[str]] = []

    def __call__(self, args: list[str]) -> str | None:
        self.calls.append(args)
        return self.token


def test_github_token_wins_over_gh_token_and_gh_is_not_asked() -> None:
    gh = FakeGh("from-gh")
    assert resolve_token(environ={"GITHUB_TOKEN": "a", "GH_TOKEN": "b"}, gh=gh) == "a"
    assert resolve_token(environ={"GITHUB_TOKEN": "  ", "GH_TOKEN": "b"}, gh=gh) == "b"
    assert gh.calls == []


def test_gh_is_the_fallback_and_is_asked_for_the_enterprise_host() -> None:
    gh = FakeGh("from-gh")
    assert resolve_token(environ={}, gh=gh) == "from-gh"
    assert resolve_token(environ={}, gh=gh, api_url="https://api.github.com/graphql") == "from-gh"
    assert resolve_token(environ={}, gh=gh, api_url="https://ghe.example.com/api/graphql") == "from-gh"
    assert gh.calls == [[], [], ["--hostname", "ghe.example.com"]]


def test_no_token_anywhere_is_an_authentication_error_saying_where_to_put_one() -> None:
    with pytest.raises(AuthenticationError, match=r"set GITHUB_TOKEN or GH_TOKEN, or sign in with 'gh auth login'$"):
        resolve_token(environ={}, gh=FakeGh(None))
    with pytest.raises(AuthenticationError, match=r"'gh auth login' for ghe\.example\.com$"):
        resolve_token(environ={}, gh=FakeGh(None), api_url="https://ghe.example.com/api/graphql")


def test_gh_missing_from_path_means_no_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AuthenticationError):
        resolve_token(environ={})


def test_redact_masks_every_occurrence_and_leaves_text_alone_without_a_secret() -> None:
    assert redact("token s3cret, again s3cret", "s3cret") == "token ***, again ***"
    assert redact("nothing to hide", None) == "nothing to hide"
    assert redact("nothing to hide", "") == "nothing to hide"
