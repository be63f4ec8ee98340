"""One entry point for ingesting into a library: folders, single files, uploads and re-indexing, all with the
chunking, reading limits and context line that the settings ask for."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.pdf import ReadLimits
from ingest.sync import FileResult, IngestReport, Progress, Steps, ingest_bytes, ingest_paths
from ingest.uploads import ingest_upload
from rag.components import Components
from rag.config import Settings
from rag.embed import Embedder
from rag.store import DocumentRecord, Store


@dataclass(frozen=True)
class Ingestor:
    """Ingests into `store` with `embedder`, as `settings` say (see `Ingestor.of` for a library's components)."""

    store: Store
    embedder: Embedder
    settings: Settings
    limits: ReadLimits | None = None  # None: the reading limits the settings ask for

    @classmethod
    def of(cls, parts: Components) -> Ingestor:
        """The ingestor of a library opened with `rag.open_components` (the retriever's store and embedder)."""
        return cls(parts.store, parts.embedder, parts.settings)

    def folders(self, paths: Iterable[Path], prune: bool = False, progress: Progress | None = None) -> IngestReport:
        """Bring the store in line with the PDFs under `paths` (see `ingest_paths`)."""
        return ingest_paths(paths, self.store, self.embedder, prune=prune, progress=progress, **self._how)

    def file(
        self, source: str, data: bytes, path: Path | None = None, force: bool = False, steps: Steps | None = None
    ) -> FileResult:
        """Ingest one PDF's bytes under the name `source` (see `ingest_bytes`)."""
        return ingest_bytes(source, data, self.store, self.embedder, path=path, force=force, steps=steps, **self._how)

    def upload(self, client_name: str, data: bytes, steps: Steps | None = None) -> FileResult:
        """Check, keep and ingest a file sent by a browser or an API client (see `ingest_upload`)."""
        return ingest_upload(client_name, data, self, steps)

    def reindex(self, record: DocumentRecord, steps: Steps | None = None) -> FileResult:
        """Read a stored document's file again and re-embed it, even if unchanged."""
        try:
            data = Path(record.path).read_bytes()
        except OSError as error:
            return FileResult(record.source, "failed", reason=f"cannot read {record.path} ({error.strerror or error})")
        return self.file(record.source, data, path=Path(record.path), force=True, steps=steps)

    @property
    def _how(self) -> dict[str, Any]:
        """The chunking, reading limits and context line of every ingest here."""
        s = self.settings
        return {
            "chunk_tokens": s.folio_chunk_tokens,
            "chunk_overlap": s.folio_chunk_overlap,
            "limits": self.limits or ReadLimits.from_settings(s),
            "context_words": s.folio_context_words,
        }
