"""Every operation the provider sends validates against the full pinned schema: the generated ones (also
test_graphql_validation.py) and the aliased batches it builds at run time, of every kind and mixed; and the
complexity it states for each is the one Linear's model (the emulator) counts, far under the 10,000 cap even
for the largest batch it sends."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from graphql import GraphQLSchema, OperationDefinitionNode, parse, validate

from planpilot_provider_linear import graphql as gql_pkg
from planpilot_provider_linear.aliases import BATCH_POINTS, Kind, alias_points, aliased, chunks
from planpilot_provider_linear.complexity import MAX_COMPLEXITY, points
from planpilot_provider_linear.options import MAX_ALIASES, MAX_PAGE_SIZE
from planpilot_provider_linear.testing import complexity, linear_schema
from planpilot_providers_core.sgqlc_runtime import operation_name, render

VALUES: dict[str, Any] = {
    "key": "ENG",
    "teamId": "t",
    "id": "i",
    "ids": ["i"],
    "filter": {},
    "name": "n",
    "slugId": "s",
    "since": "-P1D",
    "input": {"teamId": "t"},
}


def generated() -> list[Any]:
    ops = []
    for path in gql_pkg.operation_files():
        module = importlib.import_module(f"planpilot_provider_linear.graphql.generated.{path.stem}")
        for kind in ("query", "mutation"):
            holder = getattr(module.Operations, kind, None)
            ops += [op for name, op in vars(holder or object).items() if not name.startswith("_")]
    return ops


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return linear_schema()


def emulator_points(schema: GraphQLSchema, op: Any, variables: dict[str, Any]) -> int:
    tenths = complexity(schema, parse(render(op)), variables, operation_name(op))
    assert tenths is not None, operation_name(op)
    return -(-tenths // 10)


def needed(op: Any) -> dict[str, Any]:
    """Values for the variables the operation declares without a default (page sizes keep theirs)."""
    (definition,) = parse(render(op)).definitions
    assert isinstance(definition, OperationDefinitionNode)
    names = [v.variable.name.value for v in definition.variable_definitions if v.default_value is None]
    values = {name: VALUES[name] for name in names if name in VALUES}
    inputs = {
        "IssueBatchCreate": {"issues": []},
        "IssueUpdate": {},
        "IssueLabelCreate": {"name": "n"},
        "IssueRelationCreate": {"issueId": "a", "relatedIssueId": "b", "type": "blocks"},
    }
    if "input" in values and operation_name(op) in inputs:
        values["input"] = inputs[operation_name(op)]
    return values


@pytest.mark.parametrize("op", generated(), ids=operation_name)
def test_the_stated_complexity_of_each_generated_operation_is_linears(schema: GraphQLSchema, op: Any) -> None:
    for page in ({}, {"first": 7}, {"first": MAX_PAGE_SIZE}):
        variables = {**needed(op), **page}
        assert points(op, variables) == emulator_points(schema, op, variables), (operation_name(op), page)


SHAPES = {
    "updates": (Kind.UPDATE_ISSUE,) * 3,
    "relation creates": (Kind.CREATE_RELATION,) * 2,
    "relation deletes": (Kind.DELETE_RELATION,) * 2,
    "mixed": (Kind.UPDATE_ISSUE, Kind.CREATE_RELATION, Kind.DELETE_RELATION, Kind.UPDATE_ISSUE),
    "largest": (Kind.UPDATE_ISSUE,) * MAX_ALIASES,
}
ARGUMENTS = {
    Kind.UPDATE_ISSUE: {"id": "i", "input": {"title": "t"}},
    Kind.CREATE_RELATION: {"input": {"issueId": "a", "relatedIssueId": "b", "type": "blocks"}},
    Kind.DELETE_RELATION: {"id": "r"},
}


@pytest.mark.parametrize("shape", list(SHAPES), ids=str)
def test_aliased_batches_are_valid_and_cost_what_linear_counts(schema: GraphQLSchema, shape: str) -> None:
    kinds = SHAPES[shape]
    op = aliased("IssueRelationChanges", kinds)
    document = parse(render(op))
    assert validate(schema, document) == [], render(op)
    variables = {f"{name}{n}": value for n, kind in enumerate(kinds) for name, value in ARGUMENTS[kind].items()}
    stated = points(op, variables)
    assert stated == emulator_points(schema, op, variables)
    assert stated * 10 < MAX_COMPLEXITY  # the largest batch is a twentieth of the cap
    assert aliased("IssueRelationChanges", kinds) is op  # built once per shape


def test_batches_are_cut_by_count_and_by_complexity() -> None:
    updates = [Kind.UPDATE_ISSUE] * 7
    assert alias_points(Kind.UPDATE_ISSUE) == 10
    assert chunks(range(7), updates, 3) == [[0, 1, 2], [3, 4, 5], [6]]  # batch_size writes a request
    assert chunks(range(7), updates, 50, budget=25) == [[0, 1], [2, 3], [4, 5], [6]]  # and no more points
    assert BATCH_POINTS == MAX_COMPLEXITY // 2


async def test_a_request_over_the_cap_is_never_sent(make_linear: Any, live_emulator: Any) -> None:
    from planpilot_provider_linear.graphql.generated import issues
    from planpilot_providers_core.errors import ProviderError

    async with make_linear() as linear:
        live_emulator.stats.reset()
        with pytest.raises(ProviderError, match="over Linear's cap of 10000"):
            await linear._gql.query(issues.Operations.query.issues_by_ids, {"ids": ["x"], "first": 2000})
    assert live_emulator.stats.as_dict()["requests"] == 0
