"""ingest/sync.py end to end: real PDFs, the real embedder, real Chroma on disk."""

import shutil

import pytest

from ingest import IngestOptions, ingest_bytes, ingest_paths
from rag.errors import StoreError
from rag.keyword import KeywordIndex
from rag.store import Store, make_client, open_store
from tests.conftest import SHARED_EVAL, make_pdf

HOSTILE = SHARED_EVAL / "hostile-pdfs"
SMALL = IngestOptions(chunk_tokens=64, chunk_overlap=8)


def _ingest(folder, store, embedder, **kw):
    return ingest_paths([folder], store, embedder, options=SMALL, **kw)


def _page_of(chunk, phrase):
    at = chunk.text.index(phrase)
    return [page for offset, page in chunk.page_breaks if offset <= at][-1]


def _texts(store, source):
    got = store.chunks.get(where={"source": source}, include=["documents"])
    return got["documents"]


@pytest.fixture
def folder(tmp_path):
    docs = tmp_path / "docs"
    make_pdf(docs / "apollo.pdf", ["Apollo 11 landed on the Moon in July 1969.", "Neil Armstrong stepped out first."])
    make_pdf(docs / "sub" / "rivers.pdf", ["The Nile is the longest river in Africa."])
    return docs


def test_options_come_from_the_settings_and_are_passed_by_name(settings):
    import inspect

    from ingest import ReadLimits
    from rag.config import Settings

    changed = settings.model_copy(update={"folio_chunk_tokens": 128, "folio_context_words": 0, "folio_ocr": False})
    options = IngestOptions.from_settings(changed)
    assert (options.chunk_tokens, options.chunk_overlap, options.context_words) == (128, 48, 0)
    assert options.limits == ReadLimits.from_settings(changed) and not options.limits.ocr
    assert IngestOptions() == IngestOptions.from_settings(Settings(_env_file=None))  # the defaults are the settings'
    for function, positional in ((ingest_paths, 3), (ingest_bytes, 4)):
        kinds = [p.kind for p in inspect.signature(function).parameters.values()]
        assert kinds[positional:] == [inspect.Parameter.KEYWORD_ONLY] * (len(kinds) - positional)


def test_folder_is_ingested_with_page_numbers_and_relative_names(folder, store, embedder):
    report = _ingest(folder, store, embedder)
    assert [(r.source, r.status, r.pages) for r in report.results] == [
        ("apollo.pdf", "ingested", 2),
        ("sub/rivers.pdf", "ingested", 1),
    ]
    (chunk,) = [c for c in store.all_chunks() if c.source == "apollo.pdf"]
    assert chunk.pages == (1, 2)
    assert _page_of(chunk, "Apollo 11 landed") == 1
    assert _page_of(chunk, "Neil Armstrong") == 2
    assert [d.source for d in store.documents()] == ["apollo.pdf", "sub/rivers.pdf"]


def test_reingesting_an_unchanged_folder_adds_nothing_and_embeds_nothing(folder, store, embedder):
    _ingest(folder, store, embedder)
    count, embedded = store.count(), embedder.texts_embedded
    report = _ingest(folder, store, embedder)
    assert {r.status for r in report.results} == {"unchanged"}
    assert store.count() == count
    assert embedder.texts_embedded == embedded


def test_a_changed_file_replaces_its_chunks(folder, store, embedder):
    _ingest(folder, store, embedder)
    make_pdf(folder / "apollo.pdf", ["Apollo 13 never landed; the crew returned safely."])
    report = _ingest(folder, store, embedder)
    assert [r.status for r in report.results] == ["ingested", "unchanged"]
    assert _texts(store, "apollo.pdf") == ["Apollo 13 never landed; the crew returned safely."]
    assert store.document("apollo.pdf").pages == 1


def test_a_failing_new_version_keeps_the_previous_one(folder, store, embedder):
    _ingest(folder, store, embedder)
    (folder / "apollo.pdf").write_bytes(b"%PDF-1.7\n%%EOF\n")
    report = _ingest(folder, store, embedder)
    assert report.results[0].status == "failed" and "corrupt" in report.results[0].reason
    assert not report.ok
    assert "Apollo 11 landed on the Moon in July 1969." in _texts(store, "apollo.pdf")[0]


def test_prune_removes_documents_whose_file_is_gone(folder, store, embedder):
    _ingest(folder, store, embedder)
    (folder / "sub" / "rivers.pdf").unlink()
    assert _ingest(folder, store, embedder).count("pruned") == 0  # only when asked
    report = _ingest(folder, store, embedder, prune=True)
    assert [(r.source, r.status) for r in report.results if r.status == "pruned"] == [("sub/rivers.pdf", "pruned")]
    assert _texts(store, "sub/rivers.pdf") == []
    assert [d.source for d in store.documents()] == ["apollo.pdf"]


@pytest.mark.slow  # each bad file in its own child process
def test_bad_files_are_reported_by_name_and_the_rest_go_through(folder, store, embedder):
    for name in (
        "zero_bytes.pdf",
        "not_a_pdf.pdf",
        "encrypted_user_password.pdf",
        "truncated.pdf",
        "blank_pages.pdf",
    ):
        shutil.copy(HOSTILE / name, folder / name)
    report = _ingest(folder, store, embedder)
    failed = {r.source: r.reason for r in report.results if r.status == "failed"}
    assert set(failed) == {
        "zero_bytes.pdf",
        "not_a_pdf.pdf",
        "encrypted_user_password.pdf",
        "truncated.pdf",
        "blank_pages.pdf",
    }
    assert "empty" in failed["zero_bytes.pdf"]
    assert "not a PDF" in failed["not_a_pdf.pdf"]
    assert "encrypted" in failed["encrypted_user_password.pdf"]
    assert "corrupt" in failed["truncated.pdf"]
    assert "no extractable text (scanned or blank?) in 3 page(s); OCR found no text either" in failed["blank_pages.pdf"]
    assert report.count("ingested") == 2
    assert [d.source for d in store.documents()] == ["apollo.pdf", "sub/rivers.pdf"]


def test_same_bytes_under_another_name_are_not_stored_twice(folder, store, embedder):
    _ingest(folder, store, embedder)
    result = ingest_bytes("copy.pdf", (folder / "apollo.pdf").read_bytes(), store, embedder, options=SMALL)
    assert result.status == "duplicate" and "same content as 'apollo.pdf'" in result.reason
    assert store.document("copy.pdf") is None


def test_chunks_of_an_unregistered_version_are_repaired_away(folder, store, embedder):
    _ingest(folder, store, embedder)
    count = store.count()
    store.registry.delete(ids=["apollo.pdf"])  # as if the process died before registering the document
    assert store.repair() == 1
    assert store.count() == count - 1
    assert _texts(store, "apollo.pdf") == []


def test_a_collection_built_with_another_model_is_a_clear_error(settings, store):
    client = make_client(settings)
    with pytest.raises(StoreError, match="built with the embedding model all-MiniLM-L6-v2.*other-model"):
        Store(client, settings.folio_collection, "other-model", 768, KeywordIndex(settings.chroma_path / "keyword"))


def test_the_store_survives_reopening(folder, settings, store, embedder):
    _ingest(folder, store, embedder)
    reopened = open_store(settings, embedder)
    assert [d.source for d in reopened.documents()] == ["apollo.pdf", "sub/rivers.pdf"]
    assert reopened.count() == store.count() > 0


def test_a_second_writer_waits_for_the_first_and_says_so_when_it_gives_up(folder, settings, embedder):
    import subprocess
    import sys

    lock = settings.chroma_path / "folio-write.lock"
    keywords = KeywordIndex(settings.chroma_path / "keyword")
    name = settings.folio_collection
    store = Store(make_client(settings), name, embedder.name, embedder.dim, keywords, lock, lock_timeout=0.5)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import filelock, sys; l = filelock.FileLock({str(lock)!r}); l.acquire(); "
            "print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreError, match="another Folio process is still writing"):
            _ingest(folder, store, embedder)
        result = ingest_bytes("x.pdf", (folder / "apollo.pdf").read_bytes(), store, embedder, options=SMALL)
        assert result.status == "failed" and "another Folio process is still writing" in result.reason
    finally:
        holder.communicate("")
    assert _ingest(folder, store, embedder).count("ingested") == 2
    assert len(store.documents()) == 2


def test_a_named_pipe_is_refused_with_a_reason_instead_of_blocking(tmp_path, store, embedder):
    import os

    docs = tmp_path / "docs"
    make_pdf(docs / "real.pdf", ["Saturn has a large ring system."])
    os.mkfifo(tmp_path / "pipe.pdf")
    report = ingest_paths([docs, tmp_path / "pipe.pdf"], store, embedder, options=SMALL)
    by_name = {r.source: r for r in report.results}
    assert by_name["real.pdf"].status == "ingested"
    assert by_name["pipe.pdf"].status == "failed" and "not a regular file" in by_name["pipe.pdf"].reason


def test_identical_bytes_ingested_at_the_same_moment_are_stored_once(tmp_path, settings, minilm):
    from concurrent.futures import ThreadPoolExecutor

    data = make_pdf(tmp_path / "a.pdf", ["Saturn has a large ring system."]).read_bytes()

    stores = [open_store(settings, minilm) for _ in range(2)]  # two writers, each with its own lock handle

    def ingest(name, store):
        return ingest_bytes(name, data, store, minilm, options=SMALL)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(ingest, ["first.pdf", "second.pdf"], stores))
    assert sorted(r.status for r in results) == ["duplicate", "ingested"]
    assert "same content as" in next(r.reason for r in results if r.status == "duplicate")
    assert len(open_store(settings, minilm).documents()) == 1


def test_a_table_file_is_named_by_its_title_or_file_name_not_by_its_first_rows():
    """The context line goes with every chunk's embedding and costs its tokens: a sheet's first rows ("Code: AD;
    Country: Andorra; ...") say nothing about the file and took about 160 of a chunk's 256 tokens."""
    from ingest.readers.base import Extracted, Unit
    from ingest.sync import document_context

    rows = Unit(1, "Code: AD; Country: Andorra\nCode: AE; Country: United Arab Emirates", "csv", "rows 2-3")
    page = Unit(1, "Annual Report 2023\nGlobex Holdings Corp.\nThe year was good for every segment we run.", "pdf")
    assert document_context("country-codes.csv", Extracted([rows], 1, cover=""), 40) == "country codes"
    assert document_context("q3.xlsx", Extracted([rows], 1, title="Budget of the Tenants Union", cover=""), 40) == (
        "Budget of the Tenants Union"
    )
    assert "Globex" in document_context("report.pdf", Extracted([page], 1), 40)  # a document's cover names it
