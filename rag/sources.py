"""Retrieved chunks → numbered sources: adjacent chunks merged, packed into a token budget,
with a page for every sentence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.store import PageSpan, StoredChunk

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n+")


@dataclass(frozen=True)
class Source(PageSpan):
    """One numbered source shown to the model and the user."""

    n: int
    source: str
    text: str
    page_breaks: tuple[tuple[int, int], ...]  # (offset in text, page number)
    score: float
    ocr: bool = False  # some of the text was recognised from a scanned page (may contain OCR errors)

    @property
    def pages_label(self) -> str:
        """'p. 3' or 'pp. 3-4', with ' (OCR)' when the text was recognised from a scan."""
        pages = (
            f"p. {self.page_start}" if self.page_start == self.page_end else f"pp. {self.page_start}-{self.page_end}"
        )
        return pages + (" (OCR)" if self.ocr else "")

    def sentences(self) -> list[tuple[str, int]]:
        """(sentence, page) pairs, in order."""
        out, start = [], 0
        for match in [*_SENTENCE_END.finditer(self.text), None]:
            end = match.start() if match else len(self.text)
            piece = self.text[start:end]
            if piece.strip():
                out.append((piece.strip(), self.page_at(start + len(piece) - len(piece.lstrip()))))
            start = match.end() if match else end
        return out


def build_sources(chunks: Sequence[StoredChunk], count_tokens, budget_tokens: int, limit: int) -> list[Source]:
    """Merge neighbouring chunks of a document, keep the best-ranked first, stop at the budget."""
    merged: list[dict] = []
    for chunk in chunks:
        index, version = chunk.metadata["chunk_index"], chunk.metadata.get("version")
        neighbour = next(
            (m for m in merged if m["version"] == version and (m["first"] - 1 <= index <= m["last"] + 1)), None
        )
        if neighbour is None:
            merged.append(
                {"version": version, "first": index, "last": index, "chunks": {index: chunk}, "score": chunk.score}
            )
        elif index not in neighbour["chunks"]:
            neighbour["chunks"][index] = chunk
            neighbour["first"], neighbour["last"] = min(neighbour["first"], index), max(neighbour["last"], index)
    sources, used = [], 0
    for group in merged:
        if len(sources) == limit:
            break
        text, breaks = _join([group["chunks"][i] for i in sorted(group["chunks"])])
        tokens = count_tokens(text)
        if sources and used + tokens > budget_tokens:
            continue
        used += tokens
        first = next(iter(group["chunks"].values()))
        ocr = any(c.metadata.get("ocr", False) for c in group["chunks"].values())
        sources.append(Source(len(sources) + 1, first.source, text, breaks, group["score"], ocr))
    return sources


def _join(chunks: list[StoredChunk]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Concatenate consecutive chunks, removing the overlap between each pair; keep page starts."""
    text, breaks = "", []
    for chunk in chunks:
        skip = _overlap(text, chunk.text) if text else 0
        if text and not skip:
            text += " "
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
