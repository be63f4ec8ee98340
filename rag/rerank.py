"""The seam between retrieval and sources: a `Reranker` orders the chunks retrieval found before they are cut to the
number asked for (rag.retrieve) and merged into numbered sources (rag.sources).

Folio's default keeps retrieval's order (`KeepOrder`): its ranking, with the page headings of the documents a
question names (rag.sections), is what the benchmarks measured. Rerankers are named in `rag.components.RERANKERS`
and chosen by FOLIO_RERANKER; adding one is a module with a class like `KeepOrder` and a line there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from rag.records import StoredChunk


class Reranker(Protocol):
    """Orders the retrieved chunks for a question."""

    def rerank(self, question: str, chunks: Sequence[StoredChunk]) -> list[StoredChunk]:
        """`chunks` (every candidate retrieval found, best first) best first for `question`: reordered, rescored
        (`StoredChunk.score`) or fewer; the first ones are kept."""
        ...


class KeepOrder:
    """No reranking: retrieval's order."""

    def rerank(self, question: str, chunks: Sequence[StoredChunk]) -> list[StoredChunk]:
        return list(chunks)
