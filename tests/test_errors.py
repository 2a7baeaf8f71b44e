"""The error tree: callers react by kind, and a partial create carries enough to converge on re-run."""

from __future__ import annotations

import pytest

from planpilot_providers_core import errors
from planpilot_providers_core.errors import (
    AuthenticationError,
    CreateItemPartialFailureError,
    InvalidCredentialError,
    ItemNotFoundError,
    PlanPilotError,
    PluginError,
    ProjectURLError,
    ProviderCapabilityError,
    ProviderConfigError,
    ProviderError,
    RateLimitError,
    RateLimitExhaustedError,
    TransientProviderError,
)
from planpilot_providers_core.steps import CANONICAL_STEPS, CreateStep


@pytest.mark.parametrize(
    ("error", "bases"),
    [
        (ProviderError, (PlanPilotError,)),
        (PluginError, (PlanPilotError,)),
        (ProviderCapabilityError, (ProviderError,)),
        (AuthenticationError, (ProviderError,)),
        (ProviderConfigError, (ProviderError, ValueError)),
        (ProjectURLError, (ProviderConfigError, ValueError)),
        (InvalidCredentialError, (AuthenticationError, ValueError)),
        (ItemNotFoundError, (ProviderError, LookupError)),
        (TransientProviderError, (ProviderError,)),
        (RateLimitError, (TransientProviderError,)),
        (RateLimitExhaustedError, (ProviderError,)),
        (CreateItemPartialFailureError, (ProviderError,)),
    ],
)
def test_hierarchy(error: type[Exception], bases: tuple[type[Exception], ...]) -> None:
    """``except ProviderError`` must catch every provider failure, and stdlib kinds still apply."""
    for base in (*bases, PlanPilotError, Exception):
        assert issubclass(error, base)


def test_plugin_errors_are_not_provider_errors() -> None:
    """A broken installation is not a tracker failure; handlers for one must not swallow the other."""
    assert not issubclass(PluginError, ProviderError)


def test_canonical_steps_are_the_seeds_names_in_order() -> None:
    """Step names are a cross-provider contract: the seed's five, plus parent_set for a parent given at create."""
    assert CANONICAL_STEPS == (
        "issue_created",
        "issue_type_set",
        "labels_set",
        "parent_set",
        "project_item_added",
        "project_fields_set",
    )
    assert tuple(CreateStep) == CANONICAL_STEPS


def test_partial_failure_carries_identity_and_steps() -> None:
    """A caller reports exactly what exists, and a re-run can find the same item instead of duplicating it."""
    error = CreateItemPartialFailureError(
        "setting project fields failed",
        created_item_id="I_1",
        created_item_key="#12",
        created_item_url="https://github.com/acme/roadmap/issues/12",
        completed_steps=[CreateStep.ISSUE_CREATED, "labels_set"],
        retryable=True,
    )

    assert error.created_item_id == "I_1"
    assert error.created_item_key == "#12"
    assert error.created_item_url == "https://github.com/acme/roadmap/issues/12"
    assert error.completed_steps == ("issue_created", "labels_set")
    assert error.retryable is True
    text = str(error)
    assert "setting project fields failed" in text
    assert "#12" in text
    assert "issue_created, labels_set" in text
    assert "retryable: True" in text


def test_partial_failure_without_key_names_the_id() -> None:
    """Some trackers have no human key; the report still identifies the item."""
    error = CreateItemPartialFailureError(
        "x",
        created_item_id="I_1",
        created_item_key=None,
        created_item_url=None,
        completed_steps=(),
        retryable=False,
    )
    assert "created I_1" in str(error)
    assert "completed steps: none" in str(error)


def test_partial_failure_rejects_unknown_step_names() -> None:
    """A misspelt step would make callers think a step did not run; fail loudly, listing the valid ones."""
    with pytest.raises(ValueError, match="issue_creatd") as excinfo:
        CreateItemPartialFailureError(
            "x",
            created_item_id="I_1",
            created_item_key=None,
            created_item_url=None,
            completed_steps=["issue_creatd"],
            retryable=False,
        )
    for step in CANONICAL_STEPS:
        assert step in str(excinfo.value)


def test_capability_error_names_the_capability() -> None:
    """Callers branch on ``.capability``; ``.missing`` defaults to just that one."""
    error = ProviderCapabilityError("no", capability="discovery.complete")
    assert error.capability == "discovery.complete"
    assert error.missing == ("discovery.complete",)
    assert ProviderCapabilityError("no", capability="a", missing=["a", "b"]).missing == ("a", "b")


def test_transient_errors_say_whether_the_request_may_have_been_applied() -> None:
    """Blind retries of mutations are only safe when the request was never processed."""
    assert TransientProviderError("5xx").request_sent is True
    limited = RateLimitError("slow down", retry_after=3.0)
    assert (limited.request_sent, limited.retry_after) == (False, 3.0)
    assert RateLimitExhaustedError("reset in an hour", retry_after=3600.0).retry_after == 3600.0


def test_every_public_error_derives_from_the_root() -> None:
    """One ``except PlanPilotError`` catches everything the framework raises on purpose."""
    public = [
        obj
        for name, obj in vars(errors).items()
        if isinstance(obj, type) and issubclass(obj, BaseException) and not name.startswith("_")
    ]
    assert len(public) >= 10
    for error in public:
        assert issubclass(error, PlanPilotError), error
