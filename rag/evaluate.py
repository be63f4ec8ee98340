"""Retrieval and answer quality on a question set laid out like shared/eval: `pdfs/` plus `questions.jsonl`.

Two kinds of rows. Page-level (`file`, `page`, optional `also_pages`, `answers`): a hit is a chunk from the
file, on one of those pages, containing a gold answer. Document-level (`files`: acceptable files, no page):
a hit is a chunk from one of the files; with `evidence_pages` (where annotators found the evidence, often a table
the answer is computed from), a page hit is a chunk from one of the files covering one of those pages, with no
answer string needed.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from rag.citations import cited_numbers
from rag.store import StoredChunk

if TYPE_CHECKING:
    from rag.answer import Answer, ChatSession
    from rag.sources import Source


@dataclass(frozen=True)
class Question:
    question: str
    answers: list[str]
    file: str  # the gold file (page-level rows) or the first acceptable file (document-level rows)
    page: int | None  # None: a document-level row
    also_pages: tuple[int, ...] = ()  # other pages of `file` where an answer also occurs
    files: tuple[str, ...] = ()  # document-level rows: every acceptable file
    evidence_pages: tuple[int, ...] = ()  # document-level rows: pages of `files` that hold the evidence

    @property
    def pages(self) -> set[int]:
        return {self.page, *self.also_pages} if self.page is not None else set()

    @property
    def document_level(self) -> bool:
        return self.page is None


def load_questions(dataset: Path, limit: int | None = None, files: Iterable[str] | None = None) -> list[Question]:
    """Questions of a dataset (only those about `files`, when given); with `limit`, an evenly spread sample."""
    return read_questions(dataset / "questions.jsonl", limit, files)


def read_questions(path: Path, limit: int | None = None, files: Iterable[str] | None = None) -> list[Question]:
    """The questions of a questions file (a set kept apart from its PDFs); `limit` and `files` as load_questions."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    questions = [parse_question(row) for row in rows]
    if files is not None:
        wanted = set(files)
        questions = [q for q in questions if wanted & {q.file, *q.files}]
    if limit and limit < len(questions):
        step = len(questions) / limit
        questions = [questions[int(i * step)] for i in range(limit)]
    return questions


def parse_question(row: dict) -> Question:
    """A question set's JSON row as a Question."""
    if "page" not in row:
        files = tuple(row["files"])
        evidence = tuple(row.get("evidence_pages", ()))
        return Question(row["question"], row.get("answers", []), files[0], None, files=files, evidence_pages=evidence)
    return Question(row["question"], row["answers"], row["file"], row["page"], tuple(row.get("also_pages", ())))


def split_files(pdfs: Path) -> tuple[list[str], list[str]]:
    """The PDFs of the folder `pdfs` in two halves, alternating in name order: (tune, check).

    Defaults are tuned on the first half; the second is reported beside it to show whether a choice generalises.
    """
    names = sorted(p.name for p in pdfs.glob("*.pdf"))
    return names[0::2], names[1::2]


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def contains_answer(text: str, answers: Iterable[str]) -> bool:
    """Whether any gold answer occurs in `text` (case, punctuation and spacing ignored)."""
    haystack = f" {normalise(text)} "
    return any(f" {normalise(a)} " in haystack for a in answers if normalise(a))


def is_hit(chunk: StoredChunk, q: Question) -> bool:
    """Page-level: a chunk from the gold file, on a gold page, holding an answer. Document-level: from a gold file."""
    if q.document_level:
        return chunk.source in q.files
    first, last = chunk.pages
    on_page = any(first <= page <= last for page in q.pages)
    return chunk.source == q.file and on_page and contains_answer(chunk.text, q.answers)


def is_evidence_hit(chunk: StoredChunk, q: Question) -> bool:
    """A chunk from one of the row's files covering one of its evidence pages (no answer string needed)."""
    first, last = chunk.pages
    return chunk.source in q.files and any(first <= page <= last for page in q.evidence_pages)


def first_hit_rank(chunks: Sequence[StoredChunk], q: Question) -> int | None:
    """1-based rank of the first hit, or None."""
    return _first_rank(chunks, lambda c: is_hit(c, q))


def _from_any(chunk: StoredChunk, files: Sequence[str]) -> bool:
    return chunk.source in files


def _first_rank(chunks: Sequence[StoredChunk], hit: Callable[[StoredChunk], bool]) -> int | None:
    return next((rank for rank, c in enumerate(chunks, start=1) if hit(c)), None)


def retrieval_metrics(ranks: Sequence[int | None]) -> dict[str, float]:
    """hit@1, hit@5 and MRR@10 from the rank of the first hit of each question."""
    n = len(ranks) or 1
    return {
        "hit@1": sum(r == 1 for r in ranks if r) / n,
        "hit@5": sum(r <= 5 for r in ranks if r) / n,
        "mrr@10": sum(1 / r for r in ranks if r and r <= 10) / n,
    }


def latency_percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """p50 and p95 in milliseconds."""
    if len(seconds) < 2:
        return {"p50_ms": 1000 * (seconds[0] if seconds else 0.0), "p95_ms": 1000 * (seconds[0] if seconds else 0.0)}
    q = statistics.quantiles(seconds, n=20)
    return {"p50_ms": 1000 * statistics.median(seconds), "p95_ms": 1000 * q[18]}


def evaluate_retrieval(retrieve: Callable[[str], list[StoredChunk]], questions: Sequence[Question]) -> dict[str, float]:
    """Run every question through `retrieve` and score the rankings and the latency.

    hit@1/hit@5/mrr@10 are over page-level rows (a chunk on a gold page holding an answer); page_hit@1/page_hit@5/
    page_mrr@10 over document-level rows with `evidence_pages` (a chunk of a gold file covering an evidence page);
    doc_hit@1/doc_hit@5/doc_mrr@10 over every row, counting a chunk from a gold file as a hit (the rule of
    document-level sets). Each group's metrics are present only when the group has rows; `page_level_questions` and
    `evidence_page_questions` count them.
    """
    ranks, page_ranks, doc_ranks, seconds = [], [], [], []
    for q in questions:
        start = time.perf_counter()
        chunks = retrieve(q.question)[:10]
        seconds.append(time.perf_counter() - start)
        if not q.document_level:
            ranks.append(first_hit_rank(chunks, q))
        if q.evidence_pages:
            page_ranks.append(_first_rank(chunks, partial(is_evidence_hit, q=q)))
        doc_ranks.append(_first_rank(chunks, partial(_from_any, files=q.files or (q.file,))))
    result = retrieval_metrics(ranks) if ranks else {}
    if page_ranks:
        result |= {f"page_{name}": value for name, value in retrieval_metrics(page_ranks).items()}
    result |= {f"doc_{name}": value for name, value in retrieval_metrics(doc_ranks).items()}
    counts = {"page_level_questions": len(ranks), "evidence_page_questions": len(page_ranks)}
    return {**result, **latency_percentiles(seconds), "questions": len(questions), **counts}


OFF_TOPIC = [
    "What is a good recipe for chocolate cake?",
    "How do I reset my router password?",
    "Who won the 2018 FIFA World Cup?",
    "How many calories are in a banana?",
    "What is the best way to learn the guitar?",
    "How do I change a car tyre?",
    "Who painted the Mona Lisa?",
    "How do I install Python on Windows?",
    "What are the symptoms of the flu?",
    "How do I bake sourdough bread?",
    "What is the capital of Australia?",
    "How do I fix a leaking kitchen tap?",
    "Which programming language is best for web development?",
    "How long should I boil an egg?",
    "What is the plot of the novel Pride and Prejudice?",
    "How do I train a puppy to sit?",
    "What is the exchange rate between the euro and the yen?",
    "How many moons does Jupiter have?",
    "What are the rules of chess castling?",
    "How do I knit a scarf?",
    # general knowledge
    "Who wrote the play Hamlet?",
    "What is the boiling point of water at sea level in Fahrenheit?",
    "How tall is Mount Everest?",
    "Who was the first person to walk on the Moon?",
    "What is the largest ocean on Earth?",
    "How do I make a cup of green tea?",
    "What is the speed of light in a vacuum?",
    "Which planet is known as the Red Planet?",
    "How many players are on a basketball team on court?",
    "What is the chemical symbol for gold?",
    "Who composed the Four Seasons?",
    "How do I renew a passport?",
    "What time zone is Tokyo in?",
    "What is the population of Canada?",
    "How do I remove a red wine stain from a carpet?",
    "Who invented the telephone?",
    "What is the tallest building in the world?",
    "How many bones are in the adult human body?",
    "What is the main ingredient of guacamole?",
    "When did the Berlin Wall fall?",
    # near misses: the datasets' kind of subject, a fact none of their documents holds
    "What is the capital of Brazil?",
    "Who is the current chief executive of Boeing?",
    "What is the recommended dose of ibuprofen for a child?",
    "How many people live in the city of Manaus today?",
    "What was the share price of Apple at the end of 2023?",
    "Which airline operates the most Airbus A380 aircraft?",
    "What is the survival rate of pancreatic cancer after five years?",
    "Who won the Nobel Prize in Medicine in 2021?",
    "How much does a kilogram of Brazilian coffee cost?",
    "What is the speed limit on German motorways?",
    "How many hospitals are there in Ohio?",
    "Which vaccine protects against measles, mumps and rubella?",
    "What is the average salary of a commercial pilot?",
    "When was the Amazon company founded?",
    "What does the Federal Reserve's interest rate stand at today?",
    "How many moons does Neptune have?",
    "Who designed the Eiffel Tower?",
    "What is the deepest point of the Atlantic Ocean?",
    "Which medication is used to treat high blood pressure first?",
    "How long is the flight from London to New York?",
]


def evaluate_answers(session_factory: Callable[[], ChatSession], questions: Sequence[Question]) -> dict[str, float]:
    """Answer-level metrics on page-level rows, and off-topic refusals.

    answer_contains_gold: the answer text holds a gold answer. page_exact_citation: a cited source covers the gold
    page. first_citation_on_gold_page: the first source the answer cites (what a reader checks first) covers a gold
    page of the gold file. strict_citation: a sentence of the answer that holds a gold answer cites a source in which
    that answer sits on a gold page of the gold file. answerable_refused: share of these (answerable) questions
    answered "not found". off_topic_refusal: share of OFF_TOPIC questions refused.
    """
    paged = [q for q in questions if not q.document_level]
    contains = page_exact = first = strict = refused = 0
    for q in paged:
        answer = session_factory().answer(q.question)
        contains += contains_answer(answer.text, q.answers)
        page_exact += any(s.source == q.file and _covers(s, q.pages) for s in answer.cited_sources)
        first += bool(answer.cited_sources) and on_gold_page(answer.cited_sources[0], q)
        strict += strict_citation(answer, q)
        refused += answer.mode == "not_found"
    off_topic = sum(session_factory().answer(q).mode == "not_found" for q in OFF_TOPIC)
    n = len(paged) or 1
    return {
        "answer_contains_gold": contains / n,
        "page_exact_citation": page_exact / n,
        "first_citation_on_gold_page": first / n,
        "strict_citation": strict / n,
        "answerable_refused": refused / n,
        "off_topic_refusal": off_topic / len(OFF_TOPIC),
    }


def on_gold_page(source: Source, q: Question) -> bool:
    """Whether `source` is from the gold file and covers a gold page."""
    return source.source == q.file and _covers(source, q.pages)


def _covers(source: Source, pages: set[int]) -> bool:
    return any(source.page_start <= page <= source.page_end for page in pages)


def strict_citation(answer: Answer, q: Question) -> bool:
    """Whether a sentence of `answer` that holds a gold answer cites the gold page (see evaluate_answers)."""
    by_number = {s.n: s for s in answer.sources}
    for claim in answer.text.splitlines():
        if not contains_answer(claim, q.answers):
            continue
        for n in cited_numbers(claim):
            source = by_number.get(n)
            if source and source.source == q.file and _answer_pages(source, q.answers) & q.pages:
                return True
    return False


def _answer_pages(source: Source, answers: Sequence[str]) -> set[int]:
    """Pages of `source` whose sentences hold a gold answer."""
    return {page for sentence, page in source.sentences() if contains_answer(sentence, answers)}
