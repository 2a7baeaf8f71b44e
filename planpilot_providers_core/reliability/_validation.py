"""attrs validators with messages that name the class, the field and what is accepted."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def _where(instance: Any, attribute: attrs.Attribute[Any]) -> str:
    return f"{type(instance).__name__}.{attribute.name}"


def seconds(*, positive: bool = False, optional: bool = False) -> Validator:
    """A finite duration in seconds, ``>= 0`` (or ``> 0`` when ``positive``), or None if ``optional``."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        number = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if not number or value < 0 or (positive and value == 0):
            allowed = f"a finite number of seconds {'> 0' if positive else '>= 0'}"
            allowed += " or None" if optional else ""
            raise ValueError(f"{_where(instance, attribute)} must be {allowed}, got {value!r}")

    return check


def count(*, minimum: int, maximum: int | None = None, optional: bool = False, why: str = "") -> Validator:
    """An int within ``[minimum, maximum]``, or None if ``optional``; ``why`` explains the bound."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        integer = isinstance(value, int) and not isinstance(value, bool)
        if not integer or value < minimum or (maximum is not None and value > maximum):
            allowed = f"an int from {minimum} to {maximum}" if maximum is not None else f"an int >= {minimum}"
            allowed += " or None" if optional else ""
            raise ValueError(f"{_where(instance, attribute)} must be {allowed}{why}, got {value!r}")

    return check
