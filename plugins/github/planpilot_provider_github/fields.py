"""Board field values from the configuration and the plan: creation defaults, sizes, per-item fields.

Pure functions of ``FieldConfig`` and the board's fields, resolved once on enter (defaults) or per
item (size, ``fields``); a value the board cannot hold is a clear error before anything is written.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Mapping
from typing import Final

from planpilot_provider_github.context import FieldValue, ProjectField
from planpilot_providers_core.contracts import TSHIRT_POINTS, FieldConfig
from planpilot_providers_core.errors import ProviderError

log = logging.getLogger("planpilot.providers.github")

DEFAULT_FIELDS: Final = {"status": "Status", "priority": "Priority", "iteration": "Iteration"}
"""``FieldConfig`` setting -> the board field it fills on create (names matched case-insensitively)."""


def find_field(fields: Mapping[str, ProjectField], name: str) -> ProjectField | None:
    wanted = name.casefold()
    return next((f for n, f in fields.items() if n.casefold() == wanted), None)


def default_field_names(fields: Mapping[str, ProjectField]) -> dict[str, str]:
    """Setting -> the board's own spelling of its field (the usual name when the board lacks it),
    for reads by name: ``fieldValueByName`` does not fold case."""
    return {setting: (f.name if (f := find_field(fields, name)) else name) for setting, name in DEFAULT_FIELDS.items()}


def _option_value(field: ProjectField, wanted: str, setting: str) -> FieldValue:
    option = field.option_id(wanted)
    if option is None:
        choices = ", ".join(field.options) or "none"
        raise ProviderError(
            f"project field {field.name!r} has no option {wanted!r} (options: {choices}); "
            f"set field_config.{setting} to one of them, or to None to leave it unset"
        )
    return FieldValue(field_id=field.id, field_name=field.name, value={"singleSelectOptionId": option}, display=wanted)


def creation_defaults(
    config: FieldConfig, fields: Mapping[str, ProjectField], today: dt.date
) -> tuple[FieldValue, ...]:
    """Status, priority and iteration values for new items; a misconfigured value is an error now,
    before anything is written. A board without the field simply gets no value."""
    values: list[FieldValue] = []
    for setting in ("status", "priority"):
        wanted = getattr(config, setting)
        field = find_field(fields, DEFAULT_FIELDS[setting])
        if wanted is None or field is None:
            continue
        if field.data_type != "SINGLE_SELECT":
            raise ProviderError(f"project field {field.name!r} is {field.data_type}, expected a single-select field")
        values.append(_option_value(field, wanted, setting))
    iteration_field = find_field(fields, DEFAULT_FIELDS["iteration"])
    if config.iteration is not None and iteration_field is not None:
        if config.iteration.casefold() == "active":
            current = next((i for i in iteration_field.iterations if i.contains(today)), None)
            if current is None:
                log.warning("project has no iteration covering %s; new items get no iteration", today)
        else:
            current = next(
                (i for i in iteration_field.iterations if i.title.casefold() == config.iteration.casefold()), None
            )
            if current is None:
                titles = ", ".join(i.title for i in iteration_field.iterations) or "none"
                raise ProviderError(
                    f"iteration {config.iteration!r} not found on the board (iterations: {titles}); "
                    "set field_config.iteration to one of them, 'active', or None"
                )
        if current is not None:
            values.append(
                FieldValue(
                    field_id=iteration_field.id,
                    field_name=iteration_field.name,
                    value={"iterationId": current.id},
                    display=current.title,
                )
            )
    return tuple(values)


def size_field(config: FieldConfig, fields: Mapping[str, ProjectField]) -> ProjectField | None:
    field = find_field(fields, config.size_field)
    if field is not None and field.data_type not in ("SINGLE_SELECT", "NUMBER", "TEXT"):
        raise ProviderError(
            f"size field {field.name!r} is {field.data_type}; use a single-select, number or text field"
        )
    return field


def size_value(config: FieldConfig, field: ProjectField | None, size: str) -> FieldValue:
    """The field value for a plan size; an unknown size is a clear error before anything is written."""
    if field is None:
        raise ProviderError(
            f"the plan sets size {size!r} but the project has no field named {config.size_field!r}; "
            "add the field or set field_config.size_field"
        )
    if field.data_type == "SINGLE_SELECT":
        if field.option_id(size) is None:
            choices = ", ".join(field.options) or "none"
            raise ProviderError(
                f"the board's size field {field.name!r} has no option {size!r} (options: {choices}); "
                "use one of them, or add the option to the board"
            )
        return _option_value(field, size, "size_field")
    if field.data_type == "NUMBER":
        if config.size_from_tshirt:
            points = TSHIRT_POINTS.get(size.upper())
            if points is None:
                raise ProviderError(f"size {size!r} is not a t-shirt size ({', '.join(TSHIRT_POINTS)})")
            return FieldValue(field_id=field.id, field_name=field.name, value={"number": float(points)}, display=size)
        number = _finite(size)
        if number is None:
            raise ProviderError(f"size {size!r} is not a finite number, but {field.name!r} is a number field")
        return FieldValue(field_id=field.id, field_name=field.name, value={"number": number}, display=size)
    return FieldValue(field_id=field.id, field_name=field.name, value={"text": size}, display=size)


def _finite(text: str) -> float | None:
    """``text`` as a finite number, or None: GitHub's JSON has no NaN or infinity (nor 1e400, which is one)."""
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


#: Field types a plan item's ``fields`` can set, and how a value is written to each.
_SETTABLE: Final = ("SINGLE_SELECT", "ITERATION", "NUMBER", "TEXT")


def plan_field_value(fields: Mapping[str, ProjectField], name: str, value: str) -> FieldValue:
    """The board value for a plan item's ``fields`` entry; ``ProviderError`` naming the choices otherwise."""
    field = find_field(fields, name)
    settable = sorted(f.name for f in fields.values() if f.data_type in _SETTABLE)
    if field is None:
        raise ProviderError(f"the board has no field {name!r}; fields a plan can set: {', '.join(settable) or 'none'}")
    if field.data_type == "SINGLE_SELECT":
        option = field.option_id(value)
        if option is None:
            raise ProviderError(f"field {field.name!r} has no option {value!r}; choices: {', '.join(field.options)}")
        return FieldValue(
            field_id=field.id, field_name=field.name, value={"singleSelectOptionId": option}, display=value
        )
    if field.data_type == "ITERATION":
        iteration = next((i for i in field.iterations if i.title.casefold() == value.casefold()), None)
        if iteration is None:
            titles = ", ".join(i.title for i in field.iterations) or "none"
            raise ProviderError(f"field {field.name!r} has no iteration {value!r}; choices: {titles}")
        return FieldValue(field_id=field.id, field_name=field.name, value={"iterationId": iteration.id}, display=value)
    if field.data_type == "NUMBER":
        number = _finite(value)
        if number is None:
            raise ProviderError(f"field {field.name!r} holds finite numbers; {value!r} is not one")
        return FieldValue(field_id=field.id, field_name=field.name, value={"number": number}, display=value)
    if field.data_type == "TEXT":
        return FieldValue(field_id=field.id, field_name=field.name, value={"text": value}, display=value)
    raise ProviderError(
        f"field {field.name!r} is a {field.data_type} field, which a plan cannot set; "
        f"fields a plan can set: {', '.join(settable) or 'none'}"
    )


def _number_text(number: float) -> str:
    """A number as a plan writes it, exactly: ``8`` for 8.0, ``100000.5`` (``:g`` would round it to 100000)."""
    return str(int(number)) if number.is_integer() and abs(number) < 1e16 else repr(number)


def display_value(field: ProjectField, value: Mapping[str, object]) -> str:
    """A value as read (``ProjectV2FieldValue`` shape), as a plan writes it: an option or iteration by name."""
    if "singleSelectOptionId" in value:
        option = value["singleSelectOptionId"]
        return next((name for name, oid in field.options.items() if oid == option), str(option))
    if "iterationId" in value:
        return next((i.title for i in field.iterations if i.id == value["iterationId"]), str(value["iterationId"]))
    number = value.get("number")
    if isinstance(number, int | float) and not isinstance(number, bool):
        return _number_text(float(number))
    return str(value.get("text", ""))
