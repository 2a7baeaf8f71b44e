"""Many writes in one request: aliased mutation fields, built with sgqlc's typed API from the generated schema.

A request with mutations costs 5 secondary points however many fields it holds, so writes of many items
go together, at most :data:`MAX_ALIASES` to a request (GitHub's own MCP server batches 20). GitHub runs the
fields one after another and answers a failed one with an error whose ``path`` starts with its alias, next
to the others' data: each write's outcome is known exactly, and "already linked"/"already absent" count as
done. Writes are grouped by kind, so a few shapes cover every batch and each document is built once.
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

from planpilot_provider_github.client import GitHubGraphQL, error_message
from planpilot_provider_github.errors import GraphQLError, field_error
from planpilot_provider_github.graphql.generated import schema

__all__ = [
    "ALREADY_ABSENT",
    "ALREADY_LINKED",
    "MAX_ALIASES",
    "Kind",
    "Outcome",
    "Write",
    "aliased",
    "send_writes",
]

MAX_ALIASES: Final = 20
ALREADY_LINKED: Final = ("duplicate sub-issues", "already exists", "has already been taken", "already a sub-issue")
"""How GitHub answers adding a link that is there: what a re-run wanted, so a success."""
ALREADY_ABSENT: Final = ("not a sub-issue", "not found", "does not exist", "is not blocked", "no dependency")
"""How GitHub answers removing a link that is not there: a success too."""


class Kind(enum.Enum):
    """One kind of write: its mutation field, input type, what it selects and which errors mean "done"."""

    UPDATE_ISSUE = ("update_issue", "UpdateIssueInput", ("issue", "id"), ())
    ADD_LABELS = ("add_labels_to_labelable", "AddLabelsToLabelableInput", ("client_mutation_id",), ())
    REMOVE_LABELS = ("remove_labels_from_labelable", "RemoveLabelsFromLabelableInput", ("client_mutation_id",), ())
    ADD_PROJECT_ITEM = ("add_project_v2_item_by_id", "AddProjectV2ItemByIdInput", ("item", "id"), ())
    SET_FIELD = (
        "update_project_v2_item_field_value",
        "UpdateProjectV2ItemFieldValueInput",
        ("project_v2_item", "id"),
        (),
    )
    ADD_SUB_ISSUE = ("add_sub_issue", "AddSubIssueInput", ("sub_issue", "id"), ALREADY_LINKED)
    REMOVE_SUB_ISSUE = ("remove_sub_issue", "RemoveSubIssueInput", ("sub_issue", "id"), ALREADY_ABSENT)
    ADD_BLOCKED_BY = ("add_blocked_by", "AddBlockedByInput", ("issue", "id"), ALREADY_LINKED)
    REMOVE_BLOCKED_BY = ("remove_blocked_by", "RemoveBlockedByInput", ("issue", "id"), ALREADY_ABSENT)

    def __init__(self, field: str, input_type: str, selection: tuple[str, ...], done: tuple[str, ...]) -> None:
        self.field = field
        self.input_type = input_type
        self.selection = selection
        self.done = done

    def is_done(self, error: GraphQLError) -> bool:
        """Whether ``error`` means the write's effect is already there."""
        return any(fragment in error_message(error).lower() for fragment in self.done)


_ORDER: Final = {kind: n for n, kind in enumerate(Kind)}


@attrs.frozen
class Write:
    """One aliased field: its kind, its input (GraphQL JSON) and the index of the item it is for."""

    kind: Kind
    input: Mapping[str, Any]
    owner: int


@attrs.frozen
class Outcome:
    """What became of one write: ``error`` None and the field's typed ``data``, or the error for its item."""

    error: Exception | None
    data: Any = None


@functools.lru_cache(maxsize=256)
def aliased(name: str, shape: tuple[Kind, ...]) -> Operation:
    """``mutation <name>($i0: ..., ...) { a0: <field>(input: $i0) {...} ... }`` for ``shape``, built once."""
    variables = {f"i{n}": Arg(non_null(getattr(schema, kind.input_type))) for n, kind in enumerate(shape)}
    op = Operation(schema.github_schema.mutation_type, name=name, variables=variables)
    for n, kind in enumerate(shape):
        selection = getattr(op, kind.field)(input=Variable(f"i{n}"), __alias__=f"a{n}")
        *path, leaf = kind.selection
        for step in path:
            selection = getattr(selection, step)
        getattr(selection, leaf)()
    return op


def _by_alias(errors: Sequence[GraphQLError]) -> dict[str, list[GraphQLError]]:
    found: dict[str, list[GraphQLError]] = {}
    for error in errors:
        path = error.get("path") or [""]
        found.setdefault(str(path[0]), []).append(error)
    return found


async def send_writes(gql: GitHubGraphQL, name: str, writes: Sequence[Write]) -> list[Outcome]:
    """Send ``writes`` as aliased mutations named ``name``, :data:`MAX_ALIASES` to a request (the requests
    go concurrently; the budgets pace them); one outcome per write, in order. A request that fails as a
    whole (after its retries) fails each of its writes with that error."""
    order = sorted(range(len(writes)), key=lambda i: (_ORDER[writes[i].kind], i))
    chunks = [order[start : start + MAX_ALIASES] for start in range(0, len(order), MAX_ALIASES)]
    outcomes: dict[int, Outcome] = {}

    async def send(chunk: list[int]) -> None:
        op = aliased(name, tuple(writes[i].kind for i in chunk))
        variables = {f"i{n}": dict(writes[i].input) for n, i in enumerate(chunk)}
        try:
            response = await gql.mutate_fields(op, variables)
        except Exception as exc:  # the whole request failed: so did each of its writes
            outcomes.update((i, Outcome(exc)) for i in chunk)
            return
        errors = _by_alias(response.tolerated)
        for n, i in enumerate(chunk):
            kind = writes[i].kind
            failed = [e for e in errors.get(f"a{n}", []) if not kind.is_done(e)]
            outcomes[i] = Outcome(field_error(failed, name)) if failed else Outcome(None, response.data[f"a{n}"])

    await asyncio.gather(*(send(chunk) for chunk in chunks))
    return [outcomes[i] for i in range(len(writes))]
