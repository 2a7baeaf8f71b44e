"""Defaults more than one part of the framework needs; imports nothing, so the CLI's start-up stays fast."""

from typing import Final

#: The discovery label every item carries unless the caller picks another.
DEFAULT_LABEL: Final = "planpilot"

#: The provider ``sync`` uses when ``--provider`` is not given: a preview that needs no credential.
DEFAULT_PROVIDER: Final = "dry-run"
ALLOW_INSECURE_HTTP_ENV: Final = "PLANPILOT_PROVIDERS_ALLOW_INSECURE_HTTP"
"""Set to 1 to let a credential go over plain http to a host that is not loopback (the CLI's
``--allow-insecure-http``); read by ``reliability.HttpClientConfig``."""
