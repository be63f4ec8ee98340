"""Dates a question writes in words ("6 July 2019", "July 6, 2019") as tables, logs and exports write them
(2019-07-06), so that the offline answer (rag.extractive) finds the row "release: 2019-07-06" for "Which Debian
release came out on 6 July 2019?".
"""

from __future__ import annotations

import re

from rag.terms import terms

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
          "december")  # fmt: skip
_MONTH = r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"  # noqa: E501
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_DATES = (
    re.compile(rf"\b{_DAY} (?:of )?{_MONTH},? {_YEAR}\b", re.I),  # 6 July 2019, 6th of July, 2019
    re.compile(rf"\b{_MONTH} {_DAY},? {_YEAR}\b", re.I),  # July 6, 2019
)


def iso_dates(question: str) -> dict[str, list[str]]:
    """Each date the question writes in words, as YYYY-MM-DD → the terms of the words that write it."""
    found: dict[str, list[str]] = {}
    for pattern in _DATES:
        for match in pattern.finditer(question):
            month = next(n for n, name in enumerate(MONTHS, start=1) if name.startswith(match["month"].lower()[:3]))
            day = int(match["day"])
            if 1 <= day <= 31:
                found[f"{match['year']}-{month:02d}-{day:02d}"] = terms(match.group())
    return found
