"""Retrieved chunks → numbered sources: adjacent chunks merged, packed into a token budget,
with a page for every sentence."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from functools import cached_property
from typing import Any

from rag.citations import footnote_marks
from rag.records import PAGE_SEPARATOR, PageSpan, StoredChunk
from rag.sentences import sentence_spans, table_headers

ROWS = re.compile(r"(?P<place>(?:.*, )?)(?P<what>rows?|lines?) (?P<first>\d+)(?:-(?P<last>\d+))?")


@dataclass(frozen=True)
class Source(PageSpan):
    """One numbered source shown to the model and the user."""

    n: int
    source: str
    text: str
    page_breaks: tuple[tuple[int, int], ...]  # (offset in text, page number)
    score: float
    ocr: bool = False  # some of the text was recognised from a scanned page (may contain OCR errors)
    printed: tuple[tuple[int, str], ...] = ()  # (page, printed label) where the label differs from the page
    context: str = ""  # the document's context line (what names it); never part of `text`
    document: str = ""  # what the document is: "JPMorgan Chase & Co., 10-Q quarterly report, Q2 fiscal 2022 (…)"

    @property
    def pages_label(self) -> str:
        """'p. 3', 'pp. 3-4' or 'p. 16 (printed 13)', with ' (OCR)' when the text was recognised from a scan; for a
        file that is not a PDF its units' own names ('slide 7', 'sheet Q3, rows 12-51', '§ 2 Scope – § 3 Terms')."""
        if not self._paged:
            return unit_span(self.page_label(self.page_start), self.page_label(self.page_end)) + (
                " (OCR)" if self.ocr else ""
            )
        if self.page_start == self.page_end:
            return self.page_label(self.page_start) + (" (OCR)" if self.ocr else "")
        printed = dict(self.printed)
        pages = f"pp. {self.page_start}-{self.page_end}"
        if self.page_start in printed or self.page_end in printed:
            first, last = (printed.get(n, str(n)) for n in (self.page_start, self.page_end))
            pages += f" (printed {first}-{last})"
        return pages + (" (OCR)" if self.ocr else "")

    def page_label(self, page: int) -> str:
        """'p. 16', or 'p. 16 (printed 13)' when the page prints another number; for a file that is not a PDF the
        unit's name ('slide 7'; 'part 7' if its reader gave none)."""
        printed = dict(self.printed).get(page)
        if not self._paged:
            return printed or f"part {page}"
        return f"p. {page} (printed {printed})" if printed else f"p. {page}"

    def unit_name(self, page: int) -> str:
        """The name its reader gave the unit `page` of a file that is not a PDF ("§ 3.3.1. BZ2_bzCompressInit",
        "slide 7"); "" for a PDF's page or a unit without one."""
        return "" if self._paged else dict(self.printed).get(page, "")

    @property
    def _paged(self) -> bool:
        """Whether the units are pages (a PDF's; other formats' readers name theirs: slides, sheets' rows, sections)."""
        return self.source.lower().endswith(".pdf")

    def sentences(self, headers: bool = True) -> list[tuple[str, int]]:
        """(sentence, page) pairs, in order; a table row comes with its table's header line (rag.sentences), unless
        `headers` is false (then each sentence is verbatim from `text`)."""
        found = table_headers(self.text) if headers else {}
        return [(found.get(start, "") + self.text[start:end], self.page_at(start)) for start, end in self._spans]

    def to_dict(self) -> dict[str, Any]:
        """The source as JSON: every field and its `pages` label (the one shape of `folio ask --json`, the API and
        saved chats)."""
        return asdict(self) | {"pages": self.pages_label}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Source:
        """The source `to_dict` wrote (derived keys such as `pages` are left out; fields an older Folio did not
        write take their defaults)."""
        known = {f.name for f in fields(cls)}
        given = {key: value for key, value in data.items() if key in known}
        given["page_breaks"] = tuple(tuple(pair) for pair in given["page_breaks"])
        given["printed"] = tuple(tuple(pair) for pair in given.get("printed", ()))
        return cls(**given)

    @cached_property
    def _spans(self) -> list[tuple[int, int]]:
        """Sentence offsets, split once (quoting, citing and highlighting all ask for them)."""
        return sentence_spans(self.text)


def unit_span(first: str, last: str) -> str:
    """The names of a source's first and last unit as one: 'slide 3 – slide 4', and rows or lines of one sheet or
    file joined ('sheet Q3, rows 12-31' and 'sheet Q3, rows 32-51': 'sheet Q3, rows 12-51')."""
    if first == last:
        return first
    start, end = ROWS.fullmatch(first), ROWS.fullmatch(last)
    if start and end and start["place"] == end["place"]:
        return f"{start['place']}{start['what'].rstrip('s')}s {start['first']}-{end['last'] or end['first']}"
    return f"{first} – {last}"


def build_sources(
    chunks: Sequence[StoredChunk], count_tokens: Callable[[str], int], budget_tokens: int, limit: int
) -> list[Source]:
    """Merge neighbouring chunks of a document, keep the best-ranked first, stop at the budget."""
    merged: list[dict] = []
    for chunk in chunks:
        index, version = chunk.meta.chunk_index, chunk.meta.version
        touching = [
            m for m in merged if m["version"] == version and min(m["chunks"]) - 1 <= index <= max(m["chunks"]) + 1
        ]
        if not touching:
            merged.append({"version": version, "chunks": {index: chunk}, "score": chunk.score})
            touching = merged[-1:]
        group = touching[0]  # the best ranked
        group["chunks"].setdefault(index, chunk)
        for other in touching[1:]:  # the chunk joins two groups (chunks 0 and 2, then 1): one passage, one source
            group["chunks"] |= other["chunks"]
            merged.remove(other)
    sources: list[Source] = []
    used = 0
    for group in merged:
        if len(sources) == limit:
            break
        text, breaks = _join([group["chunks"][i] for i in sorted(group["chunks"])])
        text = footnote_marks(text)
        tokens = count_tokens(text)
        if sources and used + tokens > budget_tokens:
            continue
        used += tokens
        first = next(iter(group["chunks"].values()))
        ocr = any(c.meta.ocr for c in group["chunks"].values())
        printed = sorted({pair for c in group["chunks"].values() for pair in c.printed_labels.items()})
        context, document = first.meta.context, first.document
        sources.append(
            Source(len(sources) + 1, first.source, text, breaks, group["score"], ocr, tuple(printed), context, document)
        )
    return sources


def _join(chunks: list[StoredChunk]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Concatenate consecutive chunks, removing the overlap between each pair; keep page starts. A chunk that starts
    a page (a slide, a block of rows) joins with the blank line the chunker puts between pages, so that its first
    line is not read as going on from the last line of the page before (two rows of a table as one sentence)."""
    text = ""
    breaks: list[tuple[int, int]] = []
    for chunk in chunks:
        skip = _overlap(text, chunk.text) if text else 0
        if text and not skip:
            text += PAGE_SEPARATOR if chunk.meta.page_start > breaks[-1][1] else " "
        base = len(text) - skip
        breaks += [(base + offset, page) for offset, page in chunk.page_breaks]
        text += chunk.text[skip:]
    merged: list[tuple[int, int]] = []
    for offset, page in sorted(breaks):
        if not merged or page != merged[-1][1]:
            merged.append((offset if merged else 0, page))
    return text, tuple(merged)


def _overlap(left: str, right: str) -> int:
    """Length of the longest suffix of `left` that is a prefix of `right` (at least 20 chars)."""
    for size in range(min(len(left), len(right)), 19, -1):
        if left.endswith(right[:size]):
            return size
    return 0
