"""The contract mapped the Linear way: t-shirt sizes on every estimate scale, creation defaults (state,
priority, cycle, project) set once and then left to the team, types as labels, bodies compared as Linear
rewrites them, and an issue's URL that does not change with its title."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from planpilot_provider_linear.bodies import canonical_body
from planpilot_provider_linear.issues import TeamScale, stable_url
from planpilot_provider_linear.provider import LinearProvider
from planpilot_provider_linear.resolve import priority_number
from planpilot_provider_linear.testing import LinearEmulator
from planpilot_providers_core import CreateItemInput, FieldConfig, UpdateItemInput
from planpilot_providers_core.errors import ProviderError

MakeLinear = Callable[..., LinearProvider]


@pytest.mark.parametrize(
    ("scale", "extended", "allow_zero", "sizes"),
    [
        ("tShirt", False, False, {"XS": 1, "S": 2, "M": 3, "L": 5, "XL": 8}),
        ("tShirt", True, True, {"XS": 1, "S": 2, "M": 3, "L": 5, "XL": 8, "XXL": 13, "XXXL": 21}),
        ("fibonacci", False, False, {"XS": 1, "S": 2, "M": 3, "L": 5, "XL": 8}),
        ("linear", True, False, {"XS": 1, "S": 2, "M": 3, "L": 4, "XL": 5, "XXL": 6, "XXXL": 7}),
        ("exponential", False, True, {"XS": 1, "S": 2, "M": 4, "L": 8, "XL": 16}),
        ("notUsed", False, False, {}),
    ],
)
def test_t_shirt_sizes_map_by_position_onto_each_estimate_scale(
    scale: str, extended: bool, allow_zero: bool, sizes: dict[str, int]
) -> None:
    team = TeamScale.of(scale, extended=extended, allow_zero=allow_zero)
    assert dict(team.sizes) == sizes
    assert team.used == bool(sizes)
    for size, estimate in sizes.items():
        assert team.estimate(size.lower()) == estimate
        assert team.size(estimate) == size  # and back: an unchanged size compares equal on read
    assert team.size(None) is None


def test_a_size_a_scale_lacks_names_the_ones_it_has() -> None:
    with pytest.raises(ProviderError, match=r"offers XS \(1\), S \(2\), M \(3\), L \(5\), XL \(8\)"):
        TeamScale.of("tShirt", extended=False, allow_zero=False).estimate("huge")
    assert TeamScale.of("linear", extended=False, allow_zero=False).estimate("4") == 4  # a number on the scale


@pytest.mark.parametrize(
    ("name", "number"), [("Urgent", 1), ("high", 2), ("P1", 2), ("Medium", 3), ("P3", 4), ("No priority", 0), ("3", 3)]
)
def test_priorities_by_linear_name_p_level_or_number(name: str, number: int) -> None:
    assert priority_number(name) == number


def test_an_unknown_priority_lists_linear_s() -> None:
    with pytest.raises(ProviderError, match="Urgent, High, Medium, Low"):
        priority_number("P7")


async def test_creation_defaults_are_set_once_and_then_the_teams(
    make_linear: MakeLinear, live_emulator: LinearEmulator, project_url: str
) -> None:
    config = FieldConfig(status="unstarted", priority="Low", iteration="Cycle 3")  # a state by its type, too
    async with make_linear(board_url=project_url, field_config=config) as linear:
        item = await linear.create_item(CreateItemInput(title="t", body="b", item_type="STORY", size="M"))
        issue = live_emulator.state.issue(item.key)
        assert (issue.state.name, issue.priority, issue.cycle.number, issue.project.name) == ("Todo", 4, 3, "Roadmap")
        assert issue.estimate == 3
        with live_emulator.state.lock:  # the team moves it on
            done = next(s for s in issue.team.states if s.name == "Done")
            live_emulator.state.update_issue(issue.id, state_id=done.id, priority=1, cycle_id=None)
        await linear.update_item(item.id, UpdateItemInput(title="t2", body="b2", item_type="STORY", size="M"))
    issue = live_emulator.state.issue(item.key)
    assert (issue.title, issue.state.name, issue.priority, issue.cycle) == ("t2", "Done", 1, None)


async def test_defaults_the_team_does_not_have_fail_on_entering_naming_what_it_has(make_linear: MakeLinear) -> None:
    with pytest.raises(ProviderError, match="its states: Backlog, Todo, In Progress, Done, Canceled"):
        async with make_linear(field_config=FieldConfig(status="Shipped")):
            pass  # pragma: no cover
    with pytest.raises(ProviderError, match="its cycles: Cycle 1, Cycle 2, Cycle 3"):
        async with make_linear(field_config=FieldConfig(iteration="Cycle 9")):
            pass  # pragma: no cover


async def test_a_team_without_cycles_or_estimates_takes_issues_without_them(
    make_linear: MakeLinear, live_emulator: LinearEmulator
) -> None:
    live_emulator.state.add_team("OPS")  # notUsed estimates, no cycles
    async with make_linear(target="OPS") as linear:
        assert linear.context.defaults.cycle_id is None
        item = await linear.create_item(CreateItemInput(title="t", body="b", item_type="TASK", size="XL"))
    issue = live_emulator.state.issue(item.key)
    assert (issue.estimate, issue.cycle, item.size) == (None, None, None)


async def test_an_issue_without_its_type_label_reads_incomplete_and_an_update_finishes_it(
    make_linear: MakeLinear, live_emulator: LinearEmulator
) -> None:
    live_emulator.state.add_label("planpilot", "ENG")
    issue = live_emulator.state.add_issue("ENG", "untyped", description="marker", labels=["planpilot"])
    async with make_linear() as linear:
        before = await linear.get_item(issue.id)
        assert (before.item_type.value, before.complete) == ("TASK", False)
        after = await linear.update_item(issue.id, UpdateItemInput(item_type="EPIC"))
    assert (after.item_type.value, after.complete) == ("EPIC", True)
    assert "Epic" in after.labels


def test_bodies_compare_as_linear_rewrites_them() -> None:
    plan = "PLANPILOT_META_V1\nPLAN_ID:p\nEND_PLANPILOT_META\n\nSee [spec](https://x.example/a?b=1).\n"
    linear = "PLANPILOT_META_V1\r\nPLAN_ID:p\r\nEND_PLANPILOT_META\r\n\r\nSee [spec](<https://x.example/a?b=1>).  "
    assert canonical_body(plan) == canonical_body(linear)
    assert canonical_body("a\n\nb") != canonical_body("a\nb")  # paragraphs are not merged
    assert canonical_body("[x](<a b>)") == "[x](<a b>)"  # a destination that needs its brackets keeps them


def test_an_issues_url_does_not_follow_its_title() -> None:
    assert (
        stable_url("https://linear.app/acme/issue/ENG-12/fix-login", "ENG-12") == "https://linear.app/acme/issue/ENG-12"
    )
    assert stable_url("https://linear.app/acme/issue/ENG-12", "ENG-12") == "https://linear.app/acme/issue/ENG-12"
