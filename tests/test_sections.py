"""Page headings (rag.sections) and how retrieval uses them within the documents a question names (rag.retrieve)."""

from rag.retrieve import distinct_pages_first
from rag.sections import Headings, heading_lines, heading_scores, page_headings
from rag.store import StoredChunk

CASH_FLOWS = """3M Company and Subsidiaries
Consolidated Statement of Cash Flows
Years ended December 31
(Millions)
2018
2017
Cash Flows from Operating Activities Net income including noncontrolling interest $ 5,363 $ 4,869"""
CASH_FLOWS_CONTINUED = """Purchases of property, plant and equipment (PP&E) (1,577) (1,373)
Proceeds from sale of PP&E and other assets 262 49"""
BALANCE_SHEET = """3M Company and Subsidiaries
Consolidated Balance Sheet
At December 31
Assets 2018 2017"""
PROSE = "Liquidity and Capital Resources\n" + (
    "The Company generates significant ongoing cash flow from operations. Cash flows from operating activities rose "
    "in 2018 as the statement below shows, and capital spending stayed near the prior year."
)
COVER = """UNITED STATES SECURITIES AND EXCHANGE COMMISSION
FORM 10-K ANNUAL REPORT"""


def test_the_heading_is_the_title_lines_at_the_top_of_the_page():
    assert heading_lines(CASH_FLOWS) == [
        "3M Company and Subsidiaries",
        "Consolidated Statement of Cash Flows",
        "Years ended December 31",
        "(Millions)",
    ]
    assert heading_lines(PROSE) == ["Liquidity and Capital Resources"]  # prose ends it
    assert heading_lines("Net sales 82,959 81,434\nTotal 1,000 2,000") == []  # a table row is no title


def test_a_page_that_continues_a_table_keeps_the_heading_of_the_page_before():
    headings = page_headings([PROSE, CASH_FLOWS, CASH_FLOWS_CONTINUED, BALANCE_SHEET])
    assert headings[2] == headings[1] and "Cash Flows" in headings[2]
    assert "Balance Sheet" in headings[3] and headings[0] == "Liquidity and Capital Resources"


def test_the_page_whose_heading_the_question_names_scores_best():
    documents = {"3m.pdf": Headings.of([COVER, PROSE, CASH_FLOWS, CASH_FLOWS_CONTINUED, BALANCE_SHEET])}
    scores = heading_scores(
        "What is 3M's FY2018 capital expenditure? Use the cash flow statement.", documents, ["3M Company"]
    )
    assert scores[("3m.pdf", 3)] == scores[("3m.pdf", 4)] > scores.get(("3m.pdf", 5), 0)
    assert scores[("3m.pdf", 3)] > scores.get(("3m.pdf", 2), 0)
    balance = heading_scores("What is 3M's net PP&E on the balance sheet?", documents, ["3M Company"])
    assert max(balance, key=balance.get) == ("3m.pdf", 5)


def test_a_heading_that_shares_one_word_with_the_question_does_not_choose_a_page():
    """A heading counts when it holds two of the question's terms (a title the question names): "statement" alone is
    in most headings of a filing."""
    documents = {"3m.pdf": Headings.of([COVER, PROSE, CASH_FLOWS, CASH_FLOWS_CONTINUED, BALANCE_SHEET])}
    assert heading_scores("What does the statement say about litigation?", documents, ["3M Company"]) == {}
    named = heading_scores("What does the cash flow statement say?", documents, ["3M Company"])
    assert set(named) == {("3m.pdf", 3), ("3m.pdf", 4)}


def test_the_words_that_name_the_document_do_not_choose_its_page():
    documents = {"3m.pdf": Headings.of([COVER, PROSE, BALANCE_SHEET])}
    assert heading_scores("3M Company", documents, ["3M Company"]) == {}  # the organisation chose the document
    assert set(heading_scores("3M Company", documents)) == {("3m.pdf", 3)}  # not named: its pages' titles count
    assert heading_scores("Which report?", documents) == {}  # the cover's words name the document, not a page


def test_a_page_the_document_does_not_have_has_no_heading():
    headings = Headings.of([BALANCE_SHEET])
    assert headings.on(1) and headings.on(2) == frozenset() and headings.on(0) == frozenset()
    assert Headings.of([]).terms == ()


def _chunk(name: str, source: str, page: int) -> StoredChunk:
    return StoredChunk(name, "", {"source": source, "page_start": page, "page_end": page})


def test_each_page_first_then_the_second_chunks_of_pages_already_listed():
    chunks = [_chunk("a", "x.pdf", 3), _chunk("b", "x.pdf", 3), _chunk("c", "y.pdf", 3), _chunk("d", "x.pdf", 4)]
    assert [c.id for c in distinct_pages_first(chunks)] == ["a", "c", "d", "b"]


def _filing(folder, name: str, quarter_end: str, spent: str):
    """A 10-Q whose cash flow statement runs over two pages, after a page that discusses cash and spending in prose
    (each page longer than a chunk)."""
    from tests.conftest import make_pdf

    cover = (
        f"UNITED STATES SECURITIES AND EXCHANGE COMMISSION\nFORM 10-Q\nFor the quarterly period ended {quarter_end}\n"
        "Globex Holdings Corp.\n(Exact name of registrant as specified in its charter)\n"
    )
    discussion = "Liquidity and Capital Resources\n" + " ".join(
        f"In {year} our capital expenditure was funded from cash on hand, and cash flow from operations covered it."
        for year in range(2003, 2023)
    )
    rows = "\n".join(f"{item} {n} {n + 7}" for n, item in enumerate(LINE_ITEMS, 101))
    statement = f"Globex Holdings Corp.\nConsolidated Statement of Cash Flows\n(in millions)\n{rows}"
    continued = f"Purchases of property, plant and equipment ({spent}) (301)\n{rows}"
    return make_pdf(folder / name, [cover, discussion, statement, continued])


LINE_ITEMS = [
    f"{what} {where}"
    for what in ("Receivables", "Inventories", "Payables", "Accrued wages", "Deferred taxes", "Other assets")
    for where in ("North America", "Europe", "Asia Pacific", "Latin America", "Middle East", "Africa")
]


def test_the_statement_a_question_names_moves_up_within_the_filing(tmp_path, store, embedder, settings):
    """Real PDFs, Chroma and embedder: within the filing the question names, the pages of the statement it names
    (the second one by the heading of the first, which it continues) rank higher than with headings left out, when
    a page of prose repeats the question's words."""
    from ingest import IngestOptions, ingest_paths
    from rag.retrieve import Retriever

    folder = tmp_path / "filings"
    _filing(folder, "globex-q1.pdf", "March 31, 2023", "290")
    _filing(folder, "globex-q2.pdf", "June 30, 2023", "344")
    assert ingest_paths([folder], store, embedder, options=IngestOptions.from_settings(settings)).ok
    question = "What was Globex's capital expenditure in the second quarter of 2023, as the cash flow statement shows?"

    def pages(retriever: Retriever) -> list[int]:
        return [c.pages[0] for c in retriever.retrieve(question, 5).chunks if c.source == "globex-q2.pdf"]

    with_headings, without = pages(Retriever(store, embedder)), pages(Retriever(store, embedder, heading_weight=0))
    assert with_headings.index(3) < without.index(3) and with_headings.index(4) < without.index(4)
