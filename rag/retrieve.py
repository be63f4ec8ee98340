"""Retrieval over one store: dense (Chroma), BM25 keyword (rag.keyword), or both fused.

Why hybrid: on the SQuAD-derived evaluation set keyword search beats MiniLM alone (questions reuse the
document's words), while dense search catches paraphrases; `docs/benchmarks.md` has the numbers behind the
default mode and weights. Why not llama-index's fusion retriever (used until round 2): importing
`llama_index.core` took 2.3 s of every `folio ask`; the fusion it ran is `fuse` below.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from rag.config import DENSE_WEIGHT, HISTORY_WEIGHT, default
from rag.embed import Embedder
from rag.identity import question_scope
from rag.records import DOCUMENT_KEY, DocumentRecord, StoredChunk
from rag.rerank import KeepOrder, Reranker
from rag.sections import Headings, heading_scores
from rag.store import Store

Mode = Literal["dense", "keyword", "hybrid"]
# Fusion normalises scores over each retriever's candidate list, so its length changes the ranking; a fixed
# pool makes the top hits the same whatever k is (docs/benchmarks.md: pool size in the sweep).
FUSION_CANDIDATES = 20
# Within the documents a question names, passages are ranked from a wider pool and with their page's heading
# (rag.sections): the statement a figure sits in is often far down a filing's passage ranking. The pool chosen on the
# worst set's tune half (finance-more; docs/benchmarks.md, look-alike documents, round 4), the weight on it
# (finance-dev, round 5: 0.15 → 0.3 with headings that hold two of the question's terms, page hit@5 tune 0.296 → 0.407)
SCOPED_CANDIDATES = 100
HEADING_WEIGHT = 0.3
# Neighbouring chunks merge into one numbered source (rag.sources.build_sources), which are also cut at a token budget:
# a caller asking for k sources gets up to this many times k chunks (an evaluation at k=5 scores 10: MRR@10)
CHUNKS_PER_SOURCE = 2
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="folio-retrieve")  # shared by every Retriever


@dataclass(frozen=True)
class Retrieved:
    """Chunks for a question, best first, and the best dense similarity (for the relevance gate)."""

    chunks: list[StoredChunk]
    best_similarity: float


def fuse(runs: Sequence[tuple[float, Sequence[tuple[str, float]]]]) -> list[tuple[str, float]]:
    """Distribution-based score fusion of (weight, [(id, score)]) runs, best first.

    Each run's scores are scaled so that its mean ± 3 standard deviations spans 0..1, weighted, and summed per
    id (llama-index's "dist_based_score" mode, which Folio's weights were tuned with).
    """
    fused: dict[str, float] = {}
    for weight, hits in runs:
        if not hits:
            continue
        scores = np.array([score for _, score in hits])
        low, high = scores.mean() - 3 * scores.std(), scores.mean() + 3 * scores.std()
        for chunk_id, score in hits:
            scaled = (score - low) / (high - low) if high > low else float(high > 0)
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight * float(scaled)
    return sorted(fused.items(), key=lambda item: -item[1])


def distinct_pages_first(chunks: Sequence[StoredChunk]) -> list[StoredChunk]:
    """`chunks` with each page's first chunk ahead of the pages' second ones (order kept otherwise): two chunks
    of one page are one source once merged (rag.sources), and the page a reader needs may be the next one."""
    seen: set[tuple[str, int]] = set()
    first: list[StoredChunk] = []
    again: list[StoredChunk] = []
    for chunk in chunks:
        page = (chunk.source, chunk.pages[0])
        (again if page in seen else first).append(chunk)
        seen.add(page)
    return first + again


class Retriever:
    """Top-k retrieval over one store, dense, keyword or hybrid."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        mode: Mode = default("folio_retrieval"),
        dense_weight: float = DENSE_WEIGHT,
        candidates: int = FUSION_CANDIDATES,
        identity: bool = True,
        scoped_candidates: int = SCOPED_CANDIDATES,
        heading_weight: float = HEADING_WEIGHT,
        distinct_pages: bool = False,
        reranker: Reranker | None = None,
    ):
        self.store = store
        self.embedder = embedder
        self.mode = mode
        self.candidates = candidates
        self.dense_weight = dense_weight
        self.identity = identity  # search the documents a question names first (rag.identity)
        self._lock = threading.Lock()
        self.scoped_candidates = scoped_candidates
        self.heading_weight = heading_weight
        # each scoped page once before any page twice: +8 points of finance-dev page hit@5, but a page-level set's
        # answer is often in a page's second chunk (finance-more and real-docs lose), so off (docs/benchmarks.md)
        self.distinct_pages = distinct_pages
        self.reranker = reranker or KeepOrder()  # orders the candidates before they are cut to the number asked for
        self._headings: dict[str, Headings] = {}  # by document version, from its stored text when first named
        # document versions the vector index is known to hold: those registered when the store was opened
        self._seen = {d.version for d in store.documents()}

    def retrieve(
        self, question: str, k_sources: int, sources: Sequence[str] | None = None, context: str = ""
    ) -> Retrieved:
        """The chunks for `k_sources` numbered sources: the CHUNKS_PER_SOURCE × `k_sources` most relevant chunks of
        the registered documents (optionally only the documents named `sources`), best first; `context`: earlier
        words of the conversation to search with, weighted HISTORY_WEIGHT (the question's own count 1)."""
        with self.store.translate_errors():
            return self._retrieve(question, CHUNKS_PER_SOURCE * k_sources, sources, context)

    def _query_vector(self, question: str, context: str) -> np.ndarray:
        if not context:
            return self.embedder.embed([question])[0]
        own, earlier = self.embedder.embed([question, context])
        blended = own + HISTORY_WEIGHT * earlier
        return blended / np.linalg.norm(blended)

    def _retrieve(self, question: str, n: int, sources: Sequence[str] | None, context: str) -> Retrieved:
        """The `n` most relevant chunks."""
        # The model and Chroma release the GIL: the question is embedded while the registry is read, and the dense
        # query runs while the keyword index is searched and its chunks fetched (with a Chroma server, each step is
        # a round trip). The pool is first in, first out, so the dense query waits only on an embedding under way.
        vector = _POOL.submit(self._query_vector, question, context)
        documents = self.store.documents()
        self._refresh_if_changed({d.version for d in documents})
        live = [d for d in documents if not sources or d.source in sources]
        if not live:
            return Retrieved([], 0.0)
        fetch = max(n, self.candidates)  # room for chunks dropped below (unregistered)
        chunks, best = self._ranked(question, context, vector, live, fetch, sources)
        scope = question_scope(question, {d.source: d.identity for d in live if d.identity}) if self.identity else None
        if scope and scope.sources:
            # the documents the question names (organisation, period, kind) first: within them the passage ranking
            # decides; the rest of the library follows (rag.identity)
            named = [d for d in live if d.source in scope.sources]
            pool = max(fetch, self.scoped_candidates)
            first, _ = self._ranked(question, context, vector, named, pool, scope.sources)
            if self.heading_weight:
                first = self._by_heading(question, named, first)
            if self.distinct_pages:
                first = distinct_pages_first(first)
            ids = {c.id for c in first}
            chunks = first + [c for c in chunks if c.id not in ids]
        labels = {d.source: d.identity.label for d in live if d.identity}
        described = [replace(c, metadata={**c.metadata, DOCUMENT_KEY: labels.get(c.source, "")}) for c in chunks]
        return Retrieved(self.reranker.rerank(question, described)[:n], best)

    def _ranked(
        self,
        question: str,
        context: str,
        vector: Future,
        documents: Sequence[DocumentRecord],
        fetch: int,
        sources: Sequence[str] | None,
    ) -> tuple[list[StoredChunk], float]:
        """The chunks of `documents` ranked for the question (dense, keyword or fused), and the best similarity."""
        versions = sorted(d.version for d in documents)
        nearest = _POOL.submit(lambda: self.store.nearest(vector.result(), fetch, sources))
        found: dict[str, StoredChunk] = {}
        if self.mode != "dense":
            keyword = self.store.keyword_hits(question, versions, fetch, context)
            found = self.store.chunks_by_id([i for i, _ in keyword])
        dense = nearest.result()
        best = max((c.score for c in dense), default=0.0)
        if self.mode == "dense":
            ranked = [(c.id, c.score) for c in dense]
        else:
            runs = [(1.0, keyword)]
            if self.mode == "hybrid":
                runs = [(self.dense_weight, [(c.id, c.score) for c in dense]), (1.0 - self.dense_weight, keyword)]
            ranked = fuse(runs)[:fetch]
        found |= {c.id: c for c in dense}
        wanted = set(versions)
        chunks = [
            replace(found[i], score=score) for i, score in ranked if i in found and found[i].meta.version in wanted
        ]
        return chunks, best

    def _by_heading(
        self, question: str, documents: Sequence[DocumentRecord], chunks: list[StoredChunk]
    ) -> list[StoredChunk]:
        """`chunks` (of `documents`) re-ranked with how well their page's heading matches the question, weighted
        `heading_weight`; the organisation's name, which chose the documents, does not count."""
        headings = {d.source: self._headings_of(d) for d in documents}
        names = [name for d in documents if d.identity for name in (d.identity.organisation, *d.identity.aliases)]
        scores = heading_scores(question, headings, names)
        if not scores:
            return chunks
        runs = [
            (1.0 - self.heading_weight, [(c.id, c.score) for c in chunks]),
            (self.heading_weight, [(c.id, scores.get((c.source, c.pages[0]), 0.0)) for c in chunks]),
        ]
        by_id = {c.id: c for c in chunks}
        return [replace(by_id[i], score=score) for i, score in fuse(runs)]

    def _headings_of(self, document: DocumentRecord) -> Headings:
        headings = self._headings.get(document.version)
        if headings is None:
            headings = self._headings[document.version] = Headings.of(self.store.page_texts(document))
        return headings

    def _refresh_if_changed(self, versions: set[str]) -> None:
        """Another process (a CLI ingest beside the UI) may have changed the documents since the store was opened
        or last refreshed: catch up (a no-op write; a new process needs none, 0.17 s saved at 10k chunks)."""
        with self._lock:
            if versions != self._seen:
                self.store.refresh()
                self._seen = versions
