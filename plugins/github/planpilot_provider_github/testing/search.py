"""``search(type: ISSUE)``: the query language subset the provider uses, matched against the search index.

The index is each issue's history of :class:`~.model.IndexEntry`; with a lag, search reads the entry that was
current ``lag`` seconds ago, so fresh issues are missing and fresh labels are not yet seen. Text terms match as
case-insensitive substrings. Without ``sort:`` results come newest first (``created-desc``); GitHub's default
is best match, which an emulator cannot reproduce meaningfully. An unknown qualifier (``PLAN_ID:x`` unquoted)
matches nothing, as the real search effectively does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from attrs import Factory, define, frozen

from .errors import EMULATOR_UNSUPPORTED, UNPROCESSABLE, ApiError
from .model import IndexEntry, Issue, Repository

__all__ = [
    "MAX_OPERATORS",
    "MAX_QUERY_LENGTH",
    "RESULT_CAP",
    "Range",
    "SearchQuery",
    "parse_query",
    "search_issues",
]

RESULT_CAP = 1000
MAX_QUERY_LENGTH = 256
MAX_OPERATORS = 5

_TOKEN = re.compile(
    r"""(?P<neg>-)?(?P<key>[A-Za-z_][\w-]*):(?P<value>"[^"]*"?|[^\s"()]*)
      | "(?P<phrase>[^"]*)"?
      | (?P<paren>[()])
      | (?P<word>[^\s"()]+)""",
    re.VERBOSE,
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SORTS = {
    "created": ("created", True),
    "created-desc": ("created", True),
    "created-asc": ("created", False),
    "updated": ("updated", True),
    "updated-desc": ("updated", True),
    "updated-asc": ("updated", False),
}
_NOT_SEARCHABLE = (
    "The listed users and repositories cannot be searched either because the resources do not exist "
    "or you do not have permission to view them."
)


@frozen
class Range:
    """A ``created:``/``updated:`` bound; None ends are open."""

    lower: datetime | None = None
    lower_inclusive: bool = True
    upper: datetime | None = None
    upper_inclusive: bool = True

    def __contains__(self, when: object) -> bool:
        if not isinstance(when, datetime):
            return False
        if self.lower is not None and (when < self.lower or (when == self.lower and not self.lower_inclusive)):
            return False
        return not (self.upper is not None and (when > self.upper or (when == self.upper and not self.upper_inclusive)))


@define
class SearchQuery:
    repos: list[str] = Factory(list)  # lower-cased owner/name, any of
    owners: list[str] = Factory(list)  # lower-cased logins, any of
    state: str | None = None
    label_groups: list[frozenset[str]] = Factory(list)  # AND of ORs, lower-cased
    excluded_labels: set[str] = Factory(set)
    types: list[frozenset[str]] = Factory(list)
    excluded_types: set[str] = Factory(set)
    no_label: bool = False
    no_type: bool = False
    terms: list[str] = Factory(list)  # lower-cased, all must match
    in_title: bool = True
    in_body: bool = True
    created: list[Range] = Factory(list)
    updated: list[Range] = Factory(list)
    sort_field: str = "created"
    sort_descending: bool = True
    matches_nothing: bool = False


def _unquote(value: str) -> str:
    return value[1:].rstrip('"') if value.startswith('"') else value


def _parse_instant(text: str, *, upper: bool) -> tuple[datetime, bool]:
    """(instant, is_date): a date stands for its whole UTC day; ``upper`` picks the day's end."""
    if _DATE.match(text):
        start = datetime.fromisoformat(text).replace(tzinfo=UTC)
        return (start + timedelta(days=1) if upper else start), True
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(UNPROCESSABLE, f"Validation failed: '{text}' is not a date or ISO 8601 timestamp.") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC), False


def parse_range(value: str) -> Range:
    """``>=X``, ``>X``, ``<=X``, ``<X``, ``X..Y``, ``X..*``, ``*..Y`` or ``X``; X a date or timestamp."""
    for op in (">=", "<=", ">", "<"):
        if value.startswith(op):
            text = value[len(op) :]
            if op == ">=":
                when, _ = _parse_instant(text, upper=False)
                return Range(lower=when)
            if op == ">":
                when, is_date = _parse_instant(text, upper=True)
                return Range(lower=when, lower_inclusive=is_date)
            if op == "<=":
                when, is_date = _parse_instant(text, upper=True)
                return Range(upper=when, upper_inclusive=not is_date)
            when, _ = _parse_instant(text, upper=False)
            return Range(upper=when, upper_inclusive=False)
    if ".." in value:
        low_text, high_text = value.split("..", 1)
        lower = None if low_text in {"", "*"} else _parse_instant(low_text, upper=False)[0]
        if high_text in {"", "*"}:
            return Range(lower=lower)
        upper, is_date = _parse_instant(high_text, upper=True)
        return Range(lower=lower, upper=upper, upper_inclusive=not is_date)
    start, is_date = _parse_instant(value, upper=False)
    if is_date:
        return Range(lower=start, upper=start + timedelta(days=1), upper_inclusive=False)
    return Range(lower=start, upper=start)


def parse_query(text: str) -> SearchQuery:
    """Parse a search string; raises :class:`ApiError` where GitHub answers "Validation failed"."""
    query = SearchQuery()
    text_parts: list[str] = []
    operators = 0
    unsupported: list[str] = []
    in_scopes: set[str] = set()
    for match in _TOKEN.finditer(text):
        if match.group("key") is not None:
            negated = match.group("neg") is not None
            key = match.group("key").lower()
            value = _unquote(match.group("value"))
            _apply_qualifier(query, key, value, negated, in_scopes, unsupported)
        elif match.group("phrase") is not None:
            text_parts.append(match.group(0))
            if match.group("phrase").strip():
                query.terms.append(match.group("phrase").lower())
        elif match.group("paren") is not None:
            unsupported.append("parentheses")
        else:
            word = match.group("word")
            if word in {"AND", "OR", "NOT"}:
                operators += 1
                if word != "AND":
                    unsupported.append(word)
                continue
            text_parts.append(word)
            query.terms.append(word.lower())
    if len(" ".join(text_parts)) > MAX_QUERY_LENGTH:
        raise ApiError(
            UNPROCESSABLE,
            f"Validation failed: the search is longer than {MAX_QUERY_LENGTH} characters "
            "(operators and qualifiers not counted).",
        )
    if operators > MAX_OPERATORS:
        raise ApiError(
            UNPROCESSABLE, f"Validation failed: the search contains more than {MAX_OPERATORS} AND / OR / NOT operators."
        )
    if unsupported:
        raise ApiError(
            EMULATOR_UNSUPPORTED,
            f"The GitHub emulator's search does not support {', '.join(sorted(set(unsupported)))}.",
        )
    if in_scopes:
        query.in_title = "title" in in_scopes
        query.in_body = "body" in in_scopes or "comments" in in_scopes
    return query


def _apply_qualifier(
    query: SearchQuery, key: str, value: str, negated: bool, in_scopes: set[str], unsupported: list[str]
) -> None:
    lowered = value.lower()
    if negated and key not in {"label", "type"}:
        unsupported.append(f"-{key}:")
        return
    if key == "repo":
        query.repos.append(lowered)
    elif key in {"org", "user", "owner"}:
        query.owners.append(lowered)
    elif key in {"is", "state"} and lowered in {"open", "closed"}:
        query.state = lowered.upper()
    elif (key == "is" and lowered == "issue") or (key == "type" and lowered == "issue"):
        return
    elif key in {"is", "type"} and lowered in {"pr", "pull-request"}:
        query.matches_nothing = True
    elif key == "label":
        names = frozenset(part.strip() for part in lowered.split(",") if part.strip())
        if negated:
            query.excluded_labels |= names
        else:
            query.label_groups.append(names)
    elif key == "type":
        names = frozenset(part.strip() for part in lowered.split(",") if part.strip())
        if negated:
            query.excluded_types |= names
        else:
            query.types.append(names)
    elif key == "no" and lowered in {"label", "type"}:
        if lowered == "label":
            query.no_label = True
        else:
            query.no_type = True
    elif key == "in":
        in_scopes.update(part.strip() for part in lowered.split(","))
    elif key == "created":
        query.created.append(parse_range(value))
    elif key == "updated":
        query.updated.append(parse_range(value))
    elif key == "sort" and lowered in _SORTS:
        query.sort_field, query.sort_descending = _SORTS[lowered]
    else:
        query.matches_nothing = True


def _visible(issue: Issue, cutoff: datetime | None) -> IndexEntry | None:
    """The index entry search sees at ``cutoff`` (None: the latest)."""
    if cutoff is None:
        return issue.index[-1] if issue.index else None
    for entry in reversed(issue.index):
        if entry.at <= cutoff:
            return entry
    return None


def _matches(query: SearchQuery, issue: Issue, entry: IndexEntry) -> bool:
    if entry.deleted:
        return False
    if query.state is not None and entry.state != query.state:
        return False
    if any(not (group & entry.labels) for group in query.label_groups):
        return False
    if query.excluded_labels & entry.labels or (query.no_label and entry.labels):
        return False
    if query.no_type and entry.type_name is not None:
        return False
    if any(entry.type_name not in group for group in query.types) or entry.type_name in query.excluded_types:
        return False
    if any(issue.created_at not in bound for bound in query.created):
        return False
    if any(entry.at not in bound for bound in query.updated):
        return False
    if query.terms:
        haystacks = ([entry.title.lower()] if query.in_title else []) + ([entry.body.lower()] if query.in_body else [])
        if not all(any(term in hay for hay in haystacks) for term in query.terms):
            return False
    return True


def search_issues(repositories: Iterable[Repository], query: SearchQuery, cutoff: datetime | None) -> list[Issue]:
    """Every match, sorted; the caller applies the 1,000-result cap. Deleted issues are never returned."""
    if query.matches_nothing:
        return []
    repos = list(repositories)
    if query.repos:
        known = {r.name_with_owner.lower(): r for r in repos}
        if any(name not in known for name in query.repos):
            raise ApiError(UNPROCESSABLE, _NOT_SEARCHABLE)
        repos = [known[name] for name in dict.fromkeys(query.repos)]
    if query.owners:
        logins = {r.owner.login.lower() for r in repos}
        if any(login not in logins for login in query.owners):
            raise ApiError(UNPROCESSABLE, _NOT_SEARCHABLE)
        repos = [r for r in repos if r.owner.login.lower() in query.owners]
    found: list[tuple[datetime, int, Issue]] = []
    for repo in repos:
        for issue in repo.issues.values():
            if issue.deleted:
                continue
            entry = _visible(issue, cutoff)
            if entry is not None and _matches(query, issue, entry):
                when = issue.created_at if query.sort_field == "created" else entry.at
                found.append((when, issue.database_id, issue))
    found.sort(key=lambda row: (row[0], row[1]), reverse=query.sort_descending)
    return [row[2] for row in found]
