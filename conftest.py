"""Test-session settings shared by the core and plugin test suites."""

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _entry_point_cache_in_a_temporary_directory(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the entry-point cache (and subprocesses' caches) out of the user's home during tests."""
    os.environ["PLANPILOT_PROVIDERS_CACHE_DIR"] = str(tmp_path_factory.mktemp("entry-point-cache"))
