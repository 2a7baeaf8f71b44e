"""Checks that a ``create_item`` failing after any step is reported as a partial failure that can be finished."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from planpilot_providers_core.capabilities import Capability
from planpilot_providers_core.contracts import CreateItemInput, ItemSearchFilters, PlanItemType, UpdateItemInput
from planpilot_providers_core.errors import CreateItemPartialFailureError
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.steps import CreateStep
from planpilot_providers_core.testing.conformance.calls import _create, _get, _search
from planpilot_providers_core.testing.conformance.checks import (
    _call,
    _create_call,
    _describe,
    _expect,
    _fail,
    _ids,
    _item,
    _labels,
    _message,
    _raised,
    _search_call,
    _update_call,
)
from planpilot_providers_core.testing.conformance.marker import _Marker
from planpilot_providers_core.testing.conformance.settings import CreateFailureInjector, failing_after_or_skip


class PartialFailureChecks:
    """``CreateItemPartialFailureError`` after each create step, with the item found and finished."""

    @pytest.mark.asyncio
    async def test_create_failure_after_each_step_is_reported_as_partial(
        self, provider: Provider[Any], inject_create_failure: CreateFailureInjector | None
    ) -> None:
        if inject_create_failure is None:
            pytest.skip(
                f"provider {provider.name!r}: the inject_create_failure fixture returned None, "
                "so partial-failure reporting is not checked"
            )
        capabilities = provider.capabilities
        parent = None
        if Capability.RELATION_PARENT in capabilities:
            parent = await _create(
                provider, _Marker.new().create("partial-failure parent", item_type=PlanItemType.EPIC)
            )
        for step in CreateStep:
            m = _Marker.new()
            request = attrs.evolve(
                m.create(f"fails after {step.value}", labels=(m.label, m.other_label), item_type=PlanItemType.STORY),
                size="M" if Capability.PROJECT_FIELDS in capabilities else None,
                parent_id=None if parent is None else parent.id,
            )
            call = f"{_create_call(request)}, failing right after {step.value}"
            try:
                with inject_create_failure(step):
                    returned = await provider.create_item(request)
            except CreateItemPartialFailureError as exc:
                failure = exc
            except Exception as exc:
                raise AssertionError(
                    _message(
                        "once the item exists, every failure of create_item must be raised as "
                        "CreateItemPartialFailureError (a plain exception makes the caller create the item again)",
                        call=call,
                        expected="CreateItemPartialFailureError raised",
                        got=_raised(exc),
                    )
                ) from exc
            else:
                if step is not CreateStep.ISSUE_CREATED:
                    continue  # the provider does not record this step (for this input): nothing to check
                if inject_create_failure is failing_after_or_skip:
                    pytest.skip(
                        f"provider {provider.name!r} records no create step with CreateProgress, so partial-failure "
                        "reporting is not checked: record the steps with CreateProgress, or override the "
                        "inject_create_failure fixture (see planpilot_providers_core.testing)"
                    )
                _fail(
                    "issue_created is the step every create completes: an injected failure after it must fail "
                    "create_item (the inject_create_failure fixture opts in to this check)",
                    call=call,
                    expected="CreateItemPartialFailureError raised",
                    got=f"it returned {_item(returned)}",
                )
            await self._check_partial_failure(provider, step, request, failure, m, call)

    async def _check_partial_failure(
        self,
        provider: Provider[Any],
        step: CreateStep,
        request: CreateItemInput,
        failure: CreateItemPartialFailureError,
        m: _Marker,
        call: str,
    ) -> None:
        item_id = failure.created_item_id
        if not (isinstance(item_id, str) and item_id.strip()):
            _fail(
                "CreateItemPartialFailureError must carry the created item's id",
                call=call,
                expected="created_item_id: the new item's id",
                got=f"created_item_id {item_id!r} ({failure})",
            )
        steps = list(failure.completed_steps)
        _expect(
            CreateStep.ISSUE_CREATED in steps and step in steps and len(set(steps)) == len(steps),
            "completed_steps names each completed step once, issue_created and the step the failure came after "
            "included",
            call=call,
            expected=f"completed_steps including {sorted({CreateStep.ISSUE_CREATED.value, step.value})}, none twice",
            got=f"completed_steps {[s.value for s in steps]}",
        )
        found = await _get(provider, item_id, f"created before the failure after {step.value}")
        _expect(
            found.id == item_id and found.title == request.title and m.body in found.body,
            "the item a partial failure names is the one requested",
            call=f"get_item({item_id!r}) after {call}",
            expected=f"{item_id} {request.title!r} with the body marker",
            got=f"{found.id} {found.title!r}, body {found.body!r}",
        )
        discovery = ItemSearchFilters(labels=(provider.config.label,), body_contains=m.body)
        hits = await _search(provider, discovery)
        _expect(
            _ids(hits) == [item_id],
            "a partially created item must be discoverable by the discovery label and its body marker from creation "
            "on, or the next sync creates it again",
            call=f"{_search_call(discovery)} after {call}",
            expected=[f"{found.key} {found.title!r}"],
            got=_describe(hits),
        )
        plan = UpdateItemInput(
            title=request.title,
            body=request.body,
            item_type=request.item_type,
            labels=request.labels,
            size=request.size,
        )
        update = f"{_update_call(item_id, plan)} after {call}"
        updated = await _call(
            provider.update_item(item_id, plan),
            "update_item must finish a partially created item",
            call=update,
            expected="the finished item",
        )
        wanted = {label.casefold() for label in (*request.labels, provider.config.label)}
        for view, item in (("returned", updated), ("get_item", await _get(provider, item_id, "finished"))):
            got = (item.title, item.body, item.item_type, item.size if request.size else None)
            expected = (request.title, request.body, request.item_type, request.size)
            _expect(
                got == expected and wanted <= _labels(item),
                f"update_item with the plan's fields must make a partially created item converge ({view})",
                call=update,
                expected=f"{expected}, labels including {sorted(wanted)}",
                got=f"{got}, labels {sorted(item.labels)}",
            )
