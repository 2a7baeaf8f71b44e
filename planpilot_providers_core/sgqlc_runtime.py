"""Runtime helpers for the sgqlc operations a GraphQL provider plugin generates (GitHub's, Linear's).

The provider sends ``render(op)`` with its own httpx client and turns the JSON body into typed objects with
``parse(op, body)`` when a caller reads them (GitHub's issue reads convert the JSON themselves: see its
``convert``). Importing this module loads sgqlc only (never graphql-core, never sgqlc.endpoint); core does not
depend on sgqlc, so only plugins that install it (their generated code needs it) import this module.

Typed results: attributes are the snake_case GraphQL names (``createdAt`` -> ``created_at``), ``DateTime``
is a tz-aware ``datetime``, aliases are attributes (``result.f0``), union/interface members are the concrete
type picked by ``__typename``. sgqlc turns a JSON ``null`` object (``issueType: null``, a ``null`` entry of
``nodes(ids:)``) into an *empty, falsy* object, not ``None``: test with ``if not x``.

It also works around an sgqlc 18 bug (:func:`apply_sgqlc_patches`): ``op + data`` crashes with
``type object '<Union>' has no attribute '__to_json_value__'`` when a union sits under a list inside
``nodes(ids:)`` (e.g. ``projectItems.fieldValues``), because ``sgqlc.types.Union`` lacks that method.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping
from typing import Any

from sgqlc.operation import Operation
from sgqlc.types import UnionMeta, Variable

__all__ = ["apply_sgqlc_patches", "operation_name", "parse", "render"]

_PATCH_MARKER = "__planpilot_union_json_patch__"
_OPERATION_NAME = re.compile(r"\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")


def _union_to_json_value(cls: Any, value: Any) -> Any:
    """JSON value of a realized union member: None and variables pass through, else the member's own."""
    if value is None or isinstance(value, Variable):
        return value
    return value.__to_json_value__()


def apply_sgqlc_patches() -> None:
    """Give ``sgqlc.types.Union`` the ``__to_json_value__`` it lacks. Idempotent; applied on import."""
    if getattr(UnionMeta, _PATCH_MARKER, False):
        return
    if "__to_json_value__" not in vars(UnionMeta):  # a future sgqlc may fix it upstream
        UnionMeta.__to_json_value__ = _union_to_json_value
    setattr(UnionMeta, _PATCH_MARKER, True)


apply_sgqlc_patches()


_RENDERED: weakref.WeakKeyDictionary[Operation, tuple[str, str]] = weakref.WeakKeyDictionary()


def _rendered(op: Operation) -> tuple[str, str]:
    # Operations are built once and sent thousands of times: render each once (an operation must not
    # be changed after its first request).
    cached = _RENDERED.get(op)
    if cached is None:
        document = bytes(op).decode()
        match = _OPERATION_NAME.match(document)
        cached = _RENDERED[op] = (document, match.group(1) if match else "anonymous")
    return cached


def render(op: Operation) -> str:
    """The compact GraphQL document of ``op`` (no indentation): the ``query`` member of a request body."""
    return _rendered(op)[0]


def operation_name(op: Operation) -> str:
    """The operation name declared in the .graphql document (``"CreateIssue"``), e.g. for logs."""
    return _rendered(op)[1]


def parse(op: Operation, data: Mapping[str, Any]) -> Any:
    """Typed result of ``op`` from a response body (``{"data": ..., "errors": ...}``).

    Raises ``sgqlc.operation.GraphQLErrors`` when the body has errors and no data; with partial data the
    errors are on ``result.__errors__``. Attributes are snake_case (``result.create_issue.issue.issue_type``).
    """
    apply_sgqlc_patches()
    return op + dict(data)
