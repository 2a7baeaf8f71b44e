"""SIGTERM handled like Ctrl-C: what ``timeout``, ``docker stop`` and a cancelled CI job send.

Python ends on SIGTERM at once, with no word and no summary. Here it stops a command the way Ctrl-C
does: a sync in progress is cancelled so that it can say what it wrote, and the command ends with
``128 + 15`` (143), as shells report it. Inside the event loop (:func:`run`) the signal cancels the main
task, exactly as asyncio treats Ctrl-C; outside it (loading the plan, looking up the credential) the
handler :func:`install` sets raises :class:`Interrupted` where the command is.
"""

from __future__ import annotations

import signal

from planpilot_providers_core.cli.exits import EXIT_INTERRUPTED, EXIT_TERMINATED

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the start-up path of every command
if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from types import FrameType
    from typing import Any, TypeVar

    _T = TypeVar("_T")

__all__ = ["Interrupted", "install", "run"]


class Interrupted(Exception):
    """The command was stopped (Ctrl-C, or SIGTERM when ``terminated``); ``result`` is what a sync did so far."""

    def __init__(self, result: Any = None, *, terminated: bool = False) -> None:
        super().__init__("terminated" if terminated else "interrupted")
        self.result = result
        self.terminated = terminated

    @property
    def code(self) -> int:
        return EXIT_TERMINATED if self.terminated else EXIT_INTERRUPTED

    @property
    def what(self) -> str:
        """``terminated (SIGTERM)`` or ``interrupted``, for the first words of the message."""
        return "terminated (SIGTERM)" if self.terminated else "interrupted"


def _raise_terminated(_signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(terminated=True)


def install() -> Callable[[], None]:
    """Make SIGTERM raise :class:`Interrupted` from here on; returns what puts the old handler back.

    Only the main thread can set a handler; elsewhere (an embedding application's worker) nothing changes.
    """
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:
        return lambda: None

    def restore() -> None:
        try:  # noqa: SIM105 -- contextlib is not imported on the start-up path
            signal.signal(signal.SIGTERM, previous)
        except (ValueError, TypeError):
            pass  # not the main thread any more, or a handler Python cannot set back

    return restore


def run(main: Coroutine[Any, Any, _T]) -> _T:
    """``asyncio.run(main)``, where SIGTERM cancels ``main`` as Ctrl-C does, then raises :class:`Interrupted`.

    A coroutine that turns its cancellation into :class:`Interrupted` (a sync, with its partial result)
    has that exception marked ``terminated``; one that does not gets a plain :class:`Interrupted`.
    """
    import asyncio  # here, not at the top: --help and list never run an event loop
    import contextlib

    terminated: list[bool] = []

    async def guarded() -> _T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def on_sigterm() -> None:
            terminated.append(True)
            task.cancel()

        try:
            loop.add_signal_handler(signal.SIGTERM, on_sigterm)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
            return await main
        try:
            return await main
        finally:
            with contextlib.suppress(RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGTERM)

    handler = _current_handler()
    try:
        return asyncio.run(guarded())
    except Interrupted as stop:
        stop.terminated = stop.terminated or bool(terminated)
        raise
    except asyncio.CancelledError:
        if terminated:
            raise Interrupted(terminated=True) from None
        raise
    finally:
        if handler is not None:  # asyncio put the default back when it removed its own
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(signal.SIGTERM, handler)


def _current_handler() -> Any:
    try:
        return signal.getsignal(signal.SIGTERM)
    except ValueError:  # pragma: no cover - getsignal works in any thread
        return None
