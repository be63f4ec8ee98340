"""Crash safety and concurrency with real processes: `python -m ingest` killed with SIGKILL mid-folder,
and two ingests of overlapping folders at once while a question is asked."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from ingest import IngestOptions, ingest_paths
from rag.answer import ChatSession
from rag.retrieve import Retriever
from rag.store import open_store
from tests.conftest import make_pdf

pytestmark = pytest.mark.slow

SMALL = IngestOptions(chunk_tokens=192, chunk_overlap=32)
FILLER = "Sentence {i} of the {topic} report describes measurements, dates and the people involved. "


def _folder(root, names, pages=6):
    for name in names:
        make_pdf(root / f"{name}.pdf", [FILLER.format(i=i, topic=name) * 12 for i in range(pages)])
    return root


def _ingest_process(folder, settings, *extra):
    env = {**os.environ, "FOLIO_DATA_DIR": str(settings.folio_data_dir)}
    command = [sys.executable, "-m", "ingest", str(folder), *extra]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def assert_consistent(store, expected_sources):
    """Every file registered once, each with exactly its own chunks, and no other chunk in the store."""
    documents = store.documents()
    assert sorted(d.source for d in documents) == sorted(expected_sources)
    for d in documents:
        assert len(store.chunks.get(where={"version": d.version}, include=[])["ids"]) == d.chunks
    assert store.count() == sum(d.chunks for d in documents)


@pytest.mark.parametrize("delay", [0.2, 1.0])
def test_sigkill_mid_folder_then_rerun_loses_and_duplicates_nothing(tmp_path, settings, embedder, delay):
    folder = _folder(tmp_path / "docs", ["alpha", "bravo", "charlie", "delta"])
    store = open_store(settings, embedder)
    ingest_paths([folder / "bravo.pdf"], store, embedder, options=SMALL)  # a previous version of bravo...
    before = store.document("bravo.pdf")
    _folder(folder, ["bravo"], pages=9)  # ...then bravo changes on disk
    del store

    process = _ingest_process(folder, settings)
    assert process.stderr.readline().startswith("[1/4] ingested: alpha.pdf")  # now bravo is being replaced
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()

    store = open_store(settings, embedder)
    bravo = store.document("bravo.pdf")  # the old version, whole, or the new one, whole
    assert (bravo.version, bravo.pages) == (before.version, 6) or (bravo.version != before.version and bravo.pages == 9)
    store.repair()  # what the next ingest does first: drop chunks of a document that was never registered
    assert_consistent(store, [d.source for d in store.documents()])

    rerun = _ingest_process(folder, settings)
    assert rerun.wait(timeout=300) == 0, rerun.stderr.read()
    store = open_store(settings, embedder)
    assert_consistent(store, ["alpha.pdf", "bravo.pdf", "charlie.pdf", "delta.pdf"])
    assert store.document("bravo.pdf").pages == 9


def test_two_overlapping_ingests_and_a_question_during_them(tmp_path, settings, embedder):
    shared = _folder(tmp_path / "a", ["common", "apollo"])
    _folder(tmp_path / "b", ["nile"])
    store = open_store(settings, embedder)
    ingest_paths([_folder(tmp_path / "seed", ["seed"])], store, embedder, options=SMALL)
    session = ChatSession(Retriever(store, embedder))

    answers, stop = [], threading.Event()

    def ask_repeatedly():
        while not stop.is_set():
            answers.append(session.answer("What does the seed report describe?"))

    asker = threading.Thread(target=ask_repeatedly)
    asker.start()
    # both processes ingest common.pdf (the same file: one document)
    first = _ingest_process(tmp_path / "a", settings)
    second = _ingest_process(tmp_path / "b", settings, str(shared / "common.pdf"))
    try:
        assert first.wait(timeout=300) == 0, first.stderr.read()
        assert second.wait(timeout=300) == 0, second.stderr.read()
    finally:
        stop.set()
        asker.join()
    assert answers and all(a.error == "" and a.cited_sources for a in answers)
    assert_consistent(store, ["seed.pdf", "common.pdf", "apollo.pdf", "nile.pdf"])
    # this long-lived process sees the other processes' documents in dense retrieval too
    later = Retriever(store, embedder, mode="dense").retrieve("Sentence 3 of the nile report", 3)
    assert later.chunks[0].source == "nile.pdf"


OPEN_WHEN_TOLD = """
import sys
from rag.config import Settings
from rag.embed import MiniLMEmbedder
from rag.store import open_store
print("ready", flush=True)
sys.stdin.readline()
print(open_store(Settings(_env_file=None), MiniLMEmbedder()).count(), flush=True)
"""


def test_processes_that_open_one_new_store_at_the_same_instant_all_open_it(settings):
    env = {**os.environ, "FOLIO_DATA_DIR": str(settings.folio_data_dir)}
    opening = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_WHEN_TOLD],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    assert [process.stdout.readline() for process in opening] == ["ready\n"] * 4  # each has imported Chroma
    for process in opening:  # then all are told at once to create the store
        process.stdin.write("go\n")
        process.stdin.flush()
    done = [(*process.communicate(timeout=300), process.returncode) for process in opening]
    assert done == [("0\n", "", 0)] * 4
