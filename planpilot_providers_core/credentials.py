"""Credentials: found where the provider's registration says, checked, and handed to that provider only.

Core knows no tracker: a provider declares a :class:`~planpilot_providers_core.spec.CredentialSpec`
(environment variables, an external helper such as GitHub's ``gh auth token``, several named parts such
as Jira's account email and API token, alternatives such as an OAuth token), and :func:`resolve_credential`
looks there and nowhere else. So a Linear plugin is never handed the user's GitHub token, and a provider
that declares none gets none.

What is found is a :class:`Credential`: its parts, how it is sent (``bearer``, ``basic``, ``header``) and
every form derived from it (the ``Basic`` base64, URL-encoded forms, ``Bearer x``), so that whatever shows
text to a user masks each of them as a whole value (:func:`redact`) and the conformance suite can look for
all of them. A value is never logged, printed or put in a message: errors name where it came from.

This module is on the start-up path of the command line (its output masks with :func:`redact`): stdlib only.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

from planpilot_providers_core.errors import AuthenticationError, InvalidCredentialError, PluginError
from planpilot_providers_core.masking import MASK, redact, strip_userinfo
from planpilot_providers_core.spec import MIN_SECRET_LENGTH, SENT_AS, SentAs

if TYPE_CHECKING:  # annotations only: the CLI's output imports this module for ``redact`` at start-up
    import subprocess

    from planpilot_providers_core.spec import CredentialPart, CredentialRequest, CredentialSpec, ProviderSpec

__all__ = [
    "HELPER_MAX_OUTPUT",
    "HELPER_TIMEOUT",
    "MASK",
    "MIN_SECRET_LENGTH",
    "Credential",
    "CredentialHelperError",
    "SentAs",
    "check_header_value",
    "redact",
    "resolve_credential",
    "run_credential_command",
    "strip_userinfo",
]

MAX_CREDENTIAL_LENGTH: Final = 8192
"""Longer is not a credential but something else printed by mistake (a helper's log, a file)."""
HELPER_TIMEOUT: Final = 10.0
"""Seconds a credential helper command may run."""
HELPER_MAX_OUTPUT: Final = 64 * 1024
"""Bytes a credential helper command may print."""


class CredentialHelperError(AuthenticationError):
    """A credential helper command failed, ran too long or printed too much; the message says which."""


def check_header_value(value: str, *, what: str, sent_as: str = "header") -> None:
    """Refuse a value that cannot be sent as ``sent_as``, without ever echoing it.

    A line break or another control character is refused whatever the form (it is a copy-paste accident,
    and would forge a header). A non-ASCII character is refused only where the value goes into a header as
    it is (``bearer``, ``header``); HTTP Basic base64-encodes its parts, so it carries one.
    Raises :class:`InvalidCredentialError` naming ``what`` (e.g. "the API token in JIRA_API_TOKEN").
    """
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        reason = "a line break or another control character"
        why = "which no credential has"
    elif sent_as != "basic" and any(ord(c) > 126 for c in value):
        reason = "a non-ASCII character"
        why = "so it cannot be sent in an HTTP header"
    else:
        return
    raise InvalidCredentialError(
        f"{what} contains {reason}, {why}; set it again as copied from the service, without extra characters "
        "(the value is not shown)"
    )


def _basic(parts: Sequence[str]) -> str:
    import base64  # not on the start-up path of ``list``

    return base64.b64encode(":".join(parts).encode()).decode("ascii")


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class Credential:
    """A credential as found: its named parts (one, ``"token"``, for a single value), how it is sent, and
    which declared option it is (``name``: ``"Jira API token"`` or its alternative ``"Jira OAuth token"``).

    Its ``repr`` names the parts, never their values.
    """

    name: str
    parts: Mapping[str, str]
    sent_as: str = "bearer"

    def __post_init__(self) -> None:
        if self.sent_as not in SENT_AS:
            raise ValueError(f"Credential sent_as must be one of {', '.join(SENT_AS)}, got {self.sent_as!r}")
        if self.sent_as == "basic" and len(self.parts) != 2:
            raise ValueError("a credential sent as HTTP Basic has two parts: the user (or email) and the secret")
        object.__setattr__(self, "parts", dict(self.parts))
        for key, value in self.parts.items():
            if not isinstance(value, str):
                raise TypeError(f"credential part {key!r} must be a string")
            check_header_value(value, what=f"the {key} of the {self.name}", sent_as=self.sent_as)

    @classmethod
    def token(cls, value: str, *, name: str = "credential", sent_as: str = "bearer") -> Credential:
        """A single-value credential (a token, an API key); empty when ``value`` is ``""``."""
        return cls(name=name, parts={"token": value} if value else {}, sent_as=sent_as)

    def __repr__(self) -> str:
        return f"Credential(name={self.name!r}, parts={list(self.parts)}, sent_as={self.sent_as!r})"

    def __bool__(self) -> bool:
        return bool(self.parts)

    def __getitem__(self, key: str) -> str:
        return self.parts[key]

    @property
    def value(self) -> str:
        """The value of a single-value credential ("" when there is none)."""
        if len(self.parts) > 1:
            raise ValueError(f"the {self.name} has several parts ({', '.join(self.parts)}); read them by name")
        return next(iter(self.parts.values()), "")

    def authorization(self) -> str:
        """The ``Authorization`` header value (``bearer``/``basic``), or the value itself (``header``)."""
        if self.sent_as == "basic":
            return f"Basic {_basic(list(self.parts.values()))}"
        if self.sent_as == "bearer":
            return f"Bearer {self.value}"
        return self.value

    def secret_forms(self) -> tuple[str, ...]:
        """Every form of the credential that must never be shown: each part, the parts joined as Basic
        auth joins them, their base64 (what a ``Basic`` header carries), URL-encoded forms, and the header
        value; longest first, so masking a longer form is not pre-empted by one inside it."""
        from urllib.parse import quote, quote_plus

        values = [value for value in self.parts.values() if value]
        if not values:
            return ()
        forms = set(values)
        joined = [":".join(values)] if len(values) > 1 else []
        for text in (*values, *joined):
            forms.update({text, quote(text, safe=""), quote_plus(text), _basic([text])})
        forms.add(self.authorization())
        return tuple(sorted(forms, key=lambda form: (-len(form), form)))


def _value_problem(value: str, what: str, minimum: int) -> None:
    if len(value) > MAX_CREDENTIAL_LENGTH:
        raise InvalidCredentialError(
            f"{what} is {len(value)} characters long, more than any credential ({MAX_CREDENTIAL_LENGTH}); "
            "set it again to the credential alone (the value is not shown)"
        )
    if len(value) < minimum:
        raise InvalidCredentialError(
            f"{what} is shorter than {minimum} characters, too short to be kept out of messages safely; "
            "set it again to the whole credential as issued by the service (the value is not shown)"
        )


def resolve_credential(
    spec: ProviderSpec, request: CredentialRequest, *, environ: Mapping[str, str] | None = None
) -> Credential:
    """The credential ``spec`` declares: the first of its options (the credential, then its alternatives)
    whose parts are all found, each part from its environment variables, then its helper.

    An empty :class:`Credential` when the provider declares none. Raises ``AuthenticationError`` saying
    where it looked (naming the missing part when some parts were found), ``InvalidCredentialError`` for a
    value that cannot be sent or is too short or too long to be a credential, ``CredentialHelperError``
    when a helper failed (naming the bound it hit), and ``PluginError`` when a helper cannot be imported.
    """
    declared = spec.credential
    if declared is None:
        return Credential.token("", name="none")
    env = os.environ if environ is None else environ
    partial: tuple[CredentialSpec, list[str]] | None = None
    for option in declared.options():
        found: dict[str, str] = {}
        missing: list[str] = []
        for part in option.part_specs():
            value = _find(spec.name, option, part, request, env)
            if value is None:
                missing.append(part.name)
            else:
                found[part.key] = value
        if not missing:
            return Credential(name=option.name, parts=found, sent_as=option.sent_as)
        if found and partial is None:
            partial = (option, missing)
    if partial is not None:
        option, missing = partial
        places = "; ".join(f"the {p.name} in {p.sources()}" for p in option.part_specs() if p.name in missing)
        raise AuthenticationError(
            f"the {option.name} for provider {spec.name!r} is incomplete: no {' and no '.join(missing)} found; "
            f"set {places}"
        )
    raise AuthenticationError(f"no {declared.name} found for provider {spec.name!r}: {_how_to_set(declared)}")


def _how_to_set(declared: CredentialSpec) -> str:
    """Where it was looked for, and what to set: each option, each part."""
    if not declared.parts and not declared.alternatives:
        text = f"looked in {declared.sources()}; set {' or '.join(declared.env) or 'it'}"
        return text + (f", or make `{declared.helper_command}` print one" if declared.helper_command else "")
    return f"set {declared.sources()}"


def _find(
    provider: str, option: CredentialSpec, part: CredentialPart, request: CredentialRequest, env: Mapping[str, str]
) -> str | None:
    what = f"the {part.name}" if part.name == option.name else f"the {part.name} of the {option.name}"
    for var in part.env:
        value = env.get(var, "").strip()
        if value:
            _check(value, f"{what} in {var}", option.sent_as, part.min_length)
            return value
    if part.helper is None:
        return None
    import pkgutil

    try:
        helper = pkgutil.resolve_name(part.helper)
    except Exception as exc:
        raise PluginError(
            f"provider {provider!r}: its credential helper {part.helper} could not be imported: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    answer = helper(request)
    value = answer.strip() if isinstance(answer, str) else ""
    if not value:
        return None
    _check(value, f"{what} from `{part.helper_command}`", option.sent_as, part.min_length)
    return value


def _check(value: str, what: str, sent_as: str, minimum: int) -> None:
    _value_problem(value, what, minimum)
    check_header_value(value, what=what, sent_as=sent_as)


def run_credential_command(
    argv: Sequence[str], *, timeout: float = HELPER_TIMEOUT, max_output: int = HELPER_MAX_OUTPUT
) -> str | None:
    """Run a credential helper command (``gh auth token``) and return what it printed, stripped.

    ``None`` when the command is not installed or exits non-zero (nothing to offer: look elsewhere). Bounded
    in time and output: a command that runs past ``timeout`` seconds or prints more than ``max_output`` bytes
    is stopped and raises :class:`CredentialHelperError` naming the command and the bound it hit.
    """
    import subprocess

    shown = " ".join(argv)
    try:
        process = subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
    except OSError:
        return None
    assert process.stdout is not None
    try:
        output = _read_bounded(process, timeout, max_output)
    except subprocess.TimeoutExpired:
        raise CredentialHelperError(
            f"the credential helper `{shown}` did not finish within {timeout:g}s and was stopped; "
            "run it yourself to see why (it may be waiting for a login), or set the variable instead"
        ) from None
    if output is None:
        raise CredentialHelperError(
            f"the credential helper `{shown}` printed more than {max_output} bytes and was stopped; "
            "a credential is a single short line: check what it prints"
        )
    if process.returncode != 0:
        return None
    text = output.decode("utf-8", errors="replace").strip()
    return text or None


def _read_bounded(process: subprocess.Popen[bytes], timeout: float, max_output: int) -> bytes | None:
    """The process's stdout once it exits; ``None`` past ``max_output`` bytes (the process is killed)."""
    import selectors
    import subprocess
    import time

    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    size = 0
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise subprocess.TimeoutExpired(process.args, timeout)
                if not selector.select(left):
                    continue
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_output:
                    return None
                chunks.append(chunk)
            process.wait(max(0.0, deadline - time.monotonic()))
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
    return b"".join(chunks)
