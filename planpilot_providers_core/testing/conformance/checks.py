"""Failure reports: each check names the rule, the provider call, what was expected and what came back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import NoReturn, TypeVar

import attrs

from planpilot_providers_core.capabilities import Capability
from planpilot_providers_core.context import ProviderContext
from planpilot_providers_core.contracts import (
    CreateItemInput,
    Item,
    ItemRelations,
    ItemSearchFilters,
    PlanItemType,
    UpdateItemInput,
)

_T = TypeVar("_T")
_E = TypeVar("_E", bound=BaseException)


def _message(rule: str, *, call: str, expected: object, got: object) -> str:
    return f"{rule}\n  call:     {call}\n  expected: {expected}\n  got:      {got}"


def _fail(rule: str, *, call: str, expected: object, got: object) -> NoReturn:
    """Fail the test, naming the broken rule, the provider call, what was expected and what came back."""
    __tracebackhide__ = True
    raise AssertionError(_message(rule, call=call, expected=expected, got=got))


def _expect(ok: object, rule: str, *, call: str, expected: object, got: object) -> None:
    """:func:`_fail` unless ``ok``."""
    __tracebackhide__ = True
    if not ok:
        _fail(rule, call=call, expected=expected, got=got)


def _kind(kind: type[BaseException] | tuple[type[BaseException], ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds) + " raised"


def _raised(exc: BaseException) -> str:
    return f"{type(exc).__name__} raised: {exc}"


async def _raises(kind: type[_E], awaitable: Awaitable[object], rule: str, *, call: str) -> _E:
    """Await ``awaitable`` and return the ``kind`` exception it raised; fail on anything else."""
    __tracebackhide__ = True
    try:
        result = await awaitable
    except kind as exc:
        return exc
    except AssertionError:
        raise  # the suite's own verdict (a hang, say), not the provider's answer
    except Exception as exc:
        raise AssertionError(_message(rule, call=call, expected=_kind(kind), got=_raised(exc))) from exc
    _fail(rule, call=call, expected=_kind(kind), got=f"it returned {_show(result)}")


def _raises_now(
    kind: type[BaseException] | tuple[type[BaseException], ...], action: Callable[[], object], rule: str, *, call: str
) -> None:
    """:func:`_raises` for a synchronous action (an attribute read or write)."""
    __tracebackhide__ = True
    try:
        result = action()
    except kind:
        return
    except Exception as exc:
        raise AssertionError(_message(rule, call=call, expected=_kind(kind), got=_raised(exc))) from exc
    _fail(rule, call=call, expected=_kind(kind), got=f"it returned {_show(result)}")


async def _call(awaitable: Awaitable[_T], rule: str, *, call: str, expected: object) -> _T:
    """Await a call that must succeed; an exception becomes a failure naming the call."""
    __tracebackhide__ = True
    try:
        return await awaitable
    except AssertionError:
        raise
    except Exception as exc:
        raise AssertionError(_message(rule, call=call, expected=expected, got=_raised(exc))) from exc


def _show(value: object, limit: int = 400) -> str:
    if isinstance(value, ProviderContext):
        return f"a context ({type(value).__name__} for provider {value.provider!r})"
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _item(item: Item) -> str:
    """An item as a failure message shows it: identity, type and labels."""
    return f"{item.key} {item.title!r} ({item.item_type.value}, labels {sorted(item.labels)})"


def _describe(items: Iterable[Item]) -> list[str]:
    return [f"{item.key} {item.title!r}" for item in items]


def _search_call(filters: ItemSearchFilters) -> str:
    return f"search_items(labels={list(filters.labels)}, body_contains={filters.body_contains!r})"


def _create_call(request: CreateItemInput) -> str:
    extra = "".join(
        f", {name}={value!r}" for name in ("size", "parent_id") if (value := getattr(request, name)) is not None
    )
    labels = list(request.labels)
    return f"create_item(title={request.title!r}, item_type={request.item_type.value}, labels={labels}{extra})"


def _update_call(item_id: str, change: UpdateItemInput) -> str:
    fields = ", ".join(
        f"{field.name}={value.value if isinstance(value, PlanItemType) else value!r}"
        for field in attrs.fields(UpdateItemInput)
        if (value := getattr(change, field.name)) is not None
    )
    return f"update_item({item_id!r}, {fields or 'every field None'})"


def _names(capabilities: Iterable[Capability]) -> list[str]:
    return sorted(capability.value for capability in capabilities)


def _relations(relations: ItemRelations) -> str:
    return f"parent {relations.parent_id}, blockers {list(relations.blocker_ids)}"


# -- items in comparable form ----------------------------------------------------------------------


def _labels(item: Item) -> frozenset[str]:
    """Labels as trackers compare them: without order or case."""
    return frozenset(label.casefold() for label in item.labels)


def _observable(item: Item) -> dict[str, object]:
    """Everything a caller can see of an item, in comparable form."""
    return {
        "id": item.id,
        "key": item.key,
        "url": item.url,
        "title": item.title,
        "body": item.body,
        "item_type": item.item_type.value,
        "labels": sorted(_labels(item)),
        "size": item.size,
    }


def _expect_fields(got: Mapping[str, object], expected: Mapping[str, object], rule: str, *, call: str) -> None:
    """:func:`_expect` for records: the message shows only the fields that differ."""
    __tracebackhide__ = True
    differ = [name for name in expected if got.get(name) != expected[name]]
    _expect(
        not differ,
        rule,
        call=call,
        expected={name: expected[name] for name in differ},
        got={name: got.get(name) for name in differ},
    )


def _ids(items: Iterable[Item]) -> list[str]:
    return [item.id for item in items]
