"""Partial-failure reporting for a multi-step ``create_item``, and the failure injection that tests it.

A provider records each step with :class:`CreateProgress`; once the item exists, any exception
leaves ``create_item`` as ``CreateItemPartialFailureError`` naming the item and exactly the steps
that completed. Never a plain exception: that would let the caller create the item a second time.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator

from planpilot_providers_core.errors import CreateItemPartialFailureError, ProviderError, TransientProviderError
from planpilot_providers_core.steps import CreateStep

__all__ = ["CreateProgress", "InjectedFailure", "failing_after"]

_FAIL_AFTER: contextvars.ContextVar[CreateStep | None] = contextvars.ContextVar("planpilot_fail_after", default=None)


class InjectedFailure(ProviderError):
    """The failure :func:`failing_after` injects (conformance tests); never raised in normal use."""


@contextlib.contextmanager
def failing_after(step: str) -> Iterator[None]:
    """Within this block, every :class:`CreateProgress` fails right after recording ``step``.

    The conformance suite uses it to check partial-failure reporting; a provider that records its
    steps with :class:`CreateProgress` supports it with no code of its own.
    """
    token = _FAIL_AFTER.set(CreateStep(step))
    try:
        yield
    finally:
        _FAIL_AFTER.reset(token)


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, TransientProviderError)


class CreateProgress:
    """Records the steps of one ``create_item`` and turns a failure after the item exists into
    ``CreateItemPartialFailureError`` with exactly those steps, so no provider reports it by hand::

        progress = CreateProgress()
        with progress:
            created = await self._create(...)            # a failure here is raised as it is
            progress.created(created.id, created.key, created.url, CreateStep.LABELS_SET)
            await self._add_to_board(created.id)         # a failure here becomes a partial failure
            progress.done(CreateStep.PROJECT_ITEM_ADDED)

    ``retryable`` tells whether running the sync again may finish the item (default: the failure is a
    ``TransientProviderError``).
    """

    def __init__(self, *, retryable: Callable[[BaseException], bool] = _transient) -> None:
        self.completed: list[CreateStep] = []
        self.item_id: str | None = None
        self.item_key: str | None = None
        self.item_url: str | None = None
        self._retryable = retryable

    def created(self, item_id: str, key: str, url: str, *also: str) -> None:
        """The item exists (``issue_created``), with the steps the same request completed."""
        self.item_id, self.item_key, self.item_url = item_id, key, url
        self.done(CreateStep.ISSUE_CREATED, *also)

    def done(self, *steps: str) -> None:
        """Record completed steps, in order (several when one request completed them together)."""
        recorded = [CreateStep(step) for step in steps]
        self.completed.extend(recorded)
        fail_after = _FAIL_AFTER.get()
        if fail_after is not None and fail_after in recorded:
            raise InjectedFailure(f"failure injected after {fail_after} (conformance test)")

    def __enter__(self) -> CreateProgress:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc is None or self.item_id is None or not isinstance(exc, Exception):
            return  # nothing exists yet (or it is a cancellation): the caller may simply try again
        if isinstance(exc, CreateItemPartialFailureError):
            return
        raise CreateItemPartialFailureError(
            f"{self.item_key or self.item_id} was created, but finishing it failed: {exc}",
            created_item_id=self.item_id,
            created_item_key=self.item_key,
            created_item_url=self.item_url,
            completed_steps=self.completed,
            retryable=self._retryable(exc),
        ) from exc
