"""Retrieval and answer quality on a question set laid out like shared/eval/squad-public:
`pdfs/` plus `questions.jsonl` (question, answers, file, page)."""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.store import StoredChunk


@dataclass(frozen=True)
class Question:
    question: str
    answers: list[str]
    file: str
    page: int


def load_questions(dataset: Path, limit: int | None = None) -> list[Question]:
    """Questions of a dataset; with `limit`, an evenly spread sample of that many."""
    rows = [json.loads(line) for line in (dataset / "questions.jsonl").read_text().splitlines() if line.strip()]
    if limit and limit < len(rows):
        step = len(rows) / limit
        rows = [rows[int(i * step)] for i in range(limit)]
    return [Question(r["question"], r["answers"], r["file"], r["page"]) for r in rows]


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def contains_answer(text: str, answers: Iterable[str]) -> bool:
    """Whether any gold answer occurs in `text` (case, punctuation and spacing ignored)."""
    haystack = f" {normalise(text)} "
    return any(f" {normalise(a)} " in haystack for a in answers if normalise(a))


def is_hit(chunk: StoredChunk, q: Question) -> bool:
    """A chunk from the gold file, whose pages include the gold page, containing an answer."""
    first, last = chunk.pages
    return chunk.source == q.file and first <= q.page <= last and contains_answer(chunk.text, q.answers)


def first_hit_rank(chunks: Sequence[StoredChunk], q: Question) -> int | None:
    """1-based rank of the first hit, or None."""
    return next((rank for rank, c in enumerate(chunks, start=1) if is_hit(c, q)), None)


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
    """Run every question through `retrieve` and score the rankings and the latency."""
    ranks, seconds = [], []
    for q in questions:
        start = time.perf_counter()
        chunks = retrieve(q.question)
        seconds.append(time.perf_counter() - start)
        ranks.append(first_hit_rank(chunks[:10], q))
    return {**retrieval_metrics(ranks), **latency_percentiles(seconds), "questions": len(questions)}


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
]


def evaluate_answers(session_factory, questions: Sequence[Question]) -> dict[str, float]:
    """Answer-level metrics: gold answer in the answer, page-exact citations, off-topic refusals."""
    contains = page_exact = 0
    for q in questions:
        answer = session_factory().answer(q.question)
        contains += contains_answer(answer.text, q.answers)
        page_exact += any(s.source == q.file and s.page_start <= q.page <= s.page_end for s in answer.cited_sources)
    refused = sum(session_factory().answer(q).mode == "not_found" for q in OFF_TOPIC)
    n = len(questions) or 1
    return {
        "answer_contains_gold": contains / n,
        "page_exact_citation": page_exact / n,
        "off_topic_refusal": refused / len(OFF_TOPIC),
    }
