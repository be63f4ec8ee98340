"""How an ingest reads, chunks and gives context to every file: one frozen object instead of a long parameter list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ingest.readers.base import Reader, ReadLimits
from ingest.readers.registry import READERS
from rag.config import Settings, default


@dataclass(frozen=True)
class IngestOptions:
    """Chunk sizes, context line, reading limits and readers of an ingest (the defaults are the settings')."""

    chunk_tokens: int = default("folio_chunk_tokens")
    chunk_overlap: int = default("folio_chunk_overlap")
    context_words: int = default("folio_context_words")  # words of each document's context line; 0: none
    limits: ReadLimits = ReadLimits()
    readers: Mapping[str, Reader] = field(default_factory=lambda: READERS)  # suffix → reader (ingest.readers.registry)

    @classmethod
    def from_settings(cls, settings: Settings) -> IngestOptions:
        return cls(
            chunk_tokens=settings.folio_chunk_tokens,
            chunk_overlap=settings.folio_chunk_overlap,
            context_words=settings.folio_context_words,
            limits=ReadLimits.from_settings(settings),
        )
