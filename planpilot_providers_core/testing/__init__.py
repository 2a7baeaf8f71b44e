"""Provider conformance suite: the behaviour every provider owes, as tests a provider author runs.

Install ``planpilot-providers-core[testing]`` (pytest, pytest-asyncio), then in your plugin's tests::

    import pytest
    from planpilot_providers_core.testing import ConformanceSettings, ProviderConformance
    from planpilot_provider_jira.provider import JiraProvider

    class TestJiraConformance(ProviderConformance):
        @pytest.fixture
        def make_provider(self):
            # Zero arguments, a fresh provider each call, NOT entered: the suite enters it itself.
            return lambda: JiraProvider(target="ACME", token=..., board_url=...)

        @pytest.fixture
        def conformance_settings(self):  # optional; the defaults are shown
            return ConformanceSettings(page_size=100, concurrency=50)

``make_provider`` may also live in a ``conftest.py``. The suite's ``provider`` fixture yields an entered
provider and exits it afterwards. Every test tags its items with a unique label and body marker, so
runs can share one backend; items are left behind, so point it at a scratch project. The tests carry
explicit pytest-asyncio marks and run in its strict or auto mode. A capability the provider does not
declare is not skipped: the suite then checks that using it raises ``ProviderCapabilityError``.
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

from planpilot_providers_core.testing.conformance import ConformanceSettings, ProviderConformance  # noqa: E402

__all__ = ["ConformanceSettings", "ProviderConformance"]
