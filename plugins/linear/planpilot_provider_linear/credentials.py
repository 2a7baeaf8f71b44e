"""How the credential goes over the wire: Linear tells a personal API key from an OAuth token by the form.

A personal API key (``lin_api_...``, from ``LINEAR_API_KEY``) goes bare: ``Authorization: <key>``; Linear
answers 401 to a key sent with ``Bearer``. An OAuth access token (``LINEAR_OAUTH_TOKEN``) goes as
``Authorization: Bearer <token>`` (notes/linear-api.md §0). Core resolves either from the plugin's
:data:`~.plugin.CREDENTIAL` and says which it found (``sent_as``); a token handed to ``create_provider(...,
token=...)`` without that is a key when it has a key's prefix, else an OAuth token.
"""

from __future__ import annotations

from typing import Final

from planpilot_providers_core.credentials import Credential
from planpilot_providers_core.errors import AuthenticationError

__all__ = ["PERSONAL_KEY_PREFIX", "authorization", "is_api_key"]

PERSONAL_KEY_PREFIX: Final = "lin_api_"
_HOW: Final = "set LINEAR_API_KEY to a personal API key (Settings > Security & access) or LINEAR_OAUTH_TOKEN"


def is_api_key(credential: Credential) -> bool:
    """Whether the credential is a personal API key (sent bare) rather than an OAuth token (sent as Bearer)."""
    if credential.sent_as == "header":
        return True
    return credential.sent_as == "bearer" and credential.value.startswith(PERSONAL_KEY_PREFIX)


def authorization(credential: Credential) -> str:
    """The ``Authorization`` header value Linear expects for ``credential``."""
    if not credential:
        raise AuthenticationError(f"no Linear credential: {_HOW}")
    if len(credential.parts) != 1 or credential.sent_as == "basic":
        raise AuthenticationError(f"the {credential.name} is not a single Linear API key or OAuth token: {_HOW}")
    return credential.value if is_api_key(credential) else f"Bearer {credential.value}"
