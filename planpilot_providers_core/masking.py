"""Masking what is shown to a user: whole credential values, and the userinfo of URLs.

Every line the command line prints goes through :func:`redact`, ``list`` and ``--help`` included, so this
module imports only ``re`` and ``functools``: the credential machinery (:mod:`.credentials`) is loaded only
by commands that resolve a credential.
"""

from __future__ import annotations

import functools
import re

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the start-up path
if TYPE_CHECKING:
    from typing import Final

__all__ = ["MASK", "redact", "strip_userinfo"]

MASK: Final = "***"

_USERINFO: Final = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s]*@")


def strip_userinfo(text: str) -> str:
    """``text`` with the ``user:password@`` of every URL in it removed (``https://u:p@h/x`` -> ``https://h/x``)."""
    return _USERINFO.sub(r"\1", text)


@functools.lru_cache(maxsize=16)
def _secret_pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for every secret, compiled once per set of secrets (every printed line is masked)."""
    forms = sorted(set(secrets), key=lambda s: (-len(s), s))
    if not forms:
        return None
    # A whole value only: not when it is part of a longer word, so masking never mangles other text.
    return re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(map(re.escape, forms)) + r")(?![A-Za-z0-9])")


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with every whole occurrence of each secret masked, and URLs shown without userinfo; for
    anything shown to a user. Pass every form (:meth:`Credential.secret_forms`), not only the raw value."""
    pattern = _secret_pattern(tuple(s for s in secrets if s))
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return strip_userinfo(text)
