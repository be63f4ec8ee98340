"""Files uploaded in the browser: nothing the client sends may choose where a file is written,
and a bad upload is a one-line reason, never a traceback."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.sync import FileResult, Steps
from rag.errors import FolioError
from rag.store import Store

if TYPE_CHECKING:
    from ingest.ingestor import Ingestor


def safe_upload_name(client_name: str) -> str:
    """The file's base name, reduced to safe characters and 100 characters, always ending in .pdf."""
    name = Path(client_name.replace("\\", "/").replace("\x00", "")).name
    stem = re.sub(r"[^\w.\- ]", "_", Path(name).stem).strip(" .") or "upload"
    return f"{stem[:100]}.pdf"


def ingest_upload(client_name: str, data: bytes, ingestor: Ingestor, steps: Steps | None = None) -> FileResult:
    """Check, ingest and keep one uploaded file (under its safe name in the uploads folder).

    The file is written first (a full disk fails before anything is stored) and kept only when it was ingested
    (or is stored unchanged), so the uploads folder never holds files that are not in the store. The content
    decides whether it is a PDF, not the name.
    """
    name = safe_upload_name(client_name)
    limit = ingestor.settings.folio_max_upload_mb
    if len(data) > limit * 1024 * 1024:
        return FileResult(name, "failed", reason=f"larger than the {limit} MB limit (FOLIO_MAX_UPLOAD_MB)")
    target = ingestor.settings.uploads_dir / name
    try:
        temporary = _write_temporary(target, data)
    except OSError as error:  # disk full, read-only folder: nothing is stored
        return FileResult(name, "failed", reason=f"cannot save the upload ({error.strerror or error})")
    try:
        previous = _stored(ingestor.store, name)
        result = ingestor.file(name, data, path=target.resolve(), steps=steps)
        if result.status in ("ingested", "unchanged"):
            os.replace(temporary, target)  # a reader never sees half a file
        if result.status == "ingested" and previous:
            result.reason = "; ".join(filter(None, ["replaced the earlier file of this name", result.reason]))
    finally:
        temporary.unlink(missing_ok=True)
    return result


def _stored(store: Store, name: str) -> bool:
    """Whether a document of this name is stored (a store that fails here fails in ingest_bytes with its reason)."""
    try:
        return store.document(name) is not None
    except FolioError:
        return False


def _write_temporary(target: Path, data: bytes) -> Path:
    """`data` in a temporary file next to `target` (renamed onto it once the document is stored)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)
