"""``ProviderConfig``: the one frozen, typed configuration a provider is created from.

The factory (``create_provider``, with the seed's keyword signature) builds it and passes it to the
provider class, which reads its own extra keywords from :attr:`ProviderConfig.options` with
:func:`parse_options`. The token is kept out of ``repr`` and checked to be sendable in a header.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import attrs

from planpilot_providers_core.capabilities import DISCOVERY_CAPABILITIES, Capability, parse_capabilities
from planpilot_providers_core.context import frozen_mapping
from planpilot_providers_core.contracts import FieldConfig
from planpilot_providers_core.credentials import Credential, check_header_value
from planpilot_providers_core.defaults import DEFAULT_LABEL
from planpilot_providers_core.errors import ProviderConfigError

__all__ = ["DEFAULT_LABEL", "ProviderConfig", "parse_options"]


_T = TypeVar("_T")


def _text(instance: ProviderConfig, attribute: attrs.Attribute[str], value: object) -> None:
    """A single line of printable text (empty allowed for the board URL)."""
    if not isinstance(value, str):
        raise ProviderConfigError(f"{attribute.name} must be a string, got {type(value).__name__}")
    if attribute.name != "board_url" and not value.strip():
        raise ProviderConfigError(f"{attribute.name} must not be blank")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ProviderConfigError(f"{attribute.name} must be one line without control characters, got {value!r}")


def _token(instance: ProviderConfig, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str):
        raise ProviderConfigError(f"token must be a string, got {type(value).__name__}")
    check_header_value(value, what=f"the credential given to provider {instance.provider!r}")


def _credential(instance: ProviderConfig, attribute: attrs.Attribute[Credential], value: object) -> None:
    if value is None:  # filled in from the token by __attrs_post_init__
        return
    if not isinstance(value, Credential):
        raise ProviderConfigError(f"credential must be a Credential, got {type(value).__name__}")
    if instance.token and (len(value.parts) != 1 or value.value != instance.token):
        raise ProviderConfigError("give the credential once: token= or credential=, not two different ones")


def _field_config(value: FieldConfig | None) -> FieldConfig:
    if value is None:
        return FieldConfig()
    if not isinstance(value, FieldConfig):
        raise ProviderConfigError(f"field_config must be a FieldConfig or None, got {type(value).__name__}")
    return value


def _optional_capabilities(value: Iterable[str | Capability] | None) -> frozenset[Capability] | None:
    return None if value is None else parse_capabilities(value)


@attrs.frozen(kw_only=True)
class ProviderConfig:
    """Everything a provider is created from; frozen, so it can be shared and logged (without the token)."""

    provider: str = attrs.field(validator=_text)
    """The name the provider was registered under; it is the provider's ``name``."""
    target: str = attrs.field(validator=_text)
    """Where items live, in the provider's own form (GitHub: ``OWNER/REPO``)."""
    board_url: str = attrs.field(default="", validator=_text)
    label: str = attrs.field(default=DEFAULT_LABEL, validator=_text)
    """The discovery label every item carries."""
    field_config: FieldConfig = attrs.field(factory=FieldConfig, converter=_field_config)
    token: str = attrs.field(default="", repr=False, validator=_token)
    """A single-value credential (a token, an API key) as declared by the registration ("" when it declares
    none, or when the credential has several parts: read those from :attr:`credential`). Never shown."""
    credential: Credential = attrs.field(default=None, repr=False, eq=False, validator=_credential)
    """The credential with its parts, how it is sent and its derived forms (``credential["email"]``,
    ``credential.authorization()``). Given only ``token``, it is that single value."""
    required_capabilities: frozenset[Capability] = attrs.field(
        default=DISCOVERY_CAPABILITIES, converter=parse_capabilities
    )
    """Entering fails with ``ProviderCapabilityError`` unless the provider resolves all of these."""
    declared_capabilities: frozenset[Capability] | None = attrs.field(default=None, converter=_optional_capabilities)
    """What the registration declares (set by the factory): resolving more is a plugin bug caught on enter."""
    read_only: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    """Enter and read without writing anything, not even on enter (``check`` and ``sync --dry-run``)."""
    options: Mapping[str, Any] = attrs.field(factory=dict, converter=frozen_mapping)
    """Provider-specific keywords (GitHub: ``api_url``, ``transport``, ...), read with :func:`parse_options`."""

    def __attrs_post_init__(self) -> None:
        if self.credential is None:
            object.__setattr__(self, "credential", Credential.token(self.token, name=f"{self.provider} credential"))
        elif not self.token and len(self.credential.parts) == 1:
            object.__setattr__(self, "token", self.credential.value)

    @classmethod
    def from_keywords(cls, provider: str, **keywords: Any) -> ProviderConfig:
        """The factory's keywords sorted out: the fields above by name, every other keyword an option.

        ``create_provider(name, target=..., token=..., board_url=..., api_url=...)`` builds its config
        this way; tests that create a provider class directly can do the same.
        """
        names = {field.name for field in attrs.fields(cls)} - {"provider", "options"}
        fields = {key: keywords.pop(key) for key in list(keywords) if key in names}
        return cls(provider=provider, options=keywords, **fields)


def parse_options(options_type: type[_T], config: ProviderConfig) -> _T:
    """Build a provider's own options class (an attrs class) from ``config.options``.

    An unknown option, a missing required one, a value of the wrong kind or one a validator refuses becomes
    one ``ProviderConfigError`` sentence naming the option and what it accepts (a missing one: the command-line
    flag that sets it), which the CLI reports as bad configuration (exit 2). See
    :mod:`planpilot_providers_core.options`.
    """
    from planpilot_providers_core.options import build_options

    return build_options(options_type, config.provider, config.options)
