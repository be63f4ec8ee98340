"""rag/records.py: chunk metadata written by ingest through `ChunkMetadata`, read back by rag through it, with the
keys and values Folio has always stored (a library stored before the type reads the same, with no new ingest)."""

from ingest.chunk import Chunk
from ingest.pdf import Page
from ingest.sync import chunk_metadata
from rag.records import ChunkMetadata, DocumentRecord, StoredChunk
from rag.sources import build_sources

RECORD = DocumentRecord("reports/q2.pdf", "d" * 64, "/lib/reports/q2.pdf", 9, 30, "2026-01-02T03:04:05+00:00", "4:256")
CHUNK = Chunk(index=7, text="Revenue rose. Costs fell.", n_tokens=6, page_breaks=((0, 3), (14, 4)), table_header="")
PAGES = [Page(2, "p2"), Page(3, "p3", "pypdf", "ii"), Page(4, "p4", "ocr", "iii"), Page(5, "p5", "pdfium")]
# what ingest wrote for this chunk before rag.records, key for key (a library on disk holds exactly this)
STORED = {
    "version": RECORD.version,
    "doc_id": "d" * 64,
    "source": "reports/q2.pdf",
    "page_start": 3,
    "page_end": 4,
    "page_breaks": "[[0, 3], [14, 4]]",
    "chunk_index": 7,
    "n_tokens": 6,
    "ingested_at": "2026-01-02T03:04:05+00:00",
    "ocr": True,
    "reader": "ocr+pypdf",
    "page_labels": '{"3": "ii", "4": "iii"}',
    "context": "Globex Shipping | quarterly report",
}


def test_ingest_writes_the_keys_and_values_it_always_wrote():
    written = chunk_metadata(RECORD, CHUNK, PAGES, "Globex Shipping | quarterly report")
    assert written == STORED
    assert [type(v) for v in written.values()] == [type(v) for v in STORED.values()]  # True is not 1 to Chroma


def test_metadata_as_stored_reads_typed_and_writes_back_the_same():
    meta = ChunkMetadata.from_metadata(STORED)
    assert meta.page_breaks == ((0, 3), (14, 4))
    assert meta.page_labels == ((3, "ii"), (4, "iii"))
    assert (meta.ocr, meta.chunk_index, meta.context) == (True, 7, "Globex Shipping | quarterly report")
    assert meta.to_metadata() == STORED
    assert ChunkMetadata.from_metadata(meta.to_metadata()) == meta


def test_a_chunk_without_labels_stores_an_empty_string_and_reads_none():
    plain = ChunkMetadata.from_metadata(STORED | {"page_labels": ""})
    assert plain.page_labels == ()
    assert plain.to_metadata()["page_labels"] == ""


def test_a_stored_chunk_reads_its_pages_labels_and_document_through_the_type():
    chunk = StoredChunk("id-7", CHUNK.text, STORED | {"document": "Globex 10-Q"})
    assert chunk.source == "reports/q2.pdf"
    assert chunk.pages == (3, 4)
    assert chunk.page_breaks == [(0, 3), (14, 4)]
    assert chunk.printed_labels == {3: "ii", 4: "iii"}
    assert chunk.document == "Globex 10-Q"
    (source,) = build_sources([chunk], lambda text: len(text.split()), budget_tokens=100, limit=5)
    assert (source.pages_label, source.context, source.document) == (
        "pp. 3-4 (printed ii-iii) (OCR)",
        "Globex Shipping | quarterly report",
        "Globex 10-Q",
    )


def test_keys_an_older_store_lacks_read_as_empty():
    older = {key: STORED[key] for key in ("source", "page_start", "page_end", "page_breaks", "chunk_index")}
    meta = ChunkMetadata.from_metadata(older)
    assert (meta.page_labels, meta.context, meta.ocr, meta.version, meta.ingested_at) == ((), "", False, "", "")
    assert StoredChunk("c", "text", older).printed_labels == {}
