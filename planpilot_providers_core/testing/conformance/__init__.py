"""``ProviderConformance``: the provider contract as a pytest base class (usage: ``..testing`` docstring).

Every failure names the provider call, what the contract expected and what came back (see
:func:`.checks._fail`), so a provider author can act on it without reading the suite.

The checks live one topic a module, each a mixin of ``test_`` methods; ``ProviderConformance`` combines
them with the suite's fixtures. The mixins' names do not start with ``Test``, so pytest collects them only
through a ``Test...`` subclass of ``ProviderConformance``.
"""

from __future__ import annotations

from planpilot_providers_core.progress import failing_after
from planpilot_providers_core.testing.conformance.bodies import BodyChecks
from planpilot_providers_core.testing.conformance.capabilities import CapabilityChecks
from planpilot_providers_core.testing.conformance.concurrency import ConcurrencyChecks
from planpilot_providers_core.testing.conformance.duplicates import DuplicateChecks
from planpilot_providers_core.testing.conformance.fixtures import SuiteFixtures
from planpilot_providers_core.testing.conformance.items import ItemChecks
from planpilot_providers_core.testing.conformance.lifecycle import LifecycleChecks
from planpilot_providers_core.testing.conformance.partial_failure import PartialFailureChecks
from planpilot_providers_core.testing.conformance.relations import RelationChecks
from planpilot_providers_core.testing.conformance.search import SearchChecks
from planpilot_providers_core.testing.conformance.settings import (
    ConformanceSettings,
    CreateFailureInjector,
    failing_after_or_skip,
)
from planpilot_providers_core.testing.conformance.transport import TransportFaultChecks
from planpilot_providers_core.testing.conformance.updates import UpdateChecks

__all__ = [
    "ConformanceSettings",
    "CreateFailureInjector",
    "ProviderConformance",
    "failing_after",
    "failing_after_or_skip",
]


# pytest collects the tests of base classes in reverse MRO order, so the mixins are listed last topic
# first: the tests run (without random order) capabilities, search, items, updates, bodies, partial
# failure, transport faults, relations, concurrency, duplicates, lifecycle.
class ProviderConformance(
    LifecycleChecks,
    DuplicateChecks,
    ConcurrencyChecks,
    RelationChecks,
    TransportFaultChecks,
    PartialFailureChecks,
    BodyChecks,
    UpdateChecks,
    ItemChecks,
    SearchChecks,
    CapabilityChecks,
    SuiteFixtures,
):
    """Subclass as ``Test...`` and define the ``make_provider`` fixture to run the contract on a provider."""
