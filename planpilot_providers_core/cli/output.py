"""Everything a command prints goes through here: secrets masked, plan and tracker text made safe.

Plan files and trackers are not trusted: a title can hold an escape sequence that retitles or
clears the terminal, a bidi override that reorders what is shown, NUL, or a line break that forges
a line of output. :func:`terminal_safe` is the one sanitiser: every value from a plan or a tracker
is passed through it (``cell``), and every line written is passed through it again (line breaks of
our own kept), so nothing unsafe reaches a terminal. JSON output is ASCII-escaped by ``json.dumps``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import sys
import time

from planpilot_providers_core.masking import redact

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the start-up path of list
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, Final, TextIO

    from planpilot_providers_core.contracts import Estimate

__all__ = ["Output", "Progress", "duration", "eta_note", "table", "terminal_safe"]

# C0 controls, DEL, C1 controls, bidi embeddings/overrides/isolates, zero-width and directional marks,
# line/paragraph separators, and the byte-order mark.
_UNSAFE: Final = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_UNSAFE_KEEPING_NEWLINES: Final = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control, bidi and invisible formatting character shown as an escape (``\\x1b``)."""
    pattern = _UNSAFE_KEEPING_NEWLINES if keep_newlines else _UNSAFE
    return pattern.sub(_escape, text)


def cell(value: object) -> str:
    """A value from a plan or a tracker, ready for one cell or one line of output."""
    return terminal_safe("-" if value is None else str(value))


def table(rows: Sequence[Sequence[str]], *, right: frozenset[int] = frozenset()) -> str:
    """Rows as aligned columns (``right``: the column indexes aligned right); cells must be :func:`cell`-safe."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            text.rjust(width) if i in right else text.ljust(width)
            for i, (text, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


class Output:
    """stdout and stderr with secrets masked and text made terminal-safe.

    A reader that goes away (``sync ... | head -1``) ends stdout quietly: later writes are dropped,
    the command still finishes and returns its exit code.
    """

    def __init__(self, stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.secrets: list[str] = []
        self._closed: set[int] = set()

    def add_secret(self, *secrets: str) -> None:
        """Mask these from now on: pass every form of a credential (``Credential.secret_forms()``)."""
        self.secrets.extend(secret for secret in secrets if secret and secret not in self.secrets)

    def mask(self, text: str) -> str:
        """``text`` with every whole secret value masked and URLs without userinfo."""
        return redact(text, *self.secrets)

    def masked(self, value: Any) -> Any:
        """A JSON-ready value with :meth:`mask` applied to each string in it (keys too), so structured output
        is built from masked values and stays valid JSON, whatever the secrets are."""
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, dict):
            return {
                self.masked(key) if isinstance(key, str) else key: self.masked(member) for key, member in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.masked(member) for member in value]
        return value

    def out(self, text: str = "") -> None:
        self._write(self.stdout, terminal_safe(self.mask(text), keep_newlines=True) + "\n")

    def err(self, text: str) -> None:
        self._write(self.stderr, terminal_safe(self.mask(text), keep_newlines=True) + "\n")

    def json(self, payload: Any) -> None:
        """JSON on stdout; ``json.dumps`` escapes every control and non-ASCII character."""
        self._write(self.stdout, json.dumps(self.masked(payload), indent=2) + "\n")

    def raw_err(self, text: str) -> None:
        """Our own terminal control (the progress line); never plan or tracker text."""
        self._write(self.stderr, text)

    def _write(self, stream: TextIO, text: str) -> None:
        if id(stream) in self._closed:
            return
        try:
            try:
                stream.write(text)
            except UnicodeEncodeError:  # a stream that is not UTF-8 (PYTHONIOENCODING=ascii): escape, go on
                encoding = getattr(stream, "encoding", None) or "ascii"
                stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
            stream.flush()
        except BrokenPipeError:
            self._closed.add(id(stream))
            # So the interpreter's own flush at exit does not fail on the closed pipe again.
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def duration(seconds: float) -> str:
    """``3h 05m``, ``12m 30s``, ``45s``: a duration for people."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def eta_note(estimate: Estimate | None) -> str:
    """What a progress line adds: the time left at the tracker's pace, and what sets that pace."""
    if estimate is None:
        return ""
    bound = f", bound by {estimate.binding}" if estimate.binding else ""
    return f"ETA {duration(estimate.seconds)}{bound}"


class Progress:
    """Phase and items done out of total, on stderr: one updating line on a terminal, else a line per
    quarter. With an ``estimate`` source (the sync run), each line also shows the ETA at the tracker's
    pace and the budget that binds, refreshed at most every ``refresh`` seconds."""

    def __init__(self, output: Output, *, refresh: float = 2.0) -> None:
        self.output = output
        self.tty = output.stderr.isatty()
        self.estimate: Callable[[], Estimate | None] | None = None
        self._last: tuple[str, int] = ("", -1)
        self._refresh = refresh
        self._note = ""
        self._noted_at = -math.inf

    def _eta(self) -> str:
        now = time.monotonic()
        if self.estimate is not None and now - self._noted_at >= self._refresh:
            self._note, self._noted_at = eta_note(self.estimate()), now
        return self._note

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.tty:
            quarter = 4 if total == 0 else done * 4 // total
            if done != 0 and (phase, quarter) == self._last:
                return
            self._last = (phase, quarter)
        note = self._eta()
        text = f"{phase}: {done}/{total}" + (f" ({terminal_safe(note)})" if note else "")
        if self.tty:
            self.output.raw_err(f"\r\x1b[K{text}" + ("\n" if done == total else ""))
        else:
            self.output.err(text)
