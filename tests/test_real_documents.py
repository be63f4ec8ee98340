"""Real-document reading: a second reader, layout kept, running headers removed, page labels, document context.

Readers, Chroma and the embedder are real; PDFs are generated here or taken from ../shared/eval/real-docs.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, NameObject, NumberObject

from ingest import IngestOptions, ingest_paths
from ingest.layout import clean_text, context_line, running_lines, strip_running_lines
from ingest.pdf import ReadLimits, extract_pages
from rag.retrieve import Retriever
from rag.sentences import sentence_spans
from tests.conftest import SHARED_EVAL, make_pdf

pytestmark = pytest.mark.slow  # real documents from ../shared read and ingested

REAL_DOCS = SHARED_EVAL / "real-docs" / "pdfs"


def make_array_bomb(path: Path, text: str) -> Path:
    """A valid PDF whose page carries an array one element longer than pypdf's limit (LimitReachedError)."""
    source = make_pdf(path.with_suffix(".src.pdf"), [text])
    writer = PdfWriter(clone_from=str(source))
    writer.pages[0][NameObject("/Padding")] = ArrayObject([NumberObject(0)] * 100_001)
    writer.write(str(path))
    source.unlink()
    return path


def test_a_file_pypdf_refuses_is_read_by_pdfium_and_the_run_goes_on(tmp_path, store, embedder):
    docs = tmp_path / "docs"
    make_pdf(docs / "a-before.pdf", ["Saturn has a large ring system."])
    make_array_bomb(docs / "b-bomb.pdf", "The lighthouse keeper logged 412 ships in March.")
    (docs / "c-broken.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(3000))
    make_pdf(docs / "d-after.pdf", ["Jupiter has a great red spot."])

    report = ingest_paths([docs], store, embedder, options=IngestOptions(chunk_tokens=64, chunk_overlap=8))

    by_name = {r.source: r for r in report.results}
    assert [by_name[n].status for n in sorted(by_name)] == ["ingested", "ingested", "failed", "ingested"]
    assert by_name["b-bomb.pdf"].reader == "pdfium"
    assert "LimitReachedError" in by_name["b-bomb.pdf"].reason
    assert "\n" not in by_name["c-broken.pdf"].reason and by_name["c-broken.pdf"].reason
    stored = store.chunks.get(where={"source": "b-bomb.pdf"}, include=["documents", "metadatas"])
    assert "412 ships" in stored["documents"][0] and stored["metadatas"][0]["reader"] == "pdfium"


def test_the_cli_prints_json_for_a_folder_with_a_file_pypdf_refuses(tmp_path, settings):
    docs = tmp_path / "docs"
    make_array_bomb(docs / "bomb.pdf", "The lighthouse keeper logged 412 ships in March.")
    (docs / "noise.pdf").write_bytes(b"%PDF-1.4\n" + b"\xff" * 500)
    folio = str(Path(sys.executable).parent / "folio")
    env = {**os.environ, "FOLIO_DATA_DIR": str(settings.folio_data_dir)}
    done = subprocess.run([folio, "ingest", str(docs), "--json"], env=env, capture_output=True, text=True, timeout=300)

    assert done.returncode == 1, done.stderr  # one file failed: exit 1, never a traceback
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    assert report["summary"] == {"ingested": 1, "unchanged": 0, "duplicate": 0, "failed": 1, "pruned": 0}


def test_pypdf_only_reports_the_same_file_by_name_with_one_line():
    data = make_array_bomb(Path(os.environ.get("TMPDIR", "/tmp")) / f"bomb-{os.getpid()}.pdf", "x y z").read_bytes()
    with pytest.raises(Exception) as refused:
        extract_pages(data, ReadLimits(reader="pypdf", ocr=False))
    assert "LimitReachedError" in str(refused.value) and "\n" not in str(refused.value)


def test_glued_words_from_pypdf_are_read_again_with_pdfium():
    extracted = extract_pages((REAL_DOCS / "NCT06149832_Prot_000.pdf").read_bytes(), ReadLimits(ocr=False))
    text = " ".join(p.text for p in extracted.pages)
    assert "A total of 38 patients will be enrolled" in text
    assert {p.reader for p in extracted.pages} == {"pypdf", "pdfium"}


def test_one_word_per_line_output_is_read_again_with_pdfium():
    extracted = extract_pages((REAL_DOCS / "NCT06150378_Prot_SAP_000.pdf").read_bytes(), ReadLimits(ocr=False))
    words = sum(len(p.text.split()) for p in extracted.pages)
    lines = sum(len(p.text.splitlines()) for p in extracted.pages)
    assert words / lines > 4


def test_table_rows_and_form_fields_keep_their_own_line_and_wrapped_prose_is_joined():
    raw = (
        "The committee reviewed the quarterly statements and agreed that the figures in the table\n"
        "below are final.\n"
        "Three Months Ended Nine Months Ended\n"
        "Total net sales 82,959 81,434 304,182 282,457\n"
        "Cost of sales 45,384 47,074 165,580 162,348\n"
        "Location: Elyria, OH Accident Number: CHI08CA048\n"
        "Restraint Used: Seatbelt, Shoulder\n"
        "harness\n"
    )
    assert clean_text(raw).splitlines() == [
        "The committee reviewed the quarterly statements and agreed that the figures in the table below are final.",
        "Three Months Ended Nine Months Ended",
        "Total net sales 82,959 81,434 304,182 282,457",
        "Cost of sales 45,384 47,074 165,580 162,348",
        "Location: Elyria, OH Accident Number: CHI08CA048",
        "Restraint Used: Seatbelt, Shoulder harness",
    ]


def test_running_headers_and_page_numbers_leave_the_text_and_name_the_document():
    bodies = ["Net sales rose.", "Costs fell.", "Margins held.", "Cash grew.", "Debt was repaid."]
    pages = [f"Apple Inc. | Q3 2023 Form 10-Q | {n}\n{body}\nPage {n} of 9" for n, body in enumerate(bodies, start=1)]
    furniture = running_lines(pages)
    assert [strip_running_lines(p, furniture) for p in pages] == bodies
    assert list(furniture.values()) == ["Apple Inc. | Q3 2023 Form 10-Q |"]
    line = context_line("x.pdf", "Microsoft Word - draft.docx", list(furniture.values()), "Quarterly report", 40)
    assert line == "Apple Inc. | Q3 2023 Form 10-Q Quarterly report"


def test_a_sentence_repeated_on_every_page_is_content_not_a_header():
    pages = ["The access code for the blue warehouse is 4417.\nFiller line"] * 3
    assert strip_running_lines(pages[0], running_lines(pages)).startswith("The access code")


def test_printed_page_labels_are_kept_where_they_differ(tmp_path):
    source = make_pdf(tmp_path / "src.pdf", ["Cover", "Contents", "Chapter one starts here.", "More text."])
    writer = PdfWriter(clone_from=str(source))
    writer.set_page_label(0, 1, style="/r")
    writer.set_page_label(2, 3, style="/D")
    writer.write(str(tmp_path / "labelled.pdf"))

    pages = extract_pages((tmp_path / "labelled.pdf").read_bytes(), ReadLimits(ocr=False)).pages
    assert [(p.number, p.label) for p in pages] == [(1, "i"), (2, "ii"), (3, "1"), (4, "2")]


def test_the_context_line_tells_near_identical_filings_apart(tmp_path, store, embedder):
    boilerplate = (
        "There have been no material changes to the significant accounting policies described in the annual "
        "report. Revenue for the quarter was {} million dollars, driven by services. The company expects "
        "similar results next quarter, subject to the risks described above. Management reviewed the "
        "controls and procedures and found them effective as of the end of the period covered by this report."
    )
    docs = tmp_path / "filings"
    for company, revenue in (("Acme Rockets Corporation", 512), ("Globex Shipping Limited", 733)):
        cover = f"{company} quarterly report on Form 10-Q for the period ended June 30."
        make_pdf(docs / f"{revenue}.pdf", [cover, boilerplate.format(revenue)])
    ingest_paths([docs], store, embedder, options=IngestOptions(chunk_tokens=64, chunk_overlap=8))

    top = Retriever(store, embedder).retrieve("What was Globex Shipping's revenue for the quarter?", 1).chunks[0]
    assert (top.source, top.pages) == ("733.pdf", (2, 2))
    assert "Globex" not in top.text  # the context is searched, never quoted


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The school was named for John F. Kennedy in 1964. It opened later.", 2),
        ("In Brown v. Board of Education the court ruled. Then it changed.", 2),
        ("See Fig. 3 and e.g. the data. Next one.", 2),
        ("Total net sales 82,959 81,434\nCost of sales 45,384 47,074", 2),
    ],
)
def test_sentences_know_abbreviations_and_layout_lines(text, expected):
    assert len(sentence_spans(text)) == expected


def test_a_short_label_line_is_one_sentence_with_the_short_value_under_it():
    # a protocol's cover page, a two-column table flattened to lines
    text = (
        "STUDY PROTOCOL\nPrincipal Investigator\nJavier Hernández Blanco\nSponsor Contact\nPh: (416) 625-1933\n"
        "Analysis\nAccording to the pilot's statement, he was landing on runway 21 and the winds were light."
    )
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "STUDY PROTOCOL\nPrincipal Investigator\nJavier Hernández Blanco",  # at most 4 words over the value
        "Sponsor Contact",
        "Ph: (416) 625-1933",  # a "Label:" field stands alone
        "Analysis",  # a heading over prose stays a heading
        "According to the pilot's statement, he was landing on runway 21 and the winds were light.",
    ]


def test_text_is_sanitised_before_the_tokenizer():
    raw = "\ufb01nal number\uff1a2021004 \x07bell\x00 \ud800x"
    assert clean_text(raw) == "final number:2021004 bell \ufffdx"
