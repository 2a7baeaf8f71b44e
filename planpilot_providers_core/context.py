"""``ProviderContext``: what a provider resolved on enter, frozen so concurrent calls can share it."""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any

import attrs

from planpilot_providers_core.capabilities import Capability, parse_capabilities


def frozen_mapping(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    """Converter for mapping fields: a read-only view of a private copy, so nobody can mutate it later."""
    return types.MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class ProviderContext:
    """Base for a provider's resolved state (ids, field mappings, capabilities).

    Subclass it with ``@attrs.frozen`` and store mappings through :func:`frozen_mapping`: its fields
    cannot be reassigned, which is what makes it safe to read from concurrent calls without locks.
    Mutable caches do not belong here; keep them on the provider behind a lock.
    """

    provider: str
    capabilities: frozenset[Capability] = attrs.field(converter=parse_capabilities)
