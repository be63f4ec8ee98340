"""Scanned pages: OCR'd offline, searchable, and cited to the right page, marked as OCR."""

import pytest

from bench.ocr import cer, make_poster_scans
from ingest import Ingestor
from ingest.pdf import ReadLimits, extract_pages, read_pdf
from rag.answer import ChatSession
from rag.errors import IngestError
from rag.retrieve import Retriever
from tests.conftest import SHARED_EVAL, make_scanned_pdf

pytestmark = pytest.mark.slow  # OCR of generated scans

SCAN_2 = (
    "The harbour of Valdemar Bay was dredged in 1887 to a depth of eleven metres. "
    "Its lighthouse keeper, Agnes Thorvald, logged every ship that entered the bay."
)
SCAN_3 = (
    "Annual rainfall in the valley averages 640 millimetres, most of it in October. "
    "Farmers there grow barley, flax and a late variety of plum."
)


def test_character_error_rate_counts_edits_per_reference_character():
    assert cer("abcd", "abcd") == 0.0
    assert cer("abcd", "abxd") == 0.25
    assert cer("a  b", "a b") == 0.0  # whitespace is normalised
    assert cer("abcd", "") == 1.0


@pytest.fixture(scope="module")
def mixed_pdf(tmp_path_factory):
    """Page 1 has a text layer; pages 2 and 3 are scans."""
    return make_scanned_pdf(tmp_path_factory.mktemp("scans") / "harbour-scan.pdf", [None, SCAN_2, SCAN_3])


def test_mixed_document_keeps_text_pages_and_ocrs_scanned_ones_accurately(mixed_pdf):
    extracted = extract_pages(mixed_pdf.read_bytes())
    assert [(p.number, p.ocr) for p in extracted.pages] == [(1, False), (2, True), (3, True)]
    assert "harbour crane inspection" in extracted.pages[0].text
    assert cer(SCAN_2, extracted.pages[1].text) < 0.05
    assert cer(SCAN_3, extracted.pages[2].text) < 0.05
    assert extracted.warnings == ["page(s) 2-3 read by OCR"]


def test_with_ocr_off_a_scan_is_reported_not_silently_empty(tmp_path):
    scan = make_scanned_pdf(tmp_path / "scan.pdf", [SCAN_2])
    with pytest.raises(IngestError, match=r"no extractable text \(scanned or blank\?\) in 1 page\(s\); OCR is off"):
        extract_pages(scan.read_bytes(), ReadLimits(ocr=False))


def test_ocr_page_cap_is_reported(mixed_pdf):
    extracted = extract_pages(mixed_pdf.read_bytes(), ReadLimits(ocr_max_pages=1))
    assert [p.number for p in extracted.pages] == [1, 2]
    assert "OCR skipped page(s) 3 (FOLIO_OCR_MAX_PAGES)" in extracted.warnings


def test_the_hostile_image_only_scan_becomes_searchable():
    data = (SHARED_EVAL / "hostile-pdfs" / "image_only_scan.pdf").read_bytes()
    text = " ".join(p.text for p in extract_pages(data).pages)
    assert "The access code for the blue warehouse is 4417." in text


def test_an_uploaded_scan_is_answered_with_a_citation_of_its_page_marked_ocr(mixed_pdf, settings, store, embedder):
    result = Ingestor(store, embedder, settings).upload("harbour-scan.pdf", mixed_pdf.read_bytes())
    assert (result.status, result.pages) == ("ingested", 3)
    assert "read by OCR" in result.reason
    answer = ChatSession(Retriever(store, embedder)).answer("Who was the lighthouse keeper of Valdemar Bay?")
    assert "Agnes Thorvald" in answer.text
    cited = answer.cited_sources[0]
    assert (cited.source, cited.page_at(cited.text.index("Agnes")), cited.ocr) == ("harbour-scan.pdf", 2, True)
    assert "(OCR)" in cited.pages_label


def test_a_small_file_of_many_poster_sized_scans_is_read_page_by_page_within_the_memory_cap(tmp_path):
    """40 pages of 2000 x 2000 pt sharing one image: 940 MB of page images if rendered all at once,
    past the child's cap; read one page at a time, the scanned text on the last page is found."""
    from pypdf import PdfReader, PdfWriter

    poster = make_poster_scans(tmp_path / "poster.pdf", 40)
    writer = PdfWriter(clone_from=PdfReader(poster))
    writer.append(str(make_scanned_pdf(tmp_path / "scan.pdf", [SCAN_2])))
    writer.write(tmp_path / "bomb.pdf")
    data = (tmp_path / "bomb.pdf").read_bytes()
    assert len(data) < 100_000

    extracted = read_pdf(data, ReadLimits())  # in the child process, under its memory cap
    assert "lighthouse keeper" in extracted.pages[-1].text
    assert "page(s) 41 read by OCR" in extracted.warnings
