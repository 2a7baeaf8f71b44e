"""Hostile and careless input, one section per class of the hardening issue.

1 tokens that cannot be sent; 3 what used to end in a traceback; 4 nonsense that used to be accepted;
5 terminal injection; 6 errors that misled; 7 plugin errors; 8 ``-v``. (Class 2, half-finished creates,
is covered with the GitHub provider's tests; the Ctrl-C run is in ``test_cli_interrupt.py``.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from planpilot_provider_github.testing import GitHubEmulator, serve_in_thread
from planpilot_providers_core import registry as registry_module
from planpilot_providers_core.cli import main
from planpilot_providers_core.cli.output import terminal_safe
from planpilot_providers_core.errors import InvalidCredentialError
from planpilot_providers_core.registry import BLOCK_PLUGINS_ENV, create_provider, get_registry

if TYPE_CHECKING:
    from conftest import FakeDistributions

ROOT = Path(__file__).resolve().parents[1]
ROADMAP = ROOT / "examples" / "roadmap.json"
CLI = Path(sys.executable).with_name("planpilot-providers")
BOARD = "https://github.com/orgs/acme/projects/1"
GITHUB = ("--provider", "github", "--target", "acme/roadmap", "--board-url", BOARD)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _plan(tmp_path: Path, **overrides: Any) -> Path:
    """A one-epic plan file, with ``overrides`` applied to the epic."""
    epic = {
        "id": "E1",
        "type": "EPIC",
        "title": "Billing",
        "goal": "Bill by usage",
        "requirements": ["meter"],
        "acceptance_criteria": ["invoices add up"],
        **overrides,
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"items": [epic]}), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for variable in ("GITHUB_TOKEN", "GH_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    empty_bin = tmp_path / "empty-bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))  # no `gh` to ask


# -- 1. tokens -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "kind"),
    [("ghp_first_half\nsecond_half", "a line break"), ("ghp_caf\u00e9_token", "a non-ASCII character")],
)
def test_a_token_that_cannot_be_sent_is_refused_without_echoing_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, token: str, kind: str
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", token)
    for extra in ((), ("--json",)):
        code, out, err = _run(capsys, "sync", str(ROADMAP), *GITHUB, *extra)
        assert code == 3
        assert f"the GitHub token in GITHUB_TOKEN contains {kind}" in err
        assert "no answer from GitHub" not in err
        for part in token.split("\n"):
            assert part not in out + err
        assert "Traceback" not in err


def test_the_factory_refuses_an_unsendable_token_without_echoing_it() -> None:
    with pytest.raises(InvalidCredentialError) as info:
        create_provider("github", target="acme/roadmap", token="ghp_abc\r\nX-Evil: 1", board_url=BOARD)
    assert "ghp_abc" not in str(info.value)
    assert "X-Evil" not in str(info.value)


# -- 3. what used to end in a traceback ------------------------------------------------------------------


def test_nan_hours_are_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nan.json"
    path.write_text(_plan(tmp_path).read_text().replace('"goal"', '"estimate": {"hours": NaN}, "goal"'))
    code, _, err = _run(capsys, "sync", str(path))
    assert code == 2
    assert "NaN is not a number JSON allows" in err


def test_a_plan_nested_100000_deep_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    code, _, err = _run(capsys, "sync", str(path))
    assert code == 2
    assert "nested too deeply" in err


@pytest.mark.parametrize(("argv", "first_line"), [(("sync", str(ROADMAP)), "Preview by dry-run"), (("list",), "NAME")])
def test_a_reader_that_goes_away_ends_the_output_quietly(argv: tuple[str, ...], first_line: str) -> None:
    """``planpilot-providers sync big.json | head -1``: no BrokenPipeError, the command's own exit code."""
    process = subprocess.Popen([str(CLI), *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()  # what `head -1` does after its line
    err = process.stderr.read()
    assert process.wait(timeout=60) == 0
    assert first.startswith(first_line)
    assert "Traceback" not in err
    assert "BrokenPipeError" not in err


def test_an_unexpected_error_is_a_message_and_exit_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one place that turns any unforeseen failure into a clear message (and a traceback only with -v)."""

    def broken(*args: object, **kwargs: object) -> object:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("planpilot_providers_core.cli.sync_command.load", broken)
    code, _, err = _run(capsys, "sync", str(ROADMAP))
    assert code == 1
    assert "error: unexpected ZeroDivisionError: a bug" in err
    assert "report it" in err
    assert "Traceback" not in err
    code, _, err = _run(capsys, "sync", str(ROADMAP), "-v")
    assert code == 1
    assert "Traceback" in err


# -- 4. nonsense that used to be accepted ----------------------------------------------------------------


def test_infinite_hours_are_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "inf.json"
    path.write_text(_plan(tmp_path).read_text().replace('"goal"', '"estimate": {"hours": Infinity}, "goal"'))
    code, _, err = _run(capsys, "sync", str(path))
    assert code == 2
    assert "Infinity is not a number JSON allows" in err
    path.write_text(_plan(tmp_path).read_text().replace('"goal"', '"estimate": {"hours": 1e400}, "goal"'))
    code, _, err = _run(capsys, "sync", str(path))
    assert code == 2
    assert 'field "estimate.hours" must be a finite number' in err


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": "T" * 5000}, "title has 5000 characters; github accepts at most 256"),
        ({"goal": "G" * 10_000_000}, "its issue body would have 10000"),
    ],
)
def test_titles_and_bodies_over_githubs_limits_are_refused_before_any_write(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    overrides: dict[str, str],
    message: str,
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "emulator-token")
    emulator = GitHubEmulator.with_default_scenario()
    with serve_in_thread(emulator) as url:
        code, _, err = _run(capsys, "sync", str(_plan(tmp_path, **overrides)), *GITHUB, "--api-url", url)
    assert code == 2
    assert message in err
    assert emulator.stats.mutation_requests == 0, "nothing is written before the plan is known to fit"


# -- 5. terminal injection -------------------------------------------------------------------------------

HOSTILE = "\x1b]0;PWNED\x07\x1b[2J evil\u202etxt.exe\x00\nSync OK"


def test_hostile_titles_reach_the_terminal_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "sync", str(_plan(tmp_path, title=HOSTILE)))
    assert code == 0
    for raw in ("\x1b", "\x07", "\u202e", "\x00"):
        assert raw not in out + err
    assert "\\x1b]0;PWNED\\x07\\x1b[2J evil\\u202etxt.exe\\x00\\x0aSync OK" in out
    assert "\nSync OK\n" not in out.replace("Sync OK (", ""), "a line break in a title cannot forge a line"


def test_json_output_escapes_hostile_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "sync", str(_plan(tmp_path, title=HOSTILE)), "--json")
    assert code == 0
    assert all(32 <= ord(c) < 127 or c == "\n" for c in out)
    assert json.loads(out)["items"][0]["title"] == HOSTILE


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text", "plain text"),
        ("tab\there", "tab\\x09here"),
        ("\x9b31m", "\\x9b31m"),
        ("\u2066isolate\u2069", "\\u2066isolate\\u2069"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("l\u2028s", "l\\u2028s"),
        ("caf\u00e9 \u6f22\u5b57", "caf\u00e9 \u6f22\u5b57"),
    ],
)
def test_terminal_safe(text: str, shown: str) -> None:
    assert terminal_safe(text) == shown
    assert terminal_safe("a\nb", keep_newlines=True) == "a\nb"
    assert terminal_safe("a\nb") == "a\\x0ab"


# -- 6. errors that misled -------------------------------------------------------------------------------


def test_a_malformed_target_is_bad_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "sync", str(ROADMAP), "--provider", "github", "--target", "acme", "--board-url", BOARD)
    assert code == 2
    assert "target 'acme' is not a GitHub repository; use OWNER/REPO" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--board-url", "https://github.com/acme/roadmap"), "is not a GitHub Projects v2 URL"),
        (("--board-url", "https://gitlab.com/orgs/acme/projects/1"), r"is on gitlab.com, not on github.com"),
        (("--board-url", BOARD, "--api-url", "http://127.0.0.1:1"), "does not end in /graphql"),
    ],
)
def test_configuration_is_checked_before_the_credential(
    capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], message: str
) -> None:
    """No token is set: still, what is reported is the configuration mistake."""
    code, _, err = _run(capsys, "sync", str(ROADMAP), "--provider", "github", "--target", "acme/roadmap", *extra)
    assert code == 2
    assert message in err
    assert "no GitHub token found" not in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--board-url", "not a url"), "is not an http(s) URL"),
        (("--target", "two words"), "has whitespace in it"),
    ],
)
def test_the_dry_run_validates_the_shape_of_its_configuration(
    capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], message: str
) -> None:
    code, _, err = _run(capsys, "sync", str(ROADMAP), *extra)
    assert code == 2
    assert message in err


def test_without_a_token_the_message_says_where_it_looked(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "sync", str(ROADMAP), *GITHUB)
    assert code == 3
    assert "no GitHub token found for provider 'github': looked in GITHUB_TOKEN, GH_TOKEN, then `gh auth token`" in err


def test_the_dry_run_summary_tells_write_calls_from_changes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "sync", str(ROADMAP))
    assert code == 0
    listed = out.split("\n\n")[0].splitlines()[1:]
    assert f"making {len(listed)} change(s))." in out
    assert "write call(s)" in out


# -- 7. plugin errors ------------------------------------------------------------------------------------


def _broken_plugin(fake_dists: FakeDistributions) -> None:
    fake_dists.add(
        "fake-broken-dist",
        entry_points={"broken": "fake_broken_pkg.plugin"},
        modules={"fake_broken_pkg": ""},
    )
    package = fake_dists.root / "fake_broken_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "plugin.py").write_text("import fake_module_that_is_not_installed\n")


def test_a_plugin_importing_a_missing_module_says_so(
    fake_dists: FakeDistributions, capsys: pytest.CaptureFixture[str]
) -> None:
    _broken_plugin(fake_dists)
    code, _, err = _run(capsys, "list")
    assert code == 0
    assert "No module named 'fake_module_that_is_not_installed'" in err
    assert "AttributeError" not in err


def test_sync_with_a_broken_provider_says_it_failed_to_load(
    fake_dists: FakeDistributions, capsys: pytest.CaptureFixture[str]
) -> None:
    _broken_plugin(fake_dists)
    code, _, err = _run(capsys, "sync", str(ROADMAP), "--provider", "broken")
    assert code == 3
    assert "provider 'broken' could not be loaded" in err
    assert "No module named 'fake_module_that_is_not_installed'" in err
    assert "unknown provider" not in err


def test_plugin_warnings_print_once_on_sync(fake_dists: FakeDistributions, capsys: pytest.CaptureFixture[str]) -> None:
    _broken_plugin(fake_dists)
    code, _, err = _run(capsys, "sync", str(ROADMAP))
    assert code == 0
    assert err.count("plugin problem") == 1


def test_a_name_claimed_twice_is_not_reported_as_nothing_installed(
    fake_dists: FakeDistributions, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only dry-run is installed, and a second distribution also registers 'dry-run'."""
    blocked = (
        "planpilot-provider-github",
        "planpilot-provider-jira",
        "planpilot-provider-linear",
        "planpilot-provider-tracklet",
    )
    monkeypatch.setenv(BLOCK_PLUGINS_ENV, ",".join(blocked))
    fake_dists.add(
        "fake-second-dry-run",
        entry_points={"second": "fake_second_dry_run"},
        modules={
            "fake_second_dry_run": (
                "from planpilot_providers_core.hookspecs import hookimpl\n"
                "from planpilot_providers_core.spec import ProviderSpec\n\n"
                "@hookimpl\n"
                "def planpilot_register_providers(register):\n"
                "    register(ProviderSpec(name='dry-run', provider_class='m:C', capabilities=(), summary='x'))\n"
            )
        },
    )
    get_registry.cache_clear()
    code, out, err = _run(capsys, "list")
    assert code == 0
    assert "No providers installed" not in out
    assert "No usable provider" in out
    assert "is registered by both" in err
    assert registry_module.get_registry().providers == {}


# -- 8. -v -----------------------------------------------------------------------------------------------


def test_verbose_shows_debug_logs_with_the_token_masked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "ghp_verbose_token_must_be_masked_0123456789"
    monkeypatch.setenv("GITHUB_TOKEN", token)
    emulator = GitHubEmulator.with_default_scenario()
    with serve_in_thread(emulator) as url:
        code, out, err = _run(capsys, "check", *GITHUB, "--api-url", url, "-v")
    assert code == 0
    assert "DEBUG planpilot.providers" in err
    assert token not in out + err


def test_v_shows_the_project_s_own_lines_and_vv_adds_the_transport(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_verbose_token_must_be_masked_0123456789")
    emulator = GitHubEmulator.with_default_scenario()
    with serve_in_thread(emulator) as url:
        _, _, once = _run(capsys, "check", *GITHUB, "--api-url", url, "-v")
        _, _, twice = _run(capsys, "check", *GITHUB, "--api-url", url, "-vv")
    debug = [line.split(":")[0] for line in once.splitlines() if line.startswith("DEBUG ")]
    assert debug, once
    assert all(line.startswith("DEBUG planpilot.") for line in debug), debug
    transport = [line for line in twice.splitlines() if line.startswith(("DEBUG httpcore", "DEBUG httpx"))]
    assert transport, twice
    assert "DEBUG planpilot.providers" in twice
