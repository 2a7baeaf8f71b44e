"""Defaults more than one part of the framework needs; imports nothing, so the CLI's start-up stays fast."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the CLI's start-up path
if TYPE_CHECKING:
    from typing import Final

#: The discovery label every item carries unless the caller picks another.
DEFAULT_LABEL: Final = "planpilot"

#: The provider ``sync`` uses when ``--provider`` is not given: a preview that needs no credential.
DEFAULT_PROVIDER: Final = "dry-run"
