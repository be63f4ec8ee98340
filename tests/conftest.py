"""Shared fixtures: real embedder, real Chroma in a temp dir, PDFs generated with fpdf2."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
from datetime import UTC, datetime
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


def fuzz_seed() -> int:
    """The fuzz test's seed: FOLIO_FUZZ_SEED, else today's UTC date as a day number (a new set of mutants each day).

    Set once by the first process that asks (pytest itself, before it starts its xdist workers), so that every
    worker of a run generates the same mutants even if the run crosses midnight."""
    return int(os.environ.setdefault("FOLIO_FUZZ_SEED", str(datetime.now(UTC).date().toordinal())))


def pytest_report_header(config) -> str:
    return f"fuzz seed: {fuzz_seed()} (FOLIO_FUZZ_SEED={fuzz_seed()} repeats the fuzz test's mutants)"


def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto`: one worker more than the cores this process may use. Many tests wait on a process they started (a
    server coming up, a browser page, a deadline), and with one worker per core the two cores were idle a quarter of
    a clean-clone run (CI: 11 min 39 s of CPU in 8 min 43 s on 2 cores)."""
    return len(os.sched_getaffinity(0)) + 1


WHOLE_FILE_MARK = re.compile(r"^pytestmark = \[?\s*pytest\.mark\.(slow|browser)\b", re.MULTILINE)


def pytest_ignore_collect(collection_path: Path, config) -> bool | None:
    """A test file marked slow or browser as a whole is not even imported when the run leaves that mark out (the
    fast tier): importing the UI's, the server's and the OCR's modules for tests that never run cost each worker
    seconds of its start."""
    if not (collection_path.name.startswith("test_") and collection_path.suffix == ".py"):
        return None
    whole = WHOLE_FILE_MARK.search(collection_path.read_text(encoding="utf-8"))
    return True if whole and f"not {whole.group(1)}" in (config.option.markexpr or "") else None


def pytest_collection_modifyitems(config, items) -> None:
    """Long tests first (browser, then slow; order kept within each), so that the pytest-xdist workers
    (`-n auto` in pyproject.toml) start them early and finish together instead of one waiting on a late long one.
    Release checks run only when asked for (`-m release`)."""
    items.sort(key=lambda item: (item.get_closest_marker("browser") is None, item.get_closest_marker("slow") is None))
    if "release" not in (config.option.markexpr or ""):
        opt_in = pytest.mark.skip(reason="a release check, opt-in: uv run --frozen pytest -m release")
        for item in items:
            if item.get_closest_marker("release"):
                item.add_marker(opt_in)


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


def sample_library_key() -> str:
    """What the ingested sample library depends on: the sample PDFs, the code of rag/ and ingest/, and the
    locked dependencies (the embedding model among them). Another key, another ingest."""
    digest = hashlib.sha256()
    inputs = [*SAMPLE_DOCS.glob("*.pdf"), *(ROOT / "rag").rglob("*.py"), *(ROOT / "ingest").rglob("*.py")]
    for path in sorted([*inputs, ROOT / "uv.lock"]):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory, minilm):
    """sample_docs/ ingested once (read-only for tests), and kept between runs under FOLIO_TEST_CACHE
    (~/.cache/folio-tests) for as long as its inputs are unchanged (`sample_library_key`).

    The first process to get here (one of the pytest-xdist workers, or pytest itself) ingests under a file lock;
    every process then opens its own copy of that data folder."""
    from filelock import FileLock

    from ingest import IngestOptions, ingest_paths

    cache = Path(os.environ.get("FOLIO_TEST_CACHE", Path.home() / ".cache" / "folio-tests"))
    kept = cache / f"sample-{sample_library_key()}"
    cache.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{kept}.lock"):
        if not (kept / "chunks").exists():
            shutil.rmtree(kept, ignore_errors=True)  # an ingest cut short
            settings = Settings(_env_file=None, folio_data_dir=kept / "data")
            store = open_store(settings, minilm)
            pdfs = sorted(SAMPLE_DOCS.glob("*.pdf"))  # the folder's README.md is read too now: the library is its PDFs
            report = ingest_paths(pdfs, store, minilm, options=IngestOptions.from_settings(settings))
            assert report.ok and report.count("ingested") >= 3
            (kept / "chunks").write_text(str(store.count()))  # written last: the library is complete
        own = tmp_path_factory.mktemp("sample-data")
        shutil.copytree(kept / "data", own, dirs_exist_ok=True)
    store = open_store(Settings(_env_file=None, folio_data_dir=own), minilm)
    assert store.count() == int((kept / "chunks").read_text())  # the copy holds every chunk
    return store
