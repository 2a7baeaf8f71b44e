"""The capability vocabulary and the one check every provider runs at the end of ``__aenter__``."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Final

from planpilot_providers_core.errors import ProviderCapabilityError


class Capability(enum.StrEnum):
    """Something a provider can do; a plugin declares these, a provider resolves them on enter."""

    DISCOVERY_BY_LABELS = "discovery.labels"
    """``search_items`` filters on every given label (AND)."""
    DISCOVERY_BY_BODY_TEXT = "discovery.body-text"
    """``search_items`` filters on a substring of the body, combined with the labels."""
    DISCOVERY_COMPLETE = "discovery.complete"
    """``search_items`` pages through every match and fails rather than truncating."""
    RELATION_PARENT = "relations.parent"
    """Items can be placed under a parent item."""
    RELATION_BLOCKED_BY = "relations.blocked-by"
    """Items can be marked as blocked by other items."""
    ITEM_TYPES_NATIVE = "types.native"
    """Epic/story/task are set as a native item type of the tracker."""
    ITEM_TYPES_LABEL = "types.label"
    """Epic/story/task are expressed as type labels."""
    PROJECT_FIELDS = "project.fields"
    """Board fields (size, status, priority, iteration) can be set."""
    ITEM_DELETE = "items.delete"
    """Items can be deleted."""
    ITEM_CLOSE_DUPLICATE = "items.close-duplicate"
    """Items can be closed as duplicates of another item (``Provider.close_duplicate``): the sync merges the
    copies two syncs made at once. Without it, a sync reports such copies as problems."""


#: What the engine's discovery needs from every provider (the spec's "Required Discovery Capabilities").
DISCOVERY_CAPABILITIES: Final[frozenset[Capability]] = frozenset(
    {Capability.DISCOVERY_BY_LABELS, Capability.DISCOVERY_BY_BODY_TEXT, Capability.DISCOVERY_COMPLETE}
)


def parse_capabilities(values: Iterable[str | Capability]) -> frozenset[Capability]:
    """Turn names into capabilities, rejecting unknown ones with the vocabulary in the message."""
    if isinstance(values, str):
        raise TypeError(f"capabilities must be a collection of names, not the single string {values!r}")
    result: set[Capability] = set()
    for value in values:
        try:
            result.add(Capability(value))
        except ValueError:
            known = ", ".join(c.value for c in Capability)
            raise ValueError(f"unknown capability {value!r}; known capabilities: {known}") from None
    return frozenset(result)


def check_capabilities(
    provider: str,
    available: Iterable[str | Capability],
    required: Iterable[str | Capability] = DISCOVERY_CAPABILITIES,
) -> None:
    """Raise ``ProviderCapabilityError`` naming what ``required`` asks for and ``available`` lacks."""
    have = parse_capabilities(available)
    missing = sorted(parse_capabilities(required) - have)
    if missing:
        names = ", ".join(missing)
        raise ProviderCapabilityError(
            f"provider {provider!r} lacks required capability {names}; "
            "choose a provider (or a configuration) that offers it, or stop requiring it",
            capability=missing[0],
            missing=missing,
        )


#: Capabilities of which a provider resolves one, depending on the tracker it meets (GitHub: native
#: issue types in an organization, type labels elsewhere); declaring all of them is right.
ALTERNATIVES: Final[tuple[frozenset[Capability], ...]] = (
    frozenset({Capability.ITEM_TYPES_NATIVE, Capability.ITEM_TYPES_LABEL}),
)


def undeclared(declared: Iterable[str | Capability], resolved: Iterable[str | Capability]) -> list[Capability]:
    """Resolved capabilities the registration does not declare: a plugin bug (the factory trusts declarations)."""
    return sorted(parse_capabilities(resolved) - parse_capabilities(declared))


def unresolved(declared: Iterable[str | Capability], resolved: Iterable[str | Capability]) -> list[Capability]:
    """Declared capabilities the entered provider does not offer.

    One of a group of :data:`ALTERNATIVES` stands for the whole group. Anything listed here means the
    registration promises more than the provider delivers with this configuration.
    """
    have = parse_capabilities(resolved)
    missing = set(parse_capabilities(declared) - have)
    for group in ALTERNATIVES:
        if group & have:
            missing -= group
    return sorted(missing)
