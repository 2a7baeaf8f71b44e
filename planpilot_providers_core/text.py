"""Keeping what we echo short: a value or a list in a message is cut, with a count of what was left out.

A plan or a tracker can hand us anything: a 5,000-character plan id, a dependency cycle through
10,000 items. Echoing those whole makes an error unreadable (a 589 KB line), so every message that
quotes such a value or lists such items goes through here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Final

__all__ = ["MAX_LISTED", "MAX_QUOTED", "clipped", "listed", "quoted"]

MAX_QUOTED: Final = 60
"""Characters of a value shown in a message before it is cut."""
MAX_LISTED: Final = 10
"""Entries of a list shown in a message before the rest is counted instead."""


def clipped(text: str, limit: int = MAX_QUOTED) -> str:
    """``text``, or its first ``limit`` characters and how many more there were."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


def quoted(value: str, limit: int = MAX_QUOTED) -> str:
    """``value`` as a JSON string (escapes visible), cut to ``limit`` characters of the value."""
    if len(value) <= limit:
        return json.dumps(value)
    return f"{json.dumps(value[:limit])}... ({len(value) - limit} more characters)"


def listed(entries: Iterable[str], limit: int = MAX_LISTED, *, separator: str = ", ") -> str:
    """The first ``limit`` entries joined by ``separator``, then how many were left out."""
    shown: list[str] = []
    left_out = 0
    for entry in entries:
        if len(shown) < limit:
            shown.append(entry)
        else:
            left_out += 1
    text = separator.join(shown)
    return f"{text}{separator}... and {left_out} more" if left_out else text
