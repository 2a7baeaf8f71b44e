"""The version of the provider contract this core implements, and whether a plugin fits it.

The contract is what a plugin is written against: the ``Provider`` and ``Item`` ABCs, the value types
(``CreateItemInput``, ``ItemSearchFilters``, ...), ``ProviderSpec``/``CredentialSpec``, the errors and
the conformance suite. Its version is ``MAJOR.MINOR``:

* a **minor** release only adds: a new optional method with a default, a new optional keyword or field,
  a new capability, a new error subclass, a new conformance check of a rule already documented. A plugin
  written for ``1.2`` works with every ``1.x`` core from ``1.2`` on;
* a **major** release may remove or change anything above: a new abstract method, a changed signature or
  meaning, a removed name. A plugin written for ``1.x`` is refused by a ``2.x`` core, before any call.

A registration names the versions it was written for (``ProviderSpec(contract="1.0")``, or several:
``contract=("1.3", "2.0")``); a plugin that names none was written before versions existed, for ``1.0``.
This module is on the start-up path of ``list``: stdlib only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

__all__ = ["CONTRACT_VERSION", "contract_versions", "fits", "parse_version"]

CONTRACT_VERSION: Final = "1.0"
"""The provider contract this core implements (``MAJOR.MINOR``); the one place it is stated."""

DEFAULT_PLUGIN_CONTRACT: Final = "1.0"
"""What a registration that names no contract version was written for."""

_VERSION = re.compile(r"^(0|[1-9]\d{0,3})\.(0|[1-9]\d{0,3})$")


def parse_version(text: object) -> tuple[int, int]:
    """``"1.2"`` as ``(1, 2)``; ``ValueError`` naming the expected form otherwise."""
    match = _VERSION.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"a provider contract version is MAJOR.MINOR, such as {CONTRACT_VERSION!r}; got {text!r}")
    return int(match.group(1)), int(match.group(2))


def contract_versions(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """A registration's ``contract`` as a validated, non-empty tuple of versions."""
    if value is None:
        return (DEFAULT_PLUGIN_CONTRACT,)
    if isinstance(value, str):
        versions: tuple[object, ...] = (value,)
    elif isinstance(value, list | tuple | frozenset | set):
        versions = tuple(value)
    else:
        versions = (value,)
    if not versions:
        raise ValueError("ProviderSpec contract names no version; give the one the plugin was written for")
    for version in versions:
        parse_version(version)
    return tuple(str(version) for version in versions)


def fits(written_for: str, implemented: str = CONTRACT_VERSION) -> bool:
    """Whether a plugin written for contract ``written_for`` works with a core implementing ``implemented``:
    the same major version, and a core minor at least the plugin's."""
    plugin_major, plugin_minor = parse_version(written_for)
    core_major, core_minor = parse_version(implemented)
    return plugin_major == core_major and core_minor >= plugin_minor
