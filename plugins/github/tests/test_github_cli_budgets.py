"""The user sees GitHub's cost from the command line: ``check PLAN`` estimates it, ``sync`` shows the ETA
and the binding budget while it runs and reports what it spent, which is what the emulator charged.

The emulator enforces GitHub's budgets here; ``--option budgets=github`` makes the provider pace itself by
them (against a loopback emulator it does not by default).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from planpilot_provider_github.testing import GitHubBudgets, GitHubEmulator, serve_in_thread
from planpilot_providers_core.cli import main

REPO = "acme/roadmap"
BOARD = "https://github.com/orgs/acme/projects/1"
PER_HOUR = "content creations per hour"
PER_MINUTE = "content creations per minute"


@pytest.fixture
def budgeted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[GitHubEmulator, str]]:
    monkeypatch.setenv("GITHUB_TOKEN", "budget-cli-token")
    monkeypatch.setenv("PATH", str(tmp_path))  # no `gh`
    emulator = GitHubEmulator.with_default_scenario(budgets=GitHubBudgets.github_defaults())
    emulator.state.add_label(REPO, "planpilot")  # so every content unit charged is the plan's
    with serve_in_thread(emulator) as url:
        yield emulator, url


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    """One epic, two stories, three tasks; T3 waits for T1 and T2."""
    items = [
        {
            "id": "E1",
            "type": "EPIC",
            "title": "Billing",
            "goal": "g",
            "requirements": ["r"],
            "acceptance_criteria": ["a"],
        },
        *(
            {
                "id": f"S{n}",
                "type": "STORY",
                "title": f"Story {n}",
                "goal": "g",
                "parent_id": "E1",
                "requirements": ["r"],
                "acceptance_criteria": ["a"],
            }
            for n in (1, 2)
        ),
        *(
            {
                "id": f"T{n}",
                "type": "TASK",
                "title": f"Task {n}",
                "goal": "g",
                "parent_id": f"S{1 + n // 3}",
                "requirements": ["r"],
                "acceptance_criteria": ["a"],
                "depends_on": ["T1", "T2"] if n == 3 else [],
            }
            for n in (1, 2, 3)
        ),
    ]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"items": items}))
    return path


def argv(command: str, plan: Path, url: str, *extra: str) -> list[str]:
    return [
        command,
        str(plan),
        "--provider",
        "github",
        "--target",
        REPO,
        "--board-url",
        BOARD,
        "--api-url",
        url,
        *extra,
    ]


def test_check_predicts_the_content_github_charges_and_sync_reports_what_it_spent(
    budgeted: tuple[GitHubEmulator, str], plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator, url = budgeted
    assert main(argv("check", plan, url, "--option", "budgets=github", "--json")) == 0
    predicted = json.loads(capsys.readouterr().out)["plan"]
    # 6 issues (parents set with them) and 3 blocked-by links: T3 by T1 and T2, rolled up as S2 by S1.
    assert predicted["work"] == {"creates": 6, "updates": 3, "relation_writes": 3}
    assert predicted["estimate"]["units"][PER_HOUR] == 9
    assert emulator.stats.mutation_requests == 0

    assert main(argv("sync", plan, url, "--option", "budgets=github", "--json")) == 0
    captured = capsys.readouterr()
    assert "upsert: 0/6 (ETA " in captured.err
    spent = json.loads(captured.out)["budget"]
    charged = emulator.stats.as_dict()["budgets"]
    assert charged["content_units_spent"] == 9, "check's prediction holds"
    assert spent[PER_HOUR] == spent[PER_MINUTE] == 9
    assert spent["limit responses"] == 0 == sum(charged["limited"].values())
    assert spent["requests"] + 4 == emulator.stats.requests, "check's four reads were not the sync's"


def test_without_budgets_against_the_emulator_check_gives_no_estimate(
    budgeted: tuple[GitHubEmulator, str], plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = budgeted
    assert main(argv("check", plan, url)) == 0  # loopback and no budgets asked for: no pace, nothing measured
    assert (
        "no estimate of cost or duration: the provider paces by no budget in this configuration"
        in capsys.readouterr().out
    )


def test_a_bad_provider_option_is_bad_configuration(
    budgeted: tuple[GitHubEmulator, str], plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator, url = budgeted
    assert main(argv("sync", plan, url, "--option", "budgets=soon")) == 2
    assert "budgets must be 'auto' (the default), 'github'" in capsys.readouterr().err
    assert main(argv("sync", plan, url, "--option", "budgets")) == 2
    assert "--option 'budgets': write it as KEY=VALUE" in capsys.readouterr().err
    assert main(argv("sync", plan, url, "--option", "colour=blue")) == 2
    assert "does not accept option(s) colour; it accepts:" in capsys.readouterr().err
    assert main(argv("sync", plan, url, "--option", f"api_url={url}")) == 2
    assert "give the API URL once" in capsys.readouterr().err
    assert emulator.stats.requests == 0
