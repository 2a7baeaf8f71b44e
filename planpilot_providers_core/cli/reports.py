"""What several commands print alike: an error (text or ``--json``), how a plan was identified, removed items."""

from __future__ import annotations

from collections.abc import Sequence

from planpilot_providers_core.cli.exits import CommandError
from planpilot_providers_core.cli.output import Output, cell
from planpilot_providers_core.sync.results import MergedItem, RemovedItem
from planpilot_providers_core.text import MAX_LISTED

__all__ = ["identity_note", "print_merged", "print_removed", "report_error"]


def report_error(failure: CommandError, output: Output, *, as_json: bool) -> int:
    """Print the failure (masked) to stderr, and as JSON to stdout with ``--json``; its exit code."""
    output.err(f"error: {failure}")
    if as_json:
        error: dict[str, object] = {"kind": failure.kind, "message": output.mask(str(failure))}
        if failure.details:
            error["problems"] = list(failure.details)
        output.json({"ok": False, "exit_code": failure.code, "error": error})
    return failure.code


def identity_note(identity: str | None, content_id: str | None) -> str:
    """How the plan's id was found, in words (see ``sync.identity``)."""
    notes = {
        "content": "its content hash, found in the tracker",
        "lineage": f"kept from its items in the tracker; this edited version's content hash is {content_id}",
        "pinned": "pinned with --plan-id or plan_id",
        "new": "new: its content hash",
    }
    return notes.get(identity or "", "identity unknown")


def print_removed(removed: Sequence[RemovedItem], output: Output) -> None:
    """Items the plan no longer has: listed, never deleted."""
    if removed:
        output.out(f"Removed from the plan, left alone in the tracker ({len(removed)}):")
        for item in removed:
            output.out(f"  {cell(item.key)} {cell(item.item_id)} {cell(item.title)} {cell(item.url)}")


def print_merged(merged: Sequence[MergedItem], copies: Sequence[str], output: Output, *, done: bool) -> None:
    """Surplus copies closed as duplicates of the kept items (``done``) or that a sync would close."""
    if copies:
        verb = "merged" if done else "would be merged"
        output.out(f"Other copies of this plan {verb} into it: {', '.join(cell(key) for key in copies)}")
    if not merged:
        return
    closed = sum(len(m.closed) for m in merged)
    head = "Merged duplicates" if done else "Duplicates a sync would merge"
    output.out(f"{head} ({closed} closed as duplicates of the kept item, linked to it, never deleted):")
    for entry in merged[: MAX_LISTED * 5]:
        keys = ", ".join(cell(key) for key in entry.closed)
        output.out(f"  {cell(entry.item_id)}: kept {cell(entry.kept)} {cell(entry.url)}; closed {keys}")
    if len(merged) > MAX_LISTED * 5:
        output.out(f"  ... and {len(merged) - MAX_LISTED * 5} more item(s) (--json lists all)")
