"""The CLI's start-up stays light: what ``--help`` imports, and the help width it finds without shutil.

The start-up figures themselves are measured by ``nox -s bench`` (benchmarks/bench_client.py), never here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from planpilot_providers_core.cache import CACHE_DIR_ENV, NO_CACHE_ENV
from planpilot_providers_core.cli import COMMANDS, _command_in, _terminal_columns, build_parser, main


def _run(argv: list[str], env: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """What ``main(argv)`` prints in a fresh interpreter, and the modules it imports beyond those the
    interpreter had loaded when the script began."""
    code = textwrap.dedent(
        f"""
        import sys
        before = set(sys.modules)
        from planpilot_providers_core.cli import main
        try:
            main({argv!r})
        except SystemExit:
            pass
        new = sorted(set(sys.modules) - before)
        import json
        print("NEW=" + json.dumps(new))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60, env=env
    )
    printed, _, line = result.stdout.rpartition("NEW=")
    new: list[str] = json.loads(line)
    return printed, new


def _imported_by(argv: list[str]) -> list[str]:
    return _run(argv)[1]


@pytest.mark.parametrize("argv", [["--help"], ["sync", "--help"]])
def test_help_imports_no_typing_shutil_or_command_machinery(argv: list[str]) -> None:
    new = _imported_by(argv)
    assert "planpilot_providers_core.cli" in new  # the probe saw the CLI load
    heavy = {"typing", "shutil", "importlib", "logging", "pluggy", "attrs"}
    assert sorted(heavy & set(new)) == []
    deeper = {m for m in new if m.startswith("planpilot_providers_core.") and m.count(".") > 1}
    # help_cache for the top level; a command's --help goes through main's SIGTERM handling (stdlib signal only)
    assert deeper <= {
        "planpilot_providers_core.cli.help_cache",
        "planpilot_providers_core.cli.signals",
        "planpilot_providers_core.cli.exits",
    }


@pytest.fixture
def cache_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANPILOT_PROVIDERS_") and k != "COLUMNS"}
    env[CACHE_DIR_ENV] = str(tmp_path / "cache")
    return env


def test_help_is_remembered_as_argparse_wrote_it(cache_env: dict[str, str]) -> None:
    cold, cold_new = _run(["--help"], cache_env)
    warm, warm_new = _run(["--help"], cache_env)
    short, _ = _run(["-h"], cache_env)
    fresh, _ = _run(["--help"], {**cache_env, NO_CACHE_ENV: "1"})
    assert "argparse" in cold_new
    assert "argparse" not in warm_new  # the text came from the cache
    assert warm == cold == short == fresh
    assert warm.startswith("usage: planpilot-providers [-h] [--version] COMMAND ...")


def test_remembered_help_follows_the_width_and_the_code(cache_env: dict[str, str], tmp_path: Path) -> None:
    narrow, _ = _run(["--help"], {**cache_env, "COLUMNS": "50"})
    wide, _ = _run(["--help"], {**cache_env, "COLUMNS": "150"})
    assert narrow != wide
    assert max(len(line) for line in narrow.splitlines()) <= 48
    path = tmp_path / "cache" / "help-v1.json"
    stale = json.loads(path.read_text())
    for entry in stale.values():
        entry["text"] = "stale\n"
        entry["stamps"][0][2] += 1  # a file it came from has changed since
    path.write_text(json.dumps(stale))
    again, new = _run(["--help"], {**cache_env, "COLUMNS": "50"})
    assert again == narrow
    assert "argparse" in new


@pytest.mark.parametrize("columns", ["120", "60", "junk", "0", None])
def test_help_width_is_the_one_shutil_would_find(columns: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.setenv("LINES", "40")  # shutil asks the terminal only when one of the two is unset
    assert _terminal_columns() == shutil.get_terminal_size().columns


def test_help_is_wrapped_to_the_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    text = build_parser().format_help()
    assert max(len(line) for line in text.splitlines()) <= 58
    monkeypatch.setenv("COLUMNS", "200")
    wide = build_parser().format_help()
    assert max(len(line) for line in wide.splitlines()) > 58  # the description fills the wider line


@pytest.mark.parametrize(
    ("argv", "built"),
    [
        (["sync", "plan.json", "--dry-run"], ("sync",)),
        (["--version"], ()),
        (["--help"], ()),
        (["check", "--help"], ("check",)),
        (["-h", "list"], ("list",)),
        (["synk"], ()),
        ([], ()),
    ],
)
def test_only_the_command_run_gets_its_options(argv: list[str], built: tuple[str, ...]) -> None:
    assert _command_in(argv) == built


def test_a_lean_parser_lists_every_command_as_the_full_one_does() -> None:
    assert build_parser(()).format_help() == build_parser(COMMANDS).format_help()
    for command in COMMANDS:
        full = build_parser(COMMANDS).parse_args(
            [command, "x.json", "--provider", "p"] if command != "list" else [command]
        )
        lean = build_parser((command,)).parse_args(
            [command, "x.json", "--provider", "p"] if command != "list" else [command]
        )
        assert vars(full) == vars(lean)


def test_an_unknown_command_is_still_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synk"]) == 2
    assert "invalid choice: 'synk'" in capsys.readouterr().err
