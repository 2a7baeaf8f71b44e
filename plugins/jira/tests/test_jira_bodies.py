"""Markdown <-> ADF: valid documents, PlanPilot's metadata block as plain lines, one canonical form that a plan
body and its read-back share, and Jira's own additions ignored."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planpilot_provider_jira.bodies import (
    adf_size,
    adf_text,
    adf_to_markdown,
    canonical_markdown,
    markdown_to_adf,
)
from planpilot_provider_jira.testing import adf_problem
from planpilot_providers_core.plan import load_plan
from planpilot_providers_core.sync.body import References, parse_metadata, render_body

from .test_jira_sync import ROADMAP

PLAN = load_plan([ROADMAP])


def test_every_body_of_the_example_plan_is_valid_adf_and_reads_back_with_its_metadata() -> None:
    for item in PLAN:
        children = [(f"PROJ-{n}", c.title) for n, c in enumerate(PLAN.children(item.id))]
        refs = References(parent="PROJ-1", sub_items=children, blocked_by=dict.fromkeys(item.depends_on, "PROJ-9"))
        body = render_body(item, PLAN.plan_id, refs)
        document = markdown_to_adf(body)
        assert adf_problem(document) is None, item.id
        back = adf_to_markdown(document)
        assert parse_metadata(back) == parse_metadata(body)
        assert canonical_markdown(back) == canonical_markdown(body)
        assert back == body  # the sync's own Markdown is already in the canonical spelling


def test_the_metadata_block_is_one_paragraph_of_lines_the_index_reads_as_text() -> None:
    body = "PLANPILOT_META_V1\nPLAN_ID:abc\nITEM_ID:S1\nEND_PLANPILOT_META\n\n## Goal\n\nx\n"
    document = markdown_to_adf(body)
    first = document["content"][0]
    assert first["type"] == "paragraph"
    assert [n["type"] for n in first["content"]] == ["text", "hardBreak"] * 3 + ["text"]
    assert adf_text(document).splitlines()[:4] == [
        "PLANPILOT_META_V1",
        "PLAN_ID:abc",
        "ITEM_ID:S1",
        "END_PLANPILOT_META",
    ]


def test_task_lists_code_and_marks_map_to_their_adf_nodes() -> None:
    body = "* [ ] PROJ-2 Story\n* [x] PROJ-3 Done\n\n```py\na = `b`\n```\n\n**bold** *em* ~~gone~~ `code` [l](https://x.test/a?b=1)\n"
    document = markdown_to_adf(body)
    assert adf_problem(document) is None
    tasks, code, paragraph = document["content"]
    assert tasks["type"] == "taskList"
    assert [t["attrs"]["state"] for t in tasks["content"]] == ["TODO", "DONE"]
    assert code == {"type": "codeBlock", "attrs": {"language": "py"}, "content": [{"type": "text", "text": "a = `b`"}]}
    marks = [[m["type"] for m in n.get("marks", ())] for n in paragraph["content"] if n["type"] == "text"]
    assert marks == [["strong"], [], ["em"], [], ["strike"], [], ["code"], [], ["link"]]
    assert adf_to_markdown(document) == body


def test_text_that_looks_like_markup_is_escaped_and_reads_back_as_text() -> None:
    document = {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "# not a heading, *not em*, [x] y, a_b _c_"}]},
            {"type": "paragraph", "content": [{"type": "text", "text": "1. not a list"}]},
        ],
    }
    markdown = adf_to_markdown(document)
    assert markdown_to_adf(markdown)["content"] == document["content"]
    assert "a_b" in markdown  # an underscore inside a word is left alone (metadata lines stay readable)


def test_what_jira_adds_or_a_person_writes_in_jira_is_read_without_breaking() -> None:
    document = {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "heading", "attrs": {"level": 2, "localId": "abc"}, "content": [{"type": "text", "text": "Goal"}]},
            {"type": "panel", "attrs": {"panelType": "info"}, "content": [{"type": "paragraph", "content": [
                {"type": "text", "text": "a note"}]}]},
            {"type": "paragraph", "content": [
                {"type": "mention", "attrs": {"id": "1", "text": "@Ada"}},
                {"type": "text", "text": " said hi", "marks": [{"type": "textColor", "attrs": {"color": "#f00"}}]},
            ]},
        ],
    }  # fmt: skip
    assert adf_to_markdown(document) == "## Goal\n\na note\n\n@Ada said hi\n"
    assert adf_to_markdown(None) == ""


def test_what_adf_has_no_place_for_becomes_the_nearest_thing_once() -> None:
    body = "* # heading in a list\n\n> > nested quote\n\n<b>html</b>\n\n![alt](https://x.test/i.png)\n"
    document = markdown_to_adf(body)
    assert adf_problem(document) is None
    canonical = canonical_markdown(body)
    assert canonical_markdown(canonical) == canonical
    assert adf_to_markdown(markdown_to_adf(canonical)) == canonical


def test_adf_size_counts_the_compact_json() -> None:
    assert adf_size({"type": "doc", "version": 1, "content": []}) == len('{"type":"doc","version":1,"content":[]}')


PIECES = st.sampled_from(
    [*"ab _*`[]()<>#-+=~&;\\!1.)\n|xy:é", "  ", "\n\n", "* ", "1. ", "```", "[ ] ", "**", "> ", "https://x.y"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(PIECES, max_size=30).map("".join))
def test_the_canonical_form_is_a_fixed_point_and_valid_adf(text: str) -> None:
    canonical = canonical_markdown(text)
    document = markdown_to_adf(canonical)
    assert adf_problem(document) is None
    assert adf_to_markdown(document) == canonical
    # What the tracker holds after a write reads back to the plan body's canonical form.
    assert canonical_markdown(adf_to_markdown(markdown_to_adf(text))) == canonical
