"""Why a question has no hit in the top k: the profile behind a missed quality target."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from rag.evaluate import Question, first_hit_rank, is_evidence_hit, normalise
from rag.store import StoredChunk

NO_HIT_CHUNK = "no chunk in the store is a hit (answer text split by a chunk boundary or extracted differently)"
GOLD_PAGE = "a chunk of the gold page was retrieved, but not the one holding the answer"
SAME_FILE = "only other pages of the gold file were retrieved"
OTHER_FILES = "only other files were retrieved"


def miss_causes(
    retrieve: Callable[[str], list[StoredChunk]],
    questions: Sequence[Question],
    corpus: Callable[[], list[StoredChunk]],
    k: int,
) -> Counter:
    """For each question without a hit in the top k, the first cause that applies, in the order above.

    A document-level row with evidence pages misses when no chunk covers one of them: the right file elsewhere
    (SAME_FILE) or only other files (OTHER_FILES). `corpus` (every stored chunk) is read only for page-level misses.
    """
    texts: list[tuple[StoredChunk, str]] | None = None
    causes: Counter = Counter()
    for q in questions:
        chunks = retrieve(q.question)[:k]
        if q.document_level:
            if q.evidence_pages and not any(is_evidence_hit(c, q) for c in chunks):
                causes[SAME_FILE if any(c.source in q.files for c in chunks) else OTHER_FILES] += 1
            continue
        if first_hit_rank(chunks, q):
            continue
        texts = texts if texts is not None else [(c, f" {normalise(c.text)} ") for c in corpus()]
        answers = [f" {normalise(a)} " for a in q.answers if normalise(a)]
        if not any(_on_gold_page(c, q) and any(a in text for a in answers) for c, text in texts):
            causes[NO_HIT_CHUNK] += 1
        elif any(_on_gold_page(c, q) for c in chunks):
            causes[GOLD_PAGE] += 1
        elif any(c.source == q.file for c in chunks):
            causes[SAME_FILE] += 1
        else:
            causes[OTHER_FILES] += 1
    return causes


def _on_gold_page(chunk: StoredChunk, q: Question) -> bool:
    return chunk.source == q.file and any(chunk.pages[0] <= page <= chunk.pages[1] for page in q.pages)
