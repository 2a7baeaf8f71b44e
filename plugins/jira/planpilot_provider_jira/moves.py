"""Changing what Jira's issue hierarchy fixes: an issue's type across hierarchy levels, and a parent that needs
another type (a task under a story must be a sub-task; a sub-task cannot be without a parent).

Editing an issue cannot do either (notes §1.2: ``parent`` must be one level up; a sub-task and a standard issue
are not converted by an edit). Jira's bulk move can, within the project: ``POST /rest/api/3/bulk/issues/move``
with the target ``"<project>,<issueTypeId>[,<parent>]"``, then its task polled (``GET /rest/api/3/bulk/queue/
{taskId}``) until it is complete. A move to where the issue already is changes nothing, so sending it again
after a lost answer is safe.
"""

from __future__ import annotations

from typing import Any, Final

from planpilot_provider_jira.client import JiraApi
from planpilot_provider_jira.context import IssueTypeRef, JiraContext
from planpilot_providers_core import ProviderError
from planpilot_providers_core.reliability import Clock

__all__ = ["move_issue"]

_POLLS: Final = 40
_FIRST_WAIT: Final = 0.25
_LONGEST_WAIT: Final = 5.0
_DONE: Final = frozenset({"COMPLETE", "FAILED", "CANCELLED", "DEAD"})


async def move_issue(
    api: JiraApi, context: JiraContext, clock: Clock, issue_id: str, issue_type: IssueTypeRef, parent_id: str | None
) -> None:
    """Give ``issue_id`` the type ``issue_type`` under ``parent_id`` (``None``: no parent), by a bulk move."""
    target = f"{context.project_id},{issue_type.id}" + (f",{parent_id}" if parent_id is not None else "")
    body = {
        "sendBulkNotification": False,
        "targetToSourcesMapping": {
            target: {
                "issueIdsOrKeys": [issue_id],
                "inferClassificationDefaults": True,
                "inferFieldDefaults": True,
                "inferStatusDefaults": True,
                "inferSubtaskTypeDefault": True,
            }
        },
    }
    submitted = await api.call(
        "submitBulkMove", "POST", "/rest/api/3/bulk/issues/move", issues=[issue_id], json=body, accept=(400,)
    )
    task_id = submitted.get("taskId") if isinstance(submitted, dict) else None
    if not task_id:
        raise ProviderError(
            f"submitBulkMove: Jira refused to move issue {issue_id} to {issue_type.name}: {_why(submitted)}"
        )
    wait = _FIRST_WAIT
    for _ in range(_POLLS):
        progress = await api.call("getBulkOperationProgress", "GET", f"/rest/api/3/bulk/queue/{task_id}")
        if progress.get("status") in _DONE:
            failed = (progress.get("failedAccessibleIssues") or {}).get(issue_id)
            if failed or int(issue_id) not in [int(i) for i in progress.get("processedAccessibleIssues") or ()]:
                reasons = "; ".join(failed or ()) or f"the move ended {progress.get('status')}"
                raise ProviderError(f"Jira could not make issue {issue_id} a {issue_type.name}: {reasons}")
            return
        await clock.sleep(wait)
        wait = min(_LONGEST_WAIT, wait * 2)
    raise ProviderError(f"Jira's move of issue {issue_id} (task {task_id}) did not finish; check it in Jira")


def _why(answer: Any) -> str:
    if isinstance(answer, dict):
        messages = [str(e.get("message")) for e in answer.get("errors") or () if isinstance(e, dict)]
        messages += [str(m) for m in answer.get("errorMessages") or ()]
        if messages:
            return "; ".join(messages)
    return "no task was started"
