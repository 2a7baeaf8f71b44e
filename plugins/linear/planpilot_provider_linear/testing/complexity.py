"""What one request costs in Linear's complexity points, read from its document and variables.

Linear's model (https://linear.app/developers/rate-limiting, notes/linear-api.md §6.2): "Each property is 0.1
point, each object is 1 point and any connection multiplies its children's points based on the given
pagination argument, or the default 50. The score is then rounded up". Its two examples fix the details:
``user(id: "me") { name }`` costs 2 (1 + 0.1, rounded up) and ``createdIssues`` with three fields costs 66
at the default 50 and 14 with ``first: 10`` (1 + 10 x 1.3): the connection itself adds nothing, each node is
an object. So here: a scalar or enum field is 0.1; an object field is 1 plus its selection; a connection
field (a ``first`` argument and a ``nodes`` list) is its page size times each node (``nodes``) or edge
(``edges``: the edge object, its cursor and its node), plus ``pageInfo`` and other fields once. A list of
objects that is not a connection counts once [inferred]. Sums are kept in tenths, so rounding is exact.

A query over :data:`MAX_COMPLEXITY` is refused before anything runs (§6.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
    is_leaf_type,
)
from graphql.execution.values import get_argument_values, get_variable_values

from .paging import page_size

__all__ = ["MAX_COMPLEXITY", "complexity", "points"]

MAX_COMPLEXITY = 10_000
"""Linear's per-request cap: "Your query will always get rejected if it exceeds that"."""
_PROPERTY, _OBJECT = 1, 10  # in tenths of a point


def points(tenths: int) -> int:
    """Whole points, rounded up, as charged against the hourly budget."""
    return -(-tenths // 10)


class _Walker:
    def __init__(self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode], variables: Any):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selections(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                scope = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(selection.selection_set, scope or parent)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    scope = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.selections(fragment.selection_set, scope or parent)
        return total

    def field(self, node: FieldNode, parent: GraphQLNamedType) -> int:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 0  # unions only carry __typename and fragments
        field_def = parent.fields.get(node.name.value)
        if field_def is None:
            return 0  # __typename and friends are free
        named = get_named_type(field_def.type)
        if is_leaf_type(named):
            return _PROPERTY
        if _is_connection(field_def, named):
            size = page_size(get_argument_values(field_def, node, self.variables))
            return self.connection(node.selection_set, named, size)
        return _OBJECT + self.selections(node.selection_set, named)

    def connection(self, selection_set: SelectionSetNode | None, connection: GraphQLNamedType, size: int) -> int:
        if selection_set is None or not isinstance(connection, GraphQLObjectType):
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode) and selection.name.value in ("nodes", "edges"):
                item = get_named_type(connection.fields[selection.name.value].type)
                total += size * (_OBJECT + self.selections(selection.selection_set, item))
            elif isinstance(selection, FieldNode):
                total += self.field(selection, connection)
            elif isinstance(selection, InlineFragmentNode):
                total += self.connection(selection.selection_set, connection, size)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value in self.fragments:
                total += self.connection(self.fragments[selection.name.value].selection_set, connection, size)
        return total


def _is_connection(field_def: GraphQLField, named: GraphQLNamedType) -> bool:
    return "first" in field_def.args and isinstance(named, GraphQLObjectType) and "nodes" in named.fields


def complexity(
    schema: GraphQLSchema,
    document: DocumentNode | None,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
) -> int | None:
    """The cost of running ``operation_name`` of ``document`` with ``variables``, in tenths of a point;
    None when the request cannot run (no such operation, bad variables or arguments: execution says why)."""
    operation: OperationDefinitionNode | None = get_operation_ast(document, operation_name) if document else None
    if document is None or operation is None:
        return None
    root = schema.get_root_type(operation.operation)
    coerced = get_variable_values(schema, operation.variable_definitions or (), dict(variables or {}))
    if root is None or isinstance(coerced, list):
        return None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    try:
        return _Walker(schema, fragments, coerced).selections(operation.selection_set, root)
    except GraphQLError:
        return None
