"""A provider's own options, built from ``ProviderConfig.options`` with errors a user can act on.

A provider declares its options as an attrs class (``TrackletOptions``). :func:`build_options`
(``config.parse_options``) builds it and turns every failure into one :class:`ProviderConfigError`
sentence that names the option and what it accepts, never attrs internals:

* an unknown option lists the ones the provider accepts;
* a missing required option names the command-line flag that sets it (``--api-url``, else ``--option``);
* a value of the wrong kind says what the option takes; an option that takes a Python object (a transport,
  a clock, a ``RetryPolicy``) says that only Python code can give it: the command line offers options as
  text (JSON or a string), never objects;
* a value an attrs validator refuses is described from the validator (``a whole number from 1 to 50``) or,
  for a validator of the plugin's own, by the validator's message.
"""

from __future__ import annotations

import collections.abc
import re
import types
import typing
from typing import Any, Final, Literal, TypeVar, cast

import attrs

from planpilot_providers_core.errors import ProviderConfigError

__all__ = ["CLI_FLAGS", "build_options", "describe_type"]

_T = TypeVar("_T")

CLI_FLAGS: Final = {"api_url": "--api-url URL"}
"""Options the command line sets with a flag of their own; every other one is ``--option KEY=VALUE``."""

_JSON_SCALARS: Final = (str, int, float, bool, type(None))
_MISSING = re.compile(r"missing \d+ required (?:keyword-only |positional )?arguments?: (.*)$")


def _flag(name: str) -> str:
    return CLI_FLAGS.get(name, f"--option {name}=VALUE")


def build_options(options_type: type[_T], provider: str, options: typing.Mapping[str, Any]) -> _T:
    """Build ``options_type`` (an attrs class) from ``options``; :class:`ProviderConfigError` (one sentence
    naming the option and what it accepts) for anything it cannot take."""
    fields = {field.alias: field for field in attrs.fields(cast(Any, options_type))}
    unknown = sorted(set(options) - set(fields))
    if unknown:
        raise ProviderConfigError(
            f"provider {provider!r} does not accept option(s) {', '.join(unknown)}; "
            f"it accepts: {', '.join(sorted(fields)) or 'none'}"
        )
    missing = [name for name, field in fields.items() if field.default is attrs.NOTHING and name not in options]
    if missing:
        raise ProviderConfigError(
            f"provider {provider!r} needs {' and '.join(missing)}: give "
            + " and ".join(_flag(name) for name in missing)
        )
    hints = _hints(options_type)
    wrong = [name for name, value in options.items() if not _fits(value, hints.get(fields[name].name, Any))]
    for name in wrong:  # an object option given a JSON value: no validator of the plugin's can say more
        if _python_only(hints[fields[name].name]):
            raise ProviderConfigError(
                _kind_message(provider, name, options[name], hints[fields[name].name], fields[name])
            )
    try:
        built = options_type(**options)
    except ProviderConfigError as exc:
        raise ProviderConfigError(f"provider {provider!r}: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ProviderConfigError(_validator_message(provider, exc, fields, options, hints)) from None
    for name in wrong:  # taken without a check of its own: it would fail later, mid-run
        raise ProviderConfigError(_kind_message(provider, name, options[name], hints[fields[name].name], fields[name]))
    return built


def _hints(options_type: type[Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(options_type)
    except Exception:  # an annotation that cannot be resolved: check nothing by type
        return {}


def _fits(value: object, hint: Any) -> bool:
    """Whether ``value`` has the kind ``hint`` names (the origin only for generics, as a first check)."""
    if hint is Any or hint is object:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, member) for member in typing.get_args(hint))
    if origin is Literal:
        return value in typing.get_args(hint)
    if hint is type(None) or hint is None:
        return value is None
    target = origin or hint
    if not isinstance(target, type):
        return True
    if target is bool:
        return isinstance(value, bool)
    if target is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if target is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if getattr(target, "_is_protocol", False) and not getattr(target, "_is_runtime_protocol", False):
        return not isinstance(value, (*_JSON_SCALARS, list, dict))  # some object: let its use judge it
    if target in (collections.abc.Sequence, list, tuple):
        return isinstance(value, list | tuple)
    if target in (collections.abc.Mapping, dict):
        return isinstance(value, dict | collections.abc.Mapping)
    try:
        return isinstance(value, target)
    except TypeError:
        return True


def describe_type(hint: Any) -> str:
    """What an option of type ``hint`` accepts, in words: ``a whole number``, ``'auto' or 'github'``."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(dict.fromkeys(describe_type(member) for member in typing.get_args(hint)))
    if origin is Literal:
        return " or ".join(repr(choice) for choice in typing.get_args(hint))
    if hint is type(None) or hint is None:
        return "null"
    words = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
    if hint in words:
        return words[hint]
    target = origin or hint
    if target in (collections.abc.Sequence, list, tuple):
        return "a list"
    if target in (collections.abc.Mapping, dict):
        return "an object"
    name = getattr(target, "__name__", str(target))
    return f"{'an' if name[:1] in 'AEIOU' else 'a'} {name} object"


def _python_only(hint: Any) -> bool:
    """Whether no text or JSON value but null can be an option of type ``hint``: only Python code can give it."""
    return not _takes_json(hint)


def _takes_json(hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_takes_json(member) for member in typing.get_args(hint))
    if origin is Literal or hint is Any or hint is object:
        return True
    target = origin or hint
    json_kinds = (str, int, float, bool, list, tuple, dict, collections.abc.Sequence, collections.abc.Mapping)
    return target in json_kinds


def _kind_message(provider: str, name: str, value: object, hint: Any, field: attrs.Attribute[Any]) -> str:
    if _python_only(hint):
        objects = " or ".join(d for d in describe_type(hint).split(" or ") if d != "null")
        return (
            f"provider {provider!r}: option {name} takes {objects}, which only Python code can give "
            f"(create_provider(..., {name}=...)); it cannot be set on the command line, so leave it out"
        )
    accepts = _describe_validator(field.validator) or describe_type(hint)
    return f"provider {provider!r}: option {name} must be {accepts}, got {_show(value)}"


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _validator_message(
    provider: str,
    exc: BaseException,
    fields: dict[str, attrs.Attribute[Any]],
    options: typing.Mapping[str, Any],
    hints: dict[str, Any],
) -> str:
    """One sentence for what the options class refused, from the attrs validator where one is known."""
    attribute = next((arg for arg in exc.args if isinstance(arg, attrs.Attribute)), None)
    text = str(exc.args[0]) if exc.args and isinstance(exc.args[0], str) else str(exc)
    named = re.match(r"'(\w+)' must", text)  # attrs' number validators pass only a message
    if attribute is None and named is not None:
        attribute = next((f for f in fields.values() if f.name == named.group(1)), None)
    if attribute is not None:
        name = attribute.alias or attribute.name
        accepts = _describe_validator(attribute.validator) or describe_type(hints.get(attribute.name, Any))
        return f"provider {provider!r}: option {name} must be {accepts}, got {_show(options.get(name))}"
    if (match := _MISSING.search(text)) is not None:
        names = re.findall(r"'(\w+)'", match.group(1))
        return f"provider {provider!r} needs {' and '.join(names)}: give " + " and ".join(map(_flag, names))
    return f"provider {provider!r}: {text}"


def _describe_validator(validator: Any) -> str | None:
    """``a whole number from 1 to 50`` for attrs' own validators; ``None`` for one it cannot read."""
    if validator is None:
        return None
    kind = type(validator).__name__
    if kind == "_AndValidator":
        parts = [_describe_validator(v) for v in validator._validators]
        if any(part is None for part in parts):
            return None
        return _join(cast(list[str], parts))
    if kind == "_OptionalValidator":
        inner = _describe_validator(validator.validator)
        return None if inner is None else f"{inner}, or null"
    if kind == "_InstanceOfValidator":
        kinds = validator.type if isinstance(validator.type, tuple) else (validator.type,)
        return " or ".join(describe_type(kind) for kind in kinds)
    if kind == "_InValidator":
        options = validator.options
        if isinstance(options, range) and options.step == 1 and len(options):
            return f"from {options.start} to {options.stop - 1}"
        return "one of " + ", ".join(repr(option) for option in options)
    if kind == "_NumberValidator":
        return f"{validator.compare_op} {validator.bound}"
    return None


def _join(parts: list[str]) -> str:
    """``a whole number`` + ``>= 1`` -> ``a whole number >= 1``."""
    text = parts[0]
    for part in parts[1:]:
        text += f" {part}" if part[:1] in "<>=f" else f", {part}"
    return text
