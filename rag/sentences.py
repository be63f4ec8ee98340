"""Text → sentence spans, with NLTK's Punkt model (it knows "John F. Kennedy", "Brown v. Board", "Dr.").

The model is the `punkt_tab` data that llama-index-core ships inside its wheel, so nothing is
downloaded. Each line is split on its own: Folio's page text keeps table rows, form fields and
headings on their own line, and a line is never part of a sentence on another line.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

# Abbreviations Punkt's English model splits after; common in reports, protocols and filings.
EXTRA_ABBREVIATIONS = {"e.g", "i.e", "fig", "figs", "sec", "no", "nos", "vs", "approx", "incl", "ref", "eq", "vol", "pp"}
_LINE = re.compile(r"[^\n]+")


@lru_cache(maxsize=1)
def _punkt():
    import llama_index.core
    import nltk
    from nltk.tokenize.punkt import PunktTokenizer

    bundled = Path(llama_index.core.__file__).parent / "_static" / "nltk_cache"
    if str(bundled) not in nltk.data.path:
        nltk.data.path.insert(0, str(bundled))
    tokenizer = PunktTokenizer("english")
    tokenizer._params.abbrev_types.update(EXTRA_ABBREVIATIONS)
    return tokenizer


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text`, in order; a piece starting in lower case stays
    with the sentence before it (Punkt split after an abbreviation it did not know)."""
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        merged: list[tuple[int, int]] = []
        for start, end in _punkt().span_tokenize(line.group()):
            piece = line.group()[start:end]
            if merged and piece[:1].islower():
                merged[-1] = (merged[-1][0], end)
            else:
                merged.append((start, end))
        spans += [(line.start() + start, line.start() + end) for start, end in merged]
    return spans
