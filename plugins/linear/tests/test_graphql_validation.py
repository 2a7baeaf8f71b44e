"""Every operation the provider will send, as written and as sgqlc renders it, is valid against the full pinned
Linear schema, and stays well under Linear's 10,000-point complexity cap at the page sizes it declares."""

from __future__ import annotations

import importlib
import math
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLSchema, OperationDefinitionNode, parse, validate
from sgqlc.operation import Operation
from sgqlc.types import Arg, Variable, non_null

from planpilot_provider_linear import graphql as gql_pkg
from planpilot_provider_linear.graphql.generated import schema as generated_schema
from planpilot_provider_linear.testing import MAX_COMPLEXITY, complexity, linear_schema

OPERATION_FILES = gql_pkg.operation_files()


@pytest.fixture(scope="module")
def full_schema() -> GraphQLSchema:
    return linear_schema()  # the emulator's: the whole pinned SDL


def _operation_names(path: Path) -> list[str]:
    return [
        d.name.value
        for d in parse(path.read_text(encoding="utf-8")).definitions
        if isinstance(d, OperationDefinitionNode) and d.name is not None
    ]


def _rendered_name(op: Any) -> str:
    (definition,) = parse(bytes(op).decode()).definitions
    assert isinstance(definition, OperationDefinitionNode)
    assert definition.name is not None
    return definition.name.value


def _generated_operations(path: Path) -> dict[str, Any]:
    module = importlib.import_module(f"planpilot_provider_linear.graphql.generated.{path.stem}")
    ops: dict[str, Any] = {}
    for kind in ("query", "mutation"):
        holder = getattr(module.Operations, kind, None)
        for attr, op in vars(holder or object).items():
            if not attr.startswith("_"):
                ops[_rendered_name(op)] = op
    return ops


def _all_generated() -> list[tuple[str, Any]]:
    return [(f"{path.stem}.{name}", op) for path in OPERATION_FILES for name, op in _generated_operations(path).items()]


def test_operation_files_are_found() -> None:
    assert [p.name for p in OPERATION_FILES] == [
        "issue_mutations.graphql",
        "issues.graphql",
        "label_mutations.graphql",
        "relation_mutations.graphql",
        "relations.graphql",
        "workspace.graphql",
    ]
    assert sorted(name for path in OPERATION_FILES for name in _operation_names(path)) == [
        "IssueArchive",
        "IssueBatchCreate",
        "IssueById",
        "IssueCreate",
        "IssueDelete",
        "IssueInverseRelationsPage",
        "IssueLabelCreate",
        "IssueOutgoingRelations",
        "IssueRelationCreate",
        "IssueRelationDelete",
        "IssueRelations",
        "IssueUpdate",
        "IssuesByIds",
        "IssuesMatching",
        "LabelsByIds",
        "LabelsNamed",
        "ProjectBySlug",
        "RateLimitStatus",
        "RecentIssues",
        "TeamByKey",
        "TeamCycles",
        "TeamLabels",
        "Viewer",
        "WorkspaceLabels",
    ]


@pytest.mark.parametrize("path", OPERATION_FILES, ids=lambda p: p.name)
def test_operation_document_is_valid_against_full_schema(full_schema: GraphQLSchema, path: Path) -> None:
    document = parse(path.read_text(encoding="utf-8"))
    errors = validate(full_schema, document)
    assert errors == [], "\n".join(f"{path.name}: {e.message} {e.locations}" for e in errors)
    assert {d.kind for d in document.definitions} == {"operation_definition"}  # no named fragments


@pytest.mark.parametrize("path", OPERATION_FILES, ids=lambda p: p.name)
def test_every_operation_of_a_file_is_generated(path: Path) -> None:
    assert sorted(_generated_operations(path)) == sorted(_operation_names(path))


@pytest.mark.parametrize(("name", "op"), _all_generated(), ids=[n for n, _ in _all_generated()])
def test_rendered_operation_is_valid_against_full_schema(full_schema: GraphQLSchema, name: str, op: Any) -> None:
    for text in (bytes(op).decode(), str(op)):  # what the provider sends, and the pretty form
        document = parse(text)
        errors = validate(full_schema, document)
        assert errors == [], f"{name}: " + "; ".join(e.message for e in errors) + f"\n{text}"
        assert len(document.definitions) == 1


# Points at the page sizes each operation declares (Linear's formula, testing.complexity); the cap is 10,000.
# By hand, e.g. IssueById: the issue 1 + 13 properties 1.3 + state 1.3 + parent, project, cycle, team 4 x 1.1 = 8;
# TeamLabels: team 1 + 100 labels x (1 + 0.3 + parent 1.1) + pageInfo 1.2 = 242.2, rounded up 243.
EXPECTED_POINTS = {
    "Viewer": 3,
    "RateLimitStatus": 3,
    "TeamByKey": 389,
    "TeamLabels": 243,
    "WorkspaceLabels": 242,
    "LabelsNamed": 48,
    "ProjectBySlug": 26,
    "IssueById": 8,
    "IssuesByIds": 402,
    "IssuesMatching": 402,
    "RecentIssues": 402,
    "LabelsByIds": 120,
    "TeamCycles": 78,
    "IssueRelations": 1239,
    "IssueInverseRelationsPage": 118,
    "IssueOutgoingRelations": 118,
    "IssueCreate": 10,
    "IssueBatchCreate": 10,
    "IssueUpdate": 10,
    "IssueArchive": 3,
    "IssueDelete": 3,
    "IssueLabelCreate": 4,
    "IssueRelationCreate": 5,
    "IssueRelationDelete": 2,
}
REQUIRED = {"key": "ENG", "teamId": "t", "id": "i", "ids": ["i"], "filter": {}, "name": "n"}
REQUIRED |= {"slugId": "s", "since": "-P1D", "input": {}}


def _defaults_only(op: Any) -> dict[str, Any]:
    """Values for the operation's required variables; its declared defaults fill the page sizes."""
    (definition,) = parse(bytes(op).decode()).definitions
    assert isinstance(definition, OperationDefinitionNode)
    return {
        v.variable.name.value: REQUIRED[v.variable.name.value]
        for v in definition.variable_definitions
        if v.default_value is None and v.variable.name.value in REQUIRED
    }


@pytest.mark.parametrize(("name", "op"), _all_generated(), ids=[n for n, _ in _all_generated()])
def test_operation_complexity_at_its_declared_page_sizes(full_schema: GraphQLSchema, name: str, op: Any) -> None:
    operation = _rendered_name(op)
    variables = _defaults_only(op)
    if operation in ("IssueCreate", "IssueUpdate"):
        variables["input"] = {"teamId": "t"} if operation == "IssueCreate" else {}
    if operation == "IssueBatchCreate":
        variables["input"] = {"issues": []}
    if operation in ("IssueLabelCreate",):
        variables["input"] = {"name": "n"}
    if operation == "IssueRelationCreate":
        variables["input"] = {"issueId": "a", "relatedIssueId": "b", "type": "blocks"}
    tenths = complexity(full_schema, parse(bytes(op).decode()), variables, operation)
    assert tenths is not None, name
    assert math.ceil(tenths / 10) == EXPECTED_POINTS[operation]
    assert tenths <= MAX_COMPLEXITY * 10 // 4, f"{name}: leave room to raise page sizes"


def test_aliased_updates_built_from_the_generated_schema_are_valid(full_schema: GraphQLSchema) -> None:
    """Many updates in one request: ``u0: issueUpdate(...) u1: ...``, built with sgqlc's typed API the way the
    provider will (the generated schema has every field and input it needs)."""
    mutation = generated_schema.linear_schema.mutation_type
    variables = {}
    for n in range(3):
        variables[f"id{n}"] = Arg(non_null(generated_schema.String))
        variables[f"input{n}"] = Arg(non_null(generated_schema.IssueUpdateInput))
    op = Operation(mutation, name="IssueUpdates", variables=variables)
    for n in range(3):
        field = op.issue_update(id=Variable(f"id{n}"), input=Variable(f"input{n}"), __alias__=f"u{n}")
        field.success()
        field.issue.id()
    text = bytes(op).decode()
    assert validate(full_schema, parse(text)) == []
    assert "u2: issueUpdate(id: $id2, input: $input2)" in text
