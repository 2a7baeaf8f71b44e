"""The capability vocabulary and the check that makes a provider fail fast instead of syncing half."""

from __future__ import annotations

import json

import pytest

from planpilot_providers_core.capabilities import (
    DISCOVERY_CAPABILITIES,
    Capability,
    check_capabilities,
    parse_capabilities,
)
from planpilot_providers_core.errors import ProviderCapabilityError


def test_parse_accepts_names_and_members() -> None:
    """Plugins write plain strings; the core works with the enum."""
    parsed = parse_capabilities(["discovery.labels", Capability.ITEM_DELETE, "discovery.labels"])
    assert parsed == frozenset({Capability.DISCOVERY_BY_LABELS, Capability.ITEM_DELETE})
    assert all(isinstance(c, Capability) for c in parsed)


def test_unknown_capability_is_rejected_with_the_vocabulary() -> None:
    """A typo'd capability would never match a requirement; the message lists what exists."""
    with pytest.raises(ValueError, match=r"unknown capability 'discovery\.label'") as excinfo:
        parse_capabilities(["discovery.label"])
    for capability in Capability:
        assert capability.value in str(excinfo.value)


def test_discovery_capabilities_are_the_specs_three_semantics() -> None:
    """The default requirement is the seed's discovery semantics: AND labels, body text, no truncation."""
    expected = {
        Capability.DISCOVERY_BY_LABELS,
        Capability.DISCOVERY_BY_BODY_TEXT,
        Capability.DISCOVERY_COMPLETE,
    }
    assert expected == DISCOVERY_CAPABILITIES


def test_check_passes_when_everything_required_is_available() -> None:
    """Extra capabilities are fine; only missing ones fail."""
    check_capabilities("p", [*DISCOVERY_CAPABILITIES, Capability.ITEM_DELETE])
    check_capabilities("p", [], required=[])
    check_capabilities("p", ["items.delete"], required=["items.delete"])


def test_check_raises_naming_the_missing_capability() -> None:
    """The error says which provider, which capability, and what to do."""
    with pytest.raises(ProviderCapabilityError) as excinfo:
        check_capabilities("jira", ["discovery.labels", "discovery.body-text"])

    error = excinfo.value
    assert error.capability == Capability.DISCOVERY_COMPLETE
    assert error.missing == (Capability.DISCOVERY_COMPLETE,)
    assert "'jira'" in str(error)
    assert "discovery.complete" in str(error)
    assert "discovery.labels" not in str(error)


def test_check_reports_every_missing_capability() -> None:
    """Fixing one gap at a time is slow; all gaps are in ``.missing`` and the message."""
    with pytest.raises(ProviderCapabilityError) as excinfo:
        check_capabilities("p", [], required=["relations.parent", "discovery.labels"])

    assert set(excinfo.value.missing) == {Capability.RELATION_PARENT, Capability.DISCOVERY_BY_LABELS}
    assert excinfo.value.capability in excinfo.value.missing
    for missing in ("relations.parent", "discovery.labels"):
        assert missing in str(excinfo.value)


def test_check_rejects_unknown_names_on_either_side() -> None:
    """A misspelt requirement must not silently pass (or fail as "missing")."""
    with pytest.raises(ValueError, match="unknown capability"):
        check_capabilities("p", ["discovery.labels"], required=["discovery.labelz"])
    with pytest.raises(ValueError, match="unknown capability"):
        check_capabilities("p", ["discovery.everything"], required=[])


def test_capabilities_compare_equal_to_their_names() -> None:
    """Plugins and JSON output use the plain names; the enum must stay interchangeable with them."""
    name: str = "discovery.complete"
    assert name == Capability.DISCOVERY_COMPLETE
    assert json.dumps(sorted(Capability)) == json.dumps(sorted(c.value for c in Capability))
    assert {c.value for c in Capability} == {str(c) for c in Capability}
