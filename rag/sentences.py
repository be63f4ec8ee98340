"""Text → sentence spans, with NLTK's Punkt model (it knows "John F. Kennedy", "Brown v. Board", "Dr.").

The model is the `punkt_tab` data that llama-index-core ships inside its wheel, so nothing is
downloaded. Each line is split on its own: Folio's page text keeps table rows, form fields and
headings on their own line, and a line is never part of a sentence on another line.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

# Abbreviations Punkt's English model splits after; common in reports, protocols and filings.
EXTRA_ABBREVIATIONS = {
    "e.g",
    "i.e",
    "fig",
    "figs",
    "sec",
    "no",
    "nos",
    "vs",
    "approx",
    "incl",
    "ref",
    "eq",
    "vol",
    "pp",
}
_LINE = re.compile(r"[^\n]+")
ROW_NUMBER_SHARE = 0.5  # a table row: a short line with at least this share of its words numbers ("99% 1986")
MAX_ROW_WORDS = 12
ROW_HEADER_SEPARATOR = " … "  # between a quoted table row's header line and the row
HEADING_WORDS = 4  # a heading or label line has at most this many words
VALUE_WORDS = 6  # a label line is quoted with the line under it when that one has at most this many
FIELD_LABEL = re.compile(r"^\s*([A-Z][\w&/(),' -]{0,40}):(\s|$)")  # "Registered Owner: …", "Age: 17"
SENTENCE_END = re.compile(r"[.!?:;]['\")\]]?$")


@lru_cache(maxsize=1)
def _punkt():
    import nltk
    from nltk.tokenize.punkt import PunktTokenizer

    # llama-index ships nltk's Punkt model (nltk itself would download it); found without importing llama-index
    bundled = Path(find_spec("llama_index.core").origin).parent / "_static" / "nltk_cache"
    if str(bundled) not in nltk.data.path:
        nltk.data.path.insert(0, str(bundled))
    tokenizer = PunktTokenizer("english")
    tokenizer._params.abbrev_types.update(EXTRA_ABBREVIATIONS)
    return tokenizer


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text`, in order.

    A line ending in a colon is one unit with the line after it ("…the probable cause(s) of this accident to be:"
    then the cause). A piece starting in lower case stays with the sentence before it (Punkt split after an
    abbreviation it did not know).
    """
    spans: list[tuple[int, int]] = []
    for start, end in _units(text):
        merged: list[tuple[int, int]] = []
        for a, b in _punkt().span_tokenize(text[start:end]):
            if merged and text[start + a : start + b][:1].islower():
                merged[-1] = (merged[-1][0], b)
            else:
                merged.append((a, b))
        spans += [(start + a, start + b) for a, b in merged]
    return spans


def _units(text: str) -> list[tuple[int, int]]:
    """Line spans, a line joined with the next when it introduces it: it ends in a colon, or it is a short label
    line over a short value ("Principal Investigator" over "Javier Hernández Blanco", a cover page's two-column
    table). Never when the next line is a "Label:" field itself."""
    units: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        previous = text[units[-1][0] : units[-1][1]] if units else ""
        value = line.group()
        introduces = previous.rstrip().endswith(":") or (is_heading(previous) and _is_value(value))
        if previous and introduces and not FIELD_LABEL.match(value):
            units[-1] = (units[-1][0], line.end())
        else:
            units.append((line.start(), line.end()))
    return units


def is_heading(line: str) -> bool:
    """A short capitalised line without final punctuation or numbers: "Analysis", "Lead Principal Investigator"."""
    line = line.strip()
    return (
        len(line.split()) <= HEADING_WORDS
        and line[:1].isupper()
        and not SENTENCE_END.search(line)
        and not any(c.isdigit() for c in line)
    )


def _is_value(line: str) -> bool:
    return len(line.split()) <= VALUE_WORDS and not line.rstrip().endswith(":")


def table_headers(text: str) -> dict[int, str]:
    """Start offset of each table row → the header line of its table, to be quoted with it
    ("Confidence Interval (%) Sample size … 99% 1986"): a row alone does not say what its numbers are.

    A row is a short line mostly of numbers; a table is two or more rows in a row; its header is the line above
    them when that is a short label line (not a row, not a sentence). Tables without such a line get nothing.
    """
    lines = list(_LINE.finditer(text))
    headers: dict[int, str] = {}
    start = 0
    while start < len(lines):
        end = start
        while end < len(lines) and _is_row(lines[end].group()):
            end += 1
        above = lines[start - 1].group().strip() if start else ""
        if end - start >= 2 and above and len(above.split()) <= MAX_ROW_WORDS and not above.endswith((".", ":")):
            for row in lines[start:end]:
                headers[row.start() + len(row.group()) - len(row.group().lstrip())] = above + ROW_HEADER_SEPARATOR
        start = max(end, start + 1)
    return headers


def _is_row(line: str) -> bool:
    """A short line mostly of numbers that is not a "Label: value" field ("Model/Series: 210" is a field)."""
    if FIELD_LABEL.match(line):
        return False
    words = line.split()
    numbers = sum(any(c.isdigit() for c in word) for word in words)
    return 2 <= len(words) <= MAX_ROW_WORDS and numbers >= ROW_NUMBER_SHARE * len(words)
