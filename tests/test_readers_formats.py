"""Every format Folio reads, end to end: real files written by the real libraries (tests/formats.py) ingested by
`ingest_paths` into a real store with the real embedder, then a question answered offline that cites the file and
the unit the fact is in ("deck.pptx, slide 7"). And each hostile container refused with a one-line reason."""

import pytest

from ingest import IngestOptions, ingest_paths
from rag.answer import ChatSession
from rag.retrieve import Retriever
from rag.sources import Source
from tests import formats

OPTIONS = IngestOptions(chunk_tokens=64, chunk_overlap=8)
QUESTIONS = [  # question, file, unit it cites, words of the quoted fact
    ("How long must applicants have lived in Harbourton?", "report.docx", "§ 3.2 Eligibility", "two years"),
    ("When does the night ferry leave Pier Four?", "deck.pptx", "slide 7", "23:40"),
    ("How much did the lighthouse lantern paint cost?", "budget.xlsx", "sheet Q3, rows 42-59", "9120"),
    ("What is the phone number of Agnes Thorvald?", "crew.csv", "rows 2-3", "555-0199"),
    ("When does the maritime museum open on Sundays?", "museum.html", "§ Opening hours", "10:00"),
    ("When is high tide at the north jetty?", "notes.md", "§ Tides", "06:12"),
    ("When does the café du port close?", "log.txt", "line 122", "18 h"),
    ("When did the great storm tear the lantern from the lighthouse?", "history.epub", "chapter 2: The storm", "1903"),
]


@pytest.fixture
def library(tmp_path, store, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    formats.write_docx(docs / "report.docx")
    formats.write_pptx(docs / "deck.pptx")
    formats.write_xlsx(docs / "budget.xlsx")
    formats.write_csv(docs / "crew.csv")
    formats.write_html(docs / "museum.html")
    formats.write_markdown(docs / "notes.md")
    formats.write_text(docs / "log.txt", encoding="latin-1")
    formats.write_epub(docs / "history.epub")
    report = ingest_paths([docs], store, embedder, options=OPTIONS)
    return report, store


@pytest.mark.slow  # eight files, each read in its own child process, embedded and asked about
def test_every_format_is_ingested_with_its_units_and_a_question_cites_the_unit(library, embedder):
    report, store = library
    assert [(r.source, r.status, r.reason) for r in report.results] == [
        ("budget.xlsx", "ingested", ""),
        ("crew.csv", "ingested", ""),
        ("deck.pptx", "ingested", ""),
        ("history.epub", "ingested", ""),
        ("log.txt", "ingested", ""),
        ("museum.html", "ingested", ""),
        ("notes.md", "ingested", ""),
        ("report.docx", "ingested", ""),
    ]
    labels: dict[str, set[str]] = {}  # each document's units' labels, over all its chunks
    for chunk in store.all_chunks():
        labels.setdefault(chunk.source, set()).update(chunk.printed_labels.values())
    assert labels["deck.pptx"] == {f"slide {n}" for n in range(1, 8)}
    assert labels["report.docx"] == {"beginning", "§ 1 Scope", "§ 3.2 Eligibility", "§ 4 Deadlines"}
    q3 = {f"sheet Q3, rows {rows}" for rows in ("2-21", "22-41", "42-59")}
    assert labels["budget.xlsx"] == {"sheet Q1, row 2", *q3}
    assert labels["history.epub"] == {"chapter 1: The breakwater", "chapter 2: The storm"}
    assert labels["notes.md"] == {"§ Harbour notes", "§ Tides"}
    texts = {c.source: "" for c in store.all_chunks()}
    for chunk in store.all_chunks():
        texts[chunk.source] += chunk.text + "\n"
    assert "Souvenir shop" not in texts["museum.html"] and "Cookie" not in texts["museum.html"]  # navigation, footer
    assert "Guided tours at 11:00" in texts["museum.html"]
    assert "Le café du port ferme à 18 h" in texts["log.txt"]  # Latin-1, decoded
    assert "Notes: Mention that the winter timetable starts in November." in texts["deck.pptx"]
    assert "Pier Four to Skerry | 35" in texts["deck.pptx"] and "Map legend: red buoys" in texts["deck.pptx"]
    assert "two years.\n[1] Residence is counted from the first council tax bill." in texts["report.docx"]
    assert "Slipway repair | 8,000" in texts["report.docx"] and "- A proof of address" in texts["report.docx"]
    assert "Item: Lighthouse lantern paint; Supplier: Marlow & Daughters; Amount: 9120" in texts["budget.xlsx"]
    assert "Name: Agnes Thorvald; Role: lighthouse keeper; Phone: 555-0199" in texts["crew.csv"]
    assert "# not a heading" in texts["notes.md"]  # a code block's line stays text

    # a question per file answered offline, quoting the file and the unit of the quoted sentence (one ingest for both)
    session = ChatSession(Retriever(store, embedder))
    cited = []
    for question, _, _, fact in QUESTIONS:
        answer = session.answer(question)
        session.reset()
        [quoting] = [s for s in answer.cited_sources if fact in s.text][:1] or [None]
        assert quoting is not None, (question, answer.text)
        unit = quoting.page_label(quoting.page_at(quoting.text.index(fact)))  # the unit of the quoted sentence
        cited.append((quoting.source, unit, f"*{quoting.source}, {unit}*" in answer.text))
    assert cited == [(source, unit, True) for _, source, unit, _ in QUESTIONS]


def test_a_source_of_another_format_is_labelled_by_its_units_names():
    def source(name, breaks, printed, ocr=False):
        return Source(1, name, "text", breaks, 1.0, ocr=ocr, printed=printed)

    assert source("deck.pptx", ((0, 7),), ((7, "slide 7"),)).pages_label == "slide 7"
    assert source("deck.pptx", ((0, 3), (2, 4)), ((3, "slide 3"), (4, "slide 4"))).pages_label == "slide 3 – slide 4"
    rows = ((2, "sheet Q3, rows 12-31"), (3, "sheet Q3, rows 32-51"))
    assert source("budget.xlsx", ((0, 2), (2, 3)), rows).pages_label == "sheet Q3, rows 12-51"
    other = ((2, "sheet Q1, rows 2-3"), (3, "sheet Q3, rows 2-21"))
    assert source("budget.xlsx", ((0, 2), (2, 3)), other).pages_label == "sheet Q1, rows 2-3 – sheet Q3, rows 2-21"
    assert source("sign.png", ((0, 1),), ((1, "image"),), ocr=True).pages_label == "image (OCR)"
    assert source("notes.md", ((0, 5),), ()).page_label(5) == "part 5"  # a reader that gave no name
    assert source("report.pdf", ((0, 16),), ((16, "13"),)).pages_label == "p. 16 (printed 13)"  # a PDF as before
