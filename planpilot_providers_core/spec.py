"""What a plugin registers: ``ProviderSpec`` and the ``CredentialSpec`` it declares.

These are on the start-up path of ``planpilot-providers list`` (every plugin module imports them), so
they are stdlib dataclasses validated in ``__init__``: importing attrs would cost more than the whole
discovery.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any

from planpilot_providers_core.capabilities import Capability, parse_capabilities
from planpilot_providers_core.contract import contract_versions

__all__ = ["CredentialRequest", "CredentialSpec", "ProviderSpec"]

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
_IMPORT_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _one_line(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError(f"{what} must be one non-empty line of text, got {value!r}")
    return value


def _import_path(value: object, what: str) -> str:
    if not isinstance(value, str) or not _IMPORT_PATH.match(value):
        raise ValueError(f"{what} must be an import path like 'package.module:name', got {value!r}")
    return value


@dataclasses.dataclass(frozen=True, kw_only=True)
class CredentialRequest:
    """What a credential helper is told about the provider it is asked for (never another's secret)."""

    provider: str
    target: str
    board_url: str
    options: Mapping[str, Any]
    """The provider's extra options, e.g. GitHub's ``api_url`` (a GitHub Enterprise host needs its own token)."""


@dataclasses.dataclass(frozen=True, init=False)
class CredentialSpec:
    """Where a provider's credential comes from. Core looks there, and hands the value to that provider only.

    ``env`` lists environment variables, the first non-empty one wins; ``helper`` (``"module:function"``,
    imported only when needed) is asked next: it receives a :class:`CredentialRequest` and returns the
    credential or ``None``. ``helper_command`` is what the helper runs, as shown to users (``gh auth token``).
    """

    name: str
    """What the credential is, for messages: ``"GitHub token"``, ``"Tracklet API key"``."""
    env: tuple[str, ...]
    helper: str | None
    helper_command: str | None

    def __init__(
        self, *, name: str, env: Iterable[str] = (), helper: str | None = None, helper_command: str | None = None
    ) -> None:
        if isinstance(env, str):
            raise TypeError(f"CredentialSpec env must be a sequence of variable names, not the string {env!r}")
        names = tuple(env)
        for var in names:
            if not isinstance(var, str) or not _ENV_VAR.match(var):
                raise ValueError(f"CredentialSpec env entries must be environment variable names, got {var!r}")
        if helper is not None:
            _import_path(helper, "CredentialSpec helper")
            _one_line(helper_command, "CredentialSpec helper_command (what the helper runs, shown to users)")
        elif helper_command is not None:
            raise ValueError("CredentialSpec helper_command needs a helper")
        if not names and helper is None:
            raise ValueError("CredentialSpec needs env variables, a helper, or both; use credential=None for none")
        for field, value in (
            ("name", _one_line(name, "CredentialSpec name")),
            ("env", names),
            ("helper", helper),
            ("helper_command", helper_command),
        ):
            object.__setattr__(self, field, value)

    def sources(self) -> str:
        """Where it is looked for, in order, as one phrase: ``GITHUB_TOKEN, GH_TOKEN, then `gh auth token```."""
        places = list(self.env)
        if self.helper_command:
            places.append(f"`{self.helper_command}`")
        if len(places) == 1:
            return places[0]
        return ", ".join(places[:-1]) + f", then {places[-1]}"


@dataclasses.dataclass(frozen=True, init=False)
class ProviderSpec:
    """What a plugin registers: a provider's name, where its class lives, what it can do and needs."""

    name: str
    provider_class: str
    """``"package.module:Class"``: imported only when the provider is first created."""
    capabilities: frozenset[Capability]
    summary: str
    credential: CredentialSpec | None
    """Where its credential comes from; ``None``: it needs none (and is handed an empty token)."""
    target_hint: str
    """The shape of ``target`` as users write it, for help and errors: ``OWNER/REPO``, ``TEAM-KEY``."""
    default_target: str | None
    """The target used when none is given; ``None`` makes ``target`` required."""
    contract: tuple[str, ...]
    """The provider contract versions (``MAJOR.MINOR``) the plugin was written for; see
    :mod:`planpilot_providers_core.contract`. A plugin that fits none of them is refused before any call."""

    def __init__(
        self,
        *,
        name: str,
        provider_class: str,
        capabilities: Iterable[str | Capability],
        summary: str,
        credential: CredentialSpec | None = None,
        target_hint: str = "TARGET",
        default_target: str | None = None,
        contract: str | Iterable[str] | None = None,
    ) -> None:
        """Validated here, at the plugin's edge; ``capabilities`` may be names."""
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"provider name must be lowercase letters, digits and single dashes, got {name!r}")
        if credential is not None and not isinstance(credential, CredentialSpec):
            raise TypeError(f"ProviderSpec credential must be a CredentialSpec or None, got {credential!r}")
        for field, value in (
            ("name", name),
            ("provider_class", _import_path(provider_class, "provider_class")),
            ("capabilities", parse_capabilities(capabilities)),
            ("summary", _one_line(summary, "summary")),
            ("credential", credential),
            ("target_hint", _one_line(target_hint, "target_hint")),
            ("default_target", None if default_target is None else _one_line(default_target, "default_target")),
            ("contract", contract_versions(contract)),
        ):
            object.__setattr__(self, field, value)
