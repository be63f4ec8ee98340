"""Chroma server mode: `chroma run` on loopback; ingest and answer through it; a clear error while it
is down; recovery when it is back."""

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ingest import IngestOptions, Ingestor, ingest_paths
from rag import open_components
from rag.config import Settings
from rag.errors import StoreError
from tests.conftest import SAMPLE_DOCS, free_port

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("chroma_server")]  # one module server per run, not per worker

SMALL = IngestOptions(chunk_tokens=192, chunk_overlap=32)
CHROMA = str(Path(sys.executable).parent / "chroma")


def _start(path: Path, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [CHROMA, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    pytest.fail("chroma run did not start")


def test_ingest_and_answer_through_a_chroma_server_that_goes_down_and_comes_back(tmp_path):
    port = free_port()
    server = _start(tmp_path / "server-data", port)
    try:
        settings = Settings(_env_file=None, chroma_host="127.0.0.1", chroma_port=port, folio_data_dir=tmp_path / "d")
        parts = open_components(settings)
        amazon = SAMPLE_DOCS / "amazon-rainforest-wikipedia.pdf"
        assert ingest_paths([amazon], parts.store, parts.embedder, options=SMALL).count("ingested") == 1
        session = parts.session()
        assert "60%" in session.answer("What percentage of the Amazon rainforest is in Brazil?").text
        assert not (tmp_path / "d" / "chroma").exists()  # nothing written to the embedded store

        server.terminate()
        server.wait(timeout=30)
        down = session.answer("What percentage of the Amazon rainforest is in Brazil?")
        assert down.mode == "error"
        assert f"cannot reach the Chroma server at 127.0.0.1:{port}: is it running?" in down.error
        unreachable = f"cannot reach the Chroma server at 127.0.0.1:{port}"
        with pytest.raises(StoreError, match=unreachable):  # the ingest command stops with this one line
            ingest_paths([SAMPLE_DOCS / "babelbib-tugboat-article.pdf"], parts.store, parts.embedder, options=SMALL)
        upload = Ingestor.of(parts).upload("tugboat.pdf", (SAMPLE_DOCS / "babelbib-tugboat-article.pdf").read_bytes())
        assert upload.status == "failed" and unreachable in upload.reason

        server = _start(tmp_path / "server-data", port)
        back = session.answer("What percentage of the Amazon rainforest is in Brazil?")
        assert back.error == "" and "60%" in back.text
    finally:
        server.kill()


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    port = free_port()
    server = _start(tmp_path_factory.mktemp("chroma-server"), port)
    yield server, port
    server.kill()


def _server_settings(port: int, data: Path, collection: str, **extra) -> Settings:
    return Settings(
        _env_file=None,
        chroma_host="127.0.0.1",
        chroma_port=port,
        folio_data_dir=data,
        folio_collection=collection,
        **extra,
    )


def test_a_frozen_server_gives_a_one_line_error_within_the_deadline(chroma_server, tmp_path):
    server, port = chroma_server
    parts = open_components(_server_settings(port, tmp_path, "frozen", folio_chroma_timeout=2))
    session = parts.session()
    server.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        frozen = session.answer("What percentage of the Amazon rainforest is in Brazil?")
        assert frozen.mode == "error"
        assert f"the Chroma server at 127.0.0.1:{port} did not answer in time (FOLIO_CHROMA_TIMEOUT)" in frozen.error
        with pytest.raises(StoreError, match="did not answer within 2 s"):
            open_components(_server_settings(port, tmp_path, "frozen", folio_chroma_timeout=2))
        assert time.monotonic() - started < 30  # two deadlines, not for ever
    finally:
        server.send_signal(signal.SIGCONT)


def test_clean_up_in_server_mode_spares_chunks_another_process_is_still_writing(chroma_server, tmp_path):
    _, port = chroma_server
    parts = open_components(_server_settings(port, tmp_path, "inflight"))
    vector = parts.embedder.embed(["an unregistered chunk"])
    for chunk_id, written in [("fresh-0", datetime.now(UTC)), ("stale-0", datetime.now(UTC) - timedelta(hours=2))]:
        parts.store.chunks.upsert(
            ids=[chunk_id],
            documents=["an unregistered chunk"],
            metadatas=[{"version": chunk_id, "ingested_at": written.isoformat(timespec="seconds")}],
            embeddings=vector,
        )
    assert parts.store.repair() == 1
    assert parts.store.chunks.get(include=[])["ids"] == ["fresh-0"]


def test_a_document_whose_chunks_vanished_is_repaired_by_the_next_ingest_not_called_unchanged(chroma_server, tmp_path):
    _, port = chroma_server
    parts = open_components(_server_settings(port, tmp_path, "vanished"))
    amazon = SAMPLE_DOCS / "amazon-rainforest-wikipedia.pdf"
    first = ingest_paths([amazon], parts.store, parts.embedder).results[0]
    parts.store.chunks.delete(where={"source": first.source})  # registry and chunks now disagree

    lost = parts.session().answer("What percentage of the Amazon rainforest is in Brazil?")
    assert lost.error == "" and lost.sources == []  # nothing to cite, and no crash

    again = ingest_paths([amazon], parts.store, parts.embedder).results[0]
    assert again.status == "ingested" and f"repaired: the store held 0 of its {first.chunks} chunks" in again.reason
    assert "60%" in parts.session().answer("What percentage of the Amazon rainforest is in Brazil?").text


def test_two_cli_ingests_at_once_against_a_server_lose_and_duplicate_no_chunk(chroma_server, tmp_path):
    _, port = chroma_server
    env = {**os.environ, "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(port), "FOLIO_COLLECTION": "together"}
    env["FOLIO_DATA_DIR"] = str(tmp_path / "data")
    folders = []
    for name, pdfs in [("a", sorted(SAMPLE_DOCS.glob("*.pdf"))[:2]), ("b", sorted(SAMPLE_DOCS.glob("*.pdf"))[2:])]:
        (tmp_path / name).mkdir()
        for pdf in pdfs:
            (tmp_path / name / pdf.name).write_bytes(pdf.read_bytes())
        folders.append(tmp_path / name)
    runs = [
        subprocess.Popen([sys.executable, "-m", "ingest", str(folder)], env=env, stdout=subprocess.PIPE, text=True)
        for folder in folders
    ]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs

    parts = open_components(_server_settings(port, tmp_path / "data", "together"))
    documents = parts.store.documents()
    assert len(documents) == len(list(SAMPLE_DOCS.glob("*.pdf")))
    assert [parts.store.stored_chunks(d) for d in documents] == [d.chunks for d in documents]
    assert parts.store.count() == sum(d.chunks for d in documents)  # nothing duplicated, nothing orphaned
