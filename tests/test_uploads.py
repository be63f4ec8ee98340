"""ingest/uploads.py: client file names can never pick where an upload is written."""

import pytest

from ingest.uploads import safe_upload_name


@pytest.mark.parametrize(
    "client_name, stored",
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        ("/abs/a\x00b.pdf", "ab.pdf"),
        ("..", "upload.pdf"),
        ("notes.txt", "notes.pdf"),
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

    settings.folio_max_upload_mb = 1
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
    ]
    assert "replaced" not in results[4].reason and "replaced the earlier file of this name" in results[5].reason
    assert "same content as 'outside.pdf'" in results[6].reason
    assert results[7].reason == "not a PDF (no %PDF- header)"
    assert results[8].reason == "larger than the 1 MB limit (FOLIO_MAX_UPLOAD_MB)"
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
