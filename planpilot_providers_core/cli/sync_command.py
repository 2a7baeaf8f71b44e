"""``planpilot-providers sync``: load a plan, open the provider, run the sync, print what it did.

Progress goes to stderr, the summary (or ``--json``) to stdout; see ``cli/exits.py`` for exit codes.
Ctrl-C (or SIGTERM, see ``cli/signals.py``) stops the run cleanly: the summary says what was written
so far, and running the same command again finishes the job (items already created are found again,
never duplicated).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from typing import Any

from planpilot_providers_core.cli import signals
from planpilot_providers_core.cli.dry_run import run_preview
from planpilot_providers_core.cli.exits import EXIT_OK, EXIT_SYNC_FAILED, CommandError
from planpilot_providers_core.cli.output import Output, Progress, cell, table
from planpilot_providers_core.cli.plan_input import load, pinned_copy, refuse_what_cannot_fit
from planpilot_providers_core.cli.provider_setup import RunFailure, open_provider, run_failure
from planpilot_providers_core.cli.reports import identity_note, print_merged, print_removed, report_error
from planpilot_providers_core.cli.signals import Interrupted
from planpilot_providers_core.plan import LEVELS, Plan
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.sync.results import ItemAction, RelationsAction, SyncResult
from planpilot_providers_core.sync.runner import SyncRun

__all__ = ["run_sync"]


def run_sync(args: argparse.Namespace, *, output: Output | None = None) -> int:
    """``planpilot-providers sync``; returns the exit code."""
    output = output or Output()
    try:
        pinned, keep_copy = pinned_copy(args)
        plan = load(args.plans, pinned, partial=args.validation == "partial")
        for warning in plan.warnings:
            output.err(f"warning: {cell(warning)}")
        if args.dry_run:
            return run_preview(plan, args, output, keep_copy=keep_copy)
        provider = open_provider(args, output)
        refuse_what_cannot_fit(provider, plan)
        result = signals.run(_sync(provider, plan, args, Progress(output), keep_copy=keep_copy))
    except CommandError as failure:
        return report_error(failure, output, as_json=args.json)
    except Interrupted as stop:
        return _report_interrupted(stop, output, as_json=args.json)
    code = EXIT_OK if result.ok else EXIT_SYNC_FAILED
    changes = provider.recorded_changes()
    budget = provider.budget_report()
    if args.json:
        payload: dict[str, Any] = {**result.to_json(), "target": provider.config.target, "exit_code": code}
        if changes is not None:
            payload["operations"] = list(changes)
        if budget is not None:
            payload["budget"] = dict(budget)
        output.json(payload)
    else:
        _print_summary(result, plan, provider, output, changes)
        if budget:
            spent = ", ".join(f"{value:g} {name}" for name, value in budget.items())
            output.out(f"Budget spent: {spent}")
    return code


async def _sync(
    provider: Provider[Any], plan: Plan, args: argparse.Namespace, progress: Progress, *, keep_copy: bool
) -> SyncResult:
    run: SyncRun | None = None
    try:
        async with provider:
            run = SyncRun(
                provider,
                plan,
                label=args.label,
                max_concurrent=args.max_concurrent,
                progress=progress,
                keep_copy=keep_copy,
            )
            progress.estimate = run.estimate
            return await run.execute()
    except RunFailure as exc:
        raise run_failure(
            exc, "sync stopped" if run is not None else f"could not enter provider {provider.name!r}"
        ) from exc
    except asyncio.CancelledError:
        # Ctrl-C or SIGTERM: the task is cancelled. Hand the partial result out instead of a bare traceback.
        raise Interrupted(run.result() if run is not None else None) from None


def _report_interrupted(stop: Interrupted, output: Output, *, as_json: bool) -> int:
    result: SyncResult | None = stop.result
    if result is None:
        output.err(f"{stop.what} before anything was written; nothing to finish")
    else:
        counts = {action: sum(n[action] for n in result.counts().values()) for action in result.actions}
        written = {action.value: counts[action] for action in result.actions if counts[action]}
        done = ", ".join(f"{n} {action}" for action, n in written.items()) or "nothing"
        merged = f", {sum(len(m.closed) for m in result.merged)} duplicate(s) closed" if result.merged else ""
        output.err(
            f"{stop.what}: {result.writes} write call(s) were made ({done}{merged}); "
            "run the same command again to finish: it finds what was created and converges, without duplicates"
        )
    if as_json:
        payload: dict[str, Any] = {"ok": False, "exit_code": stop.code, "interrupted": True}
        if result is not None:
            payload.update(result.to_json())
            payload["ok"] = False
        payload["signal"] = "SIGTERM" if stop.terminated else "SIGINT"
        output.json(payload)
    return stop.code


def _print_summary(
    result: SyncResult, plan: Plan, provider: Provider[Any], output: Output, changes: Sequence[str] | None
) -> None:
    if changes is not None:
        output.out(
            f"Preview by {provider.name}: nothing was written to a tracker; a real sync would make these changes:"
        )
        width = len(str(len(changes)))
        output.out("\n".join(f"{n:>{width}}. {cell(line)}" for n, line in enumerate(changes, start=1)) or "(none)")
        output.out()
    rows = [["TYPE", "ID", "ACTION", "KEY", "URL", "TITLE"]]
    rows += [
        [o.item_type.value, cell(o.item_id), o.action.value, cell(o.key), cell(o.url), cell(o.title)]
        for o in result.items
    ]
    output.out(table(rows))
    output.out()
    counts = result.counts()
    actions = result.actions
    header = ["", *(action.value for action in actions)]
    body = [[level.value, *(str(counts[level][a]) for a in actions)] for level in LEVELS]
    totals = ["total", *(str(sum(counts[level][a] for level in LEVELS)) for a in actions)]
    output.out(
        f"Plan {cell(result.plan_id)} ({len(plan)} items, {identity_note(result.identity, result.content_id)}) "
        f"-> {result.provider} {cell(provider.config.target)}"
    )
    output.out(table([header, *body, totals], right=frozenset(range(1, len(header)))))
    changed = sum(o.relations is RelationsAction.UPDATED for o in result.items)
    same = sum(o.relations is RelationsAction.UNCHANGED for o in result.items)
    output.out(f"Relations: {changed} item(s) had their parent or blockers set, {same} unchanged")
    for capability in result.unsupported_relations:
        output.out(f"Relations not synced: the provider lacks {capability}")
    print_removed(result.removed, output)
    print_merged(result.merged, result.merged_copies, output, done=True)
    for warning in result.warnings:
        output.err(f"warning: {cell(warning)}")
    if result.problems:
        output.out()
        output.out(f"Problems ({len(result.problems)}):")
        for problem in result.problems:
            output.out(f"  {cell(problem)}")
            if problem.partial:
                steps = ", ".join(problem.completed_steps) or "none"
                created = problem.created_item_key or problem.created_item_id or "?"
                output.out(f"    created {cell(created)} {cell(problem.created_item_url or '')}".rstrip())
                output.out(f"    completed steps: {steps}; retryable: {problem.retryable}")
        for outcome in result.items:
            if outcome.action is ItemAction.SKIPPED:
                output.out(f"  {cell(outcome.item_id)} skipped: {cell(outcome.reason)}")
        output.out("Sync FAILED: run it again to converge once the cause is fixed.")
        return
    made = f" making {len(changes)} change(s)" if changes is not None else ""
    output.out(f"Sync OK ({result.writes} write call(s){made}).")
