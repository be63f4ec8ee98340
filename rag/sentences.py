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
FIELD_LABEL = re.compile(r"^\s*([A-Z][\w&/(),' -]{0,40}):(\s|$)")  # "Registered Owner: …", "Age: 17"


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
    """Line spans, a line that ends in a colon joined with the next (unless that one is a "Label:" line itself)."""
    units: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        previous = text[units[-1][0] : units[-1][1]] if units else ""
        if previous.rstrip().endswith(":") and not FIELD_LABEL.match(line.group()):
            units[-1] = (units[-1][0], line.end())
        else:
            units.append((line.start(), line.end()))
    return units
