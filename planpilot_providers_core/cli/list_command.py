"""``planpilot-providers list`` and ``--version``: what is installed, from where, and what each needs.

On the start-up path. Discovery (pluggy, every plugin module) is most of ``list``'s start-up, and its
answer changes only when something it came from does: so what ``list`` shows is remembered in the user's
cache (:mod:`planpilot_providers_core.cache`) under a fingerprint of the installed distributions (every
``sys.path`` entry's mtime, as for the entry points), the discovery switches in the environment, the core's
version, and the path, size and mtime of every module file discovery loaded and of the core's own modules.
Any change there, and discovery runs again. A plugin's registration hook depends on its code alone (see
:mod:`planpilot_providers_core.hookspecs`), which is what makes its answer safe to keep.
"""

from __future__ import annotations

import json
import os
import sys

from planpilot_providers_core import __version__, cache
from planpilot_providers_core.cli.output import Output, table, terminal_safe
from planpilot_providers_core.defaults import BLOCK_PLUGINS_ENV, DISABLE_AUTOLOAD_ENV, ENTRY_POINT_GROUP

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the start-up path
if TYPE_CHECKING:
    import argparse
    from typing import Any

    from planpilot_providers_core.registry import RegisteredProvider
    from planpilot_providers_core.spec import CredentialSpec

__all__ = ["credential_json", "credential_text", "current_listing", "run_list", "version_text"]

_INSTALL_HINT = "Install a provider plugin, e.g. 'pip install planpilot-provider-dry-run'."
_CACHE_FILE = "listing-v1.json"


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
    output = output or Output()
    listing = current_listing()
    rows: list[dict[str, Any]] = listing["providers"]
    problems: list[str] = listing["problems"]
    if args.json:
        output.json({"providers": rows, "problems": problems})
    elif rows:
        header = ["NAME", "DISTRIBUTION", "VERSION", "CAPABILITIES", "SUMMARY"]
        body = [
            [r["name"], r["distribution"] or "-", r["version"] or "-", ",".join(r["capabilities"]), r["summary"]]
            for r in rows
        ]
        output.out(table([header, *body]))
        output.out()
        needs = [[r["name"], r["target"], text] for r, text in zip(rows, listing["credentials"], strict=True)]
        output.out(table([["NAME", "TARGET", "CREDENTIAL"], *needs]))
    elif problems:
        output.out(f"No usable provider: every installed plugin has a problem (see below). {_INSTALL_HINT}")
    else:
        output.out(f"No providers installed. {_INSTALL_HINT}")
    for problem in problems:
        output.err(f"warning: plugin problem: {problem}")
    return 0


def current_listing() -> dict[str, Any]:
    """What ``list`` shows: the providers' rows (as ``list --json`` prints them), where each looks for its
    credential, and the plugin problems; remembered while nothing it came from changed (see above).

    A registry this process already built (an application or a test registering plugins by hand) is
    listed as it is, never from the cache.
    """
    registry = sys.modules.get("planpilot_providers_core.registry")
    if not cache.enabled() or (registry is not None and registry.get_registry.cache_info().currsize):
        return _discover()
    switches = [os.environ.get(DISABLE_AUTOLOAD_ENV, ""), os.environ.get(BLOCK_PLUGINS_ENV, "")]
    key = json.dumps([cache.path_fingerprint(ENTRY_POINT_GROUP), switches, __version__])
    path = cache.cache_path(_CACHE_FILE)
    known = cache.read(path)
    entry = known.get(key)
    if not isinstance(entry, dict):
        entry = {}
    if _is_listing(entry.get("listing")) and cache.FileStamps.unchanged(entry.get("stamps")):
        listing: dict[str, Any] = entry["listing"]
        return listing
    before = set(sys.modules)
    listing = _discover()
    code = (set(sys.modules) - before) | {name for name in sys.modules if name.startswith("planpilot_providers_core")}
    cache.remember(path, known, key, {"stamps": cache.FileStamps.of_modules(code), "listing": listing})
    return listing


def _discover() -> dict[str, Any]:
    from planpilot_providers_core.registry import get_registry  # discovery only when a command needs it

    registry = get_registry()
    registered = list(registry.providers.values())
    return {
        "providers": [_row(r) for r in registered],
        "credentials": [credential_text(r.spec.credential) for r in registered],
        "problems": [terminal_safe(str(p)) for p in registry.problems],
    }


def _is_listing(value: object) -> bool:
    """Whether a remembered listing has the shape this version writes (another version's is made afresh)."""
    if not isinstance(value, dict):
        return False
    rows, credentials, problems = value.get("providers"), value.get("credentials"), value.get("problems")
    return (
        isinstance(rows, list)
        and isinstance(credentials, list)
        and isinstance(problems, list)
        and len(rows) == len(credentials)
        and all(isinstance(r, dict) and r.keys() >= _ROW_KEYS for r in rows)
        and all(isinstance(t, str) for t in (*credentials, *problems))
    )


_ROW_KEYS = frozenset({"name", "distribution", "version", "capabilities", "summary", "target"})


def version_text() -> str:
    from planpilot_providers_core.registry import get_registry  # discovery only when a command needs it

    registry = get_registry()
    from planpilot_providers_core.contract import CONTRACT_VERSION

    lines = [f"planpilot-providers-core {__version__} (provider contract {CONTRACT_VERSION})"]
    for plugin, (distribution, version) in registry.plugins.items():
        lines.append(f"  {distribution or plugin} {version or ''}".rstrip())
    lines += [f"  problem: {problem}" for problem in registry.problems]
    return "\n".join(lines)  # printed through Output, which makes third-party text terminal-safe
