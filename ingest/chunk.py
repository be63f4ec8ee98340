"""Pages → token-sized chunks that remember which page every part of their text came from."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.layout import is_table_row
from ingest.pdf import Page
from rag.embed import count_tokens
from rag.records import PAGE_SEPARATOR, PageSpan

CHUNKER_VERSION = 4  # bump when chunking changes, so re-ingesting rewrites every document
SEPARATORS = [PAGE_SEPARATOR, "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


@dataclass(frozen=True)
class Chunk(PageSpan):
    index: int
    text: str
    n_tokens: int
    page_breaks: tuple[tuple[int, int], ...]  # (char offset in text, page number), first offset is 0
    table_header: str = ""  # the line above the table this chunk starts in (its column headers), if it starts in one


def chunk_pages(pages: list[Page], chunk_tokens: int, overlap_tokens: int) -> list[Chunk]:
    """Split the pages' text into overlapping chunks of at most `chunk_tokens` tokens.

    Pages are joined with a blank line, the splitter's first choice of boundary, so a chunk only
    spans two pages when text runs on across the page break.
    """
    text, page_starts = "", []
    for page in pages:
        if text:
            text += PAGE_SEPARATOR
        page_starts.append((len(text), page.number))
        text += page.text
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_tokens,
        chunk_overlap=min(overlap_tokens, chunk_tokens // 2),
        length_function=count_tokens,
        separators=SEPARATORS,
        keep_separator="end",
        strip_whitespace=True,
    )
    line_starts, headers = _table_headers(text)
    chunks: list[Chunk] = []
    cursor = 0
    for piece in splitter.split_text(text):
        start = text.find(piece, cursor)
        if start < 0:  # cannot happen with strip_whitespace pieces of `text`; be safe anyway
            start = text.find(piece)
        cursor = start + 1
        chunks.append(
            Chunk(
                index=len(chunks),
                text=piece,
                n_tokens=count_tokens(piece),
                page_breaks=_page_breaks(page_starts, start, start + len(piece)),
                table_header=headers[bisect.bisect_right(line_starts, start) - 1],
            )
        )
    return chunks


def _table_headers(text: str) -> tuple[list[int], list[str]]:
    """Start offset of every line, and for each line the header of the table it is a row of ("" for other lines).

    A table's header is the nearest line above its rows that is not a row itself (the column headers).
    """
    starts, headers, above, offset = [], [], "", 0
    for line in text.split("\n"):
        row = is_table_row(line)
        starts.append(offset)
        headers.append(above if row else "")
        if not row and line.strip():
            above = line.strip()
        offset += len(line) + 1
    return starts, headers


def _page_breaks(page_starts: list[tuple[int, int]], start: int, end: int) -> tuple[tuple[int, int], ...]:
    """Pages overlapping text[start:end], as (offset relative to start, page number)."""
    breaks = []
    for offset, number in page_starts:
        if offset <= start:
            breaks = [(0, number)]
        elif offset < end:
            breaks.append((offset - start, number))
    return tuple(breaks)
