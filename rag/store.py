"""The Chroma store: a chunk collection plus a small document registry.

Why a registry collection: Chroma has no transactions. A document becomes visible only when its
registry record is written, after all its chunks are stored; the previous version's chunks are
deleted after that. Chunks whose document is not registered (left by a crash mid-write) are
ignored by queries and removed by `repair()`. The registry also makes listing documents cheap.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, Literal, ParamSpec, TypeVar

import httpx
import numpy as np
from filelock import FileLock, Timeout

from rag.config import Settings
from rag.embed import Embedder
from rag.errors import ConfigError, DuplicateError, StoreError
from rag.keyword import KeywordIndex
from rag.records import CONTEXT_KEY as CONTEXT_KEY  # the record types stay importable from here
from rag.records import DOCUMENT_KEY as DOCUMENT_KEY
from rag.records import ChunkMetadata, DocumentRecord, StoredChunk
from rag.records import PageSpan as PageSpan

if TYPE_CHECKING:  # chromadb is imported when a store is opened (1 s)
    from chromadb.api import ClientAPI
    from chromadb.api.types import GetResult, Where

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")

REGISTRY_SUFFIX = "-docs"
OPEN_TIMEOUT_S = 120  # how long opening an embedded store waits for another process that is opening it
ORPHAN_GRACE_SECONDS = 3600  # server mode: an unregistered chunk this old is left over, not being written
REGISTRY_VECTOR: list[Sequence[float]] = [[1.0]]  # a registry record's: Chroma stores a vector with every record


def embedded_text(context: str, text: str) -> str:
    """What the encoder and the keyword index read for a chunk: the document's context line, then its own text."""
    return f"{context}\n{text}" if context else text


def make_client(settings: Settings) -> ClientAPI:
    """An embedded on-disk Chroma client, or an HTTP client when CHROMA_HOST is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        where = f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
        deadline = httpx.Timeout(settings.folio_chroma_timeout)
        try:
            # chromadb's own first request has no deadline: a frozen server would hang here for ever
            httpx.get(f"http://{settings.chroma_host}:{settings.chroma_port}/api/v2/heartbeat", timeout=deadline)
            client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        except httpx.TimeoutException as error:
            raise StoreError(f"{where} did not answer within {deadline.read:g} s (FOLIO_CHROMA_TIMEOUT)") from error
        except Exception as error:  # chromadb raises plain ValueError/httpx errors here
            raise StoreError(f"cannot reach {where} ({error})") from error
        _set_deadline(client, deadline)
        return client
    try:
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
    except Exception as error:  # a full disk, a read-only folder: chromadb raises its own types, with tracebacks
        raise StoreError(f"cannot open the embedded store in {settings.chroma_path} ({error})") from error


def _set_deadline(client: ClientAPI, deadline: httpx.Timeout) -> None:
    """Give every request of chromadb's HTTP client a deadline.

    chromadb 1.5 builds its httpx session with `timeout=None` and offers no setting for it
    (chroma-core/chroma#5805), so the session is reached through the client; tests/test_chroma_server.py
    checks that a frozen server gives a StoreError within the deadline, so a chromadb change that
    moves the session fails there.
    """
    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = deadline


def _translated(method: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
    """Chroma failures (a server that went away, a damaged store) become a StoreError with the reason."""

    @functools.wraps(method)
    def wrapper(self: Store, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.translate_errors():
            return method(self, *args, **kwargs)

    return wrapper


class Store:
    """Chunks and documents of one collection, tied to one embedding model."""

    def __init__(
        self,
        client: ClientAPI,
        name: str,
        model: str,
        dim: int,
        keywords: KeywordIndex,
        lock_path: Path | None = None,
        lock_timeout: float = 600,
        where: str = "the embedded store",
    ) -> None:
        self._client = client
        self.where = where  # for messages: "the embedded store" or "the Chroma server at host:port"
        # One writer at a time across processes (CLI ingest, UI uploads): embedded Chroma is not
        # safe for concurrent writers. A Chroma server serialises writes itself.
        self._lock = FileLock(lock_path, timeout=lock_timeout) if lock_path else None
        self.keywords = keywords
        self.name = name
        self.model = model
        self.dim = dim
        try:
            self.chunks = client.get_or_create_collection(
                name,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedding_model": model, "embedding_dim": dim},
            )
            self.registry = client.get_or_create_collection(name + REGISTRY_SUFFIX, embedding_function=None)
        except Exception as error:
            raise StoreError(f"cannot open collection '{name}' in {where}: {error}") from error
        meta = self.chunks.metadata or {}
        if (meta.get("embedding_model"), meta.get("embedding_dim")) != (model, dim):
            raise StoreError(
                f"collection '{name}' was built with the embedding model {meta.get('embedding_model')} "
                f"(dim {meta.get('embedding_dim')}), but Folio is set to use {model} (dim {dim}). "
                "Use another FOLIO_COLLECTION, or set FOLIO_EMBEDDING back."
            )

    # documents -------------------------------------------------------------------------------

    @_translated
    def documents(self) -> list[DocumentRecord]:
        """All registered documents, sorted by source."""
        got = self.registry.get(include=["metadatas"])
        return sorted(map(DocumentRecord.from_metadata, _included(got["metadatas"])), key=lambda d: d.source)

    @_translated
    def document(self, source: str) -> DocumentRecord | None:
        """The registered document with this source name, if any."""
        return self._registered(self.registry.get(ids=[source], include=["metadatas"]))

    @_translated
    def document_by_path(self, path: str) -> DocumentRecord | None:
        """The registered document read from this file (absolute path), if any."""
        return self._registered(self.registry.get(where={"path": path}, include=["metadatas"], limit=1))

    def matching(self, prefix: str) -> list[DocumentRecord]:
        """The document named exactly `prefix`, or else every document whose name starts with it."""
        documents = self.documents()
        exact = [d for d in documents if d.source == prefix]
        return exact or [d for d in documents if d.source.startswith(prefix)]

    @_translated
    def document_by_content(self, doc_id: str) -> DocumentRecord | None:
        """A registered document with these exact bytes, if any."""
        return self._registered(self.registry.get(where={"doc_id": doc_id}, include=["metadatas"], limit=1))

    @_translated
    def write_document(
        self,
        record: DocumentRecord,
        ids: Sequence[str],
        texts: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
        vectors: np.ndarray,
    ) -> None:
        """Store a document's chunks, then register it, then drop its previous version's chunks."""
        with self._writing():
            twin = self.document_by_content(record.doc_id)  # checked again under the lock: two uploads at once
            if twin and twin.source != record.source:
                raise DuplicateError(f"same content as '{twin.source}', which is already stored")
            previous = self.document(record.source)
            for start in range(0, len(ids), self._batch):
                end = start + self._batch
                self.chunks.upsert(
                    ids=list(ids[start:end]),
                    documents=list(texts[start:end]),
                    metadatas=list(metadatas[start:end]),
                    embeddings=vectors[start:end],
                )
            contexts = (ChunkMetadata.from_metadata(m).context for m in metadatas)
            indexed = [embedded_text(c, t) for c, t in zip(contexts, texts, strict=True)]
            self.keywords.add(record.version, ids, indexed)
            self.registry.upsert(ids=[record.source], metadatas=[record.to_metadata()], embeddings=REGISTRY_VECTOR)
            if previous and previous.version != record.version:
                self._delete_chunks_of(previous)

    @_translated
    def delete_document(self, source: str) -> DocumentRecord | None:
        """Unregister a document and delete its chunks; returns what was deleted."""
        with self._writing():
            record = self.document(source)
            if record:
                self.registry.delete(ids=[source])
                self._delete_chunks_of(record)
            return record

    @_translated
    def repair(self) -> int:
        """Delete chunks that no registered document owns (left by an interrupted write).

        With a Chroma server there is no lock between writers: another process may be writing a
        document right now, its chunks stored and its registry record not yet. So there, only orphans
        older than ORPHAN_GRACE_SECONDS are deleted (measured before: two ingests at once lost all 600
        chunks of one document this way).
        """
        with self._writing():
            owned = [d.version for d in self.documents()]
            where = _where("version", "$nin", owned) if owned else None
            found = self.chunks.get(where=where, include=["metadatas"])
            grace = 0 if self._lock else ORPHAN_GRACE_SECONDS
            orphans = [
                chunk_id
                for chunk_id, metadata in zip(found["ids"], _included(found["metadatas"]), strict=True)
                if _age_seconds(ChunkMetadata.from_metadata(metadata).ingested_at) >= grace
            ]
            for start in range(0, len(orphans), self._batch):
                self.chunks.delete(ids=orphans[start : start + self._batch])
            self.keywords.prune(set(owned))
            return len(orphans)

    @_translated
    def update_record(self, record: DocumentRecord) -> None:
        """Rewrite a registered document's record, unless another version replaced it meanwhile (its chunks stay
        as they are: only what the record says about them changes)."""
        with self._writing():
            current = self.document(record.source)
            if current and current.version == record.version:
                self.registry.upsert(ids=[record.source], metadatas=[record.to_metadata()], embeddings=REGISTRY_VECTOR)

    @_translated
    def page_texts(self, record: DocumentRecord) -> list[str]:
        """A stored document's text by page, put back together from its chunks (overlaps repeated): what its
        identity is worked out from when the file itself is not read again."""
        chunks = _chunks(self.chunks.get(where={"version": record.version}, include=["documents", "metadatas"]))
        pages: dict[int, list[str]] = {}
        for chunk in sorted(chunks, key=lambda c: c.meta.chunk_index):
            breaks = chunk.page_breaks + [(len(chunk.text), 0)]
            for (start, page), (end, _) in zip(breaks, breaks[1:], strict=False):
                pages.setdefault(page, []).append(chunk.text[start:end])
        return ["\n".join(pages.get(page, [])) for page in range(1, max(pages, default=0) + 1)]

    @_translated
    def stored_chunks(self, record: DocumentRecord) -> int:
        """How many chunks of this document version the store holds (its record says `record.chunks`)."""
        return len(self.chunks.get(where={"version": record.version}, include=[])["ids"])

    # chunks ----------------------------------------------------------------------------------

    def nearest(self, vector: np.ndarray, n: int, sources: Sequence[str] | None = None) -> list[StoredChunk]:
        """The n chunks nearest to `vector` (of the documents named `sources`, if given), scored by cosine."""
        where = _where("source", "$in", sources) if sources else None
        got = self.chunks.query(
            query_embeddings=[vector], n_results=n, where=where, include=["documents", "metadatas", "distances"]
        )
        columns = (_included(got["documents"])[0], _included(got["metadatas"])[0], _included(got["distances"])[0])
        return [
            StoredChunk(id=i, text=t, metadata=m, score=1.0 - d)
            for i, t, m, d in zip(got["ids"][0], *columns, strict=True)
        ]

    def keyword_hits(
        self, question: str, versions: Sequence[str], n: int, context: str = ""
    ) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the n best keyword matches among these document versions (`context`: words
        searched with a lower weight)."""
        return self.keywords.search(question, versions, n, self._indexed_texts, context)

    def chunks_by_id(self, ids: Sequence[str]) -> dict[str, StoredChunk]:
        """The stored chunks with these ids, by id (ids not stored are left out)."""
        if not ids:
            return {}
        return {c.id: c for c in _chunks(self.chunks.get(ids=list(ids), include=["documents", "metadatas"]))}

    def _indexed_texts(self, version: str) -> tuple[list[str], list[str]]:
        chunks = _chunks(self.chunks.get(where={"version": version}, include=["documents", "metadatas"]))
        return [c.id for c in chunks], [embedded_text(c.meta.context, c.text) for c in chunks]

    @_translated
    def all_chunks(self) -> list[StoredChunk]:
        """Every chunk with its text."""
        out: list[StoredChunk] = []
        for offset in range(0, self.chunks.count(), self._batch):
            out += _chunks(self.chunks.get(include=["documents", "metadatas"], limit=self._batch, offset=offset))
        return out

    @_translated
    def count(self) -> int:
        """Number of stored chunks."""
        return self.chunks.count()

    @_translated
    def refresh(self) -> None:
        """Make this process's vector index include what other processes wrote.

        Embedded Chroma keeps each collection's vector index in memory and brings it up to date
        with its write log only when this process writes; `get`/`count` always read the log. A
        no-op delete is the cheapest write (measured: a long-lived reader saw chunks written by
        another process in `count()` but not in `query()` until it wrote something).
        """
        self.chunks.delete(ids=["folio-refresh-no-such-id"])

    @contextmanager
    def translate_errors(self) -> Iterator[None]:
        """Turn any Chroma failure inside the block into a StoreError naming the store."""
        try:
            yield
        except StoreError:
            raise
        except Exception as error:  # chromadb and httpx raise many types; the message is what matters
            detail = f"{type(error).__name__}: {error}"[:200]
            if isinstance(error, httpx.TimeoutException):
                raise StoreError(f"{self.where} did not answer in time (FOLIO_CHROMA_TIMEOUT)") from error
            if "disk is full" in detail or "No space left" in detail:  # SQLite's and the OS's words for ENOSPC
                raise StoreError(f"{self.where} cannot write: the disk is full ({detail})") from error
            if "connect" in detail.lower():
                raise StoreError(f"cannot reach {self.where}: is it running? ({detail})") from error
            raise StoreError(f"{self.where} failed ({detail})") from error

    @staticmethod
    def _registered(got: GetResult) -> DocumentRecord | None:
        """The document record in a registry look-up's result, if it found one."""
        return DocumentRecord.from_metadata(_included(got["metadatas"])[0]) if got["ids"] else None

    def _delete_chunks_of(self, record: DocumentRecord) -> None:
        self.chunks.delete(where={"version": record.version})
        self.keywords.drop([record.version])

    @contextmanager
    def _writing(self) -> Iterator[None]:
        if self._lock is None:
            yield
            return
        try:
            self._lock.acquire()
        except Timeout as error:
            raise StoreError(
                f"another Folio process is still writing to the store (waited {self._lock.timeout:g} s); try again"
            ) from error
        try:
            yield
        finally:
            self._lock.release()

    @property
    def _batch(self) -> int:
        return min(1000, self._client.get_max_batch_size())


def _included(column: list[T] | None) -> list[T]:
    """A column of a Chroma result: chromadb types each one Optional, and gives every one `include` asks for."""
    if column is None:
        raise StoreError("the store left out a column it was asked for")
    return column


def _where(key: str, operator: Literal["$in", "$nin"], values: Sequence[str]) -> Where:
    """A filter of the records whose `key` is (`$in`) or is not (`$nin`) one of `values`."""
    listed: list[str | int | float | bool] = list(values)
    return {key: {operator: listed}}


def _chunks(got: GetResult) -> list[StoredChunk]:
    """The chunks in the result of a `get` that included their documents and metadatas."""
    columns = (_included(got["documents"]), _included(got["metadatas"]))
    return [StoredChunk(i, t, m) for i, t, m in zip(got["ids"], *columns, strict=True)]


def _age_seconds(iso_time: str) -> float:
    """Seconds since an ISO timestamp; infinite when there is none (chunks written before it was recorded)."""
    try:
        return (datetime.now(UTC) - datetime.fromisoformat(iso_time)).total_seconds()
    except ValueError:
        return math.inf


COLLECTION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]")  # what Chroma accepts, minus our suffix


def collection_names(settings: Settings) -> list[str]:
    """The Folio collections in the configured store (each with its document registry), sorted."""
    try:
        with _opening(settings):
            names = {collection.name for collection in make_client(settings).list_collections()}
    except StoreError:
        raise
    except Exception as error:  # chromadb raises many types
        raise StoreError(f"cannot list the collections ({type(error).__name__}: {error})") from error
    return sorted(name for name in names if name + REGISTRY_SUFFIX in names)


def check_collection_name(name: str) -> str:
    """`name` if Chroma accepts it as a collection name; ConfigError saying what is allowed otherwise."""
    if not COLLECTION_NAME.fullmatch(name):
        raise ConfigError(
            f"'{name}' cannot name a collection: 3-63 letters, digits, '.', '_' or '-', starting and ending "
            "with a letter or digit"
        )
    return name


def open_library(settings: Settings) -> tuple[Embedder, Store]:
    """The embedder and the store of the configured collection."""
    from rag.embed import make_embedder

    embedder = make_embedder(settings)
    return embedder, open_store(settings, embedder)


def open_store(settings: Settings, embedder: Embedder) -> Store:
    """Open (or create) the configured collection for this embedder."""
    if settings.chroma_host:
        lock, where = None, f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
        keywords = settings.folio_data_dir / "keyword" / f"{settings.chroma_host}-{settings.chroma_port}"
    else:
        lock, where = settings.chroma_path / "folio-write.lock", f"the embedded store in {settings.chroma_path}"
        keywords = settings.chroma_path / "keyword"
    with _opening(settings):
        client = make_client(settings)
        name = settings.folio_collection
        index = KeywordIndex(keywords / name)
        return Store(client, name, embedder.name, embedder.dim, index, lock_path=lock, where=where)


@contextmanager
def _opening(settings: Settings) -> Iterator[None]:
    """One process at a time opens an embedded store: processes that create a new store at once race on its
    tables in Chroma ('table collections already exists'). Held only while opening, so a long ingest (which
    holds folio-write.lock) does not keep readers out."""
    if settings.chroma_host:
        yield
        return
    try:
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        lock = FileLock(settings.chroma_path / "folio-open.lock", timeout=OPEN_TIMEOUT_S)
        lock.acquire()
    except Timeout as error:
        raise StoreError(f"{settings.chroma_path} was kept busy by another process for {OPEN_TIMEOUT_S} s") from error
    except OSError as error:
        raise StoreError(f"cannot open the embedded store in {settings.chroma_path} ({error})") from error
    try:
        yield
    finally:
        lock.release()
