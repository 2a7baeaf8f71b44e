"""Bodies: Linear stores issue descriptions as Markdown, so a plan body goes in as it is; what Linear gives
back is compared in a canonical form, so an unchanged re-sync writes nothing.

Linear's editor rewrites some Markdown it stores: a link ``[text](https://example.com)`` has come back as
``[text](<https://example.com>)`` (linear/linear#1020, notes/linear-api.md §4.1), and line endings and
trailing blanks are not guaranteed to survive. The canonical form undoes exactly those; the metadata block
(``PLANPILOT_META_V1`` ... ``END_PLANPILOT_META``) is plain lines, untouched by any of them.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["canonical_body"]

_ANGLE_DESTINATION: Final = re.compile(r"\]\(<([^<>\s]*)>")
"""``](<url>`` as Linear writes a link destination: back to ``](url``."""


def canonical_body(body: str) -> str:
    """The form in which a plan body and Linear's copy of it are compared (equal: nothing to write)."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    text = _ANGLE_DESTINATION.sub(r"](\1", text)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")
