"""Credentials: found where the provider's registration says, checked, and handed to that provider only.

Core knows no tracker: a provider declares a :class:`~planpilot_providers_core.spec.CredentialSpec`
(environment variables, an external helper such as GitHub's ``gh auth token``, or nothing), and
:func:`resolve_credential` looks there and nowhere else. So a Linear plugin is never handed the
user's GitHub token, and a provider that declares none gets none.

A value is never logged, printed or put in a message: errors name where it came from, not what it is.
"""

from __future__ import annotations

import os
import pkgutil
from collections.abc import Mapping
from typing import TYPE_CHECKING

from planpilot_providers_core.errors import AuthenticationError, InvalidCredentialError, PluginError

if TYPE_CHECKING:  # annotations only: the CLI's output imports this module for ``redact`` at start-up
    from planpilot_providers_core.spec import CredentialRequest, ProviderSpec

__all__ = ["check_header_value", "redact", "resolve_credential"]

MASK = "***"


def check_header_value(value: str, *, what: str) -> None:
    """Refuse a value that cannot go into an HTTP header, without ever echoing it.

    Raises :class:`InvalidCredentialError` naming ``what`` (e.g. "the credential from GITHUB_TOKEN")
    and the kind of character at fault.
    """
    if any(ord(c) > 126 for c in value):
        problem = "a non-ASCII character"
    elif any(ord(c) < 32 or ord(c) == 127 for c in value):
        problem = "a line break or another control character"
    else:
        return
    raise InvalidCredentialError(
        f"{what} contains {problem}, so it cannot be sent in an HTTP header; set it again as copied "
        "from the service, without extra characters (the value is not shown)"
    )


def resolve_credential(
    spec: ProviderSpec, request: CredentialRequest, *, environ: Mapping[str, str] | None = None
) -> str:
    """The credential ``spec`` declares, from its environment variables, then its helper.

    An empty string when the provider declares none. Raises ``AuthenticationError`` saying where it
    looked when nothing was found, ``InvalidCredentialError`` for a value that cannot be sent, and
    ``PluginError`` when the declared helper cannot be imported.
    """
    credential = spec.credential
    if credential is None:
        return ""
    env = os.environ if environ is None else environ
    for var in credential.env:
        value = env.get(var, "").strip()
        if value:
            check_header_value(value, what=f"the {credential.name} in {var}")
            return value
    if credential.helper is not None:
        try:
            helper = pkgutil.resolve_name(credential.helper)
        except Exception as exc:
            raise PluginError(
                f"provider {spec.name!r}: its credential helper {credential.helper} could not be imported: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        value = (helper(request) or "").strip()
        if value:
            check_header_value(value, what=f"the {credential.name} from `{credential.helper_command}`")
            return str(value)
    raise AuthenticationError(
        f"no {credential.name} found for provider {spec.name!r}: looked in {credential.sources()}; "
        f"set {' or '.join(credential.env) or 'it'}"
        + (f", or make `{credential.helper_command}` print one" if credential.helper_command else "")
    )


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with every occurrence of each non-empty secret replaced, for anything shown to a user."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text
