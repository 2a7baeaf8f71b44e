"""What a provider author tells the suite: its settings and how it makes create_item fail."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TypeAlias

import attrs

from planpilot_providers_core.progress import failing_after
from planpilot_providers_core.steps import CreateStep

#: How the suite makes ``create_item`` fail right after ``step``: a context manager the suite enters
#: around one ``create_item`` call. Core's :func:`~planpilot_providers_core.progress.failing_after`
#: is one, for providers that record their steps with ``CreateProgress``.
CreateFailureInjector: TypeAlias = Callable[[CreateStep], contextlib.AbstractContextManager[object]]


def failing_after_or_skip(step: CreateStep) -> contextlib.AbstractContextManager[object]:
    """The default ``inject_create_failure``: core's ``failing_after``, without the author's say-so.

    It works for every provider that records its steps with ``CreateProgress``. A provider that
    records none under it is taken as not having opted in: the partial-failure test is skipped and
    says why. Returning ``failing_after`` (or your own injector) from the fixture opts in, and then
    a create that never fails is a test failure instead.
    """
    return failing_after(step)


@attrs.frozen(kw_only=True)
class ConformanceSettings:
    """What the suite needs to know about the provider under test."""

    page_size: int = attrs.field(default=100, validator=[attrs.validators.instance_of(int), attrs.validators.gt(0)])
    """The provider's search page size; the paging test creates ``page_size + 5`` matching items."""
    concurrency: int = attrs.field(default=50, validator=[attrs.validators.instance_of(int), attrs.validators.gt(1)])
    """How many creates the concurrency test runs at once; also bounds the suite's own bulk creates."""
    call_timeout: float = attrs.field(default=30.0, validator=attrs.validators.gt(0))
    """Seconds a call on an exited provider may take before the suite calls it a hang."""
