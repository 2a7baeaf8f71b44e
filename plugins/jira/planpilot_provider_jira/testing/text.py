"""Full-text matching as Jira's index does it for JQL's ``~``: words, not substrings.

Text is split into words at anything that is not a letter or digit (``PLAN_ID: abc`` is the words ``plan``,
``id``, ``abc``), lower-cased, English stop words dropped, and each word stemmed (Snowball English, so
``planned`` and ``plans`` both match ``plan``). A query matches when every one of its words does, in any order;
a quoted phrase needs its words consecutive; ``*``/``?`` wildcards work inside or at the end of a word, never
at its start. So ``~`` finds candidates only: ``"ITEM_ID: T1"`` also matches ``ITEM_ID: T1-b`` and
``item id t1`` (Atlassian, "Search syntax for text fields"; see the notes' §2.4).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache, lru_cache

from attrs import frozen

from .errors import JiraError

__all__ = ["STOP_WORDS", "TextQuery", "analyse", "parse_text_query", "words"]

STOP_WORDS = frozenset(
    """
    a an and are as at be but by for if in into is it no not of on or such that the their then there these
    they this to was will with
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
"""Lucene's English stop words, which Jira's index drops too."""

_WORD = re.compile(r"[^\W_]+")
_QUERY = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


@cache
def _stemmer() -> object:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@cache
def stem(word: str) -> str:
    return str(_stemmer().stemWord(word))  # type: ignore[attr-defined]


@lru_cache(maxsize=32768)
def words(text: str) -> tuple[str, ...]:
    """The lower-cased words of ``text``, stop words included (wildcards match these)."""
    return tuple(_WORD.findall(text.lower()))


@lru_cache(maxsize=32768)  # a search reads every indexed text once per page: analyse each text once
def analyse(text: str) -> tuple[str, ...]:
    """The terms the index keeps for ``text``: words without stop words, stemmed."""
    return tuple(stem(word) for word in words(text) if word not in STOP_WORDS)


@frozen
class TextQuery:
    """Terms (each must occur), phrases (each a run of consecutive terms) and wildcard patterns."""

    terms: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...]
    wildcards: tuple[re.Pattern[str], ...]

    @property
    def empty(self) -> bool:
        return not (self.terms or self.phrases or self.wildcards)

    def matches(self, texts: Sequence[str]) -> bool:
        """Whether any one of ``texts`` (the fields searched, each on its own) holds the whole query."""
        return any(self._matches_one(text) for text in texts)

    def _matches_one(self, text: str) -> bool:
        terms = analyse(text)
        present = _term_set(text)
        if any(term not in present for term in self.terms):
            return False
        if self.wildcards:
            raw = set(words(text))
            if any(not any(pattern.fullmatch(word) for word in raw) for pattern in self.wildcards):
                return False
        return all(_contains_run(terms, phrase) for phrase in self.phrases)


@lru_cache(maxsize=32768)
def _term_set(text: str) -> frozenset[str]:
    return frozenset(analyse(text))


def _contains_run(terms: Sequence[str], phrase: Sequence[str]) -> bool:
    if not phrase:
        return True
    width = len(phrase)
    return any(tuple(terms[i : i + width]) == tuple(phrase) for i in range(len(terms) - width + 1))


def parse_text_query(value: str, field: str) -> TextQuery:
    """Read the value of ``field ~ value``; a leading wildcard is refused as Jira refuses it."""
    terms: list[str] = []
    phrases: list[tuple[str, ...]] = []
    wildcards: list[re.Pattern[str]] = []
    for match in _QUERY.finditer(value):
        phrase, word = match.group(1), match.group(2)
        if phrase is not None:
            analysed = analyse(phrase.replace('\\"', '"'))
            if analysed:
                phrases.append(analysed)
            continue
        if word.upper() in {"AND", "OR", "NOT", "&&", "||"}:
            continue
        if "*" in word or "?" in word:
            if word[0] in "*?":
                raise JiraError(
                    400,
                    [f"The text query '{value}' for field '{field}' is not allowed to start with a wildcard."],
                )
            core = word.lower().strip("+-")
            pattern = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in core)
            wildcards.append(re.compile(pattern))
            continue
        terms.extend(analyse(word))
    return TextQuery(tuple(dict.fromkeys(terms)), tuple(phrases), tuple(wildcards))
