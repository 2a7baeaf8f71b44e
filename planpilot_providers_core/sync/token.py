"""Token resolution for the CLI: ``GITHUB_TOKEN``, then ``GH_TOKEN``, then ``gh auth token``.

The token is returned to the caller and nowhere else: it is never logged, printed or put in an
exception message. Use :func:`redact` on any text shown to a user that might echo it back.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from typing import Final
from urllib.parse import urlsplit

from planpilot_providers_core.errors import AuthenticationError

__all__ = ["TOKEN_ENV_VARS", "redact", "resolve_token"]

TOKEN_ENV_VARS: Final = ("GITHUB_TOKEN", "GH_TOKEN")
_GH_TIMEOUT: Final = 10.0
_PUBLIC_HOSTS: Final = frozenset({"github.com", "api.github.com"})

#: Runs ``gh auth token`` (with its arguments) and returns the token, or ``None`` when gh has none.
GhTokenReader = Callable[[list[str]], str | None]


def _run_gh(args: list[str]) -> str | None:
    executable = shutil.which("gh")
    if executable is None:
        return None
    try:
        completed = subprocess.run(
            [executable, "auth", "token", *args],
            capture_output=True,
            text=True,
            timeout=_GH_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    token = completed.stdout.strip()
    return token if completed.returncode == 0 and token else None


def resolve_token(
    *,
    api_url: str | None = None,
    environ: Mapping[str, str] | None = None,
    gh: GhTokenReader = _run_gh,
) -> str:
    """The first token found; ``AuthenticationError`` saying where it looked when there is none.

    With an ``api_url`` for a host other than github.com (GitHub Enterprise), ``gh`` is asked for
    that host's token.
    """
    env = os.environ if environ is None else environ
    for name in TOKEN_ENV_VARS:
        value = env.get(name, "").strip()
        if value:
            return value
    args: list[str] = []
    host = urlsplit(api_url).hostname if api_url else None
    if host and host not in _PUBLIC_HOSTS:
        args = ["--hostname", host]
    token = gh(args)
    if token:
        return token
    where = f" for {host}" if args else ""
    raise AuthenticationError(f"no token found: set GITHUB_TOKEN or GH_TOKEN, or sign in with 'gh auth login'{where}")


def redact(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` replaced, for anything shown to a user."""
    if not secret:
        return text
    return text.replace(secret, "***")
