"""Shared fixtures: real embedder, real Chroma in a temp dir, PDFs generated with fpdf2."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF

from rag.config import Settings
from rag.embed import MiniLMEmbedder
from rag.store import Store, open_store

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DOCS = ROOT / "sample_docs"
SHARED_EVAL = ROOT.parent / "shared" / "eval"


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


def make_scanned_pdf(path: Path, pages: list[str | None], dpi: int = 150) -> Path:
    """A PDF whose pages are images of the given text (a scan: no text layer); None makes a text page."""
    import textwrap

    from PIL import Image, ImageDraw, ImageFont

    pdf = FPDF(unit="pt", format="A4")
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        if text is None:
            pdf.multi_cell(0, 14, "This page has a real text layer about the harbour crane inspection.")
            continue
        image = Image.new("L", (int(8.27 * dpi), int(11.69 * dpi)), 255)
        draw, font = ImageDraw.Draw(image), ImageFont.load_default(size=int(11 / 72 * dpi))
        for row, line in enumerate(textwrap.wrap(text, 70)):
            draw.text((dpi, dpi + row * int(18 / 72 * dpi)), line, fill=0, font=font)
        pdf.image(image, 0, 0, w=pdf.w, h=pdf.h)
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
