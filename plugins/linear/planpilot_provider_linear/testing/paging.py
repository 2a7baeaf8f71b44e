"""Linear's Relay connections: ``first``/``after`` (or ``last``/``before``), ``nodes``, ``edges`` and ``pageInfo``.

Rules (notes/linear-api.md §4.3): without ``first``/``last`` a page holds 50; Linear documents no maximum
(the 10,000-point complexity cap is what binds, :mod:`.complexity`); the default order is ``createdAt``,
``orderBy: updatedAt`` puts the most recently updated first. Newest-first is assumed for both [inferred].
A cursor is the id of the node it points at; a cursor whose node left the list (filtered out, archived)
still pages on from where that node would sort, and one naming nothing is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from .errors import invalid_input

__all__ = ["DEFAULT_PAGE_SIZE", "page_size", "paginate"]

DEFAULT_PAGE_SIZE = 50


class _Node(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...


N = TypeVar("N", bound=_Node)


def page_size(args: Mapping[str, Any]) -> int:
    """How many nodes a connection with these arguments may return (what the complexity multiplies by)."""
    first, last = args.get("first"), args.get("last")
    return first if first is not None else last if last is not None else DEFAULT_PAGE_SIZE


def _when(node: Any, order: str) -> datetime:
    when: datetime = node.updated_at if order == "updatedAt" else node.created_at
    return when


def paginate(
    items: Sequence[N], args: Mapping[str, Any], *, locate: Callable[[str], Any | None] | None = None
) -> dict[str, Any]:
    """One page of ``items`` (given in creation order) as a connection: ``nodes``, ``edges``, ``pageInfo``.

    ``locate`` finds a node by id for a cursor that is no longer in ``items``.
    """
    first, last = args.get("first"), args.get("last")
    for name, value in (("first", first), ("last", last)):
        if value is not None and value < 0:
            raise invalid_input(f"`{name}` must not be negative (got {value}).")
    order = str(args.get("orderBy") or "createdAt")
    ordered = sorted(items, key=lambda node: _when(node, order))  # stable: ties keep creation order
    ordered.reverse()  # newest first
    position = {node.id: i for i, node in enumerate(ordered)}

    def boundary(cursor: str, *, after: bool) -> int:
        if cursor in position:
            return position[cursor] + (1 if after else 0)
        node = locate(cursor) if locate is not None else None
        if node is None:
            raise invalid_input(f"The cursor '{cursor}' does not point at anything in this list.")
        when = _when(node, order)
        return next((i for i, other in enumerate(ordered) if _when(other, order) < when), len(ordered))

    start, stop = 0, len(ordered)
    if args.get("after"):
        start = boundary(args["after"], after=True)
    if args.get("before"):
        stop = max(start, boundary(args["before"], after=False))
    lo, hi = start, stop
    if first is not None:
        hi = min(hi, lo + first)
    elif last is None:
        hi = min(hi, lo + DEFAULT_PAGE_SIZE)
    if last is not None:
        lo = max(lo, hi - last)
    nodes = ordered[lo:hi]
    return {
        "nodes": nodes,
        "edges": [{"cursor": node.id, "node": node} for node in nodes],
        "pageInfo": {
            "hasNextPage": hi < stop,
            "hasPreviousPage": lo > start,
            "startCursor": nodes[0].id if nodes else None,
            "endCursor": nodes[-1].id if nodes else None,
        },
    }
