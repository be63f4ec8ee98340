"""The records ingest writes and rag reads: a document's registry record and each chunk's metadata, typed.

Chroma stores a chunk's metadata as a flat mapping of str, int, float and bool values. `ChunkMetadata` is that
mapping as a type: ingest builds one per chunk and writes `to_metadata()`; rag reads `StoredChunk.meta`
(`ChunkMetadata.from_metadata`), never a key by name. The keys and values are those Folio has always written, so
a library stored before this module reads as it did, with no new ingest. A module low in the layers: it imports
only rag.identity (what a registered document is), which imports nothing of Folio but rag.periods.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

from rag.identity import DocumentIdentity

MetadataValue = str | int | float | bool  # what Chroma stores as a metadata value
CONTEXT_KEY = "context"  # chunk metadata: the document's context line, embedded and keyword-indexed, never quoted
DOCUMENT_KEY = "document"  # set on retrieved chunks: what the document is (its identity's label), from the registry
PAGE_SEPARATOR = "\n\n"  # between two pages (units) in a chunk's text, and in a source's (rag.sources)


@dataclass(frozen=True)
class DocumentRecord:
    """One ingested file as the user knows it."""

    source: str  # the name shown in citations (path relative to the ingested folder)
    doc_id: str  # sha256 of the file's bytes
    path: str  # absolute path of the file on disk ("" if unknown)
    pages: int
    chunks: int
    ingested_at: str
    chunking: str = ""  # chunker version and sizes; a change re-ingests the file
    warnings: str = ""
    identity_json: str = ""  # what the document is (rag.identity.DocumentIdentity as JSON); "" before round 3

    def to_metadata(self) -> dict[str, MetadataValue]:
        """The registry's metadata of the document: every field."""
        return asdict(self)

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any]) -> DocumentRecord:
        """The record `to_metadata` wrote."""
        return cls(**metadata)

    @property
    def identity(self) -> DocumentIdentity | None:
        """Organisation, kind and period, when known and worked out by the current extractor."""
        return DocumentIdentity.from_json(self.identity_json)

    @property
    def version(self) -> str:
        """Identity of this stored version: its chunks carry it, so it can be found and dropped."""
        key = f"{self.source}\0{self.doc_id}\0{self.chunking}".encode()
        return hashlib.sha256(key).hexdigest()[:32]


class PageSpan:
    """Pages of a text that knows where each of its pages starts (`page_breaks`: (offset, page) pairs)."""

    page_breaks: tuple[tuple[int, int], ...]

    @property
    def page_start(self) -> int:
        return self.page_breaks[0][1]

    @property
    def page_end(self) -> int:
        return self.page_breaks[-1][1]

    def page_at(self, offset: int) -> int:
        """Page of the character at `offset`."""
        return [page for start, page in self.page_breaks if start <= offset][-1]


@dataclass(frozen=True)
class ChunkMetadata:
    """What the store keeps beside a chunk's text and vector; ingest gives every field."""

    version: str  # DocumentRecord.version of the document version the chunk belongs to
    doc_id: str
    source: str
    page_start: int
    page_end: int
    page_breaks: tuple[tuple[int, int], ...]  # (char offset in the chunk's text, page number), first offset is 0
    chunk_index: int
    n_tokens: int
    ingested_at: str  # ISO time; the clean-up of unregistered chunks in server mode goes by it
    ocr: bool  # some of its pages were recognised from a scan (the UI marks OCR'd citations)
    reader: str  # which readers produced its pages' text: "pypdf", "pdfium", "ocr", or a mix like "ocr+pypdf"
    page_labels: tuple[tuple[int, str], ...]  # (page, printed label) where the PDF gives its pages labels
    context: str  # the document's context line (CONTEXT_KEY): embedded and keyword-indexed with the text

    def to_metadata(self) -> dict[str, MetadataValue]:
        """The Chroma metadata: the typed pairs as JSON text, the labels "" when there are none."""
        labels = json.dumps(dict(self.page_labels)) if self.page_labels else ""
        return {
            "version": self.version,
            "doc_id": self.doc_id,
            "source": self.source,
            "page_start": self.page_start,
            "page_end": self.page_end,
            "page_breaks": json.dumps(self.page_breaks),
            "chunk_index": self.chunk_index,
            "n_tokens": self.n_tokens,
            "ingested_at": self.ingested_at,
            "ocr": self.ocr,
            "reader": self.reader,
            "page_labels": labels,
            CONTEXT_KEY: self.context,
        }

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any]) -> ChunkMetadata:
        """The metadata `to_metadata` wrote. A key it lacks reads as empty ("", 0, False, no pages): chunks stored
        before a key was written (`page_labels`, `context`), and the partial chunks benchmarks and tests make."""
        breaks = json.loads(metadata.get("page_breaks") or "[]")
        labels = json.loads(metadata.get("page_labels") or "{}")
        return cls(
            version=metadata.get("version", ""),
            doc_id=metadata.get("doc_id", ""),
            source=metadata.get("source", ""),
            page_start=metadata.get("page_start", 0),
            page_end=metadata.get("page_end", 0),
            page_breaks=tuple((offset, page) for offset, page in breaks),
            chunk_index=metadata.get("chunk_index", 0),
            n_tokens=metadata.get("n_tokens", 0),
            ingested_at=metadata.get("ingested_at", ""),
            ocr=metadata.get("ocr", False),
            reader=metadata.get("reader", ""),
            page_labels=tuple((int(page), label) for page, label in labels.items()),
            context=metadata.get(CONTEXT_KEY, ""),
        )


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as read back from the store, with its similarity to the query when there is one.

    `metadata` is the mapping as stored (plus DOCUMENT_KEY on retrieved chunks); `meta` reads it, typed."""

    id: str
    text: str
    metadata: Mapping[str, Any]
    score: float = 0.0

    @cached_property
    def meta(self) -> ChunkMetadata:
        """The chunk's metadata, typed (read once per chunk)."""
        return ChunkMetadata.from_metadata(self.metadata)

    @property
    def source(self) -> str:
        return self.meta.source

    @property
    def pages(self) -> tuple[int, int]:
        return self.meta.page_start, self.meta.page_end

    @property
    def page_breaks(self) -> list[tuple[int, int]]:
        """(char offset in the text, page number) pairs: where each page of the chunk starts."""
        return list(self.meta.page_breaks)

    @property
    def printed_labels(self) -> dict[int, str]:
        """Printed page labels (PDF /PageLabels) of this chunk's pages, where they differ from the page number."""
        return dict(self.meta.page_labels)

    @property
    def document(self) -> str:
        """What the document is (its identity's label), set by retrieval from the registry; "" when unknown."""
        return self.metadata.get(DOCUMENT_KEY, "")
