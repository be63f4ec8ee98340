"""Folders that stay in sync: keep a store in line with folders as their files are created, changed, renamed,
moved and deleted (watchfiles), and record each folder's last sync for the UI (`watched_folders`).

On start, and whenever a folder comes back after it disappeared, the folder is synced in full (catch-up); then
each change is handled on its own. A file is read only once its size and modification time have stayed the same
for `SETTLE_S` (a file still being copied is not read half-written). A file whose bytes are stored already, under a
path that no longer exists, is a renamed or moved file: its document keeps its name and chunks (nothing is read
or embedded again) and its record gets the new path. A folder that disappears (an unmounted disk, a network share
that went away) keeps its documents until it is back; a file deleted while its folder is there is removed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TypeVar

from filelock import FileLock
from watchfiles import Change

from ingest.ingestor import Ingestor
from ingest.isolate import process_alive
from ingest.options import IngestOptions
from ingest.readers.registry import readable
from ingest.sync import FileResult, SourceFile, _read_regular_file, document_name, find_pdfs
from rag.config import Settings
from rag.errors import FolioError
from rag.records import DocumentRecord

SETTLE_S = 1.0  # a file is read once its size and mtime have not changed for this long
RETRY_S = 30.0  # a file that failed because of the library (store busy, disk full) is tried again after this
DEBOUNCE_MS = 1600  # watchfiles: at most this long between a change and its batch...
STEP_MS = 50  # ...and a batch ends after this long without a change
LISTEN_TIMEOUT_MS = 500  # watchfiles hands back an empty batch after this long without changes (to see `stop`)
TICK_S = 0.25  # how often pending files and the folders' presence are looked at
T = TypeVar("T")
STATUS_FILE = "watched.json"  # under the data folder: each watched folder's last sync (`watched_folders`)

Kind = Literal[
    "ingested",
    "unchanged",
    "duplicate",
    "failed",
    "pruned",
    "moved",
    "removed",
    "synced",
    "missing",
    "returned",
    "watching",
]


@dataclass(frozen=True)
class WatchEvent:
    """What the watcher did: one file (`n` of `m` in its round), a folder's sync summary, or a folder's state."""

    kind: Kind
    folder: str
    source: str = ""  # the document's name (file events)
    detail: str = ""  # a failure's reason, a move's new path, a sync's counts
    n: int = 0
    m: int = 0

    def line(self) -> str:
        """One line for a terminal or a log."""
        if self.kind in ("synced", "missing", "returned", "watching"):
            return f"{self.kind}: {self.folder}" + (f" ({self.detail})" if self.detail else "")
        count = f"[{self.n}/{self.m}] " if self.m else ""
        return f"{count}{self.kind}: {self.source}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class WatchedFolder:
    """A watched folder's status record, as the UI shows it."""

    folder: str
    last_sync: str = ""  # ISO time of the last change handled (or full sync)
    files: int = 0  # documents stored from this folder
    last_error: str = ""  # "name: reason" of the last file that failed, "" after a full sync without failures
    present: bool = True  # False while the folder is missing (its documents are kept)
    pid: int = 0  # the watching process
    active: bool = False  # whether that process is still running (worked out when read)


def watched_folders(settings: Settings) -> list[WatchedFolder]:
    """The folders being watched (or watched before) for this data folder, with their last sync; [] if none."""
    try:
        saved = json.loads((settings.folio_data_dir / STATUS_FILE).read_text(encoding="utf-8"))
        records = [WatchedFolder(**{**entry, "active": False}) for entry in saved.get("folders", [])]
    except (OSError, ValueError, TypeError, AttributeError):
        return []
    for record in records:
        record.active = process_alive(record.pid)
    return sorted(records, key=lambda r: r.folder)


@dataclass
class _Pending:
    """A file waiting to settle: the size and mtime it had when last looked at, and since when."""

    stat: tuple[int, int]
    since: float
    root: Path
    not_before: float = 0.0


@dataclass(frozen=True)
class _Listening:
    """Put on the queue once watchfiles listens to `roots`."""

    roots: frozenset[Path]


@dataclass
class _Round:
    counts: dict[str, int] = field(default_factory=dict)
    error: str = ""


class FolderWatcher:
    """Keeps `ingestor`'s store in line with `folders` until `run`'s stop event is set; tells `on_event` what it
    does. Runs in the calling thread (watchfiles listens in a thread of its own)."""

    def __init__(
        self,
        ingestor: Ingestor,
        folders: Iterable[Path],
        on_event: Callable[[WatchEvent], None] = lambda event: None,
        settle_s: float = SETTLE_S,
    ) -> None:
        self.ingestor = ingestor
        self.store = ingestor.store
        self.roots = [Path(f).expanduser().resolve() for f in folders]
        self.on_event = on_event
        self.settle_s = settle_s
        self.readers = (ingestor.options or IngestOptions.from_settings(ingestor.settings)).readers
        self._status_path = ingestor.settings.folio_data_dir / STATUS_FILE
        self._status = {str(root): WatchedFolder(str(root), pid=os.getpid()) for root in self.roots}
        self._pending: dict[Path, _Pending] = {}
        self._deleted: dict[Path, float] = {}  # deleted path → when it was seen gone
        self._changes: queue.Queue[set[tuple[Change, str]] | _Listening] = queue.Queue()

    def run(self, stop: threading.Event) -> None:
        """Catch up with every folder, then follow their changes until `stop` is set."""
        present = {root: root.is_dir() for root in self.roots}
        unsynced = {root for root in self.roots if present[root]}  # synced once watchfiles listens to them
        for root in self.roots:
            if not present[root]:
                self._missing(root)
        restart = threading.Event()
        listener = threading.Thread(target=self._listen, args=(stop, restart), name="folio-watch", daemon=True)
        listener.start()
        self._guard(self.store.repair)
        while not stop.is_set():
            try:
                batch = self._changes.get(timeout=TICK_S)
                while True:
                    if isinstance(batch, _Listening):
                        for root in [r for r in self.roots if r in unsynced and r in batch.roots]:
                            unsynced.discard(root)
                            self._sync(root, stop)
                            self._emit(WatchEvent("watching", str(root)))
                    else:
                        self._take(batch)
                    batch = self._changes.get_nowait()
            except queue.Empty:
                pass
            for root in self.roots:
                now = root.is_dir()
                if now != present[root]:
                    present[root] = now
                    restart.set()  # the listener watches the folders that exist now
                    # and they are synced again once it listens: a change made while it started again is not lost
                    unsynced |= {r for r in self.roots if present[r]}
                    if now:
                        self._emit(WatchEvent("returned", str(root)))
                    else:
                        self._missing(root)
            self._handle(stop)
        listener.join(timeout=5)

    # listening ------------------------------------------------------------------------------------

    def _listen(self, stop: threading.Event, restart: threading.Event) -> None:
        """Put watchfiles' batches of changes on the queue, after a `_Listening` once it listens (the folders are
        synced then: nothing written during the sync is missed); start again over the folders that exist when
        one appears or disappears (a folder deleted and made again is a new folder to the OS)."""
        from watchfiles import watch

        while not stop.is_set():
            restart.clear()
            existing = [root for root in self.roots if root.is_dir()]
            if not existing:
                restart.wait(TICK_S)
                continue
            listening = False
            try:
                for changes in watch(
                    *existing,
                    debounce=DEBOUNCE_MS,
                    step=STEP_MS,
                    stop_event=stop,
                    rust_timeout=LISTEN_TIMEOUT_MS,
                    yield_on_timeout=True,
                    raise_interrupt=False,
                    watch_filter=None,
                ):
                    if not listening:
                        listening = True
                        self._changes.put(_Listening(frozenset(existing)))
                    if changes:
                        self._changes.put(changes)
                    if restart.is_set() or stop.is_set():
                        break
            except (OSError, RuntimeError) as error:  # a folder gone while watchfiles started on it
                if not stop.wait(TICK_S):
                    self._note_error(f"cannot watch {', '.join(map(str, existing))} ({error})")

    def _take(self, changes: set[tuple[Change, str]]) -> None:
        """Queue the files of a batch of changes: new and changed files wait to settle, deletions for their round."""
        for change, name in changes:
            path = Path(name)
            root = self._root_of(path)
            if root is None:
                continue
            if path.is_dir():
                if change != Change.added:  # a folder's own changes are its files'
                    continue
                # a folder moved in: its files (watchfiles names only the folder)
                for file in find_pdfs([path], self.readers):
                    self._queue(file.path, root)
            elif path.is_file():
                if readable(path.name, self.readers):
                    self._queue(path, root)
            else:
                self._deleted.setdefault(path, time.monotonic())
                self._pending.pop(path, None)

    def _queue(self, path: Path, root: Path, delay: float = 0.0) -> None:
        stat = _stat(path)
        if stat is not None:
            now = time.monotonic()
            self._pending[path] = _Pending(stat, now, root, not_before=now + delay)

    # handling -------------------------------------------------------------------------------------

    def _handle(self, stop: threading.Event) -> None:
        """Ingest the files that have settled, then remove the documents of deleted files (after the files, so a
        renamed file finds its document still there)."""
        now = time.monotonic()
        ready = []
        for path, pending in list(self._pending.items()):
            stat = _stat(path)
            if stat is None:
                del self._pending[path]
                self._deleted.setdefault(path, now)
            elif stat != pending.stat:
                self._pending[path] = _Pending(stat, now, pending.root)
            elif now - pending.since >= self.settle_s and now >= pending.not_before:
                ready.append(path)
        # a deletion waits a little longer than a file settles: a rename's new name is handled first
        deleted = [path for path, seen in self._deleted.items() if now - seen >= self.settle_s + TICK_S]
        for path in deleted:
            del self._deleted[path]
        deleted = [path for path in deleted if not path.exists()]
        if not ready and not deleted:
            return
        rounds: dict[Path, _Round] = {}
        for n, path in enumerate(sorted(ready), 1):
            if stop.is_set():
                return
            pending = self._pending.pop(path)
            result = self._file(path, pending.root, n, len(ready), rounds.setdefault(pending.root, _Round()))
            if result == "retry":
                self._pending[path] = replace(pending, not_before=time.monotonic() + RETRY_S)
        if deleted:
            self._remove(deleted, rounds)
        for root, done in rounds.items():
            self._finish(root, done, "")

    def _sync(self, root: Path, stop: threading.Event) -> None:
        """Every file under `root` (renames found first), then the documents whose files are gone."""
        started = time.monotonic()
        done = _Round()
        files = find_pdfs([root], self.readers)
        for path in list(self._pending):
            if path.is_relative_to(root):
                del self._pending[path]
        for n, file in enumerate(files, 1):
            if stop.is_set():
                return
            if self._file(file.path, root, n, len(files), done) == "retry":
                self._queue(file.path, root, delay=RETRY_S)
        gone = [Path(d.path) for d in self._guard(self.store.documents) or [] if self._ours(d) and not _exists(d)]
        if gone:
            self._remove(gone, {root: done})
        self._finish(root, done, f"{len(files)} files in {time.monotonic() - started:.1f} s")

    def _file(self, path: Path, root: Path, n: int, m: int, done: _Round) -> str:
        """Ingest one file (or move its document to it); "retry" when the library, not the file, failed."""
        path = path.absolute()
        try:
            source = document_name(SourceFile(path.relative_to(root).as_posix(), path), self.store)
            before = _stat(path)
            data = _read_regular_file(path)  # FileNotFoundError when it is gone (see below)
            if _stat(path) != before:  # written while read: it is queued again by its change
                return "changed"
            moved = self._moved(path, data)
            if moved:
                self._count(done, "moved")
                self._emit(WatchEvent("moved", str(root), moved.source, f"now {path}", n, m))
                return "moved"
            result = self.ingestor.file(source, data, path=path)
        except OSError as error:
            if not path.exists():  # renamed or deleted since it settled: not a failure, a deletion to handle
                self._deleted.setdefault(path, time.monotonic())
                return "gone"
            result = FileResult(path.name, "failed", reason=f"cannot read file ({error.strerror or error})")
        except FolioError as error:
            result = FileResult(path.name, "failed", reason=str(error), fault="library")
        self._count(done, result.status)
        if result.status == "failed":
            done.error = f"{result.source}: {result.reason}"
        detail = result.reason if result.status != "ingested" else _pages(result)
        self._emit(WatchEvent(result.status, str(root), result.source, detail, n, m))
        return "retry" if result.status == "failed" and result.fault == "library" else result.status

    def _moved(self, path: Path, data: bytes) -> DocumentRecord | None:
        """The stored document of these bytes whose file is gone, now given this path (a rename or a move)."""
        if self.store.document_by_path(str(path)):
            return None
        twin = self.store.document_by_content(hashlib.sha256(data).hexdigest())
        if twin is None or not twin.path or _exists(twin):
            return None
        moved = replace(twin, path=str(path))
        self.store.update_record(moved)
        return moved

    def _remove(self, deleted: list[Path], rounds: dict[Path, _Round]) -> None:
        """Delete the documents read from these files (or from files under these folders) while their watched
        folder is still there; a missing folder keeps its documents."""
        documents = self._guard(self.store.documents) or []
        for path in deleted:
            root = self._root_of(path)
            if root is None or not root.is_dir():
                continue
            for doc in documents:
                doc_path = Path(doc.path) if doc.path else None
                if doc_path and (doc_path == path or doc_path.is_relative_to(path)) and not doc_path.exists():
                    if self._guard(functools.partial(self.store.delete_document, doc.source)):
                        done = rounds.setdefault(root, _Round())
                        self._count(done, "removed")
                        self._emit(WatchEvent("removed", str(root), doc.source, "file deleted"))

    def _finish(self, root: Path, done: _Round, note: str) -> None:
        """The folder's status record, then the summary line of a round or sync."""
        status = self._status[str(root)]
        status.last_sync = datetime.now(UTC).isoformat(timespec="seconds")
        if done.error or note:  # kept until a full sync (which has a note) goes without one
            status.last_error = done.error
        status.present = True
        documents = self._guard(self.store.documents) or []
        status.files = sum(1 for d in documents if d.path and Path(d.path).is_relative_to(root))
        self._save()
        counts = ", ".join(f"{count} {kind}" for kind, count in sorted(done.counts.items()))
        self._emit(WatchEvent("synced", str(root), detail="; ".join(filter(None, [counts, note]))))

    def _missing(self, root: Path) -> None:
        self._emit(WatchEvent("missing", str(root), detail="its documents are kept until it is back"))
        self._status[str(root)].present = False
        self._save()

    # helpers --------------------------------------------------------------------------------------

    def _root_of(self, path: Path) -> Path | None:
        return next((root for root in self.roots if path == root or path.is_relative_to(root)), None)

    def _ours(self, doc: DocumentRecord) -> bool:
        """Whether a document was read from a file under a watched folder (an upload never is)."""
        return bool(doc.path) and self._root_of(Path(doc.path)) is not None

    def _guard(self, call: Callable[[], T]) -> T | None:
        """A store call whose failure is reported and survived (the store down, the disk full)."""
        try:
            return call()
        except FolioError as error:
            self._note_error(str(error))
            return None

    def _note_error(self, message: str) -> None:
        self._emit(WatchEvent("failed", ", ".join(map(str, self.roots)), detail=message))

    @staticmethod
    def _count(done: _Round, kind: str) -> None:
        done.counts[kind] = done.counts.get(kind, 0) + 1

    def _emit(self, event: WatchEvent) -> None:
        try:
            self.on_event(event)
        except Exception:  # noqa: BLE001 - a listener's failure must not stop the watcher
            pass

    def _save(self) -> None:
        """Write this watcher's folders into the status file, atomically, keeping other watchers' folders."""
        path = self._status_path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with FileLock(path.with_suffix(".lock"), timeout=10):
                try:
                    saved = json.loads(path.read_text(encoding="utf-8")).get("folders", [])
                except (OSError, ValueError, AttributeError):
                    saved = []
                others = [e for e in saved if isinstance(e, dict) and e.get("folder") not in self._status]
                ours = [{k: v for k, v in asdict(s).items() if k != "active"} for s in self._status.values()]
                temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                temporary.write_text(json.dumps({"folders": others + ours}, indent=2), encoding="utf-8")
                os.replace(temporary, path)
        except (OSError, TimeoutError) as error:
            self._emit(WatchEvent("failed", str(path), detail=f"cannot write the status file ({error})"))


def _stat(path: Path) -> tuple[int, int] | None:
    """A regular file's size and modification time, or None when it is gone (or not a regular file)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns) if path.is_file() else None


def _exists(doc: DocumentRecord) -> bool:
    return Path(doc.path).exists()


def _pages(result: FileResult) -> str:
    return f"{result.pages} pages, {result.chunks} chunks"
