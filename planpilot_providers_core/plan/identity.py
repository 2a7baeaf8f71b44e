"""The plan id: PlanPilot's content hash, so both tools find each other's items for the same plan.

Items sorted by ``(type, id)``, each reduced to its set fields (``None`` and empty lists/objects
dropped, so "missing" and "empty" are the same), JSON-encoded with sorted keys and no whitespace,
SHA-256, first 12 hex digits. Item order and the unified/split choice therefore do not change it;
any field content does.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable

import attrs

from planpilot_providers_core.plan.model import PlanItem
from planpilot_providers_core.text import quoted

__all__ = ["check_plan_id", "compute_plan_id"]


def check_plan_id(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    """attrs validator: the id is written into every item's body, so it must be short and plain."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", value):
        raise ValueError(
            "plan id must be 1-64 letters, digits, '.', '_' or '-' (it is written into every item's body), "
            f"got {quoted(value) if isinstance(value, str) else repr(value)}"
        )


def compute_plan_id(items: Iterable[PlanItem]) -> str:
    """PlanPilot's plan id: 12 hex digits of SHA-256 over the canonical, sorted items."""
    ordered = sorted(items, key=lambda item: (item.type.value, item.id))
    payload = json.dumps([item.canonical() for item in ordered], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]
