"""What a plan item asks of the board: its size and its own field values, with PlanPilot's rule between them.

An item can name its size twice: ``estimate.tshirt`` (the board's size field) and ``fields`` (any board
field, the size field included). PlanPilot applies ``fields`` last, so when ``fields`` names the size
field (ignoring case, as boards do) the estimate's size is not written at all. Sending both made the
size alternate on every run. Values compare as boards compare them: ignoring case, and numbers by value
(``8`` is ``8.0``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import attrs

from planpilot_providers_core.contracts import field_value
from planpilot_providers_core.plan import PlanItem

__all__ = ["BoardValues", "same_value"]


@attrs.frozen(kw_only=True)
class BoardValues:
    """The size and field values a sync writes for one item."""

    size: str | None
    """The estimate's t-shirt size, unless ``fields`` names the size field (fields apply last)."""
    fields: Mapping[str, str]

    @classmethod
    def of(cls, item: PlanItem, size_field: str) -> BoardValues:
        overridden, _ = field_value(item.fields, size_field)
        return cls(size=None if overridden else item.size, fields=item.fields)


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def same_value(have: str | None, wanted: str) -> bool:
    """Whether a board shows ``wanted``: the same text ignoring case, or the same finite number."""
    if have is None:
        return False
    if have.casefold() == wanted.casefold():
        return True
    a, b = _number(have), _number(wanted)
    return a is not None and a == b
