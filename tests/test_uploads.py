"""ingest/uploads.py: client file names can never pick where an upload is written; interrupted uploads are
cleaned, one being written never."""

import os
import time

import pytest
import streamlit as st

from ingest.uploads import safe_upload_name


@pytest.mark.parametrize(
    "client_name, stored",
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        ("/abs/a\x00b.pdf", "ab.pdf"),
        ("..", "upload"),
        ("notes.txt", "notes.txt"),  # a suffix a reader is registered for is kept
        ("notes.odt", "notes.odt"),  # and one none is: the upload is refused as named
        ("Scan.PDF", "Scan.pdf"),  # a suffix a reader is registered for is kept, in lower case
        ("x" * 500 + ".pdf", "x" * 100 + ".pdf"),
    ],
)
def test_client_names_are_reduced_to_a_safe_base_name(client_name, stored):
    assert safe_upload_name(client_name) == stored


def _files_under(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_hostile_names_many_files_duplicates_and_bad_content_never_escape_the_data_folder(
    tmp_path, settings, store, embedder
):
    from ingest import Ingestor
    from tests.conftest import make_pdf

    def pdf(text):
        return make_pdf(tmp_path / "src" / f"{abs(hash(text))}.pdf", [text]).read_bytes()

    settings = settings.model_copy(update={"folio_max_upload_mb": 1})
    uploads = [
        ("../../outside.pdf", pdf("Upload one is about otters.")),
        ("/etc/absolute.pdf", pdf("Upload two is about beavers.")),
        ("nul\x00byte.pdf", pdf("Upload three is about herons.")),
        ("y" * 300 + ".pdf", pdf("Upload four is about newts.")),
        ("report.pdf", pdf("First report version.")),
        ("report.pdf", pdf("Second report version.")),  # same name: the newer upload replaces it
        ("copy-of-otters.pdf", pdf("Upload one is about otters.")),  # same bytes as another document
        ("page.html.pdf", b"<html><body>not a pdf</body></html>"),  # checked by content, not by name
        ("big.pdf", b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 1)),
        ("minutes.odt", b"plain words"),  # a format Folio does not read
    ]
    ingestor = Ingestor(store, embedder, settings)
    results = [ingestor.upload(name, data) for name, data in uploads]
    assert [(r.source, r.status) for r in results] == [
        ("outside.pdf", "ingested"),
        ("absolute.pdf", "ingested"),
        ("nulbyte.pdf", "ingested"),
        ("y" * 100 + ".pdf", "ingested"),
        ("report.pdf", "ingested"),
        ("report.pdf", "ingested"),
        ("copy-of-otters.pdf", "duplicate"),
        ("page.html.pdf", "failed"),
        ("big.pdf", "failed"),
        ("minutes.odt", "failed"),
    ]
    assert "replaced" not in results[4].reason and "replaced the earlier file of this name" in results[5].reason
    assert "same content as 'outside.pdf'" in results[6].reason
    assert results[7].reason == "not a PDF (no %PDF- header)"
    assert results[8].reason == "larger than the 1 MB limit (FOLIO_MAX_UPLOAD_MB)"
    assert results[9].reason.startswith("unsupported file type (.odt); Folio reads .csv, .docx, .epub, .htm, .html,")
    assert _files_under(settings.uploads_dir) == sorted(
        ["outside.pdf", "absolute.pdf", "nulbyte.pdf", "y" * 100 + ".pdf", "report.pdf"]
    )
    assert _files_under(tmp_path) == sorted(  # nothing written anywhere else
        [f"data/uploads/{name}" for name in _files_under(settings.uploads_dir)]
        + [f"data/chroma/{p}" for p in _files_under(settings.chroma_path)]
        + [f"src/{p}" for p in _files_under(tmp_path / "src")]
    )
    report = store.chunks.get(where={"source": "report.pdf"}, include=["documents"])["documents"]
    assert report == ["Second report version."]
    assert len(store.documents()) == 5


def _leftover(folder, name: str, age_s: float):
    path = folder / name
    path.write_bytes(b"%PDF-1.7 half an upload")
    os.utime(path, (time.time() - age_s, time.time() - age_s))
    return path


def test_interrupted_uploads_are_cleaned_when_the_ui_or_the_api_starts_and_recent_or_other_files_stay(
    settings, monkeypatch
):
    from streamlit.testing.v1 import AppTest

    from folio_server import create_app
    from tests.conftest import ROOT

    folder = settings.uploads_dir
    folder.mkdir(parents=True)
    kept = [
        _leftover(folder, "tmpnew.part", 60),  # may be an upload of another process, just started
        _leftover(folder, "report.pdf", 7200),  # an upload that was stored
        _leftover(folder, "notes.part", 7200),  # not a name Folio writes
    ]
    for start in ("ui", "api"):
        old = _leftover(folder, f"tmp{start}.part", 7200)
        if start == "ui":
            st.cache_resource.clear()
            monkeypatch.chdir(ROOT)
            assert not AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120).run().exception
        else:
            create_app(settings)
        assert not old.exists(), start
        assert all(path.exists() for path in kept), start


def test_an_upload_being_ingested_is_never_cleaned_however_old(tmp_path, settings, store, embedder):
    from ingest import Ingestor, clean_uploads
    from tests.conftest import make_pdf

    data = make_pdf(tmp_path / "otters.pdf", ["Otters hold hands while they sleep."]).read_bytes()
    seen = {}

    def during_ingest(step: str, done: int, total: int) -> None:  # the upload's own file is on disk now
        [part] = settings.uploads_dir.glob("tmp*.part")
        os.utime(part, (0, 0))  # as if written long ago (a long OCR ingest)
        seen[step] = (clean_uploads(settings.uploads_dir, older_than_s=0), part.exists())

    result = Ingestor(store, embedder, settings).upload("otters.pdf", data, steps=during_ingest)
    assert result.status == "ingested", result.reason
    assert seen and all(value == ([], True) for value in seen.values())
    assert sorted(p.name for p in settings.uploads_dir.iterdir()) == ["otters.pdf"]
