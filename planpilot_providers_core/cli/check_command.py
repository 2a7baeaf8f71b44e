"""``planpilot-providers check``: enter a provider read-only and show what it resolved; writes nothing."""

from __future__ import annotations

import argparse
import asyncio
import enum
import json
from collections.abc import Mapping
from typing import Any

import attrs

from planpilot_providers_core import registry
from planpilot_providers_core.capabilities import unresolved
from planpilot_providers_core.cli.exits import EXIT_OK, CommandError
from planpilot_providers_core.cli.list_command import credential_json, credential_text
from planpilot_providers_core.cli.output import Output, cell
from planpilot_providers_core.cli.provider_setup import entered_failure, open_provider
from planpilot_providers_core.cli.sync_command import report_error
from planpilot_providers_core.errors import ProviderError
from planpilot_providers_core.provider import Provider

__all__ = ["run_check"]


def run_check(args: argparse.Namespace, *, output: Output | None = None) -> int:
    """Enter the provider read-only, print what it resolved (and what it declared but did not)."""
    output = output or Output()
    try:
        provider = open_provider(args, output, read_only=True)
        report = asyncio.run(_check(provider))
    except CommandError as failure:
        return report_error(failure, output, as_json=args.json)
    registered = registry.get_registry().get(args.provider)
    missing = unresolved(registered.spec.capabilities, report["capabilities"])
    report = {
        "provider": provider.name,
        "distribution": registered.distribution,
        "version": registered.version,
        "target": provider.config.target,
        "credential": credential_json(registered.spec.credential),
        **report,
        "declared_but_not_resolved": [c.value for c in missing],
    }
    if args.json:
        output.json(report)
        return EXIT_OK
    output.out(f"Provider {report['provider']} ({report['distribution'] or '-'} {report['version'] or ''})".rstrip())
    output.out(f"Target: {cell(report['target'])}")
    output.out(f"Credential: {credential_text(registered.spec.credential)}")
    output.out(f"Capabilities: {', '.join(report['capabilities'])}")
    if missing:
        output.err(
            f"warning: {provider.name} declares {', '.join(missing)} but did not resolve it with this "
            "configuration; the plugin promises more than it delivers here"
        )
    output.out("Context:")
    for key, value in report["context"].items():
        shown = value if isinstance(value, str) else json.dumps(value)
        output.out(f"  {key}: {cell(shown)}")
    return EXIT_OK


async def _check(provider: Provider[Any]) -> dict[str, Any]:
    try:
        async with provider:
            return {
                "capabilities": sorted(c.value for c in provider.capabilities),
                "context": _json_safe(provider.context),
            }
    except ProviderError as exc:
        raise entered_failure(exc, f"could not enter provider {provider.name!r}") from exc


def _json_safe(value: object) -> Any:
    """Any provider context as plain JSON values: attrs classes and mappings become objects."""
    cls: Any = type(value)
    if attrs.has(cls):
        return {field.name: _json_safe(getattr(value, field.name)) for field in attrs.fields(cls)}
    if isinstance(value, enum.Enum):
        return _json_safe(value.value)
    if isinstance(value, Mapping):
        return {str(_json_safe(key)): _json_safe(member) for key, member in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((_json_safe(member) for member in value), key=lambda m: json.dumps(m, sort_keys=True))
    if isinstance(value, list | tuple):
        return [_json_safe(member) for member in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
