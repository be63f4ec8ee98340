"""Folders that stay in sync (issue 30.3): a real watcher (watchfiles) on real folders, real PDFs, the real embedder
and a real store. Every wait is on the watcher's events (a 60 s deadline is only a safety net); the pauses in
the slow-copy test are the slow copy itself."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ingest import FolderWatcher, Ingestor, WatchEvent, watched_folders
from tests.conftest import ROOT, free_port, make_pdf

pytestmark = pytest.mark.slow  # real watchers on real folders: each change waits for files to settle (1 s)

DEADLINE_S = 60


class Watching:
    """A FolderWatcher running in a thread, with the events it reported so far."""

    def __init__(self, ingestor: Ingestor, folders: list[Path], settle_s: float | None = None) -> None:
        self.events: queue.Queue[WatchEvent] = queue.Queue()
        self.seen: list[WatchEvent] = []
        self.stop = threading.Event()
        extra = {} if settle_s is None else {"settle_s": settle_s}
        watcher = FolderWatcher(ingestor, folders, self.events.put, **extra)
        self.thread = threading.Thread(target=watcher.run, args=(self.stop,), daemon=True)
        self.thread.start()

    def wait(self, kind: str, source: str | None = None) -> WatchEvent:
        """The next event of this kind (about this document), waiting for it."""
        deadline = time.monotonic() + DEADLINE_S
        while True:
            try:
                event = self.events.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                pytest.fail(f"no '{kind}' event for {source}; saw: {[e.line() for e in self.seen]}")
            self.seen.append(event)
            if event.kind == kind and source in (None, event.source):
                return event

    def about(self, source: str) -> list[str]:
        return [e.kind for e in self.seen if e.source == source]


@pytest.fixture
def watch(settings, store, embedder):
    started: list[Watching] = []

    def start(*folders: Path, settle_s: float | None = None) -> Watching:
        watching = Watching(Ingestor(store, embedder, settings), list(folders), settle_s)
        started.append(watching)
        watching.wait("watching")  # listening from here on: nothing written after this is missed
        return watching

    yield start
    for watching in started:
        watching.stop.set()
        watching.thread.join(DEADLINE_S)
        assert not watching.thread.is_alive(), "the watcher did not stop"


def top_source(store, embedder, question: str) -> str:
    return store.nearest(embedder.embed([question])[0], 1)[0].source


def test_a_new_file_is_ingested_searchable_and_the_folder_status_says_so(tmp_path, watch, store, embedder, settings):
    folder = tmp_path / "docs"
    make_pdf(folder / "old.pdf", ["Llamas graze on the high plateau of the Andes."])
    watching = watch(folder)  # the catch-up sync came first
    assert watching.about("old.pdf") == ["ingested"]
    make_pdf(folder / "new.pdf", ["The lighthouse keeper polished the great lens every evening."])
    event = watching.wait("ingested", "new.pdf")
    assert event.line() == "[1/1] ingested: new.pdf (1 pages, 1 chunks)"
    assert top_source(store, embedder, "Who polished the lighthouse lens?") == "new.pdf"
    watching.wait("synced")
    (status,) = watched_folders(settings)
    assert (status.folder, status.files, status.present, status.active) == (str(folder.resolve()), 2, True, True)
    assert status.last_sync and not status.last_error


def test_a_file_that_cannot_be_read_is_one_line_and_the_watcher_goes_on(tmp_path, watch, store, settings):
    folder = tmp_path / "docs"
    folder.mkdir()
    watching = watch(folder)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n this is not the rest of a PDF")
    failed = watching.wait("failed", "broken.pdf")
    assert failed.line().startswith("[1/1] failed: broken.pdf (") and "\n" not in failed.line()
    watching.wait("synced")
    assert watched_folders(settings)[0].last_error.startswith("broken.pdf: ")
    make_pdf(folder / "fine.pdf", ["Still watching after a broken file."])
    watching.wait("ingested", "fine.pdf")
    assert [d.source for d in store.documents()] == ["fine.pdf"]


def test_a_file_copied_slowly_in_pieces_is_read_once_complete(tmp_path, watch, store):
    folder = tmp_path / "docs"
    folder.mkdir()
    pages = [f"Chapter {n}: the slow copy of a long report about tidal energy, part {n}." for n in range(1, 6)]
    data = make_pdf(tmp_path / "source.pdf", pages).read_bytes()
    watching = watch(folder, settle_s=2.0)
    piece = len(data) // 8 + 1
    with open(folder / "slow.pdf", "wb") as copy:  # a slow copy: a piece every 0.2 s, each one seen by watchfiles
        for start in range(0, len(data), piece):
            copy.write(data[start : start + piece])
            copy.flush()
            time.sleep(0.2)
    watching.wait("ingested", "slow.pdf")
    make_pdf(folder / "after.pdf", ["A file written after the copy, to see every event about the copy."])
    watching.wait("ingested", "after.pdf")
    assert watching.about("slow.pdf") == ["ingested"]  # never read half-written (that would fail as corrupt)
    assert store.document("slow.pdf").pages == 5


def test_a_changed_file_is_ingested_again(tmp_path, watch, store, embedder):
    folder = tmp_path / "docs"
    make_pdf(folder / "notes.pdf", ["The meeting is on Tuesday in the blue room."])
    watching = watch(folder)
    before = store.document("notes.pdf")
    make_pdf(folder / "notes.pdf", ["The meeting moved to Friday, in the observatory on the hill."])
    watching.wait("ingested", "notes.pdf")
    after = store.document("notes.pdf")
    assert after.doc_id != before.doc_id
    assert "observatory" in " ".join(c.text for c in store.all_chunks())
    assert "blue room" not in " ".join(c.text for c in store.all_chunks())  # the old version's chunks are gone


def test_a_deleted_file_is_removed_and_an_upload_is_not_touched(tmp_path, watch, store, embedder, settings):
    folder = tmp_path / "docs"
    make_pdf(folder / "gone.pdf", ["Penguins huddle together through the polar winter."])
    upload = make_pdf(tmp_path / "upload.pdf", ["An uploaded note about volcanic soil."]).read_bytes()
    assert Ingestor(store, embedder, settings).file("upload.pdf", upload).status == "ingested"
    watching = watch(folder)
    (folder / "gone.pdf").unlink()
    assert watching.wait("removed", "gone.pdf").line() == "removed: gone.pdf (file deleted)"
    assert [d.source for d in store.documents()] == ["upload.pdf"]


def test_a_renamed_or_moved_file_keeps_its_document_without_reading_or_embedding_again(
    tmp_path, watch, store, embedder
):
    folder = tmp_path / "docs"
    make_pdf(folder / "draft.pdf", ["The glacier retreated four kilometres in a century."])
    watching = watch(folder)
    before = store.document("draft.pdf")
    chunk_ids = sorted(c.id for c in store.all_chunks())
    embedded = embedder.texts_embedded
    (folder / "2024").mkdir()
    (folder / "draft.pdf").rename(folder / "2024" / "final.pdf")
    event = watching.wait("moved", "draft.pdf")
    assert event.detail == f"now {(folder / '2024' / 'final.pdf').resolve()}"
    make_pdf(folder / "after.pdf", ["Something else, to see every event about the move."])
    watching.wait("ingested", "after.pdf")
    assert watching.about("draft.pdf") == ["ingested", "moved"]  # not removed, not ingested again
    assert embedder.texts_embedded == embedded + 1  # after.pdf's one chunk only
    after = store.document("draft.pdf")
    assert (after.doc_id, after.version, after.path) == (before.doc_id, before.version, event.detail[4:])
    assert sorted(c.id for c in store.all_chunks() if c.source == "draft.pdf") == chunk_ids


def test_a_burst_of_files_is_queued_with_progress_and_each_ingested_once(tmp_path, watch, store):
    folder = tmp_path / "docs"
    folder.mkdir()
    watching = watch(folder)
    names = [f"note-{n:03}.pdf" for n in range(80)]
    for n, name in enumerate(names):
        make_pdf(folder / name, [f"Note number {n}: inventory item {n * 7919 % 10007} is on shelf {n % 13}."])
    ingested: list[WatchEvent] = []
    while len(ingested) < len(names):
        ingested.append(watching.wait("ingested"))
    assert sorted(e.source for e in ingested) == names  # each once
    assert max(e.m for e in ingested) > 1 and all(1 <= e.n <= e.m for e in ingested)  # "[n/m]" progress
    assert len(store.documents()) == len(names)


def test_the_watcher_and_another_process_writing_the_store_wait_for_each_other(tmp_path, watch, store, settings):
    folder, other = tmp_path / "docs", tmp_path / "other"
    folder.mkdir()
    for n in range(15):
        make_pdf(other / f"other-{n}.pdf", [f"Another process ingests note {n} about harbour crane {n * 37}."])
    watching = watch(folder)
    env = {**os.environ, "FOLIO_DATA_DIR": str(settings.folio_data_dir)}
    command = [str(Path(sys.executable).parent / "folio"), "ingest", str(other), "--json"]
    ingest = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    names = [f"watched-{n}.pdf" for n in range(15)]
    for n, name in enumerate(names):
        make_pdf(folder / name, [f"The watcher ingests note {n} about lighthouse lamp {n * 41}."])
    ingested = [watching.wait("ingested").source for _ in names]
    out, err = ingest.communicate(timeout=DEADLINE_S)
    assert ingest.returncode == 0, err
    assert json.loads(out)["summary"]["ingested"] == 15
    assert sorted(ingested) == sorted(names) and "failed" not in [e.kind for e in watching.seen]
    assert len(store.documents()) == 30


def test_the_watcher_survives_its_folder_disappearing_and_coming_back(tmp_path, watch, store):
    folder = tmp_path / "docs"
    make_pdf(folder / "kept.pdf", ["Otters use stones to open shellfish."])
    watching = watch(folder)
    moved_away = tmp_path / "elsewhere"
    folder.rename(moved_away)  # an unmounted disk, a share gone: its documents stay until it is back
    watching.wait("missing")
    assert store.document("kept.pdf") is not None
    folder.mkdir()
    make_pdf(folder / "back.pdf", ["Beavers build dams from branches and mud."])
    watching.wait("returned")
    watching.wait("ingested", "back.pdf")
    assert watching.wait("removed", "kept.pdf").line() == "removed: kept.pdf (file deleted)"  # not in the new one
    watching.wait("watching")
    make_pdf(folder / "later.pdf", ["Written once the folder is watched again."])
    watching.wait("ingested", "later.pdf")
    shutil.rmtree(folder)
    watching.wait("missing")


def test_folio_watch_picks_up_a_file_and_stops_cleanly_on_sigterm(tmp_path, settings):
    folder = tmp_path / "docs"
    folder.mkdir()
    env = {**os.environ, "FOLIO_DATA_DIR": str(settings.folio_data_dir)}
    command = [str(Path(sys.executable).parent / "folio"), "watch", str(folder)]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert read_until(process, "watching: ").startswith("watching: ")
        make_pdf(folder / "seen.pdf", ["A file the watcher process picks up."])
        assert read_until(process, "ingested: seen.pdf") == "[1/1] ingested: seen.pdf (1 pages, 1 chunks)"
        process.send_signal(signal.SIGTERM)
        assert read_until(process, "stopped") == "stopped watching"
        assert process.wait(timeout=DEADLINE_S) == 0, process.stderr.read()
    finally:
        process.kill()


def read_until(process: subprocess.Popen, wanted: str) -> str:
    """The next line of the process's output that contains `wanted` (read by a thread: a pipe's reader must not
    block the test past its deadline)."""
    if process not in _LINES:
        lines: queue.Queue[str | None] = queue.Queue()
        _LINES[process] = lines

        def pump() -> None:
            for line in process.stdout:
                lines.put(line.rstrip("\n"))
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
    deadline, seen = time.monotonic() + DEADLINE_S, []
    while True:
        try:
            line = _LINES[process].get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            line = None
        if line is None:
            pytest.fail(f"no line with {wanted!r}; got {seen}")
        seen.append(line)
        if wanted in line:
            return line


_LINES: dict[subprocess.Popen, queue.Queue[str | None]] = {}


def test_folio_up_watch_runs_a_watcher_beside_the_ui_that_ends_with_it(tmp_path, settings):
    folder = tmp_path / "docs"
    folder.mkdir()
    settings.folio_data_dir.mkdir(parents=True)
    (settings.folio_data_dir / ".sample-docs-offered").touch()  # not a first start: no sample documents
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["FOLIO_DATA_DIR"] = str(settings.folio_data_dir)
    command = [str(Path(sys.executable).parent / "folio"), "up", "--port", str(free_port()), "--watch", str(folder)]
    ui = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        read_until(ui, "watching: ")
        (watcher,) = Path(f"/proc/{ui.pid}/task/{ui.pid}/children").read_text().split()
        make_pdf(folder / "seen.pdf", ["A file the UI's watcher picks up."])
        read_until(ui, "ingested: seen.pdf")
        ui.send_signal(signal.SIGTERM)
        assert ui.wait(timeout=DEADLINE_S) in (0, -signal.SIGTERM)
        assert read_until(ui, "stopped watching") == "stopped watching"  # the watcher saw its UI end, and stopped
    finally:
        ui.kill()
    deadline = time.monotonic() + DEADLINE_S
    while running(int(watcher)):  # it has said it stopped: now its interpreter exits
        assert time.monotonic() < deadline, "the watcher is still running after its UI ended"
        time.sleep(0.1)


def running(pid: int) -> bool:
    """Whether the process is alive (a zombie waiting for its reaper is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
