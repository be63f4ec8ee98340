"""Follow-up questions: two-turn conversations whose second question leans on the first
(`bench/data/follow-ups.jsonl`: 25 over real-docs, 21 over squad-public, written by hand). Each row names the
dataset question asked first and the dataset question whose gold (file, page, answers) the follow-up keeps; the
follow-up rewrites it so that it only makes sense after the first ("What age range is eligible for it?").

Scored as retrieval hit@5, alone and with the first turn's words (`rag.followup`, the offline path of a chat).
The guard: the dataset's own questions, each asked right after a question about another file (a change of topic),
must not lose hits to the words of that earlier question.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from rag.evaluate import Question, evaluate_retrieval, parse_question
from rag.followup import follow_up_search
from rag.retrieve import Retriever

FOLLOW_UPS = Path(__file__).resolve().parent / "data" / "follow-ups.jsonl"


@dataclass(frozen=True)
class FollowUp:
    first: str  # the first turn's question
    question: Question  # the follow-up, with the gold of the dataset question it rewrites


def load_follow_ups(dataset: Path) -> list[FollowUp]:
    """The follow-up pairs over `dataset`."""
    rows = [json.loads(line) for line in (dataset / "questions.jsonl").read_text().splitlines() if line.strip()]
    by_id = {row["id"]: row for row in rows}
    pairs = [json.loads(line) for line in FOLLOW_UPS.read_text().splitlines() if line.strip()]
    return [
        FollowUp(by_id[p["first"]]["question"], replace(parse_question(by_id[p["gold"]]), question=p["follow_up"]))
        for p in pairs
        if p["dataset"] == dataset.name
    ]


def follow_up_scores(retriever: Retriever, pairs: list[FollowUp], k: int) -> dict[str, float]:
    """hit@k of the follow-ups alone and with the first turn's words, and how many were seen as leaning on it."""
    search = {p.question.question: follow_up_search(p.question.question, p.first) for p in pairs}
    questions = [p.question for p in pairs]
    alone = evaluate_retrieval(lambda q: retriever.retrieve(q, k).chunks, questions)
    history = evaluate_retrieval(lambda q: retriever.retrieve(search[q][0], k, context=search[q][1]).chunks, questions)
    return {
        "pairs": len(pairs),
        "alone": alone["hit@5"],
        "with history": history["hit@5"],
        "leaning": sum(search[q] != (q, "") for q in search),
    }


def topic_change_scores(retriever: Retriever, questions: list[Question], k: int) -> dict[str, float]:
    """hit@k of page-level questions alone and each asked after a question about another file (three files on)."""
    questions = [q for q in questions if not q.document_level]
    files = sorted({q.file for q in questions})
    by_file = {f: [q for q in questions if q.file == f] for f in files}
    earlier = {}
    for i, q in enumerate(questions):
        other = by_file[files[(files.index(q.file) + 3) % len(files)]]
        earlier[q.question] = other[i % len(other)].question
    search = {q: follow_up_search(q, e) for q, e in earlier.items()}
    alone = evaluate_retrieval(lambda q: retriever.retrieve(q, k).chunks, questions)
    after = evaluate_retrieval(lambda q: retriever.retrieve(search[q][0], k, context=search[q][1]).chunks, questions)
    return {
        "questions": len(questions),
        "alone": alone["hit@5"],
        "after another topic": after["hit@5"],
        "leaning": sum(search[q] != (q, "") for q in search),
    }
