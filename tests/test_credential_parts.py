"""Credentials of several parts, alternatives, bounded helpers, whole-value masking and plain-http refusal."""

from __future__ import annotations

import base64
import json
import sys
from typing import Any
from urllib.parse import quote

import pytest

from planpilot_providers_core.cli.list_command import credential_json, credential_text
from planpilot_providers_core.cli.output import Output
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.credentials import (
    Credential,
    CredentialHelperError,
    redact,
    resolve_credential,
    run_credential_command,
    strip_userinfo,
)
from planpilot_providers_core.errors import AuthenticationError, InsecureTransportError, InvalidCredentialError
from planpilot_providers_core.reliability import HttpClientConfig
from planpilot_providers_core.spec import CredentialPart, CredentialRequest, CredentialSpec, ProviderSpec

EMAIL = "ada@example.com"
API_TOKEN = "ATATT3xFfGF0-jira-api-token"
OAUTH = "oauth-access-token-0123456789"
JIRA = CredentialSpec(
    name="Jira API token",
    parts=(
        CredentialPart(key="email", name="account email", env=("JIRA_EMAIL",)),
        CredentialPart(key="token", name="API token", env=("JIRA_API_TOKEN",)),
    ),
    sent_as="basic",
    alternatives=(CredentialSpec(name="Jira OAuth token", env=("JIRA_OAUTH_TOKEN",)),),
)
REQUEST = CredentialRequest(provider="jira", target="ENG", board_url="", options={})


def spec(credential: CredentialSpec | None) -> ProviderSpec:
    return ProviderSpec(name="jira", provider_class="m:C", capabilities=(), summary="s", credential=credential)


def resolve(environ: dict[str, str], credential: CredentialSpec = JIRA) -> Credential:
    return resolve_credential(spec(credential), REQUEST, environ=environ)


def test_a_two_part_credential_is_found_part_by_part_and_sent_as_basic() -> None:
    found = resolve({"JIRA_EMAIL": EMAIL, "JIRA_API_TOKEN": API_TOKEN})
    assert (found.name, found["email"], found["token"], found.sent_as) == ("Jira API token", EMAIL, API_TOKEN, "basic")
    assert found.authorization() == "Basic " + base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()
    assert EMAIL not in repr(found)
    assert API_TOKEN not in repr(found)


def test_a_missing_part_is_named_with_where_it_is_looked_for() -> None:
    with pytest.raises(AuthenticationError) as failure:
        resolve({"JIRA_EMAIL": EMAIL})
    message = str(failure.value)
    assert "no API token found" in message
    assert "JIRA_API_TOKEN" in message
    assert EMAIL not in message
    assert "account email" not in message.split("set", 1)[1], "the part that was found is not asked for again"


def test_the_alternative_is_used_when_the_credential_is_not_complete() -> None:
    found = resolve({"JIRA_EMAIL": EMAIL, "JIRA_OAUTH_TOKEN": OAUTH})
    assert (found.name, found.value, found.authorization()) == ("Jira OAuth token", OAUTH, f"Bearer {OAUTH}")


def test_nothing_found_says_where_every_part_and_alternative_is_looked_for() -> None:
    with pytest.raises(AuthenticationError) as failure:
        resolve({})
    assert str(failure.value) == (
        "no Jira API token found for provider 'jira': set the account email in JIRA_EMAIL and the API token in "
        "JIRA_API_TOKEN; or the Jira OAuth token in JIRA_OAUTH_TOKEN"
    )
    assert credential_text(JIRA) == (
        "Jira API token: the account email in JIRA_EMAIL and the API token in JIRA_API_TOKEN; "
        "or the Jira OAuth token in JIRA_OAUTH_TOKEN"
    )
    shown = credential_json(JIRA)
    assert shown is not None
    assert [part["env"] for part in shown["parts"]] == [["JIRA_EMAIL"], ["JIRA_API_TOKEN"]]  # type: ignore[index]


def test_the_header_check_applies_to_what_is_sent() -> None:
    # Basic base64-encodes its parts: a non-ASCII character is sendable there ...
    found = resolve({"JIRA_EMAIL": "zoë@example.com", "JIRA_API_TOKEN": API_TOKEN})
    assert found.authorization().isascii()
    # ... but not in a header as it is, and a line break never.
    with pytest.raises(InvalidCredentialError, match=r"non-ASCII.*cannot be sent in an HTTP header") as bearer:
        resolve({"JIRA_OAUTH_TOKEN": "tökén-0123456789"})
    with pytest.raises(InvalidCredentialError, match="line break") as broken:
        resolve({"JIRA_EMAIL": EMAIL, "JIRA_API_TOKEN": "ATATT3x\nsecond-line"})
    assert "tökén" not in str(bearer.value)
    assert "second-line" not in str(broken.value)


@pytest.mark.parametrize("value", ["e", "error", "github", "1234567"])
def test_a_credential_too_short_to_mask_safely_is_refused_when_read(value: str) -> None:
    single = CredentialSpec(name="GitHub token", env=("GITHUB_TOKEN",))
    with pytest.raises(InvalidCredentialError, match="shorter than 8 characters") as failure:
        resolve({"GITHUB_TOKEN": value}, single)
    assert f"'{value}'" not in str(failure.value)


def test_a_credential_too_long_to_be_one_is_refused() -> None:
    single = CredentialSpec(name="GitHub token", env=("GITHUB_TOKEN",))
    with pytest.raises(InvalidCredentialError, match="more than any credential"):
        resolve({"GITHUB_TOKEN": "x" * 50_000}, single)


def test_every_derived_form_is_masked_as_a_whole_value() -> None:
    found = resolve({"JIRA_EMAIL": EMAIL, "JIRA_API_TOKEN": API_TOKEN})
    basic = base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()
    forms = found.secret_forms()
    assert {EMAIL, API_TOKEN, basic, f"Basic {basic}", quote(EMAIL, safe="")} <= set(forms)
    text = f"401 for {EMAIL}:{API_TOKEN} with Authorization: Basic {basic}, user={quote(EMAIL, safe='')}"
    masked = redact(text, *forms)
    for form in forms:
        assert form not in masked
    assert masked.startswith("401 for ***")


def test_masking_never_touches_part_of_another_word() -> None:
    token = "planpilot"  # a credential that is also an ordinary word of the output
    assert (
        redact("the planpilot label of planpilots and myplanpilot", token)
        == "the *** label of planpilots and myplanpilot"
    )


def test_json_output_stays_valid_whatever_the_secret() -> None:
    class Capture:
        def __init__(self) -> None:
            self.text = ""

        def write(self, text: str) -> None:
            self.text += text

        def flush(self) -> None:
            pass

        def isatty(self) -> bool:
            return False

    stdout: Any = Capture()
    output = Output(stdout=stdout, stderr=Capture())  # type: ignore[arg-type]
    output.add_secret("exit_code", 'with "quote')
    output.json({"ok": False, "exit_code": 4, "message": 'a "with "quote" and exit_code'})
    parsed = json.loads(stdout.text)
    assert parsed == {"ok": False, "***": 4, "message": 'a "***" and ***'}


def test_urls_lose_their_userinfo() -> None:
    assert strip_userinfo("GET http://user:PW@host:8080/graphql failed") == "GET http://host:8080/graphql failed"
    assert redact("see https://me:s3cret-pass@example.com/x") == "see https://example.com/x"
    config = HttpClientConfig("https://me:s3cret-pass@api.example.com")
    assert "s3cret" not in repr(config)


def test_a_config_keeps_its_credential_out_of_repr() -> None:
    credential = Credential(name="Jira API token", parts={"email": EMAIL, "token": API_TOKEN}, sent_as="basic")
    config = ProviderConfig(provider="jira", target="ENG", credential=credential)
    assert config.token == ""
    assert config.credential["token"] == API_TOKEN
    assert API_TOKEN not in repr(config)
    assert EMAIL not in repr(config)
    single = ProviderConfig(provider="github", target="a/b", token="ghp_0123456789")
    assert single.credential.value == "ghp_0123456789"


def test_a_credential_is_refused_over_plain_http_to_another_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLANPILOT_PROVIDERS_ALLOW_INSECURE_HTTP", raising=False)
    headers = {"Authorization": "Bearer ghp_0123456789"}
    with pytest.raises(InsecureTransportError, match=r"plain http to tracker\.example\.com.*--allow-insecure-http"):
        HttpClientConfig("http://tracker.example.com/api", headers=headers)
    for loopback in ("http://127.0.0.1:8765", "http://localhost:1/x", "http://[::1]:80"):
        HttpClientConfig(loopback, headers=headers)
    HttpClientConfig("https://tracker.example.com/api", headers=headers)
    HttpClientConfig("http://tracker.example.com/api")  # no credential: nothing to protect
    HttpClientConfig("http://tracker.example.com/api", headers=headers, allow_insecure_http=True)
    monkeypatch.setenv("PLANPILOT_PROVIDERS_ALLOW_INSECURE_HTTP", "1")
    HttpClientConfig("http://tracker.example.com/api", headers=headers)


def test_a_helper_command_is_bounded_in_time_and_output() -> None:
    python = sys.executable
    assert run_credential_command([python, "-c", "print('  tok-0123456789  ')"]) == "tok-0123456789"
    assert run_credential_command([python, "-c", "import sys; sys.exit(1)"]) is None
    assert run_credential_command(["/nonexistent/helper"]) is None
    with pytest.raises(CredentialHelperError, match=r"did not finish within 0\.5s"):
        run_credential_command([python, "-c", "import time; time.sleep(30)"], timeout=0.5)
    with pytest.raises(CredentialHelperError, match="printed more than 1000 bytes"):
        run_credential_command([python, "-c", "print('x' * 5_000_000)"], max_output=1000)


def test_a_helper_whose_command_hangs_is_reported_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    import planpilot_provider_github.credentials as gh

    def hanging(args: list[str]) -> str | None:
        return run_credential_command([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.3)

    monkeypatch.setattr(gh, "_run_gh", hanging)
    monkeypatch.setattr(gh.gh_auth_token, "__kwdefaults__", {"run": hanging})
    github = CredentialSpec(
        name="GitHub token",
        env=("GITHUB_TOKEN",),
        helper="planpilot_provider_github.credentials:gh_auth_token",
        helper_command="gh auth token",
    )
    with pytest.raises(CredentialHelperError, match="did not finish within"):
        resolve({}, github)


GITHUB = ("--provider", "github", "--target", "acme/roadmap", "--board-url", "https://github.com/orgs/acme/projects/1")


def test_the_cli_shows_no_password_from_a_url_and_refuses_plain_http(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from planpilot_providers_core.cli import main

    monkeypatch.setenv("GITHUB_TOKEN", "ghp_0123456789abcdef")
    monkeypatch.delenv("PLANPILOT_PROVIDERS_ALLOW_INSECURE_HTTP", raising=False)
    assert main(["check", *GITHUB, "--api-url", "bad://ada:s3cret-pass@example.com/graphql"]) == 2
    err = capsys.readouterr().err
    assert "bad://example.com/graphql" in err
    assert "s3cret-pass" not in err
    assert main(["check", *GITHUB, "--api-url", "http://tracker.example.com/graphql", "--json"]) == 2
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["error"]["kind"] == "config"
    assert "over plain http to tracker.example.com" in report["error"]["message"]
    assert "ghp_0123456789abcdef" not in out + err
