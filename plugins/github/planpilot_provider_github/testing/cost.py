"""What one GraphQL request costs, read from its parsed document and variables (never from its name).

* **Primary points** (GitHub's documented formula): every connection field (``...Connection`` type with
  ``first``/``last``) needs one request per node of the enclosing connections, assuming each ``first``/``last``
  is filled; sum those requests over the document, divide by 100, round half up, minimum 1. The docs' example
  (``viewer.repositories(first: 100)`` > ``issues(first: 50)`` > ``labels(first: 60)``) is 1 + 100 + 5,000 =
  5,101 requests = 51 points. Fragments are expanded where they are spread.
* **Nodes**: the same walk summing ``first``/``last`` times the enclosing sizes (``rateLimit.nodeCount``).
* **Content units**: the top-level mutation fields that create content, per field or once per request.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from typing import Any

from attrs import frozen
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
)
from graphql.execution.values import get_argument_values, get_variable_values

__all__ = ["RequestCost", "measure", "points_for"]


@frozen
class RequestCost:
    """The budget-relevant facts of one request."""

    requests: int  # connection requests GitHub's formula counts
    nodes: int  # nodes the connections may return
    points: int  # primary points by the formula
    is_mutation: bool
    content_fields: int  # top-level mutation fields that create content

    @classmethod
    def minimal(cls, *, is_mutation: bool = False) -> RequestCost:
        """A request whose document cannot be measured (syntax or variable errors): the 1-point minimum."""
        return cls(requests=0, nodes=0, points=1, is_mutation=is_mutation, content_fields=0)


def points_for(requests: int) -> int:
    """``requests / 100`` rounded half up, at least 1 (GitHub: "round to the nearest whole number")."""
    return max(1, (requests + 50) // 100)


class _Walker:
    def __init__(self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode], variables: Any):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.requests = 0
        self.nodes = 0

    def walk(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType, multiplier: int) -> None:
        if selection_set is None or multiplier == 0:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self.field(selection, parent, multiplier)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                scope = self.schema.get_type(condition.name.value) if condition else parent
                self.walk(selection.selection_set, scope or parent, multiplier)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    scope = self.schema.get_type(fragment.type_condition.name.value)
                    self.walk(fragment.selection_set, scope or parent, multiplier)

    def field(self, node: FieldNode, parent: GraphQLNamedType, multiplier: int) -> None:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return  # unions only carry __typename and fragments
        field_def = parent.fields.get(node.name.value)
        if field_def is None:
            return  # __typename and friends
        named = get_named_type(field_def.type)
        if named.name.endswith("Connection") and "first" in field_def.args and "last" in field_def.args:
            args = get_argument_values(field_def, node, self.variables)
            size = args.get("first") or args.get("last") or 0
            self.requests += multiplier
            self.nodes += multiplier * size
            multiplier *= size
        self.walk(node.selection_set, named, multiplier)


def _content_fields(
    selection_set: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode], names: Container[str]
) -> int:
    count = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            count += selection.name.value in names
        elif isinstance(selection, InlineFragmentNode):
            count += _content_fields(selection.selection_set, fragments, names)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            count += _content_fields(fragments[selection.name.value].selection_set, fragments, names)
    return count


def measure(
    schema: GraphQLSchema,
    document: DocumentNode | None,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    content_mutations: Container[str] = frozenset(),
) -> RequestCost:
    """Cost of running ``operation_name`` of ``document`` with ``variables``; the minimum for what cannot run."""
    operation: OperationDefinitionNode | None = get_operation_ast(document, operation_name) if document else None
    if document is None or operation is None:
        return RequestCost.minimal()
    is_mutation = operation.operation == OperationType.MUTATION
    root = schema.get_root_type(operation.operation)
    coerced = get_variable_values(schema, operation.variable_definitions or (), dict(variables or {}))
    if root is None or isinstance(coerced, list):
        return RequestCost.minimal(is_mutation=is_mutation)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    walker = _Walker(schema, fragments, coerced)
    try:
        walker.walk(operation.selection_set, root, 1)
    except GraphQLError:
        return RequestCost.minimal(is_mutation=is_mutation)  # bad arguments: execution reports them
    content = _content_fields(operation.selection_set, fragments, content_mutations) if is_mutation else 0
    return RequestCost(
        requests=walker.requests,
        nodes=walker.nodes,
        points=points_for(walker.requests),
        is_mutation=is_mutation,
        content_fields=content,
    )
