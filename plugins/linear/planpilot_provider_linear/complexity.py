"""What a request costs in Linear's complexity points, worked out from the typed operation before it is sent.

Linear's model (https://linear.app/developers/rate-limiting; notes/linear-api.md §6.2): "Each property is 0.1
point, each object is 1 point and any connection multiplies its children's points based on the given
pagination argument, or the default 50. The score is then rounded up." Its examples fix the details
(``user(id: "me") { name }`` costs 2; ``createdIssues`` with three fields 66 at the default 50, 14 with
``first: 10``): a connection adds nothing itself, each of its nodes is an object. A query over 10,000 points
is refused before it runs, so every request states its cost (``COST_EXTENSION``) for the budgets, and
batches are sized to stay far below the cap.

The walk follows sgqlc's selections, so it costs dynamically built operations (aliased batches) exactly as
the generated ones; the tests check it against the emulator's own count for every operation.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Mapping
from typing import Any, Final

from sgqlc.operation import Operation
from sgqlc.types import ContainerType, Variable

from planpilot_providers_core.sgqlc_runtime import render

__all__ = ["MAX_COMPLEXITY", "points"]

MAX_COMPLEXITY: Final = 10_000
"""Linear refuses any single query above it."""
DEFAULT_PAGE: Final = 50
_PROPERTY, _OBJECT = 1, 10  # tenths of a point
_DEFAULT = re.compile(r"\$(\w+):\s*[\w!\[\]]+\s*=\s*(-?\d+)")
_DEFAULTS: weakref.WeakKeyDictionary[Operation, dict[str, int]] = weakref.WeakKeyDictionary()


def _declared_defaults(op: Operation) -> dict[str, int]:
    """The whole-number defaults the operation declares (``$first: Int = 50``): page sizes left unsaid."""
    found = _DEFAULTS.get(op)
    if found is None:
        header = render(op).split("{", 1)[0]
        found = _DEFAULTS[op] = {name: int(value) for name, value in _DEFAULT.findall(header)}
    return found


class _Walk:
    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values

    def page(self, arguments: Mapping[str, Any]) -> int:
        for name in ("first", "last"):
            value = arguments.get(name)
            if isinstance(value, Variable):
                value = self.values.get(value.graphql_name)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        return DEFAULT_PAGE

    def selections(self, selections: Iterable[Any]) -> int:
        return sum(self.field(selection) for selection in selections)

    def field(self, selection: Any) -> int:
        field_type = selection.__field__.type
        if not (isinstance(field_type, type) and issubclass(field_type, ContainerType)):
            return _PROPERTY
        children = list(selection)
        if "first" in selection.__field__.args and any(
            c.__field__.graphql_name in ("nodes", "edges") for c in children
        ):
            size = self.page(selection.__args__)
            return sum(
                size * (_OBJECT + self.selections(child))
                if child.__field__.graphql_name in ("nodes", "edges")
                else self.field(child)
                for child in children
            )
        return _OBJECT + self.selections(children)


def points(op: Operation, variables: Mapping[str, Any] | None = None) -> int:
    """Linear's complexity of one request of ``op`` with ``variables``, in whole points (rounded up)."""
    values = {**_declared_defaults(op), **(variables or {})}
    tenths = _Walk(values).selections(op)
    return -(-tenths // 10)
