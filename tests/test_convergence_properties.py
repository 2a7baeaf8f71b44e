"""Every plan that is accepted settles: a second sync writes nothing and ``--dry-run`` finds nothing to do.

Checked with hypothesis over the ids and the field values people actually write (a size in lower case,
``fields`` naming the size field in another case or disagreeing with the estimate, numbers written
``8.0`` or ``1e3``), against the GitHub provider on the in-process emulator. The rules they exercise:

* one rule for ids (``plan.model.id_problem``): an id round-trips through the metadata block, as this
  project and PlanPilot read it back (both strip the value), or it is refused before anything is written;
* ``fields`` apply over the estimate's size (PlanPilot's rule); names and option values compare ignoring
  case, numbers by value;
* a value the board cannot take (no such option, not a finite number) is refused before any write.
"""

from __future__ import annotations

import asyncio
import json
import math
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from planpilot_provider_github.provider import GitHubProvider
from planpilot_provider_github.testing import GitHubEmulator
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.plan import Estimate, Plan, PlanError, PlanItem, load_plan
from planpilot_providers_core.plan.model import MAX_ID_LENGTH, id_problem
from planpilot_providers_core.sync.body import parse_metadata, render_body, render_metadata
from planpilot_providers_core.sync.preview import preview_sync
from planpilot_providers_core.sync.results import SyncResult
from planpilot_providers_core.sync.runner import sync_plan

BOARD = "https://github.com/orgs/acme/projects/1"
SIZES = ("XS", "S", "M", "L", "XL")
STATUSES = ("Backlog", "Todo", "In Progress", "Done")


def any_case(text: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(text), max_size=len(text)).map(
        lambda upper: "".join(c.upper() if u else c.lower() for c, u in zip(text, upper, strict=True))
    )


# -- ids -------------------------------------------------------------------------------------------------

ids = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), min_size=1, max_size=MAX_ID_LENGTH + 5
)


def _planpilot_reads(body: str, key: str) -> str | None:
    """How PlanPilot 2.7 reads a metadata value back (facts from its source: lines split, value stripped)."""
    for line in body.splitlines():
        name, colon, value = line.partition(":")
        if colon and name.strip() == key:
            return value.strip()
    return None


@settings(max_examples=300, deadline=None)
@given(ids)
def test_an_id_is_refused_or_read_back_exactly_by_both_tools(item_id: str) -> None:
    problem = id_problem(item_id)
    if problem is not None:
        with pytest.raises(ValueError, match=r"^id "):
            PlanItem(id=item_id, type="TASK", title="t")
        return
    item = PlanItem(id=item_id, type="TASK", title="t")
    block = render_metadata("abcdef012345", item)
    meta = parse_metadata(render_body(item, "abcdef012345"))
    assert meta is not None
    assert meta.item_id == item_id, "this project reads back the id it wrote"
    assert _planpilot_reads(block, "ITEM_ID") == item_id, "and so does PlanPilot"
    assert item_id == item_id.strip()


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=8).filter(str.strip), st.sampled_from([" ", "\t", "\u00a0", "\u3000", "\u2009"]))
def test_an_id_with_whitespace_at_either_end_is_refused_by_the_loader(core: str, space: str) -> None:
    assume(id_problem(core.strip()) is None)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.json"
        for item_id in (f"{space}{core.strip()}", f"{core.strip()}{space}"):
            item = {"id": item_id, "type": "EPIC", "title": "t", "goal": "g"}
            path.write_text(json.dumps({"items": [{**item, "requirements": ["r"], "acceptance_criteria": ["a"]}]}))
            with pytest.raises(PlanError, match=r"start or end with whitespace|control character"):
                load_plan([path])


# -- field values settle -----------------------------------------------------------------------------


@st.composite
def board_values(draw: st.DrawFn) -> dict[str, Any]:
    """An item's estimate and fields, as people write them: any case, fields over the estimate or not."""
    extra: dict[str, Any] = {}
    if draw(st.booleans()):
        extra["estimate"] = Estimate(tshirt=draw(st.sampled_from(SIZES).flatmap(any_case)))
    fields: dict[str, str] = {}
    if draw(st.booleans()):
        fields[draw(any_case("Size"))] = draw(st.sampled_from(SIZES).flatmap(any_case))
    if draw(st.booleans()):
        fields[draw(any_case("Status"))] = draw(st.sampled_from(STATUSES).flatmap(any_case))
    if draw(st.booleans()):
        number = draw(st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False))
        written = draw(st.sampled_from(["{:g}", "{!r}", "{:.1f}", "{:e}"])).format(number)
        fields[draw(any_case("Estimate"))] = written
    if fields:
        extra["fields"] = fields
    return extra


def _plan(values: list[dict[str, Any]]) -> Plan:
    items = [PlanItem(id="E1", type="EPIC", title="Epic", goal="g")]
    items += [
        PlanItem(id=f"S{n}", type="STORY", title=f"Story {n}", goal="g", parent_id="E1", **value)
        for n, value in enumerate(values)
    ]
    return Plan(items=items)


async def _twice(plan: Plan) -> tuple[SyncResult, SyncResult, bool]:
    emulator = GitHubEmulator.with_default_scenario()

    def provider(**extra: Any) -> GitHubProvider:
        config = ProviderConfig.from_keywords(
            "github", target="acme/roadmap", token="t", board_url=BOARD, transport=emulator.transport(), **extra
        )
        return GitHubProvider(config)

    async with provider() as first_provider:
        first = await sync_plan(first_provider, plan)
    async with provider() as second_provider:
        second = await sync_plan(second_provider, plan)
    async with provider(read_only=True) as reader:
        preview = await preview_sync(reader, plan, label="planpilot")
    return first, second, preview.pending


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(board_values(), min_size=1, max_size=3))
def test_every_accepted_plan_settles_a_second_sync_writes_nothing(values: list[dict[str, Any]]) -> None:
    plan = _plan(values)

    first, second, pending = asyncio.run(_twice(plan))

    assert first.ok, [str(p) for p in first.problems]
    assert second.writes == 0, [o.to_json() for o in second.items if o.action.value != "unchanged"]
    assert not pending, "--dry-run would exit 0"


@pytest.mark.parametrize("number", ["NaN", "nan", "inf", "-Infinity", "1e400"])
def test_a_number_the_board_cannot_take_is_refused_before_any_write(number: str) -> None:
    assert not math.isfinite(float(number))
    plan = _plan([{"fields": {"Estimate": number}}])
    emulator = GitHubEmulator.with_default_scenario()

    async def run() -> None:
        config = ProviderConfig.from_keywords(
            "github", target="acme/roadmap", token="t", board_url=BOARD, transport=emulator.transport()
        )
        async with GitHubProvider(config) as provider:
            await sync_plan(provider, plan)

    with pytest.raises(PlanError, match="'Estimate' holds finite numbers"):
        asyncio.run(run())
    assert emulator.stats.mutation_requests == 0


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ({"estimate": Estimate(tshirt="L"), "fields": {"Size": "S"}}, "S"),  # fields apply last, as in PlanPilot
        ({"estimate": Estimate(tshirt="s")}, "S"),  # a size in lower case
        ({"estimate": Estimate(tshirt="M"), "fields": {"size": "xl"}}, "XL"),  # a field name in another case
        ({"fields": {"Estimate": "8.0"}}, 8),  # a number written another way
    ],
    ids=["fields-over-estimate", "lower-case-size", "field-name-case", "number-spelling"],
)
def test_named_cases_settle_at_once_and_show_the_plans_value(value: dict[str, Any], shown: object) -> None:
    plan = _plan([value])
    emulator = GitHubEmulator.with_default_scenario()

    async def run() -> list[SyncResult]:
        results = []
        for _ in range(3):
            config = ProviderConfig.from_keywords(
                "github", target="acme/roadmap", token="t", board_url=BOARD, transport=emulator.transport()
            )
            async with GitHubProvider(config) as provider:
                results.append(await sync_plan(provider, plan))
        return results

    first, second, third = asyncio.run(run())
    assert first.ok
    assert (second.writes, third.writes) == (0, 0), "never flips back and forth"
    (story,) = [view for view in emulator.state.issues("acme/roadmap") if view.title == "Story 0"]
    board = story.project_fields["acme/1"]
    assert shown in (board.get("Size"), board.get("Estimate"))
