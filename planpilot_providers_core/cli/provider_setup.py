"""Turn ``--provider``/``--target``/``--board-url``/``--api-url`` into a provider, in a safe order.

1. find the registration (a plugin that failed to load is reported as such);
2. build and validate the configuration, before any credential is looked up, so a typo in
   ``--target`` is reported as a typo, never as a missing token;
3. look up the credential where *that* provider's registration says, and nowhere else;
4. create the provider (not entered).
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

import attrs

from planpilot_providers_core import registry
from planpilot_providers_core.cli.exits import EXIT_BAD_INPUT, EXIT_PROVIDER, CommandError
from planpilot_providers_core.cli.output import Output
from planpilot_providers_core.cli.plan_input import plan_failure
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.credentials import resolve_credential
from planpilot_providers_core.defaults import ALLOW_INSECURE_HTTP_ENV
from planpilot_providers_core.errors import PluginError, ProviderConfigError, ProviderError
from planpilot_providers_core.plan import PlanError
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.spec import CredentialRequest
from planpilot_providers_core.sync.identity import PlanCollisionError

__all__ = ["RunFailure", "open_provider", "provider_options", "run_failure"]


def open_provider(args: argparse.Namespace, output: Output, *, read_only: bool = False) -> Provider[Any]:
    """The provider the arguments name, configured and authenticated; ``read_only`` makes it write nothing."""
    name: str = args.provider
    if args.allow_insecure_http:  # read by HttpClientConfig, whichever plugin builds one
        os.environ[ALLOW_INSECURE_HTTP_ENV] = "1"
    plugins = registry.get_registry()
    try:
        registered = plugins.get(name)
        provider_class = registered.load()
    except (ValueError, PluginError) as exc:
        raise CommandError(EXIT_PROVIDER, "provider", str(exc)) from exc
    for problem in plugins.problems:  # other plugins' trouble: worth one line each, not a stop
        output.err(f"warning: plugin problem: {problem}")
    spec = registered.spec
    target = args.target or spec.default_target
    if not target:
        raise CommandError(EXIT_BAD_INPUT, "config", f"--target is required for provider {name!r} ({spec.target_hint})")
    try:
        config = ProviderConfig(
            provider=name,
            target=target,
            board_url=args.board_url or "",
            label=args.label,
            options=provider_options(args),
            read_only=read_only,
            declared_capabilities=spec.capabilities,
        )
        provider_class.validate_config(config)
    except ProviderConfigError as exc:
        raise CommandError(EXIT_BAD_INPUT, "config", str(exc)) from exc
    request = CredentialRequest(provider=name, target=target, board_url=config.board_url, options=config.options)
    try:
        credential = resolve_credential(spec, request)
    except (ProviderError, PluginError) as exc:
        raise CommandError(EXIT_PROVIDER, "authentication", str(exc)) from exc
    output.add_secret(*credential.secret_forms())
    token = credential.value if len(credential.parts) == 1 else ""
    try:
        return registry.get_registry().create(attrs.evolve(config, token=token, credential=credential))
    except ProviderConfigError as exc:
        raise CommandError(EXIT_BAD_INPUT, "config", str(exc)) from exc
    except (ProviderError, PluginError) as exc:
        raise CommandError(EXIT_PROVIDER, "provider", str(exc)) from exc


def provider_options(args: argparse.Namespace) -> dict[str, object]:
    """``--option KEY=VALUE`` (VALUE as JSON when it parses, else text) and ``--api-url``, as provider options."""
    options: dict[str, object] = {}
    for option in args.option:
        key, equals, text = option.partition("=")
        if not equals or not key.strip():
            raise CommandError(EXIT_BAD_INPUT, "config", f"--option {option!r}: write it as KEY=VALUE")
        try:
            options[key.strip()] = json.loads(text, parse_constant=_text_constant)
        except ValueError:
            options[key.strip()] = text
    if args.api_url:
        if "api_url" in options:
            raise CommandError(
                EXIT_BAD_INPUT, "config", "give the API URL once: --api-url or --option api_url=..., not both"
            )
        options["api_url"] = args.api_url
    return options


def _text_constant(name: str) -> object:
    raise ValueError(name)  # NaN and Infinity are not JSON: keep them as text for the provider to judge


#: What stops a command once its provider is open.
RunFailure = (ProviderError, PlanError, PlanCollisionError)


def run_failure(exc: ProviderError | PlanError | PlanCollisionError, phase: str) -> CommandError:
    """The command error for a :data:`RunFailure`: bad configuration, a plan the provider cannot take or
    another plan's items (2; nothing written for the last two), else a provider failure (3)."""
    if isinstance(exc, PlanError):
        return plan_failure(exc)
    if isinstance(exc, PlanCollisionError):
        return CommandError(EXIT_BAD_INPUT, "identity", str(exc))
    if isinstance(exc, ProviderConfigError):
        return CommandError(EXIT_BAD_INPUT, "config", str(exc))
    return CommandError(EXIT_PROVIDER, "provider", f"{phase}: {type(exc).__name__}: {exc}")
