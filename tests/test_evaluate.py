import json

from rag.evaluate import evaluate_retrieval, is_evidence_hit, parse_question, read_questions, split_files
from rag.store import StoredChunk

FILING_ROW = {"question": "FY2018 capex?", "files": ["3M_2018_10K.pdf"], "evidence_pages": [60, 62], "answer": "$1577"}
PAGE_ROW = {"question": "How many?", "answers": ["17 participants"], "file": "trial.pdf", "page": 4}


def chunk(source: str, first: int, last: int, text: str = "boilerplate") -> StoredChunk:
    pages = {"source": source, "page_start": first, "page_end": last, "page_breaks": json.dumps([[0, first]])}
    return StoredChunk(id=f"{source}:{first}-{last}", text=text, metadata=pages)


def rankings(by_question: dict[str, list[StoredChunk]]):
    return lambda question: by_question[question]


def test_a_chunk_of_the_right_filing_covering_an_evidence_page_is_a_page_hit_without_any_answer_text():
    q = parse_question(FILING_ROW)

    assert is_evidence_hit(chunk("3M_2018_10K.pdf", 59, 60), q)
    assert is_evidence_hit(chunk("3M_2018_10K.pdf", 62, 62), q)
    assert not is_evidence_hit(chunk("3M_2018_10K.pdf", 61, 61), q)  # the right filing, a page between
    assert not is_evidence_hit(chunk("3M_2019_10K.pdf", 60, 60), q)  # the same table, the next year's filing


def test_evidence_rows_get_page_hits_beside_doc_hits_and_page_level_rows_keep_their_answer_rule():
    filing, page_row = parse_question(FILING_ROW), parse_question(PAGE_ROW)
    ranked = {
        # right filing at 1 (a cover page), its evidence page at 3
        filing.question: [
            chunk("3M_2018_10K.pdf", 1, 1),
            chunk("3M_2019_10K.pdf", 60, 60),
            chunk("3M_2018_10K.pdf", 60, 60),
        ],
        # the gold page at 1 without the answer, with it at 2
        page_row.question: [chunk("trial.pdf", 4, 4), chunk("trial.pdf", 4, 5, "in total 17 participants each")],
    }

    m = evaluate_retrieval(rankings(ranked), [filing, page_row])

    assert (m["page_hit@1"], m["page_hit@5"], m["page_mrr@10"]) == (0.0, 1.0, 1 / 3)
    assert (m["hit@1"], m["hit@5"], m["mrr@10"]) == (0.0, 1.0, 0.5)  # over the page-level row only
    assert m["doc_hit@1"] == 1.0  # both rows have a chunk of a gold file first
    assert (m["questions"], m["page_level_questions"], m["evidence_page_questions"]) == (2, 1, 1)


def test_page_hits_are_absent_when_no_row_has_evidence_pages():
    page_row = parse_question(PAGE_ROW)

    m = evaluate_retrieval(rankings({page_row.question: []}), [page_row])

    assert "page_hit@5" not in m and m["evidence_page_questions"] == 0 and m["hit@5"] == 0.0


def test_a_questions_file_kept_apart_from_its_pdfs_reads_like_a_dataset(tmp_path):
    path = tmp_path / "more.jsonl"
    rows = [PAGE_ROW | {"also_files": [{"file": "trial-v2.pdf", "page": 3}]}, FILING_ROW]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")

    questions = read_questions(path, files=["3M_2018_10K.pdf"])

    assert [q.evidence_pages for q in questions] == [(60, 62)]


def test_halves_alternate_the_files_in_name_order(tmp_path):
    for name in ("c.pdf", "a.pdf", "b.pdf", "notes.txt"):
        (tmp_path / name).write_bytes(b"")

    assert split_files(tmp_path) == (["a.pdf", "c.pdf"], ["b.pdf"])
