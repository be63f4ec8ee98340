"""One entry point for ingesting into a library: folders, single files, uploads and re-indexing, all with the
chunking, reading limits and context line that the settings ask for."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ingest.pdf import ReadLimits
from ingest.sync import FileResult, IngestReport, Progress, Steps, ingest_bytes, ingest_paths
from ingest.uploads import ingest_upload
from rag.config import Settings
from rag.embed import Embedder
from rag.store import DocumentRecord, Store


@dataclass(frozen=True)
class Ingestor:
    """Ingests into `store` with `embedder`, as `settings` say (see `Ingestor.of` for a library's components)."""

    store: Store
    embedder: Embedder
    settings: Settings
    limits: ReadLimits = field(default=None)  # type: ignore[assignment]  # None: from the settings

    def __post_init__(self) -> None:
        if self.limits is None:
            object.__setattr__(self, "limits", ReadLimits.from_settings(self.settings))

    @classmethod
    def of(cls, parts) -> Ingestor:
        """The ingestor of a library opened with `rag.open_components` (the retriever's store and embedder)."""
        return cls(parts.store, parts.embedder, parts.settings)

    def folders(self, paths: Iterable[Path], prune: bool = False, progress: Progress | None = None) -> IngestReport:
        """Bring the store in line with the PDFs under `paths` (see `ingest_paths`)."""
        s = self.settings
        return ingest_paths(
            paths,
            self.store,
            self.embedder,
            s.folio_chunk_tokens,
            s.folio_chunk_overlap,
            prune=prune,
            progress=progress,
            limits=self.limits,
            context_words=s.folio_context_words,
        )

    def file(
        self, source: str, data: bytes, path: Path | None = None, force: bool = False, steps: Steps | None = None
    ) -> FileResult:
        """Ingest one PDF's bytes under the name `source` (see `ingest_bytes`)."""
        s = self.settings
        return ingest_bytes(
            source,
            data,
            self.store,
            self.embedder,
            s.folio_chunk_tokens,
            s.folio_chunk_overlap,
            path=path,
            force=force,
            limits=self.limits,
            context_words=s.folio_context_words,
            steps=steps,
        )

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
