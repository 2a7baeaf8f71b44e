"""Credential hygiene: what the suite provokes (errors, log records, reprs, results) never shows the credential,
one of its parts, or a form derived from it (the ``Basic`` base64, a URL-encoded form, ``Bearer x``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from planpilot_providers_core.provider import Provider
from planpilot_providers_core.testing.conformance.checks import _fail


def _forms(provider: Provider[Any]) -> tuple[str, ...]:
    """Every form of the provider's credential that must never be shown."""
    forms = set(provider.config.credential.secret_forms())
    if provider.config.token:
        forms.add(provider.config.token)
    return tuple(sorted(forms, key=len, reverse=True))


def _chain(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _exception_texts(exc: BaseException) -> Iterable[tuple[str, str]]:
    for link in _chain(exc):
        name = type(link).__name__
        yield f"str() of the {name} raised", str(link)
        yield f"repr() of the {name} raised", repr(link)
        for index, arg in enumerate(link.args):
            yield f"{name}.args[{index}]", repr(arg)


def _expect_no_secret(
    provider: Provider[Any], texts: Iterable[tuple[str, str]], *, call: str, forms: Sequence[str] | None = None
) -> None:
    """Fail naming where a credential form showed up (never the form itself)."""
    __tracebackhide__ = True
    forms = _forms(provider) if forms is None else forms
    if not forms:
        return
    for where, text in texts:
        for form in forms:
            if form in text:
                kind = _kind(provider, form)
                _fail(
                    "the credential must never appear in an error message, repr, log record or result: not the "
                    "value, not one of its parts, not a derived form (Basic base64, URL-encoded, Bearer); name "
                    "the operation and what came back instead, and keep headers out of messages",
                    call=call,
                    expected="no credential form anywhere",
                    got=f"{kind} in {where}",
                )


def _kind(provider: Provider[Any], form: str) -> str:
    credential = provider.config.credential
    for key, value in credential.parts.items():
        if form == value:
            return f"the credential's {key!r} part"
    if form == credential.authorization():
        return "the Authorization header value"
    if form.startswith(("Basic ", "Bearer ")):
        return f"a {form.split()[0]} header value"
    return "a form derived from the credential (its base64 or URL-encoded form, or the parts joined)"


def _log_texts(records: Iterable[logging.LogRecord]) -> Iterable[tuple[str, str]]:
    for record in records:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: show both
            message = f"{record.msg!r} % {record.args!r}"
        yield f"the log record of {record.name!r} ({record.levelname})", message
        if record.exc_info and record.exc_info[1] is not None:
            yield from _exception_texts(record.exc_info[1])


def _repr_texts(provider: Provider[Any], results: Iterable[object]) -> Iterable[tuple[str, str]]:
    yield "repr(provider)", repr(provider)
    yield "repr(provider.config)", repr(provider.config)
    yield "repr(provider.context)", repr(provider.context)
    for result in results:
        yield f"repr() of a {type(result).__name__} the provider returned", repr(result)
