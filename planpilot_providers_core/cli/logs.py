"""Log records on stderr through the command's :class:`~.output.Output`: credentials masked, text made safe."""

from __future__ import annotations

import logging

from planpilot_providers_core.cli.output import Output

__all__ = ["log_to"]


class _OutputHandler(logging.Handler):
    """Writes each record through the output; closing it takes it off the root logger."""

    def __init__(self, output: Output) -> None:
        super().__init__()
        self.output = output
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.output.err(self.format(record))
        except Exception:  # a log line must never end the command
            self.handleError(record)

    def close(self) -> None:
        logging.getLogger().removeHandler(self)
        super().close()


def log_to(output: Output, *, verbose: bool) -> logging.Handler:
    """Send log records to ``output`` (debug with ``-v``, else warnings) until the handler is closed."""
    handler = _OutputHandler(output)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    return handler
