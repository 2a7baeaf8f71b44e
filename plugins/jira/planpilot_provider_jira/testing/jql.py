"""The JQL a provider needs, parsed and evaluated against the search index; everything else is refused with
Jira's 400 answer (``{"errorMessages": [...], "errors": {}}``).

Supported: ``AND``/``OR``/``NOT`` and parentheses; ``project``, ``key``/``issuekey``/``id``, ``issuetype``/``type``,
``status``, ``priority``, ``labels``, ``parent``, ``sprint`` with ``=``, ``!=``, ``IN``, ``NOT IN`` (``labels``,
``parent`` and ``sprint`` also ``IS [NOT] EMPTY``); ``text``, ``summary`` and ``description`` with ``~``/``!~``
(:mod:`.text`); ``created``/``updated`` (and ``createdDate``/``updatedDate``) with ``=``, ``!=``, ``<``, ``<=``,
``>``, ``>=`` against dates (``"2025-06-02"``, ``"2025/06/02 12:00"``), relative times (``-30m``, ``"-1d"``,
``2w``) or ``now()``; ``ORDER BY`` ``created``, ``updated``, ``key`` or ``id``, ``ASC``/``DESC``.

A query without a restriction (empty, or only ``ORDER BY``) is refused on the enhanced search, as Jira does.
Values that name nothing (a project, type or status that does not exist, an issue key that does not) are
refused with Jira's wording; labels are free text, so an unknown label simply matches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from attrs import frozen

from .errors import JiraError
from .model import IndexEntry
from .text import TextQuery, parse_text_query

__all__ = [
    "UNBOUNDED_MESSAGE",
    "Clause",
    "Expression",
    "JqlQuery",
    "Lookup",
    "parse_jql",
]

UNBOUNDED_MESSAGE = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
_RESERVED = frozenset(
    """
    a an abort access add after alias alter and any are as asc audit avg be before begin between boolean break
    by byte catch cf char character check checkpoint collate collation column commit connect continue count
    create current date decimal declare decrement default defaults define delete delimiter desc difference
    distinct divide do double drop else empty encoding end equals escape exclusive exec execute exists explain
    false fetch file field first float for from function go goto grant greater group having identified if
    immediate in increment index initial inner inout input insert int integer intersect intersection into is
    isempty isnull join last left less like limit lock long max min minus mode modify modulo more multiply
    next noaudit not notin nowait null number object of on option or order outer output power previous prior
    privileges public raise raw remainder rename resource return returns revoke right row rowid rownum rows
    select session set share size sqrt start strict string subtract such sum synonym table then to trans
    transaction trigger true uid union unique update user validate values view when whenever where while with
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
"""Jira's reserved JQL words: as an unquoted value they are refused (quote a project key such as ``DO``)."""

_LIST_FIELDS = {"project", "key", "issuetype", "status", "priority", "labels", "parent", "sprint"}
_TEXT_FIELDS = {"text", "summary", "description"}
_DATE_FIELDS = {"created", "updated"}
_ALIASES = {
    "issuekey": "key",
    "id": "key",
    "type": "issuetype",
    "createddate": "created",
    "updateddate": "updated",
}
_KNOWN_UNSUPPORTED = {
    "assignee",
    "reporter",
    "creator",
    "resolution",
    "resolved",
    "resolutiondate",
    "component",
    "fixversion",
    "affectedversion",
    "duedate",
    "comment",
    "environment",
    "statuscategory",
    "watcher",
    "watchers",
    "rank",
    "filter",
    "category",
    "issuelinktype",
    "attachments",
    "lastviewed",
    "votes",
    "epic link",
    "parentepic",
}
_ORDER_FIELDS = {"created": "created", "updated": "updated", "key": "key", "issuekey": "key", "id": "key"}
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|!~|>=|<=|=|~|>|<)
      | (?P<punct>[(),])
      | (?P<word>[^\s"'(),=!~<>]+)
    )""",
    re.VERBOSE,
)
_RELATIVE = re.compile(r"^([+-]?)(\d+)([wdhm])$", re.IGNORECASE)
_ABSOLUTE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$")


class Lookup(Protocol):
    """What parsing needs to know about the site (to refuse values that name nothing)."""

    def project_key(self, value: str) -> str | None:
        """The key of the project ``value`` (a key, id or name) names."""
        ...

    def issue_type_name(self, value: str) -> str | None:
        """The name of the issue type ``value`` (a name or id) names."""
        ...

    def status_name(self, value: str) -> str | None: ...

    def priority_name(self, value: str) -> str | None: ...

    def issue_key(self, value: str) -> str | None:
        """The key of the issue ``value`` (a key or an id) names, None when there is none."""
        ...

    def now(self) -> datetime: ...


@frozen
class Value:
    text: str
    quoted: bool
    function: bool = False


@frozen
class Clause:
    field: str
    operator: str
    values: tuple[Value, ...]
    empty: bool = False  # IS EMPTY / IS NOT EMPTY / = EMPTY
    text_query: TextQuery | None = None
    instants: tuple[datetime, ...] = ()


@frozen
class Expression:
    kind: str  # "and" | "or" | "not" | "clause"
    children: tuple[Expression, ...] = ()
    clause: Clause | None = None


@frozen
class JqlQuery:
    where: Expression | None
    order: tuple[tuple[str, bool], ...]  # (field, descending)

    @property
    def bounded(self) -> bool:
        return self.where is not None

    def matches(self, entry: IndexEntry, issue_id: int) -> bool:
        return self.where is None or _evaluate(self.where, entry, issue_id)

    def sort_key(self) -> Callable[[tuple[IndexEntry, int]], Any]:
        """Sort key for ``(entry, issue id)`` pairs. Without ORDER BY: newest first (Jira documents no default
        order for the enhanced search; a provider must not depend on one)."""
        order = self.order or (("created", True), ("key", True))

        def key(pair: tuple[IndexEntry, int]) -> Any:
            entry, issue_id = pair
            parts: list[Any] = []
            for field, descending in order:
                if field == "key":
                    project, number = entry.key.rsplit("-", 1)
                    value: Any = (project, int(number))
                else:
                    value = getattr(entry, field).timestamp()
                parts.append(_Reversed(value) if descending else value)
            parts.append(issue_id)
            return tuple(parts)

        return key


class _Reversed:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return bool(self.value > other.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and bool(self.value == other.value)

    def __hash__(self) -> int:
        return hash(self.value)


# ----------------------------------------------------------------------------------------- parsing
def _error(message: str) -> JiraError:
    return JiraError(400, [message])


class _Parser:
    def __init__(self, text: str, lookup: Lookup) -> None:
        self.text = text
        self.lookup = lookup
        self.tokens: list[tuple[str, str, int]] = []
        position = 0
        stripped = text.rstrip()
        while position < len(stripped):
            match = _TOKEN.match(stripped, position)
            if match is None or match.end() == position:
                column = position + 1
                raise _error(
                    f"Error in the JQL Query: The character '{stripped[position]}' is a reserved JQL character. "
                    f"You must enclose it in a string or use the escape '\\u{ord(stripped[position]):04x}' "
                    f"instead. (line 1, character {column})"
                )
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind), match.start(kind) + 1))
            position = match.end()
        self.index = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def keyword(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "word" and token[1].upper() in words

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise _error(
                "Error in the JQL Query: Expecting more of the query at the end "
                f"(line 1, character {len(self.text) + 1})"
            )
        self.index += 1
        return token

    def expect_punct(self, char: str) -> None:
        kind, text, column = self.take()
        if kind != "punct" or text != char:
            raise _error(f"Error in the JQL Query: Expecting '{char}' but got '{text}'. (line 1, character {column})")

    # query := [or] [ORDER BY items]
    def query(self) -> JqlQuery:
        where = None
        if self.peek() is not None and not self.keyword("ORDER"):
            where = self.or_expression()
        order: list[tuple[str, bool]] = []
        if self.keyword("ORDER"):
            self.take()
            if not self.keyword("BY"):
                _, text, column = self.take()
                raise _error(f"Error in the JQL Query: Expecting 'by' but got '{text}'. (line 1, character {column})")
            self.take()
            while True:
                kind, text, column = self.take()
                field = _unquote(text) if kind == "string" else text
                name = _ORDER_FIELDS.get(field.lower())
                if name is None:
                    raise self._unknown_field(field, ordering=True)
                descending = False
                if self.keyword("ASC", "DESC"):
                    descending = self.take()[1].upper() == "DESC"
                order.append((name, descending))
                token = self.peek()
                if token is None or token[:2] != ("punct", ","):
                    break
                self.take()
            if len(order) > 7:
                raise _error("The ORDER BY clause can have at most 7 fields.")
        token = self.peek()
        if token is not None:
            raise _error(
                f"Error in the JQL Query: Expecting either 'OR' or 'AND' but got '{token[1]}'. "
                f"(line 1, character {token[2]})"
            )
        return JqlQuery(where, tuple(order))

    def or_expression(self) -> Expression:
        parts = [self.and_expression()]
        while self.keyword("OR"):
            self.take()
            parts.append(self.and_expression())
        return parts[0] if len(parts) == 1 else Expression("or", tuple(parts))

    def and_expression(self) -> Expression:
        parts = [self.unary()]
        while self.keyword("AND"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else Expression("and", tuple(parts))

    def unary(self) -> Expression:
        if self.keyword("NOT"):
            self.take()
            return Expression("not", (self.unary(),))
        token = self.peek()
        if token is not None and token[:2] == ("punct", "("):
            self.take()
            inner = self.or_expression()
            self.expect_punct(")")
            return inner
        return Expression("clause", clause=self.clause())

    def _unknown_field(self, field: str, *, ordering: bool = False) -> JiraError:
        lowered = field.lower()
        if lowered in _KNOWN_UNSUPPORTED or lowered.startswith(("cf[", "customfield_")):
            what = "ORDER BY" if ordering else "JQL"
            return _error(f"The Jira emulator does not support the field '{field}' in {what}.")
        if ordering and (lowered in _LIST_FIELDS or lowered in _TEXT_FIELDS or lowered in _ALIASES):
            return _error(f"The Jira emulator does not support ORDER BY '{field}'.")
        return _error(f"Field '{field}' does not exist or you do not have permission to view it.")

    def clause(self) -> Clause:
        kind, text, column = self.take()
        if kind not in {"word", "string"}:
            raise _error(
                f"Error in the JQL Query: Expecting a field name but got '{text}'. (line 1, character {column})"
            )
        raw_field = _unquote(text) if kind == "string" else text
        field = _ALIASES.get(raw_field.lower(), raw_field.lower())
        if field not in _LIST_FIELDS | _TEXT_FIELDS | _DATE_FIELDS:
            raise self._unknown_field(raw_field)
        operator = self.operator()
        if operator in {"IS", "IS NOT"}:
            _value_kind, value_text, value_column = self.take()
            if value_text.upper() not in {"EMPTY", "NULL"}:
                raise _error(
                    f"Error in the JQL Query: Expecting 'EMPTY' or 'NULL' but got '{value_text}'. "
                    f"(line 1, character {value_column})"
                )
            if field not in {"labels", "parent", "sprint"}:
                raise _error(f"The operator '{operator.lower()}' is not supported by the '{raw_field}' field.")
            return Clause(field, operator, (), empty=True)
        values = self.values(operator)
        return self._check(raw_field, field, operator, values)

    def operator(self) -> str:
        kind, text, column = self.take()
        if kind == "op":
            return text
        upper = text.upper() if kind == "word" else ""
        if upper == "IN":
            return "IN"
        if upper == "NOT" and self.keyword("IN"):
            self.take()
            return "NOT IN"
        if upper == "IS":
            if self.keyword("NOT"):
                self.take()
                return "IS NOT"
            return "IS"
        raise _error(
            f"Error in the JQL Query: Expecting operator but got '{text}'. The valid operators are '=', '!=', '<', "
            f"'>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. (line 1, character {column})"
        )

    def values(self, operator: str) -> tuple[Value, ...]:
        if operator in {"IN", "NOT IN"}:
            self.expect_punct("(")
            values = [self.value()]
            while True:
                token = self.take()
                if token[:2] == ("punct", ")"):
                    break
                if token[:2] != ("punct", ","):
                    raise _error(
                        f"Error in the JQL Query: Expecting ',' or ')' but got '{token[1]}'. "
                        f"(line 1, character {token[2]})"
                    )
                values.append(self.value())
            return tuple(values)
        return (self.value(),)

    def value(self) -> Value:
        kind, text, column = self.take()
        if kind == "string":
            return Value(_unquote(text), True)
        if kind != "word":
            raise _error(
                f"Error in the JQL Query: Expecting either a value, list or function but got '{text}'. "
                f"(line 1, character {column})"
            )
        token = self.peek()
        if token is not None and token[:2] == ("punct", "("):
            self.take()
            self.expect_punct(")")
            return Value(text, False, function=True)
        if text.lower() in _RESERVED and text.upper() not in {"EMPTY", "NULL"}:
            raise _error(
                f"Error in the JQL Query: '{text}' is a reserved JQL word. You must surround it in "
                f"quotation marks to use it in a query. (line 1, character {column})"
            )
        return Value(text, False)

    def _check(self, raw: str, field: str, operator: str, values: tuple[Value, ...]) -> Clause:
        def unsupported() -> JiraError:
            return _error(f"The operator '{operator}' is not supported by the '{raw}' field.")

        if field in _TEXT_FIELDS:
            if operator not in {"~", "!~"}:
                raise unsupported()
            value = values[0]
            if value.function:
                raise _error(f"The Jira emulator does not support functions in '{raw} {operator}'.")
            query = parse_text_query(value.text, raw)
            return Clause(field, operator, values, text_query=query)
        if field in _DATE_FIELDS:
            if operator not in {"=", "!=", "<", "<=", ">", ">="}:
                raise unsupported()
            return Clause(field, operator, values, instants=(self.instant(raw, values[0]),))
        if operator not in {"=", "!=", "IN", "NOT IN"}:
            raise unsupported()
        if any(v.function for v in values):
            raise _error(f"The Jira emulator does not support functions in '{raw}' clauses.")
        if len(values) == 1 and not values[0].quoted and values[0].text.upper() in {"EMPTY", "NULL"}:
            if field not in {"labels", "parent", "sprint"}:
                raise unsupported()
            return Clause(field, "IS" if operator in {"=", "IN"} else "IS NOT", (), empty=True)
        resolvers: dict[str, Callable[[str], str | None]] = {
            "project": self.lookup.project_key,
            "issuetype": self.lookup.issue_type_name,
            "status": self.lookup.status_name,
            "priority": self.lookup.priority_name,
        }
        resolved: list[Value] = []
        for value in values:
            if field in resolvers:
                canonical = resolvers[field](value.text)
                if canonical is None:
                    raise _error(f"The value '{value.text}' does not exist for the field '{raw}'.")
                value = Value(canonical, value.quoted)
            if field in {"key", "parent"}:
                key = self.lookup.issue_key(value.text)
                if key is None:
                    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*-\d+|\d+", value.text):
                        raise _error(f"An issue with key '{value.text}' does not exist for field '{raw}'.")
                    raise _error(f"The issue key '{value.text}' for field '{raw}' is invalid.")
                value = Value(key, value.quoted)
            resolved.append(value)
        return Clause(field, operator, tuple(resolved))

    def instant(self, raw: str, value: Value) -> datetime:
        now = self.lookup.now()
        if value.function:
            if value.text.lower() == "now":
                return now
            raise _error(f"The Jira emulator does not support the function '{value.text}()' in '{raw}' clauses.")
        text = value.text.strip()
        relative = _RELATIVE.match(text)
        if relative:
            sign = -1 if relative.group(1) == "-" else 1
            amount = int(relative.group(2))
            unit = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}[relative.group(3).lower()]
            return now + sign * timedelta(**{unit: amount})
        absolute = _ABSOLUTE.match(text)
        if absolute:
            year, month, day, hour, minute = absolute.groups()
            try:
                return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), tzinfo=now.tzinfo)
            except ValueError:
                pass
        raise _error(
            f"Date value '{value.text}' for field '{raw}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
            "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
        )


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def parse_jql(text: str, lookup: Lookup) -> JqlQuery:
    """Parse ``text``; :class:`~.errors.JiraError` (400) with Jira's wording when it is not valid or not supported."""
    return _Parser(text, lookup).query()


# ----------------------------------------------------------------------------------------- evaluation
def _evaluate(expression: Expression, entry: IndexEntry, issue_id: int) -> bool:
    if expression.kind == "and":
        return all(_evaluate(child, entry, issue_id) for child in expression.children)
    if expression.kind == "or":
        return any(_evaluate(child, entry, issue_id) for child in expression.children)
    if expression.kind == "not":
        return not _evaluate(expression.children[0], entry, issue_id)
    assert expression.clause is not None
    return _clause(expression.clause, entry, issue_id)


def _field_values(field: str, entry: IndexEntry, issue_id: int) -> Sequence[str]:
    if field == "project":
        return (entry.project,)
    if field == "key":
        return (entry.key, str(issue_id))
    if field == "issuetype":
        return (entry.issue_type,)
    if field == "status":
        return (entry.status,)
    if field == "priority":
        return (entry.priority,)
    if field == "labels":
        return tuple(entry.labels)
    if field == "parent":
        return (entry.parent,) if entry.parent else ()
    if field == "sprint":
        return (str(entry.sprint),) if entry.sprint is not None else ()
    raise AssertionError(field)  # pragma: no cover


def _clause(clause: Clause, entry: IndexEntry, issue_id: int) -> bool:
    field = clause.field
    if clause.text_query is not None:
        texts = {"text": (entry.summary, entry.description), "summary": (entry.summary,)}.get(
            field, (entry.description,)
        )
        found = clause.text_query.matches(texts) if not clause.text_query.empty else False
        return found if clause.operator == "~" else not found
    if clause.instants:
        when: datetime = getattr(entry, field)
        bound = clause.instants[0]
        return {
            "=": when == bound,
            "!=": when != bound,
            "<": when < bound,
            "<=": when <= bound,
            ">": when > bound,
            ">=": when >= bound,
        }[clause.operator]
    present = _field_values(field, entry, issue_id)
    if clause.empty:
        return (not present) if clause.operator == "IS" else bool(present)
    # Matched case-insensitively, labels too: labels are stored as written, but the index folds case [inferred].
    have = {v.lower() for v in present}
    wanted = {v.text.lower() for v in clause.values}
    hit = bool(have & wanted)
    if clause.operator in {"=", "IN"}:
        return hit
    # != and NOT IN never match an issue without a value (Jira's EMPTY semantics)
    return bool(present) and not hit
