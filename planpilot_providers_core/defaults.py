"""Defaults more than one part of the framework needs; imports nothing, so the CLI's start-up stays fast."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the CLI's start-up path
if TYPE_CHECKING:
    from typing import Final

#: The discovery label every item carries unless the caller picks another.
DEFAULT_LABEL: Final = "planpilot"

#: The provider ``sync`` uses when ``--provider`` is not given: a preview that needs no credential.
DEFAULT_PROVIDER: Final = "dry-run"
ALLOW_INSECURE_HTTP_ENV: Final = "PLANPILOT_PROVIDERS_ALLOW_INSECURE_HTTP"
"""Set to 1 to let a credential go over plain http to a host that is not loopback (the CLI's
``--allow-insecure-http``); read by ``reliability.HttpClientConfig``."""

#: The entry-point group provider plugins register in.
ENTRY_POINT_GROUP: Final = "planpilot.providers"
DISABLE_AUTOLOAD_ENV: Final = "PLANPILOT_PROVIDERS_DISABLE_PLUGIN_AUTOLOAD"
"""Set to a non-empty value other than ``0`` to load no plugin from entry points at all."""
BLOCK_PLUGINS_ENV: Final = "PLANPILOT_PROVIDERS_BLOCK_PLUGINS"
"""Comma-separated entry-point or distribution names that must not be loaded."""
