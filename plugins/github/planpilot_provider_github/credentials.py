"""The GitHub token helper: ``gh auth token``, asked by core only for the GitHub provider.

The plugin declares ``GITHUB_TOKEN``, ``GH_TOKEN`` and this helper (``plugin.py``); core reads the
variables and calls the helper only when they are empty, and hands the result to this provider alone.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Final
from urllib.parse import urlsplit

from planpilot_providers_core.credentials import run_credential_command
from planpilot_providers_core.spec import CredentialRequest

__all__ = ["gh_auth_token"]

_GH_TIMEOUT: Final = 10.0
_PUBLIC_HOSTS: Final = frozenset({"github.com", "api.github.com"})

GhRunner = Callable[[list[str]], str | None]
"""Runs ``gh auth token`` with extra arguments and returns what it printed, or ``None``."""


def _run_gh(args: list[str]) -> str | None:
    """What ``gh auth token`` prints; bounded in time and output by core (a hang or a flood is reported)."""
    executable = shutil.which("gh")
    if executable is None:
        return None
    return run_credential_command([executable, "auth", "token", *args], timeout=_GH_TIMEOUT)


def gh_auth_token(request: CredentialRequest, *, run: GhRunner = _run_gh) -> str | None:
    """The token ``gh`` holds for the API host the provider will call (GitHub Enterprise: its own host)."""
    api_url = request.options.get("api_url")
    host = urlsplit(api_url).hostname if isinstance(api_url, str) else None
    args = ["--hostname", host] if host and host not in _PUBLIC_HOSTS else []
    return run(args)
