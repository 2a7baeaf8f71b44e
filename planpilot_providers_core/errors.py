"""The error tree every provider raises, so callers can react by kind rather than by provider."""

from __future__ import annotations

from collections.abc import Iterable

from planpilot_providers_core.steps import CANONICAL_STEPS, CreateStep


class PlanPilotError(Exception):
    """Root of every error this framework raises on purpose."""


class ProviderError(PlanPilotError):
    """A provider could not do what was asked."""


class PluginError(PlanPilotError):
    """A provider plugin could not be loaded or is ambiguous; names the distribution at fault."""


class ProviderCapabilityError(ProviderError):
    """The provider cannot offer a capability its caller requires."""

    def __init__(self, message: str, *, capability: str, missing: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.capability = capability
        self.missing: tuple[str, ...] = tuple(missing) or (capability,)


class AuthenticationError(ProviderError):
    """The credentials were refused or lack a permission; the message says which when known."""


class ProviderConfigError(ProviderError, ValueError):
    """The provider's configuration (target, board URL, an option) is invalid; nothing was contacted yet.

    Raised by ``Provider.validate_config``, which runs before any credential is looked up, so a typo
    in ``--target`` is reported as what it is, never as a missing token.
    """


class ProjectURLError(ProviderConfigError):
    """A board/project URL does not have a shape the provider accepts."""


class InsecureTransportError(ProviderConfigError):
    """A credential would go over plain http to a host that is not loopback, and nobody allowed it."""


class InvalidCredentialError(AuthenticationError, ValueError):
    """A credential that cannot be sent (a control or non-ASCII character); its value is never shown."""


class ItemNotFoundError(ProviderError, LookupError):
    """No item with the given id exists (or it is not visible with these credentials)."""


class TransientProviderError(ProviderError):
    """A failure worth retrying: network trouble, 5xx, or a rate limit.

    ``request_sent`` tells whether the server may have acted on the request; a non-idempotent
    operation is only retried blindly when it is ``False``.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, request_sent: bool = True) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.request_sent = request_sent


class RateLimitError(TransientProviderError):
    """The service refused the request because of a rate limit; it was not processed."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, retry_after=retry_after, request_sent=False)


class RateLimitExhaustedError(ProviderError):
    """A rate limit whose reset lies further away than the provider is willing to wait."""

    def __init__(self, message: str, *, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CreateItemPartialFailureError(ProviderError):
    """``create_item`` failed after the item already existed remotely.

    Carries the created item's identity and exactly which canonical steps completed (see
    :mod:`planpilot_providers_core.steps`), so that a caller can report it and a re-run can converge
    on the same item instead of creating another. Raise it, never a plain exception, for any failure
    once the item exists: a plain exception would let the caller create a duplicate.
    """

    def __init__(
        self,
        message: str,
        *,
        created_item_id: str | None,
        created_item_key: str | None,
        created_item_url: str | None,
        completed_steps: Iterable[str],
        retryable: bool,
    ) -> None:
        names = tuple(completed_steps)
        unknown = [s for s in names if s not in CANONICAL_STEPS]
        if unknown:
            raise ValueError(f"unknown create step name(s) {unknown}; expected some of {list(CANONICAL_STEPS)}")
        super().__init__(message)
        self.created_item_id = created_item_id
        self.created_item_key = created_item_key
        self.created_item_url = created_item_url
        self.completed_steps: tuple[CreateStep, ...] = tuple(CreateStep(s) for s in names)
        self.retryable = retryable

    def __str__(self) -> str:
        detail = f"created {self.created_item_key or self.created_item_id}"
        steps = ", ".join(self.completed_steps) or "none"
        return f"{self.args[0]} ({detail}; completed steps: {steps}; retryable: {self.retryable})"
