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
"""Success: the tracker matches the plan (``check``: the provider resolved; ``sync --dry-run``: nothing to change)."""
EXIT_INTERNAL: Final = 1
"""An unexpected error: a bug, reported in one line with its type and message (``-v`` shows the traceback;
``--json`` still gives one object)."""
EXIT_BAD_INPUT: Final = 2
"""Bad input, and nothing was written: a usage error; a plan file that is missing, malformed, invalid or too
large, or one the provider cannot take (too long a title, an unknown board field or option, a number that is
not finite); bad configuration (an option value, a missing ``--target``, a malformed board or API URL, an
option the provider does not accept, a credential that would go over plain http); a plan id that belongs to
another plan; or two copies of the plan to choose between."""
EXIT_PROVIDER: Final = 3
"""A provider or credential error: an unknown provider, a plugin that fails to load or does not fit the
contract, no credential or a refused or unsendable one, a missing capability, a failure while entering the
provider or during discovery (a tracker that cannot be reached, named)."""
EXIT_SYNC_FAILED: Final = 4
"""The sync finished with failures: some items failed or were skipped (each is named; a partial create says
what was created and which steps completed), or duplicate copies could not be closed. Running the sync again
converges."""
EXIT_CHANGES_PENDING: Final = 5
"""``sync --dry-run`` found changes a sync would make, duplicates to close included (0: the tracker already
matches the plan)."""
EXIT_INTERRUPTED: Final = 130
"""Stopped with Ctrl-C (128 + SIGINT, as shells report it): the summary says what was written, and running
the same command again finishes it, without duplicates."""
EXIT_TERMINATED: Final = 143
"""Stopped with SIGTERM (``timeout``, ``docker stop``, a cancelled CI job): 128 + 15, handled like Ctrl-C."""


class CommandError(Exception):
    """Ends a command early with an exit code, a kind (for ``--json``) and a message for the user."""

    def __init__(self, code: int, kind: str, message: str, details: Sequence[Mapping[str, object]] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.kind = kind
        self.details = details
