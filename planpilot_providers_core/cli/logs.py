"""Log records on stderr through the command's :class:`~.output.Output`: credentials masked, text made safe."""

from __future__ import annotations

import logging

from planpilot_providers_core.cli.output import Output

__all__ = ["log_to"]


#: The project's own loggers (core, plugins): ``planpilot.providers.*``.
OWN_LOGGERS = "planpilot"


class _OutputHandler(logging.Handler):
    """Writes each record through the output; closing it takes it off the root logger.

    With ``-v`` only the project's own debug lines pass (other libraries' warnings still do); ``-vv`` adds
    every library's, notably the HTTP transport's (httpx, httpcore), which is most of the volume.
    """

    def __init__(self, output: Output, *, verbose: int) -> None:
        super().__init__()
        self.output = output
        self.verbose = verbose
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def filter(self, record: logging.LogRecord) -> bool:
        if self.verbose >= 2 or record.levelno >= logging.WARNING:
            return True
        own = record.name == OWN_LOGGERS or record.name.startswith(OWN_LOGGERS + ".")
        return own and self.verbose >= 1

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.output.err(self.format(record))
        except Exception:  # a log line must never end the command
            self.handleError(record)

    def close(self) -> None:
        logging.getLogger().removeHandler(self)
        super().close()


def log_to(output: Output, *, verbose: int) -> logging.Handler:
    """Send log records to ``output`` until the handler is closed: warnings; with ``verbose`` 1 (``-v``) the
    project's own debug lines too; with 2 (``-vv``) every library's, the HTTP transport's included."""
    handler = _OutputHandler(output, verbose=verbose)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    return handler
