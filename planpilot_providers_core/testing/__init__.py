"""Provider conformance suite: the behaviour every provider owes, as tests a provider author runs.

Install ``planpilot-providers-core[testing]`` (pytest, pytest-asyncio), then in your plugin's tests::

    import pytest
    from planpilot_providers_core.config import ProviderConfig
    from planpilot_providers_core.testing import (
        ConformanceSettings,
        CreateFailureInjector,
        ProviderConformance,
        failing_after,
    )
    from planpilot_provider_jira.provider import JiraProvider

    class TestJiraConformance(ProviderConformance):
        @pytest.fixture
        def make_provider(self):
            # Zero arguments, a fresh provider each call, NOT entered: the suite enters it itself.
            config = ProviderConfig.from_keywords("jira", target="ACME", token=..., board_url=...)
            return lambda: JiraProvider(config)

        @pytest.fixture
        def inject_create_failure(self) -> CreateFailureInjector:
            return failing_after  # opt in to the partial-failure check (see below)

        @pytest.fixture
        def missing_item_id(self) -> str:  # optional: an id shaped like yours that no item has
            return "ACME-999999"

        @pytest.fixture
        def conformance_settings(self):  # optional; the defaults are shown
            return ConformanceSettings(page_size=100, concurrency=50, call_timeout=30.0)

The fixtures you can define (in the class or a ``conftest.py``):

``make_provider`` (required)
    Returns a zero-argument callable giving a fresh, not entered provider. The suite's ``provider``
    fixture enters one for each test and exits it afterwards; lifecycle tests call it themselves.
    Create it with the name your plugin registers (``ProviderConfig.from_keywords("jira", ...)`` or
    ``create_provider("jira", ...)``): the suite compares the capabilities the entered provider resolves
    with those your ``ProviderSpec`` declares, found through that name, so the plugin must be installed
    (``pip install -e .``).
``inject_create_failure`` (default :func:`failing_after_or_skip`)
    How the suite makes ``create_item`` fail right after a given canonical step
    (:class:`~planpilot_providers_core.steps.CreateStep`): a callable taking the step and returning a
    context manager the suite enters around one ``create_item`` call. For every step your provider
    records, the suite then requires ``CreateItemPartialFailureError`` (never a plain exception) naming
    the created item and the completed steps, the item found by ``get_item`` and by a search for the
    discovery label and its body text, and an ``update_item`` with the plan's fields finishing it.
    Steps your provider never records are not checked. If ``create_item`` records its steps with
    ``CreateProgress``, core's :func:`failing_after` does this for you. The default uses it too, but if
    your provider records no step under it the test is *skipped*, with the reason; returning
    :func:`failing_after` (or your own injector, if you track steps differently) opts in, and a
    create that then never fails is a test *failure*. Return ``None`` to opt out explicitly.
    A custom injector is a callable taking a :class:`~planpilot_providers_core.steps.CreateStep` and returning
    a context manager. While the suite is inside it, the next ``create_item`` must raise (from inside its
    ``with progress:`` block, so it becomes a partial failure) right after completing that step, and must
    do nothing for a step it never records.
``fault_plan`` (default ``FaultPlan(retry_after=3.0)``)
    The transport faults (:mod:`planpilot_providers_core.testing.faults`) the suite injects into every
    ``PooledClient`` the provider opens (or any transport it passes through
    ``reliability.wrap_transport``): each request of a create failed in turn (429, 503, a dropped
    connection, a timeout, applied-then-503 and applied-then-timeout on writes, a lasting 503), and reads
    under 401, 403, a lasting 503 and a 429. No duplicate, a half-made item named by a partial failure and
    finished by ``update_item``, errors of the right kind, ``Retry-After`` honoured (on virtual time), and
    no credential form in any error, log record or repr. A provider whose requests bypass the seam fails
    them. Return ``None`` for a provider without HTTP: the suite then checks that it sends nothing.
``missing_item_id`` (default ``"ppc-missing-<random hex>"``)
    An id no item ever had. ``get_item`` and ``update_item`` of it (and ``delete_item``, with
    ``items.delete``) must raise ``ItemNotFoundError``. Override it when your tracker rejects ids of
    another shape with a different error before looking anything up.
``conformance_settings`` (default ``ConformanceSettings()``)
    Your search page size (the paging test creates ``page_size + 5`` items), how many creates to run
    at once, and how long a call on an exited provider may take before it counts as a hang.

Every test tags its items with a unique label and body marker, so runs can share one backend; items
are left behind, so point it at a scratch project. The tests carry explicit pytest-asyncio marks and
run in its strict or auto mode. A capability the provider does not offer is not skipped: the suite
then checks that using it raises ``ProviderCapabilityError``. Every failure names the rule, the
provider call, what was expected and what came back.
"""

try:
    import pytest
    import pytest_asyncio  # noqa: F401 - the suite's async fixtures need it
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "planpilot_providers_core.testing needs pytest and pytest-asyncio: "
        "pip install 'planpilot-providers-core[testing]'"
    ) from exc

# Rewrite the suite's asserts like a test module's, so a failure explains itself.
pytest.register_assert_rewrite("planpilot_providers_core.testing.conformance")

from planpilot_providers_core.testing.conformance import (  # noqa: E402
    ConformanceSettings,
    CreateFailureInjector,
    ProviderConformance,
    failing_after,
    failing_after_or_skip,
)

__all__ = [
    "ConformanceSettings",
    "CreateFailureInjector",
    "ProviderConformance",
    "failing_after",
    "failing_after_or_skip",
]
