"""ingest/readers: which reader reads a file (content first, then suffix), the reasons a file is refused, and a
reader registered for a new suffix taking its files through the whole pipeline (child process, chunks, store)."""

import re
from dataclasses import dataclass

import pytest

from ingest import IngestOptions, ingest_paths
from ingest.readers.base import Extracted, ReadLimits, Unit
from ingest.readers.pdf import PdfReader
from ingest.readers.registry import READERS, read_file, reader_for
from rag.errors import IngestError
from tests.conftest import SAMPLE_DOCS, make_pdf


@dataclass(frozen=True)
class NoteReader:
    """A made-up format: `NOTE` then sections separated by form feeds, each cited as "section n"."""

    def recognises(self, head: bytes) -> bool:
        return head.startswith(b"NOTE\n")

    def check(self, data: bytes) -> None:
        if not data.startswith(b"NOTE\n"):
            raise IngestError("not a note (no NOTE line)")

    def read(self, data: bytes, name: str, limits: ReadLimits) -> Extracted:
        sections = data.decode().removeprefix("NOTE\n").split("\f")
        if not any(s.strip() for s in sections):
            raise IngestError(f"{name} has no text")
        units = [Unit(n, text, "note", f"section {n}") for n, text in enumerate(sections, start=1) if text.strip()]
        return Extracted(units, len(sections), title="Harbour notes")


WITH_NOTES = {**READERS, ".note": NoteReader()}
PDF_BYTES = (SAMPLE_DOCS / "babelbib-tugboat-article.pdf").read_bytes()


def test_the_content_decides_first_then_the_suffix_else_the_type_is_unsupported():
    assert isinstance(reader_for("scan.txt", PDF_BYTES), PdfReader)  # a PDF under any name is read as one
    assert isinstance(reader_for("minutes.note", b"NOTE\nThe gate code is 4417.", WITH_NOTES), NoteReader)
    assert isinstance(reader_for("minutes", b"NOTE\nThe gate code is 4417.", WITH_NOTES), NoteReader)
    assert isinstance(reader_for("minutes.note", b"plain words", WITH_NOTES), NoteReader)  # the suffix's reader
    assert reader_for("minutes.note", b"plain words") is None  # not registered, not recognised: refused
    with pytest.raises(IngestError, match=r"^not a note \(no NOTE line\)$"):
        read_file("minutes.note", b"plain words", ReadLimits(), WITH_NOTES)
    with pytest.raises(IngestError, match=r"^not a PDF \(no %PDF- header\)$"):
        read_file("notes.pdf", b"plain words", ReadLimits(), WITH_NOTES)
    with pytest.raises(IngestError, match=r"^not a PDF \(no %PDF- header\)$"):  # HTML is known by its suffix only
        read_file("download.pdf", b"<!DOCTYPE html>\n<html><body>an error page</body></html>", ReadLimits())
    accepted = ", ".join(sorted(WITH_NOTES))
    with pytest.raises(IngestError, match=rf"^unsupported file type \(\.odt\); Folio reads {re.escape(accepted)}$"):
        read_file("notes.odt", b"plain words", ReadLimits(), WITH_NOTES)
    with pytest.raises(IngestError, match=r"^file is empty \(0 bytes\)$"):
        read_file("empty.pdf", b"", ReadLimits())


def test_a_registry_without_the_fallback_names_what_it_reads():
    with pytest.raises(IngestError, match=r"^unsupported file type \(\.txt\); Folio reads \.note$"):
        read_file("notes.txt", b"plain words", ReadLimits(), {".note": NoteReader()})


def test_a_reader_registered_for_a_new_suffix_takes_its_files_into_the_store(tmp_path, store, embedder):
    docs = tmp_path / "docs"
    make_pdf(docs / "harbour.pdf", ["The lighthouse keeper was Agnes Thorvald."])
    (docs / "minutes.note").write_bytes(b"NOTE\nThe gate code of the harbour is 4417.\fThe ferry leaves at nine.")
    (docs / "blank.note").write_bytes(b"NOTE\n \f ")
    (docs / "other.odt").write_bytes(b"NOTE\nno reader is registered for .odt, so the folder scan skips it")

    plain = ingest_paths([docs], store, embedder, options=IngestOptions(chunk_tokens=64, chunk_overlap=8))
    assert [(r.source, r.status) for r in plain.results] == [("harbour.pdf", "ingested")]  # .note: no reader yet

    options = IngestOptions(chunk_tokens=64, chunk_overlap=8, readers=WITH_NOTES)
    report = ingest_paths([docs], store, embedder, options=options)
    assert [(r.source, r.status, r.pages, r.reason, r.reader) for r in report.results] == [
        ("blank.note", "failed", 0, "blank.note has no text", ""),  # the reader's reason, from its child process
        ("harbour.pdf", "unchanged", 1, "", ""),
        ("minutes.note", "ingested", 2, "", "note"),
    ]
    [chunk] = [c for c in store.all_chunks() if c.source == "minutes.note"]
    assert chunk.text == "The gate code of the harbour is 4417.\n\nThe ferry leaves at nine."
    assert chunk.pages == (1, 2) and chunk.page_breaks == [(0, 1), (39, 2)]
    assert chunk.printed_labels == {1: "section 1", 2: "section 2"}
    assert chunk.meta.reader == "note"
    assert store.document("minutes.note").identity is not None


def test_a_definition_list_keeps_each_term_on_the_line_of_its_definition():
    page = (
        b"<html><body><h1>Memory</h1><dl><dt><code>M</code></dt><dd><p>Maximum resident set size.</p>"
        b"<p>In kilobytes.</p></dd><dt>-a</dt><dt>--append:</dt><dd>Append to the file.</dd><dt>lone</dt></dl>"
        b"<p>After the list.</p></body></html>"
    )
    [unit] = READERS[".html"].read(page, "time.html", ReadLimits()).units
    assert unit.text.splitlines() == [
        "Memory",
        "M: Maximum resident set size.",  # a definition alone does not say what it defines
        "In kilobytes.",
        "-a; --append: Append to the file.",
        "lone",  # a term without a definition stays a line of its own
        "After the list.",
    ]
