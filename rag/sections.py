"""Page headings (what a page is: its statement or section title), matched against what a question names.

Why: a filing's financial statements are tables of figures under a title at the top of their page ("Consolidated
Statement of Cash Flows"). Their chunks hold row labels and numbers, so neither the words nor the embedding of a
chunk from the middle of a statement says which statement it is, and a question about "the cash flow statement"
finds the paragraphs that discuss cash flows instead. The heading lines at the top of each page (a page that starts
with a table row continues the previous page's table and keeps its heading) name the statement for every chunk on
it. Headings are worked out from the stored page text (Store.page_texts), so a library stored before them needs no
new ingest. Used within the documents a question names (rag.retrieve): docs/benchmarks.md has the measurements.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rag.keyword import tokens

TOP_LINES = 6  # a page's heading is among its first lines
HEADING_LINES = 4  # at most this many of them
HEADING_WORDS = 14  # a longer line is text, not a title
# a heading counts when it holds at least this many of the question's terms: a title the question names ("cash flow
# statement", "balance sheet", "segment results") shares two or more words with it, while one shared word is chance
# ("statement", "segment" in most headings of a filing). With 1, weight 0.3 cost finance-dev doc hit@1 and
# finance-more hit@5; with 2 it lifts finance-dev page hit@5 0.429 → 0.531 (docs/benchmarks.md, round 5)
MIN_HEADING_TERMS = 2
_SENTENCE_END = re.compile(r"[.!?]['\")\]]?$")
_NUMBER = re.compile(r"^[(\-–$€£]*\d[\d,.]*%?\)?$")


def heading_lines(page: str) -> list[str]:
    """The title lines at the top of a page: up to HEADING_LINES short lines of words, stopping at the first line
    of prose, figures or a table row ("3M Company and Subsidiaries", "Consolidated Statement of Cash Flows")."""
    found: list[str] = []
    for line in page.splitlines()[:TOP_LINES]:
        line = line.strip()
        if not line:
            continue
        if not _title_like(line):
            break
        found.append(line)
        if len(found) == HEADING_LINES:
            break
    return found


def _title_like(line: str) -> bool:
    words = line.split()
    glyphs = line.replace(" ", "")
    if len(words) > HEADING_WORDS or (len(words) >= 8 and _SENTENCE_END.search(line)):
        return False  # prose
    if _NUMBER.match(words[-1]) and sum(bool(_NUMBER.match(w)) for w in words) >= 2:
        return False  # a table row: "Net income 5,363 4,869"
    return sum(c.isalpha() for c in glyphs) >= 0.5 * len(glyphs)


def page_headings(pages: Sequence[str]) -> list[str]:
    """The heading of each page (index 0 is page 1); a page without one (a table continued from the page before)
    keeps the previous page's."""
    headings, last = [], ""
    for page in pages:
        last = " ".join(heading_lines(page)) or last
        headings.append(last)
    return headings


@dataclass(frozen=True)
class Headings:
    """One document's page headings as search terms (rag.keyword's tokens); index 0 is page 1."""

    terms: tuple[frozenset[str], ...]

    @classmethod
    def of(cls, pages: Sequence[str]) -> Headings:
        headings = page_headings(pages)
        return cls(tuple(frozenset(words) for words in tokens(headings))) if headings else cls(())

    @property
    def cover(self) -> frozenset[str]:
        """The first page's heading: the document's title (a report's, a filing's cover), which names the document
        and not one of its pages, so its words do not count for any page."""
        return self.terms[0] if self.terms else frozenset()

    def on(self, page: int) -> frozenset[str]:
        """The heading terms of a page (1-based); none for a page the document does not have."""
        return self.terms[page - 1] if 0 < page <= len(self.terms) else frozenset()


def heading_scores(
    question: str, documents: dict[str, Headings], ignored: Iterable[str] = ()
) -> dict[tuple[str, int], float]:
    """(source, page) → how well the page's heading matches the question: the sum of the inverse document frequency
    (over the pages of these documents) of the question's terms in it. `ignored`: words that chose the documents
    (their organisation's name) and the words of each document's cover do not tell its pages apart. Pages whose
    heading holds fewer than MIN_HEADING_TERMS of the question's terms are left out."""
    wanted = set(tokens([question])[0]) - set(tokens([" ".join(ignored)])[0])
    pages = [(source, page, terms - h.cover) 
             for source, h in documents.items() for page, terms in enumerate(h.terms, 1)]  # fmt: skip
    counts = Counter(term for _, _, terms in pages for term in terms & wanted)
    n = len(pages)
    weight = {term: math.log(1 + (n - df + 0.5) / (df + 0.5)) for term, df in counts.items()}
    scores = {}
    for source, page, terms in pages:
        matched = terms & wanted
        if len(matched) >= MIN_HEADING_TERMS:
            scores[source, page] = sum(weight[term] for term in matched)
    return scores
