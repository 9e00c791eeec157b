"""Turn whatever a user types into a safe SQLite FTS5 query.

Kept: words (ANDed), "quoted phrases", a trailing * for prefixes, and AND / OR / NOT between terms.
Everything else (stray quotes, parentheses, colons, carets, dashes) can't produce a syntax error:
hyphenated and apostrophe words become phrases ("state-of-the-art" -> "state of the art").
"""
from __future__ import annotations

import re

_TOKEN = re.compile(r'"(?P<phrase>[^"]*)"|(?P<word>\w+(?:[-\'’]\w+)*\*?)', re.UNICODE)
_OPERATORS = {"AND", "OR", "NOT"}


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _term(raw: str) -> str | None:
    prefix = raw.endswith("*")
    words = re.findall(r"\w+", raw, re.UNICODE)
    if not words:
        return None
    return _quote(" ".join(words)) + ("*" if prefix else "")


def to_fts_query(text: str) -> str:
    """An FTS5 MATCH expression for `text`, or "" when it holds nothing searchable."""
    parts: list[str] = []
    pending_operator: str | None = None
    for match in _TOKEN.finditer(text):
        if match.group("word") in _OPERATORS:
            if parts:
                pending_operator = match.group("word")
            continue
        term = _term(match.group("phrase") if match.group("phrase") is not None else match.group("word"))
        if term is None:
            continue
        if parts:
            parts.append(pending_operator or "AND")
        parts.append(term)
        pending_operator = None
    return " ".join(parts)
