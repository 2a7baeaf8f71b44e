"""Many writes in one request: aliased mutation fields built with sgqlc's typed API from the generated schema.

Linear runs a mutation's fields one after another, and every payload it answers is non-null
(``IssuePayload!``): when one aliased field fails, its error nulls the whole ``data`` and the fields after it do
not run. The error's ``path`` names the failed alias, so the outcome of every write is still known exactly:
those before it were applied (their answers are lost with the data), it failed, and those after it are sent
again in a request of their own. A write whose effect is already there counts as done: a relation created
with a client-chosen id that Linear already has (a retry of a create whose answer was lost), a relation
already gone.
"""

from __future__ import annotations

import asyncio
import enum
import functools
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs
from sgqlc.operation import Operation
from sgqlc.types import Arg, Variable, non_null

from planpilot_provider_linear.client import LinearGraphQL
from planpilot_provider_linear.complexity import MAX_COMPLEXITY, points
from planpilot_provider_linear.errors import GraphQLError, error_for, error_text
from planpilot_provider_linear.graphql.generated import schema

__all__ = [
    "BATCH_POINTS",
    "ISSUE_FIELDS",
    "Kind",
    "Outcome",
    "Write",
    "alias_points",
    "aliased",
    "chunks",
    "select_issue",
    "send_writes",
]

ISSUE_FIELDS: Final = (
    "id",
    "identifier",
    "number",
    "url",
    "title",
    "description",
    "priority",
    "estimate",
    "label_ids",
    "created_at",
    "updated_at",
    "archived_at",
    "trashed",
)
"""The issue fields every read selects (``IssueById``): what :func:`.issues.issue_state` reads."""


def select_issue(selection: Any) -> None:
    """Select on ``selection`` (an issue) what the provider's reads select."""
    for name in ISSUE_FIELDS:
        getattr(selection, name)()
    state = selection.state()
    state.id()
    state.name()
    state.type()
    for related in ("parent", "project", "cycle", "team"):
        getattr(selection, related)().id()


class Kind(enum.Enum):
    """One kind of aliased write: its mutation field, its arguments' types, and which errors mean "done"."""

    UPDATE_ISSUE = ("issue_update", (("id", "String"), ("input", "IssueUpdateInput")), ())
    CREATE_RELATION = ("issue_relation_create", (("input", "IssueRelationCreateInput"),), ("already exists",))
    DELETE_RELATION = ("issue_relation_delete", (("id", "String"),), ("Entity not found",))

    def __init__(self, field: str, arguments: tuple[tuple[str, str], ...], done: tuple[str, ...]) -> None:
        self.field = field
        self.arguments = arguments
        self.done = done

    def is_done(self, error: GraphQLError) -> bool:
        text = f"{error.get('message', '')} {error_text(error)}"
        return any(fragment in text for fragment in self.done)


@attrs.frozen
class Write:
    """One aliased field: its kind, its arguments (GraphQL JSON) and the index of what it is for."""

    kind: Kind
    arguments: Mapping[str, Any]
    owner: int


@attrs.frozen
class Outcome:
    """What became of one write: an ``error``, or done with its typed ``data`` (``None`` when it was applied but
    its answer was nulled by a later alias's failure, or when it was already done)."""

    error: Exception | None
    data: Any = None


@functools.lru_cache(maxsize=256)
def aliased(name: str, shape: tuple[Kind, ...]) -> Operation:
    """``mutation <name>(...) { a0: <field>(...) {...} ... }`` for ``shape``, built once per shape."""
    variables = {
        f"{argument}{n}": Arg(non_null(getattr(schema, type_name)))
        for n, kind in enumerate(shape)
        for argument, type_name in kind.arguments
    }
    op = Operation(schema.linear_schema.mutation_type, name=name, variables=variables)
    for n, kind in enumerate(shape):
        arguments = {argument: Variable(f"{argument}{n}") for argument, _ in kind.arguments}
        field = getattr(op, kind.field)(**arguments, __alias__=f"a{n}")
        field.success()
        if kind is Kind.UPDATE_ISSUE:
            select_issue(field.issue())
        elif kind is Kind.CREATE_RELATION:
            field.issue_relation().id()
        else:
            field.entity_id()
    return op


BATCH_POINTS: Final = MAX_COMPLEXITY // 2
"""The most complexity one batch of writes may cost: half of Linear's cap, whatever ``batch_size`` allows."""


@functools.cache
def alias_points(kind: Kind) -> int:
    """The complexity one aliased write of ``kind`` adds to a request (its payload selection)."""
    return points(aliased("Cost", (kind,)))


def chunks(
    order: Sequence[int], kinds: Sequence[Kind], per_request: int, budget: int = BATCH_POINTS
) -> list[list[int]]:
    """``order`` (indexes into ``kinds``) cut into requests of at most ``per_request`` writes and ``budget``
    complexity points each."""
    cut: list[list[int]] = []
    cost = 0
    for index in order:
        weight = alias_points(kinds[index])
        if not cut or len(cut[-1]) >= per_request or cost + weight > budget:
            cut.append([])
            cost = 0
        cut[-1].append(index)
        cost += weight
    return cut


def _alias_index(error: GraphQLError) -> int | None:
    path = error.get("path")
    head = str(path[0]) if isinstance(path, list) and path else ""
    return int(head[1:]) if head[:1] == "a" and head[1:].isdigit() else None


async def send_writes(gql: LinearGraphQL, name: str, writes: Sequence[Write], *, per_request: int) -> list[Outcome]:
    """Send ``writes`` as aliased mutations named ``name``, at most ``per_request`` and :data:`BATCH_POINTS` of
    complexity to a request (the requests go concurrently; the budgets pace them); one outcome per write, in
    order. A request that fails as a whole,
    after its retries, fails each write it carried with that error."""
    order = sorted(range(len(writes)), key=lambda i: (list(Kind).index(writes[i].kind), i))
    requests = chunks(order, [write.kind for write in writes], per_request)
    outcomes: dict[int, Outcome] = {}

    async def send(chunk: list[int]) -> None:
        while chunk:
            op = aliased(name, tuple(writes[i].kind for i in chunk))
            variables = {
                f"{argument}{n}": value for n, i in enumerate(chunk) for argument, value in writes[i].arguments.items()
            }
            try:
                answer = await gql.mutate(op, variables, tolerate=lambda error: _alias_index(error) is not None)
            except Exception as exc:  # the whole request failed: so did each of its writes
                outcomes.update((i, Outcome(exc)) for i in chunk)
                return
            by_alias: dict[int, list[GraphQLError]] = {}
            for error in answer.tolerated:
                by_alias.setdefault(_alias_index(error) or 0, []).append(error)
            if answer.data is not None:  # every field ran: each has its data or its own errors
                for n, i in enumerate(chunk):
                    outcomes[i] = _outcome(writes[i].kind, by_alias.get(n, []), name, answer.data[f"a{n}"])
                return
            failed = min(by_alias)  # the data was nulled by this field: those before it ran, those after did not
            for i in chunk[:failed]:
                outcomes[i] = Outcome(None)
            i = chunk[failed]
            outcomes[i] = _outcome(writes[i].kind, by_alias[failed], name, None)
            chunk = chunk[failed + 1 :]

    await asyncio.gather(*(send(chunk) for chunk in requests))
    return [outcomes[i] for i in range(len(writes))]


def _outcome(kind: Kind, errors: list[GraphQLError], operation: str, data: Any) -> Outcome:
    failed = [error for error in errors if not kind.is_done(error)]
    if failed:
        return Outcome(error_for(failed, operation))
    return Outcome(None, None if errors else data)
