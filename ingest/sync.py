"""Folder ↔ store synchronisation: load → clean → chunk → embed → upsert, one file at a time.

Unchanged files (same bytes under the same name) cost one hash and one registry look-up; a file
that fails is reported by name with the reason, and the version stored before stays untouched.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np

from ingest.chunk import CHUNKER_VERSION, Chunk, chunk_pages
from ingest.identity import identify
from ingest.layout import context_line
from ingest.options import IngestOptions
from ingest.readers.base import Extracted, Reader, Unit
from ingest.readers.registry import READERS, read_file, readable
from rag.embed import Embedder, count_tokens
from rag.errors import DuplicateError, FolioError, StoreError
from rag.records import ChunkMetadata, DocumentRecord, MetadataValue
from rag.store import Store, embedded_text

PROGRESS_BATCH = 32  # chunks embedded between two progress reports (the UI's progress bar)
MIN_TEXT_TOKENS = 64  # a chunk's own text never gets fewer tokens than this, however long the context line
Status = Literal["ingested", "unchanged", "duplicate", "failed", "pruned"]
Fault = Literal["file", "library"]  # whose fault a failure is: the file's, or the library's (a full disk, a store down)
STATUSES: tuple[Status, ...] = ("ingested", "unchanged", "duplicate", "failed", "pruned")


@dataclass
class FileResult:
    source: str
    status: Status
    pages: int = 0
    chunks: int = 0
    reason: str = ""  # why it failed or was skipped, or warnings for an ingested file
    reader: str = ""  # which reader produced the text: "pypdf", "pdfium", "ocr", or a mix like "pypdf+pdfium"
    fault: Fault = "file"  # of a failure: "library" when the same file would go in once the store or disk recovers


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0

    def summary(self) -> dict[Status, int]:
        """How many files ended in each status (every status, zeros included)."""
        return {s: self.count(s) for s in STATUSES}

    def to_json(self) -> str:
        return json.dumps({"summary": self.summary(), "files": [asdict(r) for r in self.results]}, indent=2)


@dataclass(frozen=True)
class SourceFile:
    source: str  # name shown in citations
    path: Path


Progress = Callable[[str, "FileResult | None"], None]  # (source, result or None when starting)
Steps = Callable[[str, int, int], None]  # (step, done, total) within one file: "read" pages, "embedded" chunks


def find_pdfs(paths: Iterable[Path], readers: Mapping[str, Reader] = READERS) -> list[SourceFile]:
    """Files named on the command line, plus every file under the named folders that a reader is registered for
    by its suffix (*.pdf), sorted."""
    found: dict[Path, SourceFile] = {}
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file() and readable(p.name, readers)):
                found.setdefault(file.resolve(), SourceFile(file.relative_to(path).as_posix(), file.resolve()))
        else:
            found.setdefault(path.resolve(), SourceFile(path.name, path.resolve()))
    return list(found.values())


def ingest_paths(
    paths: Iterable[Path],
    store: Store,
    embedder: Embedder,
    *,
    options: IngestOptions = IngestOptions(),
    prune: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Bring the store in line with the files under `paths` and report what happened to each file."""
    paths = [Path(p) for p in paths]
    store.repair()
    report = IngestReport()
    if prune:
        report.results += prune_missing(paths, store)
    for file in find_pdfs(paths, options.readers):
        file = SourceFile(document_name(file, store), file.path)
        if progress:
            progress(file.source, None)
        try:
            data = _read_regular_file(file.path)
        except OSError as error:
            result = FileResult(file.source, "failed", reason=f"cannot read file ({error.strerror or error})")
        else:
            result = ingest_bytes(file.source, data, store, embedder, options=options, path=file.path)
        report.results.append(result)
        if progress:
            progress(file.source, result)
    return report


def document_name(file: SourceFile, store: Store) -> str:
    """The name this file is stored under. A document is its file: the name it already has when this path is
    stored; else its path relative to the folder given, or, when another file holds that name (report.pdf from
    two folders), that path with as many parent folders as make it unique."""
    known = store.document_by_path(str(file.path))
    if known:
        return known.source
    holder = store.document(file.source)
    if holder is None or holder.path in ("", str(file.path)):
        return file.source
    parts = file.path.parts
    for depth in range(len(Path(file.source).parts) + 1, len(parts)):
        candidate = "/".join(parts[-depth:])
        if store.document(candidate) is None:
            return candidate
    return file.path.as_posix()


def ingest_bytes(
    source: str,
    data: bytes,
    store: Store,
    embedder: Embedder,
    *,
    options: IngestOptions = IngestOptions(),
    path: Path | None = None,
    force: bool = False,
    steps: Steps | None = None,
) -> FileResult:
    """Ingest one file given as bytes under the name `source`; never raises for bad input.

    `force` re-reads and re-embeds the file even when it is stored unchanged (re-index). `steps` hears
    ("read", pages, pages) once the text is out and ("embedded", chunks done, chunks) as embedding goes.
    """
    doc_id = hashlib.sha256(data).hexdigest()
    try:
        chunking = f"v{CHUNKER_VERSION}:{options.chunk_tokens}/{options.chunk_overlap}/c{options.context_words}"
        existing = store.document(source)
        repaired = ""
        if existing and (existing.doc_id, existing.chunking) == (doc_id, chunking) and not force:
            stored = store.stored_chunks(existing)
            if stored == existing.chunks:
                if existing.identity is None:  # stored before identities, or by an older extractor
                    identity = identify(source, "", store.page_texts(existing))
                    store.update_record(replace(existing, identity_json=identity.to_json()))
                return FileResult(source, "unchanged", existing.pages, existing.chunks)
            repaired = f"repaired: the store held {stored} of its {existing.chunks} chunks"
        twin = store.document_by_content(doc_id)
        if twin and twin.source != source:  # skipped, not failed: a folder with a copy in it is not broken
            return FileResult(source, "duplicate", reason=f"same content as '{twin.source}', which is already stored")
        extracted = read_file(source, data, options.limits, options.readers)
        context = document_context(source, extracted, options.context_words)
        text_tokens = max(MIN_TEXT_TOKENS, options.chunk_tokens - count_tokens(context) - 1)
        chunks = chunk_pages(extracted.units, text_tokens, options.chunk_overlap)
        if steps:
            steps("read", extracted.unit_count, extracted.unit_count)
        texts = [embedded_text(chunk_context(context, c), c.text) for c in chunks]
        vectors = _embed(embedder, texts, steps)
        record = DocumentRecord(
            source=source,
            doc_id=doc_id,
            path=str(path or ""),
            pages=extracted.unit_count,
            chunks=len(chunks),
            ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
            chunking=chunking,
            warnings="; ".join(extracted.warnings),
            identity_json=identify(source, extracted.title, [u.text for u in extracted.units]).to_json(),
        )
        store.write_document(
            record,
            ids=[f"{record.version}-{c.index}" for c in chunks],
            texts=[c.text for c in chunks],
            metadatas=[chunk_metadata(record, c, extracted.units, chunk_context(context, c)) for c in chunks],
            vectors=vectors,
        )
    except FolioError as error:
        duplicate = next((e for e in (error, error.__cause__) if isinstance(e, DuplicateError)), None)
        if duplicate:  # the same bytes were stored under another name a moment ago (the store re-checks under its lock)
            return FileResult(source, "duplicate", reason=str(duplicate))
        fault: Fault = "library" if isinstance(error, StoreError) else "file"
        return FileResult(source, "failed", reason=str(error), fault=fault)
    except Exception as error:  # noqa: BLE001 - one file's surprise must not stop the others
        return FileResult(source, "failed", reason=f"unexpected error: {type(error).__name__}: {error}"[:200])
    readers = "+".join(sorted(extracted.readers, key=lambda r: -extracted.readers[r]))
    reason = "; ".join(filter(None, [repaired, record.warnings]))
    return FileResult(source, "ingested", record.pages, record.chunks, reason=reason, reader=readers)


def _embed(embedder: Embedder, texts: list[str], steps: Steps | None) -> np.ndarray:
    """All the vectors; with `steps`, in batches that report how many are done."""
    if not steps:
        return embedder.embed(texts)
    batches = []
    for start in range(0, len(texts), PROGRESS_BATCH):
        batches.append(embedder.embed(texts[start : start + PROGRESS_BATCH]))
        steps("embedded", min(start + PROGRESS_BATCH, len(texts)), len(texts))
    return np.vstack(batches) if batches else embedder.embed(texts)


def _read_regular_file(path: Path) -> bytes:
    """The file's bytes; a named pipe, a device or a socket is refused (reading one can block forever)."""
    with open(path, "rb", opener=lambda name, flags: os.open(name, flags | os.O_NONBLOCK)) as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a pipe, device or socket)")
        return file.read()


def prune_missing(paths: list[Path], store: Store) -> list[FileResult]:
    """Delete documents whose file lived under one of `paths` and is gone now."""
    roots = [p.resolve() for p in paths if p.is_dir()]
    pruned = []
    for doc in store.documents():
        file = Path(doc.path) if doc.path else None
        if file and any(file.is_relative_to(root) for root in roots) and not file.exists():
            store.delete_document(doc.source)
            pruned.append(FileResult(doc.source, "pruned", doc.pages, doc.chunks, reason="file no longer exists"))
    return pruned


def document_context(source: str, extracted: Extracted, words: int) -> str:
    """The document's context line (see ingest.layout.context_line); "" when `words` is 0."""
    if not words:
        return ""
    cover = extracted.units[0].text if extracted.cover is None else extracted.cover
    return context_line(source, extracted.title, extracted.running, cover, words)


def chunk_context(document: str, chunk: Chunk) -> str:
    """The document's context line, and for a chunk that starts inside a table, that table's header line."""
    return f"{document} | {chunk.table_header}" if chunk.table_header else document


def chunk_metadata(record: DocumentRecord, chunk: Chunk, units: list[Unit], context: str) -> dict[str, MetadataValue]:
    """Chroma metadata of a chunk; `context` is keyword-indexed with the text (see rag.retrieve)."""
    spanned = [p for p in units if chunk.page_start <= p.number <= chunk.page_end]
    return ChunkMetadata(
        version=record.version,
        doc_id=record.doc_id,
        source=record.source,
        page_start=chunk.page_start,
        page_end=chunk.page_end,
        page_breaks=chunk.page_breaks,
        chunk_index=chunk.index,
        n_tokens=chunk.n_tokens,
        ingested_at=record.ingested_at,
        ocr=any(p.ocr for p in spanned),
        reader="+".join(sorted({p.reader for p in spanned})),
        page_labels=tuple((p.number, p.label) for p in spanned if p.label),
        context=context,
    ).to_metadata()
