"""Plan labels as Jira labels, and back.

Jira refuses a label with whitespace in it ("The label '…' can't contain spaces."), and plan labels may have
some (``needs review``). The mapping is percent-encoding of exactly the characters Jira cannot hold and of the
escape character itself: every whitespace character and ``%`` become ``%XX`` (UTF-8 bytes, upper-case hex), and
nothing else changes. So:

* a label without whitespace or ``%`` (``planpilot``, ``team-a``, ``v1.2``) is the same in Jira;
* ``needs review`` is ``needs%20review`` in Jira, ``100% done`` is ``100%25%20done``;
* decoding is exact for every label written this way (``decode(encode(x)) == x``), and a label someone typed in
  Jira decodes to itself unless it holds a ``%XX`` sequence;
* the mapping is stable: the same plan label always gives the same Jira label, so search finds it.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["LABEL_LIMIT", "decode_label", "encode_label", "label_problem"]

LABEL_LIMIT: Final = 255
"""The longest label Jira is widely reported to take."""
_NEEDS_ESCAPE: Final = re.compile(r"[\s%]")
_ESCAPED: Final = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def encode_label(label: str) -> str:
    """The Jira label for a plan label (whitespace and ``%`` percent-encoded)."""
    return _NEEDS_ESCAPE.sub(lambda m: "".join(f"%{byte:02X}" for byte in m.group().encode()), label)


def decode_label(label: str) -> str:
    """The plan label a Jira label stands for."""

    def decode(match: re.Match[str]) -> str:
        raw = bytes(int(match.group()[i + 1 : i + 3], 16) for i in range(0, len(match.group()), 3))
        try:
            return raw.decode()
        except UnicodeDecodeError:
            return match.group()  # not something this mapping wrote: keep it as it is

    return _ESCAPED.sub(decode, label)


def label_problem(label: str) -> str | None:
    """Why Jira cannot take the plan label ``label`` (``None`` when it can)."""
    encoded = encode_label(label)
    if len(encoded) > LABEL_LIMIT:
        return f"label {label!r} is {len(encoded)} characters in Jira's form, more than the {LABEL_LIMIT} Jira takes"
    return None
