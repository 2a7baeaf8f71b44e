"""``planpilot-providers check``: enter a provider read-only and show what it resolved; writes nothing.

Given a plan, it also says what a sync would create, update and link (the ``--dry-run`` preview) and
what that costs at the tracker's pace (``Provider.estimate``): budget units and a duration.
"""

from __future__ import annotations

import argparse
import enum
import json
from collections.abc import Mapping
from typing import Any

import attrs

from planpilot_providers_core import registry
from planpilot_providers_core.capabilities import unresolved
from planpilot_providers_core.cli import signals
from planpilot_providers_core.cli.exits import EXIT_OK, CommandError
from planpilot_providers_core.cli.list_command import credential_json, credential_text
from planpilot_providers_core.cli.output import Output, cell, duration
from planpilot_providers_core.cli.plan_input import load, pinned_copy
from planpilot_providers_core.cli.provider_setup import RunFailure, open_provider, run_failure
from planpilot_providers_core.cli.reports import report_error
from planpilot_providers_core.plan import Plan
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.sync.preview import preview_sync

__all__ = ["run_check"]


def run_check(args: argparse.Namespace, *, output: Output | None = None) -> int:
    """Enter the provider read-only, print what it resolved (and what it declared but did not)."""
    output = output or Output()
    try:
        pinned, keep_copy = pinned_copy(args)
        plan = load(args.plans, pinned, partial=args.validation == "partial") if args.plans else None
        provider = open_provider(args, output, read_only=True)
        report = signals.run(_check(provider, plan, keep_copy=keep_copy))
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
    if "plan" in report:
        _print_estimate(report["plan"], output)
    return EXIT_OK


def _print_estimate(plan: Mapping[str, Any], output: Output) -> None:
    work = plan["work"]
    output.out(
        f"Plan {cell(plan['plan_id'])}: a sync would create {work['creates']} item(s), update {work['updates']} "
        f"and write {work['relation_writes']} relation(s) besides the parents set with the creates"
    )
    links = plan["blocked_by_links"]
    if links["rolled_up"]:
        output.out(
            f"  the plan's {links['depends_on']} dependencies make {links['total']} blocked-by links: "
            f"{links['rolled_up']} rolled up, as PlanPilot does (tasks blocked across stories block the stories, "
            "stories across epics the epics)"
        )
    estimate = plan["estimate"]
    if estimate is None:
        output.out(
            "  no estimate of cost or duration: the provider paces by no budget in this configuration (GitHub "
            "against its emulator: add --option budgets=github; a provider without budgets never gives one)"
        )
        return
    units = ", ".join(f"{value:g} {name}" for name, value in estimate["units"].items())
    if units:
        output.out(f"  budget units: {units}")
    bound = f", bound by {estimate['binding']}" if estimate["binding"] else ""
    output.out(f"  duration at the tracker's pace: about {duration(estimate['seconds'])}{bound}")


async def _check(provider: Provider[Any], plan: Plan | None, *, keep_copy: bool) -> dict[str, Any]:
    try:
        async with provider:
            report: dict[str, Any] = {
                "capabilities": sorted(c.value for c in provider.capabilities),
                "context": _json_safe(provider.context),
            }
            if plan is not None:
                report["plan"] = await _estimate(provider, plan, provider.config.label, keep_copy=keep_copy)
            return report
    except RunFailure as exc:
        raise run_failure(exc, f"could not enter provider {provider.name!r}") from exc


async def _estimate(provider: Provider[Any], plan: Plan, label: str, *, keep_copy: bool) -> dict[str, Any]:
    """What a sync of ``plan`` would do (the dry-run preview) and what that costs at the tracker's pace."""
    preview = await preview_sync(provider, plan, label=label, keep_copy=keep_copy)
    work = preview.work
    estimate = provider.estimate(work)
    depends_on = sum(len([dep for dep in item.depends_on if dep in plan and dep != item.id]) for item in plan)
    total = sum(len(blockers) for blockers in plan.blockers().values())
    return {
        "plan_id": preview.plan_id,
        "identity": preview.identity,
        "blocked_by_links": {"depends_on": depends_on, "rolled_up": total - depends_on, "total": total},
        "work": {"creates": work.creates, "updates": work.updates, "relation_writes": work.relation_writes},
        "estimate": None
        if estimate is None
        else {"seconds": estimate.seconds, "binding": estimate.binding, "units": dict(estimate.units)},
    }


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
