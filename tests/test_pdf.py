"""ingest/pdf.py: page extraction, clean-up and every kind of unusable file."""

import json

import pytest

from ingest.layout import split_fields
from ingest.pdf import ReadLimits, clean_text, extract_pages, read_pdf
from rag.errors import IngestError
from tests.conftest import SHARED_EVAL, make_pdf

HOSTILE = SHARED_EVAL / "hostile-pdfs"
MANIFEST = json.loads((HOSTILE / "manifest.json").read_text()) if HOSTILE.exists() else {"files": []}


def _norm(text: str) -> str:
    return " ".join(text.split())


def test_pages_are_numbered_from_one_in_order(tmp_path):
    pdf = make_pdf(tmp_path / "a.pdf", ["Alpha page text.", "Bravo page text.", "Charlie page text."])
    extracted = extract_pages(pdf.read_bytes())
    assert [(p.number, p.text) for p in extracted.pages] == [
        (1, "Alpha page text."),
        (2, "Bravo page text."),
        (3, "Charlie page text."),
    ]


def test_blank_pages_in_a_text_document_are_skipped_with_a_warning(tmp_path):
    pdf = make_pdf(tmp_path / "a.pdf", ["First page.", "", "Third page."])
    extracted = extract_pages(pdf.read_bytes(), NO_OCR)  # with OCR: blank_pages.pdf in tests/test_hostile.py
    assert [p.number for p in extracted.pages] == [1, 3]
    assert extracted.page_count == 3
    assert extracted.warnings == ["no text on page(s) 2 (scanned or blank?)"]


def test_clean_text_joins_hyphenated_words_and_wrapped_lines():
    raw = "The experi-\nment was  repeated\nthree times.\nA new paragraph\tstarts."
    assert clean_text(raw) == "The experiment was repeated three times.\nA new paragraph starts."


def test_clean_text_keeps_real_hyphens_and_capitalised_continuations():
    assert clean_text("Jean-\nPaul and well-known") == "Jean-Paul and well-known"


NO_OCR = ReadLimits(ocr=False)


@pytest.mark.parametrize(
    "entry",
    [pytest.param(e, marks=[pytest.mark.slow] * (e["file"] == "many_pages_2000.pdf")) for e in MANIFEST["files"]],
    ids=lambda e: e["file"],
)
def test_hostile_pdf_gets_its_expected_outcome_from_text_extraction(entry):
    """pypdf alone (OCR off); tests/test_hostile.py runs the same files through the CLI and uploads."""
    data = (HOSTILE / entry["file"]).read_bytes()
    expected = entry["expected"]
    if expected["action"] in ("ingest", "ingest_with_warning"):
        extracted = extract_pages(data, NO_OCR)
        assert extracted.page_count == expected["pages"]
        if "must_find_text" in expected:
            assert _norm(expected["must_find_text"]) in _norm(" ".join(p.text for p in extracted.pages))
    elif expected["action"] == "warn":
        with pytest.raises(IngestError, match="no extractable text .*OCR is off"):
            extract_pages(data, NO_OCR)
    elif expected["action"] in ("reject", "reject_or_partial"):
        with pytest.raises(IngestError) as error:
            extract_pages(data, NO_OCR)
        assert expected["error_contains"].lower() in str(error.value).lower()
    else:  # ingest_or_reject_cleanly: either outcome, but never an unexpected exception
        try:
            assert extract_pages(data, NO_OCR).pages
        except IngestError as error:
            assert str(error)


def test_manifest_is_present():
    assert len(MANIFEST["files"]) >= 20, "../shared/eval/hostile-pdfs/manifest.json is missing"


def test_page_and_character_caps_refuse_a_file_with_the_reason():
    data = (HOSTILE / "many_pages_2000.pdf").read_bytes()
    with pytest.raises(IngestError, match=r"too many pages: 2000 \(the limit is 1000, FOLIO_MAX_PAGES\)"):
        extract_pages(data, ReadLimits(max_pages=1000))
    with pytest.raises(IngestError, match=r"too much text: more than 5,000 characters by page \d+ \(FOLIO_MAX_CHARS\)"):
        extract_pages(data, ReadLimits(max_chars=5000))


def test_a_file_that_reads_too_slowly_is_stopped_and_reported():
    """The 2000-page file takes seconds to parse; under a 0.2 s limit its child process is killed."""
    data = (HOSTILE / "many_pages_2000.pdf").read_bytes()
    with pytest.raises(IngestError, match=r"took longer than 0.2 s and was stopped \(FOLIO_READ_TIMEOUT\)"):
        read_pdf(data, ReadLimits(timeout=0.2))
    assert read_pdf((HOSTILE / "rotated_pages.pdf").read_bytes(), ReadLimits()).page_count == 4


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_a_pdf_encrypted_with_an_empty_password_opens_whatever_the_cipher(tmp_path, algorithm):
    from pypdf import PdfReader, PdfWriter

    plain = make_pdf(tmp_path / "plain.pdf", ["The access code for the blue warehouse is 4417."])
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt("", algorithm=algorithm)
    writer.write(tmp_path / "locked.pdf")

    extracted = read_pdf((tmp_path / "locked.pdf").read_bytes(), ReadLimits())
    assert "blue warehouse is 4417" in extracted.pages[0].text


def test_a_pdf_encrypted_with_a_real_password_is_refused_with_a_reason(tmp_path):
    from pypdf import PdfReader, PdfWriter

    plain = make_pdf(tmp_path / "plain.pdf", ["The access code for the blue warehouse is 4417."])
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt("secret", algorithm="AES-256")
    writer.write(tmp_path / "locked.pdf")

    with pytest.raises(IngestError, match="password"):
        read_pdf((tmp_path / "locked.pdf").read_bytes(), ReadLimits())


def _one_page_pdf(content: bytes) -> bytes:
    """A PDF whose page shows `content` (a content stream) in Helvetica, with no /ToUnicode map."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.mark.slow  # the page goes to OCR first
def test_a_page_of_glyph_codes_is_not_indexed_as_text_and_the_reason_says_why():
    codes = bytes(c for c in range(1, 32) if c not in b"\n\r()\\") * 3
    data = _one_page_pdf(b"BT /F1 12 Tf 72 720 Td (" + codes + b") Tj ET")
    with pytest.raises(IngestError, match=r"only glyph codes \(fonts without a Unicode map\) in 1 page"):
        read_pdf(data, ReadLimits())


def test_attached_files_are_named_in_a_warning_not_skipped_silently():
    extracted = read_pdf((HOSTILE / "upstream_with-attachment.pdf").read_bytes(), ReadLimits())
    assert "1 attached file(s) not read (image.png)" in " ".join(extracted.warnings)


def test_a_two_column_form_has_each_field_on_its_own_line():
    # NTSB reports print their fields in two columns; pypdf ran each row's two fields together
    data = (SHARED_EVAL / "real-docs" / "pdfs" / "20080114X00043.pdf").read_bytes()
    first, pilot, weather = (page.text.splitlines() for page in extract_pages(data).pages[:3])
    assert {"Certificate: Student", "Age: 17, Male", "Seat Occupied: Left"} <= set(pilot)
    assert {"Departure Point: Venice, FL", "Type of Flight Plan Filed: None"} <= set(weather)
    assert "Flight Conducted Under: Part 91: General Aviation - Instructional" in first  # a value with a colon


def test_fields_are_split_only_where_the_layout_shows_a_label_starting_a_column():
    text = "Certificate: Student Age: 17, Male\n(see notes) Age: unknown to us.\nRegion: North Age: 3"
    layout = "Certificate:     Student        Age:      17, Male\nRegion:    North Age: 3"
    assert split_fields(text, layout) == (
        "Certificate: Student\nAge: 17, Male\n(see notes) Age: unknown to us.\nRegion: North\nAge: 3"
    )
    assert split_fields(text, "Certificate: Student Age: 17, Male") == text  # no columns: nothing to split
