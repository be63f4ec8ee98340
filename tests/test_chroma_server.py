"""Chroma server mode: `chroma run` on loopback; ingest and answer through it; a clear error while it
is down; recovery when it is back."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ingest import ingest_paths
from ingest.uploads import ingest_upload
from rag import open_components
from rag.config import Settings
from rag.errors import StoreError
from tests.conftest import SAMPLE_DOCS

CHROMA = str(Path(sys.executable).parent / "chroma")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parts_of(parts):
    return parts.store, parts.embedder, parts.settings


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
    port = _free_port()
    server = _start(tmp_path / "server-data", port)
    try:
        settings = Settings(_env_file=None, chroma_host="127.0.0.1", chroma_port=port, folio_data_dir=tmp_path / "d")
        parts = open_components(settings)
        amazon = SAMPLE_DOCS / "amazon-rainforest-wikipedia.pdf"
        assert ingest_paths([amazon], parts.store, parts.embedder, 192, 32).count("ingested") == 1
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
            ingest_paths([SAMPLE_DOCS / "babelbib-tugboat-article.pdf"], parts.store, parts.embedder, 192, 32)
        upload = ingest_upload(
            "tugboat.pdf", (SAMPLE_DOCS / "babelbib-tugboat-article.pdf").read_bytes(), *parts_of(parts)
        )
        assert upload.status == "failed" and unreachable in upload.reason

        server = _start(tmp_path / "server-data", port)
        back = session.answer("What percentage of the Amazon rainforest is in Brazil?")
        assert back.error == "" and "60%" in back.text
    finally:
        server.kill()
