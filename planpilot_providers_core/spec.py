"""What a plugin registers: ``ProviderSpec`` and the ``CredentialSpec`` it declares.

These are on the start-up path of ``planpilot-providers list`` (every plugin module imports them), so
they are stdlib dataclasses validated in ``__init__``: importing attrs would cost more than the whole
discovery.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal

from planpilot_providers_core.capabilities import Capability, parse_capabilities
from planpilot_providers_core.contract import contract_versions

__all__ = ["CredentialPart", "CredentialRequest", "CredentialSpec", "ProviderSpec"]

MIN_SECRET_LENGTH: Final = 8
"""A credential (or part) shorter than this is refused when read: masking it as a whole value in every
message would also mask ordinary words, and the masked spots would give it away."""

SentAs = Literal["bearer", "basic", "header"]
"""How a credential goes over the wire: ``Authorization: Bearer <value>``, ``Authorization: Basic
<base64 of part1:part2>`` (HTTP Basic, e.g. Jira's email and API token), or the value as it is in a header
(Linear's API key, ``X-Api-Key``)."""
SENT_AS: Final[tuple[str, ...]] = ("bearer", "basic", "header")


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


def _env_names(env: Iterable[str], what: str) -> tuple[str, ...]:
    if isinstance(env, str):
        raise TypeError(f"{what} env must be a sequence of variable names, not the string {env!r}")
    names = tuple(env)
    for var in names:
        if not isinstance(var, str) or not _ENV_VAR.match(var):
            raise ValueError(f"{what} env entries must be environment variable names, got {var!r}")
    return names


def _helper(helper: str | None, helper_command: str | None, what: str) -> None:
    if helper is not None:
        _import_path(helper, f"{what} helper")
        _one_line(helper_command, f"{what} helper_command (what the helper runs, shown to users)")
    elif helper_command is not None:
        raise ValueError(f"{what} helper_command needs a helper")


def _places(env: tuple[str, ...], helper_command: str | None) -> str:
    places = list(env)
    if helper_command:
        places.append(f"`{helper_command}`")
    if len(places) <= 1:
        return "".join(places)
    return ", ".join(places[:-1]) + f", then {places[-1]}"


@dataclasses.dataclass(frozen=True, init=False)
class CredentialPart:
    """One named part of a credential, e.g. Jira's account email or its API token, with where it is found.

    ``key`` is how the provider reads it (``config.credential["email"]``), ``name`` what messages call it.
    ``env`` lists environment variables (the first non-empty one wins); ``helper`` (``"module:function"``)
    is asked next with a :class:`CredentialRequest`. A value shorter than ``min_length`` is refused when read.
    """

    key: str
    name: str
    env: tuple[str, ...]
    helper: str | None
    helper_command: str | None
    min_length: int

    def __init__(
        self,
        *,
        key: str,
        name: str,
        env: Iterable[str] = (),
        helper: str | None = None,
        helper_command: str | None = None,
        min_length: int = MIN_SECRET_LENGTH,
    ) -> None:
        if not isinstance(key, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", key):
            raise ValueError(f"CredentialPart key must be a lowercase identifier such as 'email', got {key!r}")
        names = _env_names(env, "CredentialPart")
        _helper(helper, helper_command, "CredentialPart")
        if not names and helper is None:
            raise ValueError(f"CredentialPart {key!r} needs env variables, a helper, or both")
        if isinstance(min_length, bool) or not isinstance(min_length, int) or min_length < 4:
            raise ValueError(f"CredentialPart min_length must be a whole number >= 4, got {min_length!r}")
        for field, value in (
            ("key", key),
            ("name", _one_line(name, "CredentialPart name")),
            ("env", names),
            ("helper", helper),
            ("helper_command", helper_command),
            ("min_length", min_length),
        ):
            object.__setattr__(self, field, value)

    def sources(self) -> str:
        """Where it is looked for, in order: ``JIRA_EMAIL`` or ``GITHUB_TOKEN, GH_TOKEN, then `gh auth token```."""
        return _places(self.env, self.helper_command)


@dataclasses.dataclass(frozen=True, init=False)
class CredentialSpec:
    """Where a provider's credential comes from. Core looks there, and hands the value to that provider only.

    A single value (a token, an API key): ``env`` lists environment variables, the first non-empty one wins;
    ``helper`` (``"module:function"``, imported only when needed) is asked next: it receives a
    :class:`CredentialRequest` and returns the credential or ``None``. ``helper_command`` is what the helper
    runs, as shown to users (``gh auth token``).

    A credential of several parts (Jira: account email and API token, sent as HTTP Basic) gives ``parts``
    instead, each a :class:`CredentialPart` with its own variables or helper. ``sent_as`` says how it goes
    over the wire (``"bearer"``, ``"basic"``, ``"header"``), which decides what can be sent and which derived
    forms are masked. ``alternatives`` are other credentials the provider accepts instead (an OAuth token),
    tried in order when this one is not (completely) found.
    """

    name: str
    """What the credential is, for messages: ``"GitHub token"``, ``"Jira API token"``."""
    env: tuple[str, ...]
    helper: str | None
    helper_command: str | None
    parts: tuple[CredentialPart, ...]
    sent_as: str
    alternatives: tuple[CredentialSpec, ...]

    def __init__(
        self,
        *,
        name: str,
        env: Iterable[str] = (),
        helper: str | None = None,
        helper_command: str | None = None,
        parts: Iterable[CredentialPart] = (),
        sent_as: str = "bearer",
        alternatives: Iterable[CredentialSpec] = (),
    ) -> None:
        names = _env_names(env, "CredentialSpec")
        _helper(helper, helper_command, "CredentialSpec")
        part_list = tuple(parts)
        if any(not isinstance(part, CredentialPart) for part in part_list):
            raise TypeError("CredentialSpec parts must be CredentialPart objects")
        if part_list and (names or helper is not None):
            raise ValueError("CredentialSpec takes either env/helper (one value) or parts, not both")
        if not part_list and not names and helper is None:
            raise ValueError("CredentialSpec needs env variables, a helper, or parts; use credential=None for none")
        if len({part.key for part in part_list}) != len(part_list):
            raise ValueError("CredentialSpec parts must have distinct keys")
        if sent_as not in SENT_AS:
            raise ValueError(f"CredentialSpec sent_as must be one of {', '.join(SENT_AS)}, got {sent_as!r}")
        if sent_as == "basic" and len(part_list) != 2:
            raise ValueError("a credential sent as HTTP Basic has two parts: the user (or email) and the secret")
        others = tuple(alternatives)
        for other in others:
            if not isinstance(other, CredentialSpec) or other.alternatives:
                raise ValueError(
                    "CredentialSpec alternatives must be CredentialSpecs without alternatives of their own"
                )
        for field, value in (
            ("name", _one_line(name, "CredentialSpec name")),
            ("env", names),
            ("helper", helper),
            ("helper_command", helper_command),
            ("parts", part_list),
            ("sent_as", sent_as),
            ("alternatives", others),
        ):
            object.__setattr__(self, field, value)

    def part_specs(self) -> tuple[CredentialPart, ...]:
        """Its parts; a single-value credential is one part, ``"token"``, named like the credential."""
        if self.parts:
            return self.parts
        return (
            CredentialPart(
                key="token", name=self.name, env=self.env, helper=self.helper, helper_command=self.helper_command
            ),
        )

    def options(self) -> tuple[CredentialSpec, ...]:
        """This credential, then its alternatives: the order they are looked for in."""
        return (self, *self.alternatives)

    def own_sources(self) -> str:
        """Where this credential (not its alternatives) is looked for."""
        if not self.parts:
            return _places(self.env, self.helper_command)
        return " and ".join(f"the {part.name} in {part.sources()}" for part in self.parts)

    def sources(self) -> str:
        """Where it is looked for, in order, as one phrase: ``GITHUB_TOKEN, GH_TOKEN, then `gh auth token```,
        or ``the account email in JIRA_EMAIL and the API token in JIRA_API_TOKEN; or the Jira OAuth token in
        JIRA_OAUTH_TOKEN``."""
        text = self.own_sources()
        for other in self.alternatives:
            text += f"; or the {other.name} in {other.own_sources()}"
        return text


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
