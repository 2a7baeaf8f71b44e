"""What differs between a tracker item and the plan: the one comparison the sync and its preview share."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from planpilot_providers_core.contracts import Item, field_value
from planpilot_providers_core.plan import PlanItem
from planpilot_providers_core.sync.board import BoardValues, same_value
from planpilot_providers_core.sync.body import bodies_match

__all__ = ["differences", "field_differences", "unsure"]


def field_differences(current: Mapping[str, str | None], wanted: Mapping[str, str]) -> list[str]:
    """The declared board fields the tracker does not show with their value (or did not read)."""
    changed = []
    for name, value in wanted.items():
        read, have = field_value(current, name)
        if not read or not same_value(have, value):
            changed.append(name)
    return changed


def _same(body: str) -> str:
    return body


def differences(
    current: Item,
    item: PlanItem,
    body: str,
    *,
    label: str,
    keeps_sizes: bool,
    board: BoardValues,
    canonical_body: Callable[[str], str] = _same,
) -> list[str]:
    """Names of the plan-authoritative fields the tracker does not have as the plan wants them.

    An empty list means the item is up to date. A half-configured item (``complete`` is False: a create
    stopped midway) always differs, so ``update_item`` finishes it. Labels are additive: the discovery
    label being present is enough. Sizes count where the tracker keeps them (``keeps_sizes``); ``board``
    is what the item asks of the board (fields applied over the estimate's size). Bodies are compared in
    the provider's canonical form (``Provider.canonical_body``), so a tracker that stores another format
    than Markdown does not differ after a faithful round trip.
    """
    changed = []
    if not current.complete:
        changed.append("unfinished")
    if current.title != item.title:
        changed.append("title")
    if current.item_type != item.type:
        changed.append("type")
    if not bodies_match(canonical_body(current.body), canonical_body(body)):
        changed.append("body")
    if label.casefold() not in {existing.casefold() for existing in current.labels}:
        changed.append("labels")
    if board.size is not None and keeps_sizes and not same_value(current.size, board.size):
        changed.append("size")
    changed += [f"field {name}" for name in field_differences(current.fields, board.fields)]
    return changed


def unsure(current: Item, changed: list[str]) -> bool:
    """Whether every difference is a board field the tracker item was read without (``Item.fields`` has
    no such name): it may well hold the value already. A sync then reads the item (``get_item``) before
    deciding to write, so that a plan with such fields settles (a second sync writes nothing)."""
    fields = [name.removeprefix("field ") for name in changed if name.startswith("field ")]
    return bool(changed) and len(fields) == len(changed) and not any(field_value(current.fields, f)[0] for f in fields)
