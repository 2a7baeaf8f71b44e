"""Relay connections the way GitHub pages them: ``first``/``last`` are mandatory (1..100), cursors are opaque,
and a request breaking those rules is refused before anything runs (so no mutation is half-applied)."""

from __future__ import annotations

import base64
import binascii
import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from attrs import frozen
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    get_operation_ast,
    visit,
)
from graphql.execution.values import get_argument_values, get_variable_values

from .errors import EXCESSIVE_PAGINATION, INVALID_CURSOR_ARGUMENTS, MISSING_PAGINATION_BOUNDARIES, ApiError

__all__ = [
    "MAX_PAGE",
    "Connection",
    "Edge",
    "PageInfo",
    "check_bounds",
    "check_document_pagination",
    "decode_cursor",
    "encode_cursor",
    "paginate",
]

MAX_PAGE = 100
T = TypeVar("T")
Key = tuple[Any, ...]


@frozen
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@frozen
class Edge(Generic[T]):
    cursor: str
    node: T


@frozen
class Connection(Generic[T]):
    nodes: list[T]
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int


def encode_cursor(key: Key) -> str:
    return base64.b64encode(("cursor:v2:" + json.dumps(list(key), separators=(",", ":"))).encode()).decode()


def decode_cursor(cursor: str) -> Key:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        if not text.startswith("cursor:v2:"):
            raise ValueError(cursor)
        value = json.loads(text.removeprefix("cursor:v2:"))
        if not isinstance(value, list):
            raise ValueError(cursor)
        return tuple(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(INVALID_CURSOR_ARGUMENTS, f"`{cursor}` does not appear to be a valid cursor.") from None


def check_bounds(connection: str, first: Any, last: Any) -> None:
    """GitHub's MISSING_PAGINATION_BOUNDARIES / EXCESSIVE_PAGINATION rules for one connection field."""
    if first is None and last is None:
        raise ApiError(
            MISSING_PAGINATION_BOUNDARIES,
            f"You must provide a `first` or `last` value to properly paginate the `{connection}` connection.",
        )
    for name, value in (("first", first), ("last", last)):
        if value is None:
            continue
        if value > MAX_PAGE:
            raise ApiError(
                EXCESSIVE_PAGINATION,
                f"Requesting {value} records on the `{connection}` connection exceeds the `{name}` limit of "
                f"{MAX_PAGE} records.",
            )
        if value < 1:
            raise ApiError(
                EXCESSIVE_PAGINATION,
                f"`{name}` on the `{connection}` connection must be between 1 and {MAX_PAGE} (got {value}).",
            )


def paginate(
    items: Sequence[T], args: Mapping[str, Any], connection: str, key: Callable[[T], Key] | None = None
) -> Connection[T]:
    """Slice ``items`` (already ordered) by first/after/last/before; ``key`` must increase along ``items``.

    Without ``key`` the position is the cursor; a key (e.g. created-at + number) keeps cursors stable when
    items are inserted or removed between two page requests.
    """
    first, last = args.get("first"), args.get("last")
    check_bounds(connection, first, last)
    keys: list[Key] = [key(item) for item in items] if key else [(i,) for i in range(len(items))]
    start, stop = 0, len(items)
    try:
        if args.get("after"):
            start = bisect_right(keys, decode_cursor(args["after"]))
        if args.get("before"):
            stop = max(start, bisect_left(keys, decode_cursor(args["before"])))
    except TypeError:
        raise ApiError(INVALID_CURSOR_ARGUMENTS, "The cursor does not belong to this connection.") from None
    lo, hi = start, stop
    if first is not None:
        hi = min(hi, lo + first)
    if last is not None:
        lo = max(lo, hi - last)
    window = list(range(lo, hi))
    edges = [Edge(cursor=encode_cursor(keys[i]), node=items[i]) for i in window]
    return Connection(
        nodes=[edge.node for edge in edges],
        edges=edges,
        page_info=PageInfo(
            has_next_page=hi < stop,
            has_previous_page=lo > start,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=len(items),
    )


class _PaginationVisitor(Visitor):
    def __init__(self, type_info: TypeInfo, variables: dict[str, Any]) -> None:
        super().__init__()
        self.type_info = type_info
        self.variables = variables
        self.errors: list[GraphQLError] = []

    def enter_field(self, node: FieldNode, _key: Any, _parent: Any, _path: Any, ancestors: Sequence[Any]) -> None:
        field_def = self.type_info.get_field_def()
        if field_def is None or "first" not in field_def.args or "last" not in field_def.args:
            return
        if not get_named_type(field_def.type).name.endswith("Connection"):
            return
        try:
            args = get_argument_values(field_def, node, self.variables)
        except GraphQLError:
            return  # execution reports bad arguments itself
        try:
            check_bounds(node.name.value, args.get("first"), args.get("last"))
        except ApiError as error:
            fields = [a for a in ancestors if isinstance(a, FieldNode)] + [node]
            path = [(f.alias or f.name).value for f in fields]
            self.errors.append(GraphQLError(error.message, node, path=path, original_error=error))


def check_document_pagination(
    schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any] | None, operation_name: str | None
) -> list[GraphQLError]:
    """Every connection in the document needs first/last within 1..100; checked before execution."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return []
    coerced = get_variable_values(schema, operation.variable_definitions or (), dict(variables or {}))
    if isinstance(coerced, list):
        return []  # invalid variables: execution reports them
    type_info = TypeInfo(schema)
    visitor = _PaginationVisitor(type_info, coerced)
    visit(document, TypeInfoVisitor(type_info, visitor))
    return visitor.errors
