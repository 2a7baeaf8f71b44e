"""Many items' writes in few requests, each item's outcome its own: the bookkeeping every batching provider
needs (GitHub's and Linear's aliased mutations), whatever its writes look like."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

__all__ = ["OwnedWrite", "WriteOutcome", "first_errors"]


class OwnedWrite(Protocol):
    """A write done for one item of a batch: ``owner`` is the item's index (``0..owners-1``)."""

    @property
    def owner(self) -> int: ...


class WriteOutcome(Protocol):
    """What became of one write: ``error`` is ``None`` when it was done."""

    @property
    def error(self) -> Exception | None: ...


def first_errors(outcomes: Sequence[WriteOutcome], writes: Sequence[OwnedWrite], owners: int) -> list[Exception | None]:
    """Per owner (``0..owners-1``): the first error among its writes (``outcomes[n]`` is ``writes[n]``'s), or
    ``None`` when all of them were done; an owner without writes gets ``None``."""
    if len(outcomes) != len(writes):
        raise ValueError(f"first_errors: {len(outcomes)} outcomes for {len(writes)} writes")
    errors: list[Exception | None] = [None] * owners
    for write, outcome in zip(writes, outcomes, strict=True):
        if outcome.error is not None and errors[write.owner] is None:
            errors[write.owner] = outcome.error
    return errors
