"""``planpilot-providers sync --dry-run``: what a sync would change, against the real tracker, writing nothing.

Exit 0 when the tracker already matches the plan, 5 when changes are pending (2 and 3 as for ``sync``).
"""

from __future__ import annotations

import argparse
from typing import Any

from planpilot_providers_core.cli import signals
from planpilot_providers_core.cli.exits import EXIT_CHANGES_PENDING, EXIT_OK, CommandError
from planpilot_providers_core.cli.output import Output, cell, table
from planpilot_providers_core.cli.provider_setup import RunFailure, open_provider, run_failure
from planpilot_providers_core.cli.reports import identity_note, print_merged, print_removed, report_error
from planpilot_providers_core.plan import Plan
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.sync.preview import Change, SyncPreview, preview_sync

__all__ = ["run_preview"]


def run_preview(plan: Plan, args: argparse.Namespace, output: Output, *, keep_copy: bool = False) -> int:
    """Enter the provider read-only, compute the preview, print it; the exit code says whether changes wait."""
    try:
        provider = open_provider(args, output, read_only=True)
        preview = signals.run(_preview(provider, plan, args.label, keep_copy=keep_copy))
    except CommandError as failure:
        return report_error(failure, output, as_json=args.json)
    code = EXIT_CHANGES_PENDING if preview.pending else EXIT_OK
    if args.json:
        output.json({**preview.to_json(), "target": provider.config.target, "exit_code": code})
    else:
        _print(preview, plan, provider, output)
    return code


async def _preview(provider: Provider[Any], plan: Plan, label: str, *, keep_copy: bool) -> SyncPreview:
    try:
        async with provider:
            return await preview_sync(provider, plan, label=label, keep_copy=keep_copy)
    except RunFailure as exc:
        raise run_failure(exc, f"could not preview with provider {provider.name!r}") from exc


def _print(preview: SyncPreview, plan: Plan, provider: Provider[Any], output: Output) -> None:
    output.out(
        f"Dry run of plan {cell(preview.plan_id)} ({len(plan)} items, "
        f"{identity_note(preview.identity, preview.content_id)}) -> {preview.provider} "
        f"{cell(provider.config.target)}: nothing was written."
    )
    rows = [["TYPE", "ID", "CHANGE", "KEY", "WHAT"]]
    for item in preview.items:
        if not item.pending:
            continue
        what = [*item.fields, *(f"link {link}" for link in item.link), *(f"unlink {u}" for u in item.unlink)]
        rows.append(
            [item.item_type.value, cell(item.item_id), item.change.value, cell(item.key), cell("; ".join(what))]
        )
    if len(rows) > 1:
        output.out(table(rows))
    relation_changes = sum(len(item.link) + len(item.unlink) for item in preview.items)
    output.out(
        f"{preview.count(Change.CREATE)} to create, {preview.count(Change.UPDATE)} to update, "
        f"{preview.count(Change.UNCHANGED)} unchanged; {relation_changes} relation change(s) "
        "(each parent or blocked-by link to add or remove)"
    )
    print_removed(preview.removed, output)
    print_merged(preview.merges, preview.merged_copies, output, done=False)
    for warning in preview.warnings:
        output.err(f"warning: {cell(warning)}")
    if preview.pending:
        output.out("Changes pending: run the same command without --dry-run to make them.")
    else:
        output.out("Nothing to change: the tracker matches the plan.")
