"""Ingestion pipeline: files → units of text (a reader per format, `ingest.readers`) → chunks → vectors → Chroma.

Public API (used by the CLI, the UI, the API server and the tests): `Ingestor` (folders, files, uploads and
re-indexing with every option from the settings), `IngestJobs` (the UI's background queue), `clean_uploads`
(interrupted uploads, at a UI or API start), `render_preview`, folders kept in sync (`FolderWatcher`, its
`WatchEvent`s, and `watched_folders`: their status for the UI), and the lower-level `ingest_paths`,
`ingest_bytes`, `find_pdfs`, with their options `IngestOptions` and `ReadLimits`; `ACCEPTED_SUFFIXES` are the file
suffixes Folio reads (one per registered reader). Names are imported on first use, so
the reading child processes (which import `ingest.readers` only) start without Chroma and the embedder.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the same names for type checkers and editors (at run time they are imported on first use)
    from ingest.ingestor import Ingestor  # noqa: F401
    from ingest.jobs import IngestJobs  # noqa: F401
    from ingest.options import IngestOptions  # noqa: F401
    from ingest.preview import render_preview  # noqa: F401
    from ingest.readers.base import ReadLimits  # noqa: F401
    from ingest.readers.registry import ACCEPTED_SUFFIXES  # noqa: F401
    from ingest.sync import FileResult, IngestReport, find_pdfs, ingest_bytes, ingest_paths  # noqa: F401
    from ingest.uploads import clean_uploads  # noqa: F401
    from ingest.watch import FolderWatcher, WatchedFolder, WatchEvent, watched_folders  # noqa: F401

_HOMES = {
    "ACCEPTED_SUFFIXES": "ingest.readers.registry",
    "FileResult": "ingest.sync",
    "FolderWatcher": "ingest.watch",
    "IngestJobs": "ingest.jobs",
    "clean_uploads": "ingest.uploads",
    "Ingestor": "ingest.ingestor",
    "IngestOptions": "ingest.options",
    "render_preview": "ingest.preview",
    "IngestReport": "ingest.sync",
    "find_pdfs": "ingest.sync",
    "ingest_bytes": "ingest.sync",
    "ingest_paths": "ingest.sync",
    "ReadLimits": "ingest.readers.base",
    "WatchEvent": "ingest.watch",
    "WatchedFolder": "ingest.watch",
    "watched_folders": "ingest.watch",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'ingest' has no attribute {name!r}")
