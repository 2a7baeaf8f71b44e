"""``planpilot-providers list`` and ``--version``: what is installed, from where, and what each needs.

On the start-up path: it imports the registry only (no attrs, no HTTP client, no provider module).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from planpilot_providers_core import __version__
from planpilot_providers_core.cli.output import Output, table, terminal_safe

if TYPE_CHECKING:
    from planpilot_providers_core.registry import RegisteredProvider
    from planpilot_providers_core.spec import CredentialSpec

__all__ = ["credential_json", "credential_text", "run_list", "version_text"]

_INSTALL_HINT = "Install a provider plugin, e.g. 'pip install planpilot-provider-dry-run'."


def credential_text(credential: CredentialSpec | None) -> str:
    """Where a provider looks for its credential (each part, each alternative), never the value."""
    if credential is None:
        return "none needed"
    if not credential.parts and not credential.alternatives:
        return f"{credential.name} from {credential.sources()}"
    return f"{credential.name}: {credential.sources()}"


def _option_json(option: CredentialSpec) -> dict[str, object]:
    return {
        "name": option.name,
        "sent_as": option.sent_as,
        "parts": [
            {"key": part.key, "name": part.name, "env": list(part.env), "helper": part.helper_command}
            for part in option.part_specs()
        ],
    }


def credential_json(credential: CredentialSpec | None) -> dict[str, object] | None:
    """Where each part of the credential (and of each alternative) is looked for."""
    if credential is None:
        return None
    return {
        "name": credential.name,
        "env": list(credential.env),
        "helper": credential.helper_command,
        **_option_json(credential),
        "alternatives": [_option_json(other) for other in credential.alternatives],
    }


def _row(reg: RegisteredProvider) -> dict[str, object]:
    spec = reg.spec
    return {
        "name": spec.name,
        "distribution": reg.distribution,
        "version": reg.version,
        "capabilities": sorted(spec.capabilities),
        "summary": spec.summary,
        "plugin": reg.plugin,
        "target": spec.target_hint,
        "default_target": spec.default_target,
        "credential": credential_json(spec.credential),
        "contract": list(spec.contract),
    }


def run_list(args: argparse.Namespace, *, output: Output | None = None) -> int:
    from planpilot_providers_core.registry import get_registry  # discovery only when a command needs it

    output = output or Output()
    registry = get_registry()
    registered = list(registry.providers.values())
    problems = [terminal_safe(str(p)) for p in registry.problems]
    if args.json:
        output.json({"providers": [_row(r) for r in registered], "problems": problems})
    elif registered:
        header = ["NAME", "DISTRIBUTION", "VERSION", "CAPABILITIES", "SUMMARY"]
        body = [
            [
                r.spec.name,
                r.distribution or "-",
                r.version or "-",
                ",".join(sorted(r.spec.capabilities)),
                r.spec.summary,
            ]
            for r in registered
        ]
        output.out(table([header, *body]))
        output.out()
        needs = [[r.spec.name, r.spec.target_hint, credential_text(r.spec.credential)] for r in registered]
        output.out(table([["NAME", "TARGET", "CREDENTIAL"], *needs]))
    elif problems:
        output.out(f"No usable provider: every installed plugin has a problem (see below). {_INSTALL_HINT}")
    else:
        output.out(f"No providers installed. {_INSTALL_HINT}")
    for problem in problems:
        output.err(f"warning: plugin problem: {problem}")
    return 0


def version_text() -> str:
    from planpilot_providers_core.registry import get_registry  # discovery only when a command needs it

    registry = get_registry()
    from planpilot_providers_core.contract import CONTRACT_VERSION

    lines = [f"planpilot-providers-core {__version__} (provider contract {CONTRACT_VERSION})"]
    for plugin, (distribution, version) in registry.plugins.items():
        lines.append(f"  {distribution or plugin} {version or ''}".rstrip())
    lines += [f"  problem: {problem}" for problem in registry.problems]
    return "\n".join(lines)  # printed through Output, which makes third-party text terminal-safe
