"""The plan a command works on: its files (and ``--plan-id``), with every problem as one bad-input error."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import attrs

from planpilot_providers_core.cli.exits import EXIT_BAD_INPUT, CommandError
from planpilot_providers_core.plan import Plan, PlanError, load_plan
from planpilot_providers_core.plan.identity import check_plan_id
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.sync.preflight import LONGEST_PLAN_ID, limit_problems

__all__ = ["load", "pinned_copy", "plan_failure", "refuse_what_cannot_fit"]


def load(paths: Sequence[str], plan_id: str | None = None, *, partial: bool = False) -> Plan:
    """The plan from its files (``plan_id``: ``--plan-id``); every problem in them as one bad-input error,
    reported before a malformed ``--plan-id``."""
    bad_id: CommandError | None = None
    if plan_id is not None:
        try:
            check_plan_id(None, attrs.fields(Plan).pinned_id, plan_id)  # type: ignore[arg-type]
        except ValueError as exc:
            bad_id, plan_id = CommandError(EXIT_BAD_INPUT, "config", f"--plan-id: {exc}"), None
    try:
        plan = load_plan(paths, partial=partial, plan_id=plan_id)  # built once, with the pinned id
    except PlanError as exc:
        raise plan_failure(exc) from exc
    if bad_id is not None:
        raise bad_id
    return plan


def pinned_copy(args: argparse.Namespace) -> tuple[str | None, bool]:
    """``(plan id to pin, keep_copy)`` from ``--plan-id`` and ``--keep-copy`` (which pins the copy it keeps)."""
    keep = getattr(args, "keep_copy", None)
    if keep is not None and args.plan_id is not None and keep != args.plan_id:
        raise CommandError(
            EXIT_BAD_INPUT,
            "config",
            f"--keep-copy {keep} and --plan-id {args.plan_id} name different copies; give the copy to keep once",
        )
    return (keep, True) if keep is not None else (args.plan_id, False)


def refuse_what_cannot_fit(provider: Provider[Any], plan: Plan) -> None:
    """The provider's limits, checked before it is entered (entering may already write a label)."""
    problems = limit_problems(type(provider), provider.name, plan, plan.pinned_id or LONGEST_PLAN_ID)
    if problems:
        raise plan_failure(PlanError(problems))


def plan_failure(exc: PlanError) -> CommandError:
    """A plan's problems as the bad-input error every command reports them with."""
    return CommandError(EXIT_BAD_INPUT, "plan", str(exc), [problem.to_json() for problem in exc.problems])
