"""The ``sync`` and ``check`` commands of ``planpilot-providers``.

``sync PLAN...`` loads a plan (one unified file, or the epics, stories and tasks files of a split
plan), enters the provider (``dry-run`` unless ``--provider`` says otherwise) and runs the reference
sync. Progress goes to stderr; the summary (or ``--json``) to stdout. ``check`` enters a provider and
prints what it resolved, writing nothing.

Each provider gets the credential its registration declares (environment variables, a helper such as
``gh auth token``, or none), looked up only after its configuration was validated. The credential is
never printed: every line either command writes has it masked.

Exit codes:

====  =============================================================================================
0     success: the tracker matches the plan (``sync``), or the provider resolved (``check``)
2     bad input: a plan file that is missing, malformed or invalid, or bad configuration (an option
      value, a missing ``--target``, an option the provider does not accept, a malformed board URL)
3     provider or authentication error: unknown provider, plugin that fails to load, no token or a
      refused one, a missing capability, or a provider failure while entering or during discovery
4     sync failure: some items failed or were skipped; the summary names each one (for a partial
      create: what was created and which steps completed). Running the sync again converges.
====  =============================================================================================
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import enum
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any, Final, TextIO

import attrs

from planpilot_providers_core import registry
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.credentials import redact, resolve_credential
from planpilot_providers_core.errors import PluginError, ProviderConfigError, ProviderError
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.spec import CredentialRequest
from planpilot_providers_core.sync.plan import LEVELS, Plan, PlanError, load_plan
from planpilot_providers_core.sync.runner import ItemAction, RelationsAction, SyncResult, sync_plan

__all__ = [
    "DRY_RUN",
    "EXIT_BAD_INPUT",
    "EXIT_OK",
    "EXIT_PROVIDER",
    "EXIT_SYNC_FAILED",
    "run_check",
    "run_sync",
]

EXIT_OK: Final = 0
EXIT_BAD_INPUT: Final = 2
EXIT_PROVIDER: Final = 3
EXIT_SYNC_FAILED: Final = 4

#: The provider ``sync`` uses when ``--provider`` is not given: a preview that needs no token.
DRY_RUN: Final = "dry-run"


class _Failure(Exception):
    """Ends a command early with an exit code and a message for the user."""

    def __init__(self, code: int, kind: str, message: str, details: Sequence[Mapping[str, object]] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.kind = kind
        self.details = details


class _Output:
    """stdout and stderr with the token masked out of everything written."""

    def __init__(self, stdout: TextIO | None, stderr: TextIO | None) -> None:
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.secret: str | None = None

    def out(self, text: str = "") -> None:
        print(redact(text, self.secret), file=self.stdout)

    def err(self, text: str, *, end: str = "\n") -> None:
        print(redact(text, self.secret), file=self.stderr, end=end, flush=True)


class _Progress:
    """Phase and items done out of total, on stderr: one updating line on a terminal, else a line per quarter."""

    def __init__(self, output: _Output) -> None:
        self.output = output
        self.tty = output.stderr.isatty()
        self._last_quarter = -1

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.tty:
            self.output.err(f"\r\x1b[K{phase}: {done}/{total}", end="\n" if done == total else "")
            return
        quarter = 4 if total == 0 else done * 4 // total
        if done == 0 or quarter != self._last_quarter:
            self._last_quarter = quarter
            self.output.err(f"{phase}: {done}/{total}")


# -- shared setup ------------------------------------------------------------------------------------


def _provider(args: argparse.Namespace, output: _Output, *, read_only: bool = False) -> tuple[Provider[Any], str]:
    """Find the provider, validate its configuration, then fetch the credential it declares (not entered).

    The configuration is checked before the credential is looked up, so a typo in ``--target`` is
    reported as a typo, never as a missing token. The credential comes from where the provider's
    registration says, and from nowhere else. ``read_only`` makes entering write nothing.
    """
    name: str = args.provider
    try:
        registered = registry.get_registry().get(name)
        provider_class = registered.load()
    except (ValueError, PluginError) as exc:
        raise _Failure(EXIT_PROVIDER, "provider", str(exc)) from exc
    spec = registered.spec
    target = args.target or spec.default_target
    if not target:
        raise _Failure(EXIT_BAD_INPUT, "config", f"--target is required for provider {name!r} ({spec.target_hint})")
    options: dict[str, Any] = {"api_url": args.api_url} if args.api_url else {}
    try:
        config = ProviderConfig(
            provider=name,
            target=target,
            board_url=args.board_url or "",
            label=args.label,
            options=options,
            read_only=read_only,
            declared_capabilities=spec.capabilities,
        )
        provider_class.validate_config(config)
    except ProviderConfigError as exc:
        raise _Failure(EXIT_BAD_INPUT, "config", str(exc)) from exc
    request = CredentialRequest(provider=name, target=target, board_url=config.board_url, options=config.options)
    try:
        token = resolve_credential(spec, request)
    except (ProviderError, PluginError) as exc:
        raise _Failure(EXIT_PROVIDER, "authentication", str(exc)) from exc
    output.secret = token
    try:
        provider = registry.get_registry().create(attrs.evolve(config, token=token))
    except ProviderConfigError as exc:
        raise _Failure(EXIT_BAD_INPUT, "config", str(exc)) from exc
    except (ProviderError, PluginError) as exc:
        raise _Failure(EXIT_PROVIDER, "provider", str(exc)) from exc
    return provider, target


def _entered_failure(exc: ProviderError, phase: str) -> _Failure:
    if isinstance(exc, ProviderConfigError):
        return _Failure(EXIT_BAD_INPUT, "config", str(exc))
    return _Failure(EXIT_PROVIDER, "provider", f"{phase}: {type(exc).__name__}: {exc}")


def _report_failure(failure: _Failure, output: _Output, *, as_json: bool) -> int:
    output.err(f"error: {failure}")
    if as_json:
        error: dict[str, object] = {"kind": failure.kind, "message": str(failure)}
        if failure.details:
            error["problems"] = list(failure.details)
        output.out(json.dumps({"ok": False, "exit_code": failure.code, "error": error}, indent=2))
    return failure.code


# -- sync --------------------------------------------------------------------------------------------


def run_sync(args: argparse.Namespace, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """``planpilot-providers sync``; returns the exit code (see the module docstring)."""
    output = _Output(stdout, stderr)
    try:
        plan = _load(args.plans, getattr(args, "plan_id", None))
        for warning in plan.warnings:
            output.err(f"warning: {warning}")
        provider, target = _provider(args, output)
        result, operations = asyncio.run(_sync(provider, plan, args, _Progress(output)))
    except _Failure as failure:
        return _report_failure(failure, output, as_json=args.json)
    code = EXIT_OK if result.ok else EXIT_SYNC_FAILED
    if args.json:
        payload = {**result.to_json(), "target": target, "exit_code": code}
        if operations is not None:
            payload["operations"] = operations
        output.out(json.dumps(payload, indent=2))
    else:
        _print_summary(result, plan, target, provider, output)
    return code


def _load(paths: Sequence[str], plan_id: str | None = None) -> Plan:
    try:
        plan = load_plan(paths)
    except PlanError as exc:
        details = [problem.to_json() for problem in exc.problems]
        raise _Failure(EXIT_BAD_INPUT, "plan", str(exc), details) from exc
    if plan_id is None:
        return plan
    try:
        return attrs.evolve(plan, plan_id=plan_id)
    except ValueError as exc:
        raise _Failure(EXIT_BAD_INPUT, "config", f"--plan-id: {exc}") from exc


async def _sync(
    provider: Provider[Any], plan: Plan, args: argparse.Namespace, progress: _Progress
) -> tuple[SyncResult, list[str] | None]:
    async with contextlib.AsyncExitStack() as stack:
        try:
            await stack.enter_async_context(provider)
        except ProviderError as exc:
            raise _entered_failure(exc, f"could not enter provider {provider.name!r}") from exc
        try:
            result = await sync_plan(
                provider, plan, label=args.label, max_concurrent=args.max_concurrent, progress=progress
            )
        except ProviderError as exc:
            raise _entered_failure(exc, "sync stopped") from exc
    changes = provider.recorded_changes()
    return result, None if changes is None else list(changes)


def _table(rows: Sequence[Sequence[str]], *, right: frozenset[int] = frozenset()) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


_SUMMARY_ACTIONS: Final = tuple(ItemAction)


def _print_summary(result: SyncResult, plan: Plan, target: str, provider: Provider[Any], output: _Output) -> None:
    changes = provider.recorded_changes()
    if changes is not None:
        output.out(
            f"Preview by {provider.name}: nothing was written to a tracker; a real sync would make these changes:"
        )
        width = len(str(len(changes)))
        output.out("\n".join(f"{n:>{width}}. {line}" for n, line in enumerate(changes, start=1)) or "(none)")
        output.out()
    rows = [["TYPE", "ID", "ACTION", "KEY", "URL", "TITLE"]]
    rows += [[o.item_type.value, o.item_id, o.action.value, o.key or "-", o.url or "-", o.title] for o in result.items]
    output.out(_table(rows))
    output.out()
    counts = result.counts()
    header = ["", *(action.value for action in _SUMMARY_ACTIONS)]
    body = [[level.value, *(str(counts[level][a]) for a in _SUMMARY_ACTIONS)] for level in LEVELS]
    totals = ["total", *(str(sum(counts[level][a] for level in LEVELS)) for a in _SUMMARY_ACTIONS)]
    output.out(f"Plan {result.plan_id} ({len(plan)} items) -> {result.provider} {target}")
    output.out(_table([header, *body, totals], right=frozenset(range(1, len(header)))))
    changed = sum(o.relations is RelationsAction.UPDATED for o in result.items)
    same = sum(o.relations is RelationsAction.UNCHANGED for o in result.items)
    output.out(f"Relations: {changed} item(s) updated, {same} unchanged")
    for capability in result.unsupported_relations:
        output.out(f"Relations not synced: the provider lacks {capability}")
    for warning in result.warnings:
        output.err(f"warning: {warning}")
    if result.problems:
        output.out()
        output.out(f"Problems ({len(result.problems)}):")
        for problem in result.problems:
            output.out(f"  {problem}")
            if problem.partial:
                steps = ", ".join(problem.completed_steps) or "none"
                created = problem.created_item_key or problem.created_item_id or "?"
                output.out(f"    created {created} {problem.created_item_url or ''}".rstrip())
                output.out(f"    completed steps: {steps}; retryable: {problem.retryable}")
        skipped = [o for o in result.items if o.action is ItemAction.SKIPPED]
        for outcome in skipped:
            output.out(f"  {outcome.item_id} skipped: {outcome.reason}")
        output.out("Sync FAILED: run it again to converge once the cause is fixed.")
    else:
        output.out(f"Sync OK ({result.writes} write(s)).")


# -- check -------------------------------------------------------------------------------------------


def run_check(args: argparse.Namespace, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """``planpilot-providers check``: enter the provider, print what it resolved, write nothing."""
    output = _Output(stdout, stderr)
    try:
        provider, target = _provider(args, output, read_only=True)
        report = asyncio.run(_check(provider))
    except _Failure as failure:
        return _report_failure(failure, output, as_json=args.json)
    registered = registry.get_registry().get(args.provider)
    report = {
        "provider": provider.name,
        "distribution": registered.distribution,
        "version": registered.version,
        "target": target,
        **report,
    }
    if args.json:
        output.out(json.dumps(report, indent=2))
        return EXIT_OK
    output.out(f"Provider {report['provider']} ({report['distribution'] or '-'} {report['version'] or ''})".rstrip())
    output.out(f"Target: {target}")
    output.out(f"Capabilities: {', '.join(report['capabilities'])}")
    output.out("Context:")
    for key, value in report["context"].items():
        shown = value if isinstance(value, str) else json.dumps(value)
        output.out(f"  {key}: {shown}")
    return EXIT_OK


async def _check(provider: Provider[Any]) -> dict[str, Any]:
    try:
        async with provider:
            context = provider.context
            return {
                "capabilities": sorted(c.value for c in provider.capabilities),
                "context": _json_safe(context),
            }
    except ProviderError as exc:
        raise _entered_failure(exc, f"could not enter provider {provider.name!r}") from exc


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
