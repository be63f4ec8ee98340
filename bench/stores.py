"""Stores and embeddings kept between benchmark runs (finance-dev takes 30 minutes to ingest, and each tutorial
pipeline another 15 to embed), under FOLIO_BENCH_CACHE (default ~/.cache/folio-bench):

    <library>/<tokens>-<overlap>-c<context words>[-<reading or embedding changed>]/   a FOLIO_DATA_DIR
    <library>/pdfs.txt                                the PDF folder the library's stores hold
    embeddings/<library>/<pipeline>-<sha256 prefix>.npy   a tutorial pipeline's chunk vectors

A store is brought in line with its PDF folder by Folio's own incremental ingest (unchanged files are skipped by
content hash and chunking; a CHUNKER_VERSION bump re-ingests them), so reusing one is opening it again. Delete a
folder to start it afresh.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from bench.datasets import Dataset
from ingest import IngestOptions, Ingestor, ReadLimits
from rag import Components, Settings, open_components
from rag.embed import Embedder

CACHE_ENV = "FOLIO_BENCH_CACHE"


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "folio-bench")


def bench_settings(data_dir: Path, **overrides) -> Settings:
    """Folio's defaults (no .env, embedded store) with `overrides`, storing under `data_dir`."""
    return Settings(_env_file=None, folio_data_dir=data_dir, chroma_host=None, **overrides)


@dataclass
class Library:
    """An opened bench store and what bringing it in line with its PDFs took."""

    parts: Components
    seconds: float
    ingested: int  # files read and embedded this run (0: the store was reused as it was)
    where: Path

    @property
    def ingest_cell(self) -> str:
        """The ingest time as a report shows it: a reused store's seconds are not an ingest."""
        return f"{self.seconds:.1f}" if self.ingested else "reused"


_OPEN: dict[Path, Library] = {}  # each store is opened once per process (quality, sweep and ablation share them)


def open_library(dataset: Dataset, reading: dict | None = None, **overrides) -> Library:
    """The store of the dataset's PDFs ingested with Folio's defaults changed by `overrides` (settings) and
    `reading` (ReadLimits fields), from the cache when it holds one; only what changed is ingested."""
    settings = bench_settings(Path("unused"), **overrides)
    limits = replace(ReadLimits.from_settings(settings), **(reading or {}))
    where = _library_dir(dataset) / store_name(settings, limits)
    if where in _OPEN:  # opened earlier in this run: nothing to ingest now
        return replace(_OPEN[where], seconds=0.0, ingested=0)
    _lock(where)
    settings = bench_settings(where, **overrides)
    parts = open_components(settings)
    start = time.perf_counter()
    options = replace(IngestOptions.from_settings(settings), limits=limits)
    report = Ingestor(parts.store, parts.embedder, settings, options).folders([dataset.pdfs], prune=True)
    library = Library(parts, time.perf_counter() - start, report.count("ingested"), where)
    counts = ", ".join(f"{report.count(s)} {s}" for s in ("unchanged", "ingested", "pruned", "failed"))
    state = "reused" if not library.ingested else "updated" if report.count("unchanged") else "built"
    _note(f"bench store {where}: {state} ({counts}; {parts.store.count()} chunks) in {library.seconds:.1f} s")
    _OPEN[where] = library
    return library


def store_name(settings: Settings, limits: ReadLimits) -> str:
    """`256-48-c40`, then each reading limit or embedding that differs from Folio's defaults (`-reader=pypdf`)."""
    name = f"{settings.folio_chunk_tokens}-{settings.folio_chunk_overlap}-c{settings.folio_context_words}"
    usual = ReadLimits.from_settings(bench_settings(Path("unused")))
    changed = [
        f"{f.name}={getattr(limits, f.name)}"
        for f in fields(limits)
        if getattr(limits, f.name) != getattr(usual, f.name)
    ]
    if settings.folio_embedding != "local":
        changed.append(f"embedding={settings.folio_openai_embedding_model}")
    return "-".join([name, *changed])


def _library_dir(dataset: Dataset) -> Path:
    """The cache folder of the dataset's PDF folder; another folder of the same name gets its own."""
    pdfs = str(dataset.pdfs.resolve())
    folder = cache_root() / dataset.library
    marker = folder / "pdfs.txt"
    if marker.exists() and marker.read_text().strip() != pdfs:
        folder = cache_root() / f"{dataset.library}-{hashlib.sha256(pdfs.encode()).hexdigest()[:8]}"
        marker = folder / "pdfs.txt"
    folder.mkdir(parents=True, exist_ok=True)
    if not marker.exists():
        marker.write_text(pdfs + "\n")
    return folder


_HELD: list = []  # the lock files of the stores this process holds


def _lock(where: Path) -> None:
    """Hold the store for the rest of this process: two bench runs writing one store would corrupt it."""
    where.mkdir(parents=True, exist_ok=True)
    handle = open(where / "bench.lock", "w")  # held open, and so locked, until the process ends
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        _note(f"waiting for another bench run to release {where}")
        fcntl.flock(handle, fcntl.LOCK_EX)
    _HELD.append(handle)


def cached_vectors(label: str, texts: Sequence[str], embedder: Embedder) -> tuple[np.ndarray, bool]:
    """The embeddings of `texts`, read from the cache when the same texts were embedded by the same embedder;
    whether they were. `label` names the file (`finance-dev/langchain-tutorial`); older files of it are removed."""
    digest = hashlib.sha256(embedder.name.encode())
    for text in texts:
        data = text.encode()
        digest.update(len(data).to_bytes(8, "little") + data)
    folder, stem = (cache_root() / "embeddings" / label).parent, Path(label).name
    path = folder / f"{stem}-{digest.hexdigest()[:16]}.npy"
    if path.exists():
        vectors = np.load(path)
        if vectors.shape[0] == len(texts):
            _note(f"bench embeddings {path}: reused ({len(texts)} chunks)")
            return vectors, True
    vectors = np.asarray(embedder.embed(list(texts)), dtype=np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npy")
    np.save(partial, vectors)
    os.replace(partial, path)  # a run stopped mid-write leaves no truncated file under the real name
    for old in folder.glob(f"{stem}-*.npy"):
        if old != path:
            old.unlink()
    _note(f"bench embeddings {path}: embedded {len(texts)} chunks")
    return vectors, False


def _note(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
