"""What a request costs, what the rest of a sync costs, and how long that takes at GitHub's pace.

The provider's own reading of each request's cost agrees with the emulator's (GitHub's cost formula, the
conservative content-creation reading); ``estimate`` turns a workload into units per budget and time, and
names the budget that binds; ``budget_report`` tells what was spent.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    OperationDefinitionNode,
    parse,
    type_from_ast,
)

from planpilot_provider_github.aliases import MAX_ALIASES, Kind, aliased
from planpilot_provider_github.budgets import CONTENT_PER_HOUR, CONTENT_PER_MINUTE, PRIMARY, SECONDARY
from planpilot_provider_github.costs import request_cost
from planpilot_provider_github.estimate import workload_units
from planpilot_provider_github.graphql import operation_files
from planpilot_provider_github.provider import GitHubProvider
from planpilot_provider_github.testing import GitHubBudgets, GitHubEmulator, VirtualClock, run_virtual
from planpilot_provider_github.testing.cost import measure
from planpilot_provider_github.testing.schema import github_schema
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.contracts import CreateItemInput, Workload
from planpilot_providers_core.sgqlc_runtime import operation_name, render


def _generated() -> list[Any]:
    import importlib

    ops = []
    for path in operation_files():
        module = importlib.import_module(f"planpilot_provider_github.graphql.generated.{path.stem}")
        for kind in ("query", "mutation"):
            holder = getattr(module.Operations, kind, None)
            ops += [op for attr, op in vars(holder or object).items() if not attr.startswith("_")]
    return ops


OPERATIONS = [
    *_generated(),
    aliased("UpdateItems", tuple(Kind)),
    aliased("ReconcileRelations", (Kind.ADD_BLOCKED_BY,) * MAX_ALIASES),
]


def _value(kind: GraphQLInputType) -> Any:
    """A valid value of an input type: required fields only, page sizes at GitHub's maximum of 100."""
    if isinstance(kind, GraphQLNonNull):
        return _value(kind.of_type)
    if isinstance(kind, GraphQLList):
        return [_value(kind.of_type)]
    if isinstance(kind, GraphQLInputObjectType):
        return {name: _value(f.type) for name, f in kind.fields.items() if isinstance(f.type, GraphQLNonNull)}
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    return {"Int": 100, "Float": 1.0, "Boolean": True}.get(kind.name, "x")


@pytest.mark.parametrize("op", OPERATIONS, ids=operation_name)
def test_a_request_costs_what_the_emulator_charges(op: Any) -> None:
    schema = github_schema()
    document = parse(render(op))
    (definition,) = document.definitions
    assert isinstance(definition, OperationDefinitionNode)
    variables = {
        d.variable.name.value: _value(type_from_ast(schema, d.type))  # type: ignore[arg-type]
        for d in definition.variable_definitions
    }
    content = GitHubEmulator(budgets=GitHubBudgets()).content_mutations
    charged = measure(schema, document, variables, operation_name(op), content)
    cost = request_cost(op)
    assert (cost.primary, cost.content, cost.mutation) == (charged.points, charged.content_fields, charged.is_mutation)
    assert cost.units() == {
        PRIMARY: cost.primary,
        SECONDARY: 5 if cost.mutation else 1,
        CONTENT_PER_MINUTE: cost.content,
        CONTENT_PER_HOUR: cost.content,
    }


def test_a_workload_costs_the_units_of_the_requests_sent_for_it() -> None:
    # A create: createIssue (content 1) and one field request; an update: a 50th of a read and a 20th of
    # a mutation; a link: a 20th of a mutation and one content unit; a read: one query.
    assert workload_units(Workload(creates=10)) == {
        PRIMARY: 20,
        SECONDARY: 100,
        CONTENT_PER_MINUTE: 10,
        CONTENT_PER_HOUR: 10,
    }
    assert workload_units(Workload(creates=10), field_requests=0)[SECONDARY] == 50
    assert workload_units(Workload(updates=100)) == {PRIMARY: 7, SECONDARY: 27}
    assert workload_units(Workload(relation_writes=40)) == {
        PRIMARY: 2,
        SECONDARY: 10,
        CONTENT_PER_MINUTE: 40,
        CONTENT_PER_HOUR: 40,
    }
    assert workload_units(Workload(reads=3)) == {PRIMARY: 6, SECONDARY: 3}


def _provider(emulator: GitHubEmulator, clock: VirtualClock, **options: Any) -> GitHubProvider:
    return GitHubProvider(
        ProviderConfig.from_keywords(
            "github",
            target="acme/roadmap",
            token="t",
            board_url="https://github.com/orgs/acme/projects/1",
            transport=emulator.transport(),
            clock=clock,
            **options,
        )
    )


def test_the_estimate_names_the_binding_budget_and_holds_against_the_run() -> None:
    clock = VirtualClock()
    emulator = GitHubEmulator.with_default_scenario(clock=clock, budgets=GitHubBudgets())

    async def main() -> tuple[Any, Any, float]:
        async with _provider(emulator, clock, budgets="github") as provider:
            small = provider.estimate(Workload(creates=10, updates=5))
            work = provider.estimate(Workload(creates=600))
            started = clock.monotonic()
            for n in range(600):
                await provider.create_item(CreateItemInput(title=f"T{n}", body=f"ITEM_ID:{n}", item_type="TASK"))
            return small, work, clock.monotonic() - started

    small, work, took = run_virtual(main, clock=clock)
    assert small.seconds == 0
    assert small.binding is None
    assert small.units[CONTENT_PER_HOUR] == 10
    assert work.binding == CONTENT_PER_HOUR  # 600 creates: the hour's 490 (one went to the label on enter)
    assert work.units == {PRIMARY: 1200, SECONDARY: 6000, CONTENT_PER_MINUTE: 600, CONTENT_PER_HOUR: 600}
    # Each budget is timed alone: the 111 units of the second hour also wait for the minute's 75.
    assert work.seconds == 3600
    assert work.seconds <= took <= work.seconds * 1.05


def test_without_budgets_the_writes_at_their_round_trip_are_the_estimate_and_there_is_no_report() -> None:
    clock = VirtualClock()
    emulator = GitHubEmulator.with_default_scenario(clock=clock, latency=0.25)  # the default: no budgets
    emulator.state.add_label("acme/roadmap", "planpilot")  # entering writes nothing

    async def main() -> tuple[Any, Any, Any]:
        async with _provider(emulator, clock) as provider:
            before = provider.estimate(Workload(creates=10))
            await provider.create_item(CreateItemInput(title="T", body="ITEM_ID:1", item_type="TASK"))
            return (
                before,
                provider.estimate(Workload(creates=10, updates=30, relation_writes=5)),
                provider.budget_report(),
            )

    before, after, report = run_virtual(main, clock=clock)
    assert before is None, "no budgets and no write measured yet: nothing to go by"
    # 10 creates of 2 writes each, 2 aliased update requests, 1 aliased link request; each write 0.25 s.
    assert after.seconds == pytest.approx((10 * 2 + 2 + 1) * 0.25)
    assert after.binding is None
    assert report is None


def test_the_report_is_what_github_counted() -> None:
    clock = VirtualClock()
    emulator = GitHubEmulator.with_default_scenario(clock=clock, budgets=GitHubBudgets(), retry_after=5.0)

    async def main() -> Any:
        async with _provider(emulator, clock, budgets="github") as provider:
            created = await provider.create_item(CreateItemInput(title="T", body="ITEM_ID:1", item_type="TASK"))
            emulator.inject("secondary_403", "GetIssues")
            await provider.get_item(created.id)
            return provider.budget_report()

    report = run_virtual(main, clock=clock)
    stats = emulator.stats.as_dict()
    budgets = stats["budgets"]
    assert report == {
        PRIMARY: budgets["primary_points_spent"],
        SECONDARY: budgets["secondary_points_spent"],
        CONTENT_PER_MINUTE: budgets["content_units_spent"],
        CONTENT_PER_HOUR: budgets["content_units_spent"],
        "requests": stats["requests"],
        "limit responses": 1,
        "seconds waited for budgets": pytest.approx(5.0, abs=0.1),
    }
