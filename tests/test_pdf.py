"""ingest/pdf.py: page extraction, clean-up and every kind of unusable file."""

import json

import pytest

from ingest.pdf import clean_text, extract_pages
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
    extracted = extract_pages(pdf.read_bytes())
    assert [p.number for p in extracted.pages] == [1, 3]
    assert extracted.page_count == 3
    assert extracted.warnings == ["no text on page(s) 2 (scanned or blank?)"]


def test_clean_text_joins_hyphenated_words_and_wrapped_lines():
    raw = "The experi-\nment was  repeated\nthree times.\nA new paragraph\tstarts."
    assert clean_text(raw) == "The experiment was repeated three times.\nA new paragraph starts."


def test_clean_text_keeps_real_hyphens_and_capitalised_continuations():
    assert clean_text("Jean-\nPaul and well-known") == "Jean-Paul and well-known"


@pytest.mark.parametrize("entry", MANIFEST["files"], ids=lambda e: e["file"])
def test_hostile_pdf_gets_its_expected_outcome(entry):
    data = (HOSTILE / entry["file"]).read_bytes()
    expected = entry["expected"]
    if expected["action"] in ("ingest", "ingest_with_warning"):
        extracted = extract_pages(data)
        assert extracted.page_count == expected["pages"]
        if "must_find_text" in expected:
            assert _norm(expected["must_find_text"]) in _norm(" ".join(p.text for p in extracted.pages))
    elif expected["action"] == "warn":
        with pytest.raises(IngestError, match="no extractable text"):
            extract_pages(data)
    elif expected["action"] in ("reject", "reject_or_partial"):
        with pytest.raises(IngestError) as error:
            extract_pages(data)
        assert expected["error_contains"].lower() in str(error.value).lower()
    else:  # ingest_or_reject_cleanly: either outcome, but never an unexpected exception
        try:
            assert extract_pages(data).pages
        except IngestError as error:
            assert str(error)


def test_manifest_is_present():
    assert len(MANIFEST["files"]) >= 20, "../shared/eval/hostile-pdfs/manifest.json is missing"
