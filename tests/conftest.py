"""Shared fixtures: real embedder, real Chroma in a temp dir, PDFs generated with fpdf2."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from fpdf import FPDF

from bench.ocr import make_scanned_pdf  # noqa: F401 (shared with the OCR benchmark)
from rag.config import Settings
from rag.embed import MiniLMEmbedder
from rag.store import Store, open_store

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DOCS = ROOT / "sample_docs"
SHARED_EVAL = ROOT.parent / "shared" / "eval"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now (for the servers the tests start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pytest_sessionstart(session) -> None:
    """The hostile, real-docs and SQuAD sets live in ../shared: without them many tests would collect nothing."""
    if not (SHARED_EVAL / "hostile-pdfs" / "manifest.json").exists():
        pytest.exit(f"{SHARED_EVAL} is missing: the tests need ../shared beside the repository", returncode=4)


def make_pdf(path: Path, pages: list[str]) -> Path:
    """Write a PDF with one page per string (Helvetica, wrapped); returns the path."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


class CountingEmbedder:
    """The real embedder, counting how many texts it was asked to embed (a seam, not a patch)."""

    def __init__(self, inner):
        self._inner = inner
        self.name, self.dim = inner.name, inner.dim
        self.texts_embedded = 0

    def embed(self, texts):
        self.texts_embedded += len(texts)
        return self._inner.embed(texts)

    def warm_up(self):
        self._inner.warm_up()


@pytest.fixture(scope="session")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture
def embedder(minilm) -> CountingEmbedder:
    return CountingEmbedder(minilm)


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """Settings pointing at a fresh data folder, ignoring any developer .env and API key."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CHROMA_HOST", "FOLIO_EMBEDDING", "FOLIO_COLLECTION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FOLIO_DATA_DIR", str(tmp_path / "data"))
    return Settings(_env_file=None)


@pytest.fixture
def store(settings, embedder) -> Store:
    return open_store(settings, embedder)


@pytest.fixture
def fake_llm():
    from tests.fake_llm import FakeLLM

    server = FakeLLM()
    yield server
    server.close()


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory, minilm):
    """sample_docs/ ingested once for the whole test run (read-only for tests)."""
    from ingest import ingest_paths

    settings = Settings(_env_file=None, folio_data_dir=tmp_path_factory.mktemp("sample-data"))
    store = open_store(settings, minilm)
    report = ingest_paths([SAMPLE_DOCS], store, minilm, settings.folio_chunk_tokens, settings.folio_chunk_overlap)
    assert report.ok and report.count("ingested") >= 3
    return store
