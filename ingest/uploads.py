"""Files uploaded in the browser: nothing the client sends may choose where a file is written,
and a bad upload is a one-line reason, never a traceback."""

from __future__ import annotations

import fcntl
import logging
import os
import re
import tempfile
import time
from pathlib import Path
from typing import BinaryIO, Protocol

from ingest.readers.registry import readable, suffix_for, unsupported
from ingest.sync import FileResult, Steps
from rag.config import Settings
from rag.errors import FolioError
from rag.store import Store

log = logging.getLogger(__name__)
LEFTOVER_AGE_S = 3600  # a `tmp*.part` untouched this long and not locked is from an interrupted upload


class Library(Protocol):
    """Where an upload is ingested: an `ingest.Ingestor` (its settings, its store, and how it ingests one file)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> Store: ...

    def file(
        self, source: str, data: bytes, path: Path | None = None, force: bool = False, steps: Steps | None = None
    ) -> FileResult: ...


def safe_upload_name(client_name: str, data: bytes = b"") -> str:
    """The file's base name, reduced to safe characters and 100 characters, ending in its suffix when a reader is
    registered for it, else in the suffix of the format its content has ("scan" holding a PDF: "scan.pdf"), else
    in its own suffix reduced to safe characters (a file that is then refused is named as sent). Either way the
    content decides how it is read."""
    name = Path(client_name.replace("\\", "/").replace("\x00", "")).name
    stem = re.sub(r"[^\w.\- ]", "_", Path(name).stem).strip(" .") or "upload"
    own = re.sub(r"[^\w.]", "_", Path(name).suffix.lower())[:16]
    suffix = own if readable(name) else (suffix_for(data) or own)
    return f"{stem[:100]}{suffix}"


def ingest_upload(client_name: str, data: bytes, ingestor: Library, steps: Steps | None = None) -> FileResult:
    """Check, ingest and keep one uploaded file (under its safe name in the uploads folder).

    The file is written first (a full disk fails before anything is stored) and kept only when it was ingested
    (or is stored unchanged), so the uploads folder never holds files that are not in the store. The content
    decides how it is read, not the name (see `ingest.readers.registry`).
    """
    name = safe_upload_name(client_name, data)
    limit = ingestor.settings.folio_max_upload_mb
    if len(data) > limit * 1024 * 1024:
        return FileResult(name, "failed", reason=f"larger than the {limit} MB limit (FOLIO_MAX_UPLOAD_MB)")
    if refused := unsupported(name, data):  # a format Folio does not read: nothing is written
        return FileResult(name, "failed", reason=refused)
    target = ingestor.settings.uploads_dir / name
    try:
        temporary, held = _write_temporary(target, data)
    except OSError as error:  # disk full, read-only folder: nothing is stored
        return FileResult(name, "failed", reason=f"cannot save the upload ({error.strerror or error})", fault="library")
    try:
        previous = _stored(ingestor.store, name)
        result = ingestor.file(name, data, path=target.resolve(), steps=steps)
        if result.status in ("ingested", "unchanged"):
            os.replace(temporary, target)  # a reader never sees half a file
        if result.status == "ingested" and previous:
            result.reason = "; ".join(filter(None, ["replaced the earlier file of this name", result.reason]))
    finally:
        temporary.unlink(missing_ok=True)
        held.close()  # the lock goes with it
    return result


def clean_uploads(folder: Path, older_than_s: float = LEFTOVER_AGE_S) -> list[str]:
    """Remove the temporary files of interrupted uploads (a crash, a killed server) from the uploads folder;
    returns their names. One being written is locked by its writer and never removed, however old."""
    cutoff, removed = time.time() - older_than_s, []
    for leftover in folder.glob("tmp*.part"):
        try:
            with leftover.open("rb") as file:
                if leftover.stat().st_mtime > cutoff:
                    continue
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)  # OSError while its writer holds it
                leftover.unlink()
        except OSError:
            continue  # being written, or gone meanwhile
        removed.append(leftover.name)
    if removed:
        log.info("removed %d interrupted upload(s) from %s", len(removed), folder)
    return removed


def _stored(store: Store, name: str) -> bool:
    """Whether a document of this name is stored (a store that fails here fails in ingest_bytes with its reason)."""
    try:
        return store.document(name) is not None
    except FolioError:
        return False


def _write_temporary(target: Path, data: bytes) -> tuple[Path, BinaryIO]:
    """`data` in a temporary file next to `target` (renamed onto it once the document is stored), returned with
    its handle still open and locked until the caller closes it, so `clean_uploads` leaves it alone."""
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
    file = os.fdopen(descriptor, "wb")
    try:
        fcntl.flock(file, fcntl.LOCK_EX)
        file.write(data)
        file.flush()
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        file.close()
        raise
    return Path(temporary), file
