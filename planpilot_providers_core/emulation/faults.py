"""Fault injection for emulators: a seeded random :class:`FaultPlan` plus scripted one-shot faults.

Each emulator names its own fault kinds (a ``StrEnum``: the tracker's own failure answers) and turns a
drawn kind into the exact response that tracker sends; this module only decides *which* request fails
and how, deterministically for a given seed, so a client's retries and ambiguity handling can be tested.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, Generic, TypeVar

from attrs import define, field, frozen, validators

__all__ = ["FaultInjector", "FaultPlan", "ScriptedFault", "parse_kinds"]

K = TypeVar("K", bound=StrEnum)


def parse_kinds(kind_type: type[K], values: Iterable[K | str]) -> tuple[K, ...]:
    """``values`` as kinds of ``kind_type``; ``ValueError`` naming the unknown one and the choices."""
    kinds: list[K] = []
    for value in values:
        try:
            kinds.append(kind_type(value))
        except ValueError:
            choices = ", ".join(kind_type)
            raise ValueError(f"unknown fault kind {value!r}; choose from {choices}") from None
    if not kinds:
        raise ValueError("a fault plan needs at least one fault kind")
    return tuple(kinds)


def _same_enum(_: object, attribute: Any, value: tuple[StrEnum, ...]) -> None:
    if not value:
        raise ValueError("a FaultPlan needs at least one fault kind")
    kinds = {type(kind) for kind in value}
    if len(kinds) != 1 or not issubclass(kinds.pop(), StrEnum):
        raise TypeError(f"FaultPlan kinds must be members of one StrEnum (use parse_kinds), got {value!r}")


@frozen
class FaultPlan(Generic[K]):
    """Each request (or each write request) fails with ``probability``, with a kind drawn from ``kinds``."""

    probability: float = field(validator=[validators.ge(0.0), validators.le(1.0)])
    kinds: tuple[K, ...] = field(converter=tuple, validator=_same_enum)
    writes_only: bool = False
    seed: int = 0


@define
class ScriptedFault(Generic[K]):
    kind: K
    operation: str | None
    remaining: int


class FaultInjector(Generic[K]):
    """Decides which fault (if any) a request gets; call it under the emulator's lock."""

    def __init__(self, plan: FaultPlan[K] | None = None) -> None:
        self.plan = plan
        self._rng = random.Random(plan.seed if plan else 0)
        self.scripted: list[ScriptedFault[K]] = []

    def set_plan(self, plan: FaultPlan[K] | None) -> None:
        self.plan = plan
        self._rng = random.Random(plan.seed if plan else 0)

    def inject(self, kind: K, operation: str | None = None, times: int = 1) -> None:
        """Fail the next ``times`` requests named ``operation`` (any request when ``None``) with ``kind``."""
        if times < 1:
            raise ValueError("times must be at least 1")
        self.scripted.append(ScriptedFault(kind, operation, times))

    def clear(self) -> None:
        self.scripted.clear()
        self.set_plan(None)

    def draw(self, operation: str | None, *, write: bool) -> K | None:
        """Scripted faults first (in injection order, matched by operation name), then the random plan."""
        for scripted in self.scripted:
            if scripted.operation is None or scripted.operation == operation:
                scripted.remaining -= 1
                if scripted.remaining == 0:
                    self.scripted.remove(scripted)
                return scripted.kind
        plan = self.plan
        if plan is None or (plan.writes_only and not write):
            return None
        if self._rng.random() < plan.probability:
            return self._rng.choice(plan.kinds)
        return None
