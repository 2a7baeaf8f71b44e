"""The canonical steps of a multi-step ``create_item``: what a partial failure reports as done.

The names are the seed's, and they come from GitHub, where an item is an *issue* placed on a
*project*. Each one means an outcome any tracker has, so every provider reports the same words:

=====================  ======================================================================
``issue_created``      the item exists and has an id (title, body and its metadata block are in
                       it); always the first step, and the one that makes a failure *partial*
``issue_type_set``     the item carries its plan type: a native type (GitHub issue type, Jira
                       issue type) or a type label
``labels_set``         every requested label, the discovery label included, is on the item
``parent_set``         the item sits under ``CreateItemInput.parent_id`` (only when one was given
                       and the provider offers ``relations.parent``)
``project_item_added`` the item is on the board the provider targets (GitHub project, Jira board,
                       Linear project or cycle); providers without boards never report it
``project_fields_set`` the board's fields (size, status, priority, iteration, ...) hold their values
=====================  ======================================================================

Report the steps that completed, in the order they ran; a step done by the same request as an
earlier one (GitHub's ``createIssue`` sets type, labels, parent and project at once) is reported as
soon as that request succeeded. Leave out steps your tracker has no notion of.
"""

from __future__ import annotations

import enum
from typing import Final


class CreateStep(enum.StrEnum):
    """One step of ``create_item``; compares equal to its canonical name."""

    ISSUE_CREATED = "issue_created"
    ISSUE_TYPE_SET = "issue_type_set"
    LABELS_SET = "labels_set"
    PARENT_SET = "parent_set"
    PROJECT_ITEM_ADDED = "project_item_added"
    PROJECT_FIELDS_SET = "project_fields_set"


#: Every canonical step name, in the order a create runs them.
CANONICAL_STEPS: Final[tuple[str, ...]] = tuple(step.value for step in CreateStep)
