"""One entry point for ingesting into a library: folders, single files, uploads and re-indexing, all with the
chunking, reading limits and context line that the settings ask for."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ingest.options import IngestOptions
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
    options: IngestOptions | None = None  # None: as the settings say (IngestOptions.from_settings)

    @classmethod
    def of(cls, parts: Components) -> Ingestor:
        """The ingestor of a library opened with `rag.open_components` (the retriever's store and embedder)."""
        return cls(parts.store, parts.embedder, parts.settings)

    def folders(self, paths: Iterable[Path], prune: bool = False, progress: Progress | None = None) -> IngestReport:
        """Bring the store in line with the files under `paths` (see `ingest_paths`)."""
        return ingest_paths(paths, self.store, self.embedder, options=self._options, prune=prune, progress=progress)

    def file(
        self, source: str, data: bytes, path: Path | None = None, force: bool = False, steps: Steps | None = None
    ) -> FileResult:
        """Ingest one file's bytes under the name `source` (see `ingest_bytes`)."""
        return ingest_bytes(
            source, data, self.store, self.embedder, options=self._options, path=path, force=force, steps=steps
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

    @property
    def _options(self) -> IngestOptions:
        """The chunking, reading limits, context line and readers of every ingest here."""
        return self.options or IngestOptions.from_settings(self.settings)
