"""Acronyms in a sentence for words a question spells out, so that the offline answer (rag.extractive) finds the
sentence: "When does expanded security maintenance end for Ubuntu 18.04?" is answered by the row "version: 18.04
LTS; …; eol-esm: 2028-04-26", "… the National Transportation Safety Board …" by a sentence about the NTSB.

An acronym is a word of 3-6 letters written in capitals ("NTSB"), or a word of a table's column name: the label of a
cell in a row as the readers index rows ("eol-esm: 2028-04-26"), or the header line a table row is quoted with
(rag.sentences). It stands for consecutive words of the question whose initials spell it, the first and the last
not stop words ("end of life" → eol, "extended long-term support" → elts). Two letters are too few: "two-letter
ISO code" spells LI, the code of Liechtenstein, and "the America/Toronto zone" TZ, a column of every row.
"""

from __future__ import annotations

import re

from bm25s.stopwords import STOPWORDS_EN

from rag.sentences import ROW_HEADER_SEPARATOR
from rag.terms import terms

MIN_LETTERS, MAX_LETTERS = 3, 6
_LETTERS = re.compile(r"[^\W\d_]+")  # "long-term" is two words, "eol-esm" two acronyms
_CAPITALS = re.compile(rf"\b[A-Z]{{{MIN_LETTERS},{MAX_LETTERS}}}\b")
_CELL_LABEL = re.compile(r"(?:^|; )([^:;\n]{1,40}): ")  # "version: 18.04 LTS; eol-esm: 2028-04-26"


def spelled_out(question: str) -> dict[str, list[str]]:
    """Every acronym the question's words could stand for (lower case) → the terms of those words."""
    words = _LETTERS.findall(question)
    found: dict[str, list[str]] = {}
    for start in range(len(words)):
        for end in range(start + MIN_LETTERS, min(start + MAX_LETTERS, len(words)) + 1):
            run = words[start:end]
            if run[0].lower() not in STOPWORDS_EN and run[-1].lower() not in STOPWORDS_EN:
                found.setdefault("".join(word[0] for word in run).lower(), terms(" ".join(run)))
    return found


def acronyms(sentence: str) -> set[str]:
    """The words of `sentence` that may be acronyms, in lower case."""
    header, _, row = sentence.rpartition(ROW_HEADER_SEPARATOR)
    labels = " ".join([header, *_CELL_LABEL.findall(row)])
    found = {word.lower() for word in _CAPITALS.findall(sentence)}
    return found | {word.lower() for word in _LETTERS.findall(labels) if MIN_LETTERS <= len(word) <= MAX_LETTERS}
