"""``ProviderContext``: what a provider resolved on enter, frozen so concurrent calls can share it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import types
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from planpilot_providers_core.capabilities import Capability, parse_capabilities

__all__ = ["ProviderContext", "frozen_mapping", "mutable_members"]

_IMMUTABLE_LEAVES = (
    type(None),
    bool,
    int,
    float,
    complex,
    str,
    bytes,
    enum.Enum,
    dt.date,
    dt.time,
    dt.timedelta,
    dt.tzinfo,
    decimal.Decimal,
    range,
)


def frozen_mapping(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    """Converter for mapping fields: a read-only view of a private copy, so nobody can mutate it later."""
    return types.MappingProxyType(dict(value))


def _is_frozen_class(cls: type) -> bool:
    if dataclasses.is_dataclass(cls):
        return bool(cls.__dataclass_params__.frozen)  # type: ignore[attr-defined]
    if attrs.has(cls):
        # attrs installs this function as __setattr__ on frozen classes (there is no public flag).
        return getattr(cls.__setattr__, "__name__", "") == "_frozen_setattrs"
    return False


def mutable_members(value: object, path: str = "context") -> Iterator[str]:
    """Describe every member of ``value`` (recursively) that could change after it was built.

    Immutable: ``None``, numbers, strings, bytes, enums, dates and times, tuples and frozensets of
    immutable members, :func:`frozen_mapping` views of them, and frozen attrs classes and dataclasses
    whose fields are immutable. Anything else (a list, a dict, a ``SimpleNamespace``, a plain
    object, a client) is reported as ``"path: type"``.
    """
    seen: set[int] = set()

    def walk(member: object, where: str) -> Iterator[str]:
        if isinstance(member, _IMMUTABLE_LEAVES):
            return
        if id(member) in seen:
            return
        seen.add(id(member))
        if isinstance(member, tuple | frozenset):
            for n, inner in enumerate(member):
                yield from walk(inner, f"{where}[{n}]")
        elif isinstance(member, types.MappingProxyType):
            for key, inner in member.items():
                yield from walk(key, f"{where} key {key!r}")
                yield from walk(inner, f"{where}[{key!r}]")
        elif _is_frozen_class(type(member)):
            cls: Any = type(member)
            fields = dataclasses.fields(cls) if dataclasses.is_dataclass(cls) else attrs.fields(cls)
            names = [f.name for f in fields]
            for name in names:
                yield from walk(getattr(member, name), f"{where}.{name}")
        else:
            yield f"{where}: {type(member).__name__}"

    yield from walk(value, path)


@attrs.frozen(kw_only=True)
class ProviderContext:
    """Base for a provider's resolved state (ids, field mappings, capabilities).

    Subclass it with ``@attrs.frozen`` and store mappings through :func:`frozen_mapping`. Every member
    must be immutable, all the way down (see :func:`mutable_members`); building a context that holds
    a list, a dict, a ``SimpleNamespace`` or a client raises ``TypeError``. That is what makes it safe
    to read from concurrent calls without locks. Mutable caches belong on the provider, behind a lock
    (see :class:`~planpilot_providers_core.singleflight.SingleFlightCache`).
    """

    provider: str
    capabilities: frozenset[Capability] = attrs.field(converter=parse_capabilities)

    def __attrs_post_init__(self) -> None:
        mutable = list(mutable_members(self, type(self).__name__))
        if mutable:
            raise TypeError(
                f"a provider context must be immutable all the way down, but {', '.join(mutable)} can change; "
                "store tuples, frozensets, frozen_mapping() views or frozen attrs classes instead"
            )
