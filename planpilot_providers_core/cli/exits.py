"""Exit codes and the one exception a command raises to stop with one of them."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the CLI's start-up path
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Final

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CHANGES_PENDING",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PROVIDER",
    "EXIT_SYNC_FAILED",
    "EXIT_TERMINATED",
    "CommandError",
]

EXIT_OK: Final = 0
EXIT_INTERNAL: Final = 1
"""An unexpected error: a bug, reported with its type and message (``-v`` shows the traceback)."""
EXIT_BAD_INPUT: Final = 2
EXIT_PROVIDER: Final = 3
EXIT_SYNC_FAILED: Final = 4
EXIT_CHANGES_PENDING: Final = 5
"""``sync --dry-run`` found changes a sync would make (0: the tracker already matches the plan)."""
EXIT_INTERRUPTED: Final = 130
"""Stopped with Ctrl-C (128 + SIGINT, as shells report it)."""
EXIT_TERMINATED: Final = 143
"""Stopped with SIGTERM (``timeout``, ``docker stop``, a cancelled CI job): 128 + 15, handled like Ctrl-C."""


class CommandError(Exception):
    """Ends a command early with an exit code, a kind (for ``--json``) and a message for the user."""

    def __init__(self, code: int, kind: str, message: str, details: Sequence[Mapping[str, object]] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.kind = kind
        self.details = details
