"""rag/sources.py, rag/citations.py, rag/evaluate.py metrics: pure logic on hand-made cases."""

import json

from rag.answer import Answer
from rag.citations import cited_numbers, filter_citations, footnote_marks
from rag.evaluate import (
    Question,
    contains_answer,
    evaluate_retrieval,
    first_hit_rank,
    retrieval_metrics,
    strict_citation,
)
from rag.extractive import asked_terms, best_quotes, own_terms
from rag.sentences import table_headers
from rag.sources import Source, build_sources
from rag.store import StoredChunk


def _chunk(index, text, breaks, score=1.0, source="a.pdf"):
    meta = {
        "chunk_index": index,
        "version": "v1",
        "source": source,
        "page_breaks": json.dumps(breaks),
        "page_start": breaks[0][1],
        "page_end": breaks[-1][1],
    }
    return StoredChunk(id=f"c{index}", text=text, metadata=meta, score=score)


def test_adjacent_chunks_merge_without_repeating_their_overlap_and_keep_pages():
    a = _chunk(0, "First sentence on page one. Shared overlap text here.", [[0, 1]])
    b = _chunk(1, "Shared overlap text here. Next page sentence.", [[0, 1], [26, 2]])
    (source,) = build_sources([b, a], lambda t: len(t.split()), budget_tokens=100, limit=5)
    assert source.text == "First sentence on page one. Shared overlap text here. Next page sentence."
    assert source.pages_label == "pp. 1-2"
    assert source.sentences() == [
        ("First sentence on page one.", 1),
        ("Shared overlap text here.", 1),
        ("Next page sentence.", 2),
    ]


def test_a_chunk_that_starts_the_next_unit_joins_with_a_blank_line_and_its_first_line_stays_its_own():
    # two blocks of rows of a CSV: joined by a space, the last row of one block and the first of the next were one
    # sentence, quoted as one row
    a = _chunk(0, "version: 23.10; codename: Mantic Minotaur", [[0, 2]], source="ubuntu.csv")
    b = _chunk(1, "version: 24.04 LTS; codename: Noble Numbat", [[0, 3]], source="ubuntu.csv")
    (source,) = build_sources([a, b], lambda t: len(t.split()), budget_tokens=100, limit=5)
    assert source.text == "version: 23.10; codename: Mantic Minotaur\n\nversion: 24.04 LTS; codename: Noble Numbat"
    assert source.sentences() == [
        ("version: 23.10; codename: Mantic Minotaur", 2),
        ("version: 24.04 LTS; codename: Noble Numbat", 3),
    ]
    c = _chunk(1, "and it goes on in the same unit.", [[0, 2]], source="ubuntu.csv")  # no overlap, same unit
    (same,) = build_sources([a, c], lambda t: len(t.split()), budget_tokens=100, limit=5)
    assert same.text == "version: 23.10; codename: Mantic Minotaur and it goes on in the same unit."


def test_a_chunk_between_two_retrieved_chunks_joins_them_into_one_source():
    # the NTSB case: chunk 1 ends "…the probable cause(s) of this accident to be:", chunk 2 holds the cause; ranked
    # 0, 2, 1 they were two sources, and the cause was quoted without the line that says it is the cause
    chunks = [_chunk(i, f"Sentence number {i} of the report.", [[0, 1]], score=1.0 - i / 10) for i in (0, 2, 1)]
    (source,) = build_sources(chunks, lambda t: len(t.split()), budget_tokens=100, limit=5)
    assert [s for s, _ in source.sentences()] == [f"Sentence number {i} of the report." for i in (0, 1, 2)]
    assert source.score == 1.0


def test_sources_are_numbered_in_rank_order_and_packed_to_the_budget():
    chunks = [_chunk(i * 5, f"text {i} " * 10, [[0, i + 1]], source=f"{i}.pdf") for i in range(4)]
    sources = build_sources(chunks, lambda t: len(t.split()), budget_tokens=45, limit=5)
    assert [(s.n, s.source) for s in sources] == [(1, "0.pdf"), (2, "1.pdf")]


def test_citation_filter_drops_unknown_sources_even_when_split_across_pieces():
    pieces = ["A [", "1] b [7]. c [1, 9", "] d [x] e[2]"]
    assert "".join(filter_citations(pieces, {1, 2})) == "A [1] b . c [1] d [x] e[2]"
    assert cited_numbers("x [2] y [1, 2] z [3]") == [2, 1, 3]


def test_hit_requires_file_page_and_answer():
    q = Question("q", ["Denver Broncos"], "sb.pdf", 2)
    good = _chunk(0, "The Denver Broncos won.", [[0, 2]], source="sb.pdf")
    wrong_page = _chunk(1, "The Denver Broncos won.", [[0, 3]], source="sb.pdf")
    no_answer = _chunk(2, "Carolina lost.", [[0, 2]], source="sb.pdf")
    assert first_hit_rank([no_answer, wrong_page, good], q) == 3
    assert first_hit_rank([no_answer, wrong_page], q) is None
    assert contains_answer("the denver  broncos, won", ["Denver Broncos"])
    assert not contains_answer("Denverbroncos", ["Denver Broncos"])


def test_retrieval_metrics_on_known_ranks():
    metrics = retrieval_metrics([1, 3, None, 12])
    assert metrics == {"hit@1": 0.25, "hit@5": 0.5, "mrr@10": (1 + 1 / 3) / 4}


def test_a_source_knows_the_page_of_every_offset():
    source = Source(1, "a.pdf", "abc def", ((0, 4), (4, 5)), 1.0)
    assert [source.page_at(i) for i in (0, 3, 4, 6)] == [4, 4, 5, 5]


def test_the_sentence_behind_each_citation_is_found():
    from rag.citations import cited_sentences

    sources = [
        Source(1, "a.pdf", "Cats sleep a lot. Brazil holds 60% of the forest.", ((0, 1),), 1.0),
        Source(2, "b.pdf", "Peru holds 13% of the forest. Nothing else here.", ((0, 4),), 1.0),
    ]
    found = cited_sentences("Brazil has 60% of the forest [1]. Peru has 13% [2]. Made up [7].", sources)
    assert found == {1: "Brazil holds 60% of the forest.", 2: "Peru holds 13% of the forest."}


def test_document_level_rows_count_any_chunk_of_an_acceptable_file():
    q = Question("q", [], "a.pdf", None, files=("a.pdf", "b.pdf"))
    other = _chunk(0, "x", [[0, 1]], source="c.pdf")
    either = _chunk(1, "y", [[0, 9]], source="b.pdf")
    assert first_hit_rank([other, either], q) == 2
    metrics = evaluate_retrieval(lambda question: [other, either], [q])
    assert metrics["doc_hit@1"] == 0 and metrics["doc_hit@5"] == 1 and "hit@5" not in metrics


def test_strict_citation_needs_the_answer_sentence_to_cite_the_gold_page():
    q = Question("q", ["60%"], "a.pdf", 2)
    source = Source(1, "a.pdf", "Intro text here. Brazil holds 60% of it.", ((0, 1), (17, 2)), 1.0)
    on_gold = Answer("q", "q", text="> Brazil holds 60% of it. [1]", sources=[source], cited=[1])
    uncited = Answer("q", "q", text="> Brazil holds 60% of it.\n> Intro text here. [1]", sources=[source], cited=[1])
    assert strict_citation(on_gold, q) and not strict_citation(uncited, q)
    assert not strict_citation(on_gold, Question("q", ["60%"], "a.pdf", 1))


def test_a_page_that_prints_another_number_is_cited_with_both():
    source = Source(1, "a.pdf", "abc def", ((0, 16), (4, 17)), 1.0, printed=((16, "13"), (17, "14")))
    assert source.pages_label == "pp. 16-17 (printed 13-14)"
    assert source.page_label(16) == "p. 16 (printed 13)"
    assert Source(2, "b.pdf", "x", ((0, 3),), 1.0).pages_label == "p. 3"


def test_offline_quotes_prefer_the_field_the_question_names_over_words_that_name_the_document():
    text = (
        "The Vans RV-8 landing attempt at Latrobe ended in a crash after a bounce.\n"
        "Airport: Arnold Palmer Regional Airport Runway Surface Type: Asphalt"
    )
    source = Source(1, "r.pdf", text, ((0, 4),), 1.0, context="Vans RV-8 N103JT Latrobe, PA November 28, 2007")
    [first, *_] = best_quotes("At which airport did the Vans RV-8 crash during a landing attempt at Latrobe?", [source])
    assert first.text.startswith("Airport: Arnold Palmer")


def test_the_words_a_question_asks_for_count_in_full_even_where_they_also_name_the_document():
    # the cover page names the investigator; so does the document's context line, which once made "principal
    # investigator" count a tenth and quoted the line with the most other words of the question
    text = "Principal Investigator Nuchanun Kessakorn, MD\nKing Chulalongkorn Memorial Hospital, Bangkok"
    context = "Study Protocol low dose Emicizumab Principal Investigator Nuchanun Kessakorn King Chulalongkorn Memorial"
    source = Source(1, "p.pdf", text, ((0, 1),), 1.0, context=context)
    question = "Who is the principal investigator of the King Chulalongkorn Memorial Hospital emicizumab study?"
    assert asked_terms(question) == ["princip", "investig"]
    [first, *_] = best_quotes(question, [source])
    assert first.text.startswith("Principal Investigator Nuchanun Kessakorn")


def test_question_words_and_auxiliaries_are_not_words_to_find():
    assert own_terms("What did the NTSB find?") == ["ntsb", "find"]
    text = "What did you see, asked the pilot.\nThe board found a fault in the fuel pump."
    source = Source(1, "r.pdf", text, ((0, 1),), 1.0)
    [first, *_] = best_quotes("What did the board find?", [source])
    assert first.text.startswith("The board found")


def test_a_field_is_found_by_most_of_its_label_and_an_age_by_how_old():
    text = "Certificate: Student\nAge: 17, Male\nEngines: 2 Turbo Prop\nEngine Model/Series: PT6A-28"
    source = Source(1, "r.pdf", text, ((0, 2),), 1.0)
    assert best_quotes("How old was the student pilot?", [source])[0].text == "Age: 17, Male"
    assert best_quotes("What engine model powered the airplane?", [source])[0].text == "Engine Model/Series: PT6A-28"
    assert table_headers("Aircraft Make: Piper\nModel/Series: 210\nSeats: 2") == {}  # fields, not table rows


def _far(question, sentences):
    """A sentence similarity that finds nothing close: only the key terms decide."""
    return [0.1] * len(sentences)


def test_no_quote_when_no_sentence_holds_most_of_the_question_s_key_terms():
    text = (
        "Brazil is the second-largest global producer of soybeans after the United States.\n"
        "Brasilia has been the capital of Brazil since 1960, replacing Rio de Janeiro."
    )
    source = Source(1, "a.pdf", text, ((0, 1),), 1.0)
    [first, *_] = best_quotes("What is the capital of Brazil?", [source], similarity=_far)
    assert first.text.startswith("Brasilia")
    soybeans = [Source(1, "a.pdf", text.splitlines()[0], ((0, 1),), 1.0)]
    assert best_quotes("What is the capital of Brazil?", soybeans) != []  # without a similarity: any shared word
    assert best_quotes("What is the capital of Brazil?", soybeans, similarity=_far) == []


def test_a_key_term_in_the_context_line_counts_even_where_the_question_asks_for_it():
    # "Ubuntu" names the file (its context line) and is part of what is asked ("Which Ubuntu version"): the row that
    # names Noble Numbat holds the question's key terms with it, and is quoted rather than refused
    rows = "version: 23.10; codename: Mantic Minotaur\nversion: 24.04 LTS; codename: Noble Numbat"
    source = Source(1, "ubuntu-releases.csv", rows, ((0, 2),), 1.0, context="ubuntu releases")
    [first, *_] = best_quotes("Which Ubuntu version is called Noble Numbat?", [source], similarity=_far)
    assert first.text == "version: 24.04 LTS; codename: Noble Numbat"
    other = Source(1, "debian-releases.csv", rows, ((0, 2),), 1.0, context="debian releases")
    assert best_quotes("Which Ubuntu version is called Noble Numbat?", [other], similarity=_far) == []


def test_the_heading_of_a_sentence_s_section_says_what_the_sentence_is_about():
    first = "The verbosity values of BZ2_bzWriteOpen are those of the compressor."
    second = "It should be a value between 0 and 4 inclusive."
    text = f"{first}\n\n{second}"
    labels = ((3, "§ 3.4.5. BZ2_bzWriteOpen"), (4, "§ 3.3.1. BZ2_bzCompressInit"))
    manual = Source(1, "manual.docx", text, ((0, 3), (len(first) + 2, 4)), 1.0, printed=labels)
    question = "Which values may verbosity take when calling BZ2_bzCompressInit?"
    assert [q.text for q in best_quotes(question, [manual])] == [second, first]
    pdf = Source(1, "manual.pdf", text, ((0, 3), (len(first) + 2, 4)), 1.0, printed=((4, "iv"),))
    assert [q.text for q in best_quotes(question, [pdf])] == [first, second]  # a page's printed number: no heading
    assert (manual.unit_name(4), pdf.unit_name(4)) == ("§ 3.3.1. BZ2_bzCompressInit", "")


def test_an_acronym_in_a_row_s_column_names_or_in_capitals_stands_for_the_words_a_question_spells_out():
    rows = (
        "version: 18.04 LTS; codename: Bionic Beaver; eol: 2023-05-31; eol-esm: 2028-04-26\n"
        "version: 18.10; codename: Cosmic Cuttlefish; eol: 2019-07-18"
    )
    question = "When does expanded security maintenance end for Ubuntu 18.04?"
    source = Source(1, "ubuntu-releases.csv", rows, ((0, 2),), 1.0, context="ubuntu releases")
    [first, *_] = best_quotes(question, [source], similarity=_far)
    assert first.text.startswith("version: 18.04 LTS")
    unnamed = Source(
        1, "ubuntu-releases.csv", rows.replace("eol-esm", "eol-x"), ((0, 2),), 1.0, context="ubuntu releases"
    )
    assert best_quotes(question, [unnamed], similarity=_far) == []  # without the acronym: too few key terms
    report = Source(1, "r.pdf", "The NTSB found a fuel leak.\nThe pilot found the fuel gauge broken.", ((0, 1),), 1.0)
    [first, *_] = best_quotes("What did the National Transportation Safety Board find about the fuel?", [report])
    assert first.text == "The NTSB found a fuel leak."
    codes = Source(1, "iso.xlsx", "Code: LI; Country: Liechtenstein\nCode: CD; Country: Congo", ((0, 1),), 1.0)
    [first, *_] = best_quotes("Which country has the two-letter ISO 3166 code CD?", [codes])  # LI: two letters
    assert first.text == "Code: CD; Country: Congo"


def test_a_date_the_question_writes_in_words_is_found_as_a_table_writes_it():
    rows = (
        "version: 9; codename: Stretch; release: 2017-06-17; eol: 2020-07-18\n"
        "version: 10; codename: Buster; release: 2019-07-06; eol: 2022-09-10"
    )
    source = Source(1, "debian-releases.csv", rows, ((0, 1),), 1.0, context="debian releases")
    for question in ("Which Debian release came out on 6 July 2019?", "Which Debian release came out on July 6, 2019?"):
        [first, *_] = best_quotes(question, [source], similarity=_far)
        assert first.text.startswith("version: 10; codename: Buster"), question
    assert best_quotes("Which Debian release came out on 7 June 2019?", [source], similarity=_far) == []


def test_a_sentence_close_in_meaning_answers_without_most_key_terms_but_is_quoted_only_for_a_shared_word():
    source = Source(1, "a.pdf", "Symptoms include fever, cough and aching muscles.", ((0, 1),), 1.0)
    question = "What are the signs of the illness?"
    assert best_quotes(question, [source], similarity=_far) == []
    assert best_quotes(question, [source], similarity=lambda q, sentences: [0.6] * len(sentences)) == []  # no word
    close = best_quotes("What are the symptoms of the illness?", [source], similarity=lambda q, ss: [0.6] * len(ss))
    assert [q.text for q in close] == ["Symptoms include fever, cough and aching muscles."]


TABLE = (
    "The sample size was computed with OpenEpi.\n"
    "Confidence Interval (%) Sample size\n"
    "95% 1151\n"
    "99% 1986\n"
    "99.99% 4519\n"
    "Source: Results from OpenEpi, version 3."
)


def test_a_table_row_is_quoted_with_its_header_line_and_rows_are_told_apart():
    source = Source(1, "a.pdf", TABLE, ((0, 5),), 1.0)
    rows = [text for text, _ in source.sentences() if "…" in text]
    assert rows == [
        "Confidence Interval (%) Sample size … 95% 1151",
        "Confidence Interval (%) Sample size … 99% 1986",
        "Confidence Interval (%) Sample size … 99.99% 4519",
    ]
    [first, *_] = best_quotes("What sample size goes with a 99% confidence level?", [source])
    assert first.text == "Confidence Interval (%) Sample size … 99% 1986"
    from rag.citations import cited_sentences

    answer = f"> {first.text} [1] — *a.pdf, p. 5*"
    assert cited_sentences(answer, [source]) == {1: "99% 1986"}  # the row as it stands in the text, to highlight


def test_a_lone_number_line_or_a_sentence_above_rows_is_no_header():
    lone = Source(1, "a.pdf", "Totals\n2023 1,204\nThe end of the report.", ((0, 1),), 1.0)
    assert all("…" not in text for text, _ in lone.sentences())
    prose = Source(1, "a.pdf", "We counted them as follows.\n95% 1151\n99% 1986", ((0, 1),), 1.0)
    assert all("…" not in text for text, _ in prose.sentences())


def test_spaced_and_full_width_markers_are_citations_too():
    pieces = ["Forest [ 99 ] and [", " 1 ] and ［99］ and ［1，", "2］ and ［x］."]
    assert "".join(filter_citations(pieces, {1, 2})) == "Forest  and [1] and  and [1, 2] and ［x］."
    assert cited_numbers("a ［2］ b [ 1 ]") == [2, 1]


def test_citations_are_numbered_in_order_of_first_use_even_mid_stream():
    first_use: dict[int, int] = {}
    pieces = ["Rain [5]. Forest [3", "] and [5, 1]. Again [3]."]
    assert "".join(filter_citations(pieces, {1, 3, 5}, first_use)) == "Rain [1]. Forest [2] and [1, 3]. Again [2]."
    assert first_use == {5: 1, 3: 2, 1: 3}


def test_a_documents_own_bracketed_numbers_become_superscripts_of_the_same_length():
    text = "Brazil holds 60% of the forest.[2] Peru [13] follows [1, 4]."
    marked = footnote_marks(text)
    assert marked == "Brazil holds 60% of the forest.⁽²⁾ Peru ⁽¹³⁾ follows ⁽¹, ⁴⁾."
    assert len(marked) == len(text) and cited_numbers(marked) == []


def test_an_answer_shows_the_sources_it_cites_or_all_of_them_when_it_cites_none():
    first, second = (Source(n, f"{n}.pdf", f"Text {n}.", ((0, n),), 0.5) for n in (1, 2))
    cites_second = Answer("q", "q", text="It is so [2].", sources=[first, second], cited=[2])
    cites_none = Answer("q", "q", text="It is so.", sources=[first, second], cited=[])
    assert cites_second.shown_sources == [second] and cites_none.shown_sources == [first, second]
    assert [s["n"] for s in cites_second.sources_json()] == [2]


def test_a_source_comes_back_whole_from_its_json_and_an_older_folios_json_still_reads():
    source = Source(3, "a.pdf", "Text.", ((0, 4), (3, 5)), 0.61, True, ((5, "iv"),), "ACME report", "ACME, 10-K")
    written = json.loads(json.dumps(source.to_dict()))
    assert written["pages"] == "pp. 4-5 (printed 4-iv) (OCR)"
    assert Source.from_dict(written) == source
    older = {k: v for k, v in written.items() if k not in ("pages", "printed", "ocr", "context", "document")}
    assert Source.from_dict(older) == Source(3, "a.pdf", "Text.", ((0, 4), (3, 5)), 0.61)
