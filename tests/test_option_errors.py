"""Provider options: every bad value is one sentence naming the option and what it accepts (exit 2), a
missing one names the flag that sets it, and the command line refuses options only Python code can give."""

from __future__ import annotations

import attrs
import pytest

from planpilot_providers_core.cli import main
from planpilot_providers_core.config import ProviderConfig, parse_options
from planpilot_providers_core.errors import ProviderConfigError

GITHUB = ("--provider", "github", "--target", "acme/roadmap", "--board-url", "https://github.com/orgs/acme/projects/1")


@pytest.mark.parametrize(
    ("option", "says"),
    [
        ("transport=1", "option transport takes an AsyncBaseTransport object, which only Python code can give"),
        ("clock=1", "option clock takes a Clock object, which only Python code can give"),
        ("clock=null", "option clock takes a Clock object, which only Python code can give"),
        ("retry_policy=5", "option retry_policy takes a RetryPolicy object, which only Python code can give"),
        ("timeout=0", "option timeout must be a number of seconds > 0, at most 86400, got 0"),
        ("mutation_interval=1e308", "option mutation_interval must be a number of seconds >= 0, at most 86400"),
        ("max_connections=0", "option max_connections must be a whole number >= 1, got 0"),
        ("max_connections=many", "option max_connections must be a whole number >= 1, got 'many'"),
    ],
)
def test_a_bad_option_value_is_one_sentence_and_exit_2(
    option: str, says: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_never-looked-up-0123")
    code = main(["sync", "examples/roadmap.json", *GITHUB, "--option", option])
    err = capsys.readouterr().err
    assert code == 2, err
    assert says in err
    assert err.count("\n") == 1, "one line"
    for internals in ("Attribute(", "_AndValidator", "__init__()", "This is a bug", "Traceback"):
        assert internals not in err


@attrs.frozen(kw_only=True)
class JiraLikeOptions:
    api_url: str
    page_size: int = attrs.field(
        default=50, validator=[attrs.validators.instance_of(int), attrs.validators.in_(range(1, 51))]
    )
    fields: dict[str, str] = attrs.field(factory=dict)


def parse(**options: object) -> JiraLikeOptions:
    return parse_options(JiraLikeOptions, ProviderConfig(provider="jira", target="ENG", options=options))


def test_a_missing_required_option_names_the_flag_that_sets_it() -> None:
    with pytest.raises(ProviderConfigError) as failure:
        parse(page_size=10)
    assert str(failure.value) == "provider 'jira' needs api_url: give --api-url URL"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"page_size": 500}, "provider 'jira': option page_size must be a whole number from 1 to 50, got 500"),
        ({"page_size": "50"}, "provider 'jira': option page_size must be a whole number from 1 to 50, got '50'"),
        ({"fields": "Story Points"}, "provider 'jira': option fields must be an object, got 'Story Points'"),
        ({"colour": "red"}, "provider 'jira' does not accept option(s) colour; it accepts: api_url, fields, page_size"),
    ],
)
def test_a_bad_value_names_the_option_and_what_it_accepts(options: dict[str, object], message: str) -> None:
    with pytest.raises(ProviderConfigError) as failure:
        parse(api_url="https://acme.atlassian.net", **options)
    assert str(failure.value) == message
