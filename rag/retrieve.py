"""Retrieval over the Chroma collection with llama-index: dense, BM25 keyword, or both fused.

Why hybrid: on the SQuAD-derived evaluation set keyword search beats MiniLM alone (questions
reuse the document's words), while dense search catches paraphrases; `docs/benchmarks.md` has the
numbers behind the default mode and weights.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from llama_index.core import VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import MockLLM
from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
from llama_index.core.retrievers.fusion_retriever import FUSION_MODES
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters
from llama_index.retrievers.bm25 import BM25Retriever
from llama_index.vector_stores.chroma import ChromaVectorStore
from pydantic import PrivateAttr

from rag.config import DENSE_WEIGHT, default
from rag.embed import Embedder
from rag.store import CONTEXT_KEY, Store, StoredChunk

Mode = Literal["dense", "keyword", "hybrid"]
# Fusion normalises scores over each retriever's candidate list, so its length changes the ranking; a fixed
# pool makes the top hits the same whatever k is (docs/benchmarks.md: pool size in the sweep).
FUSION_CANDIDATES = 20


class _LlamaEmbedding(BaseEmbedding):
    """Folio's embedder seen through llama-index's embedding interface."""

    _embedder: Embedder = PrivateAttr()

    def __init__(self, embedder: Embedder):
        super().__init__(model_name=embedder.name, embed_batch_size=16)
        self._embedder = embedder

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embedder.embed([query])[0].tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embedder.embed([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed(texts).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)


class _Fetched(BaseRetriever):
    """Hits already fetched, served to fusion with their metadata keys sorted.

    Serving the dense hits the gate just fetched saves fusion a second Chroma query and query embedding
    (docs/benchmarks.md: hybrid vs dense-only latency). Sorted keys: fusion merges a chunk found by both
    retrievers by `node.hash`, which hashes `str(metadata)`, and Chroma returns the keys in another order than
    the keyword index holds them; unsorted, the same chunk hashed twice and hybrid was an interleave with
    duplicates.
    """

    def __init__(self, hits: list[NodeWithScore]):
        super().__init__()
        self._hits = hits

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        for hit in self._hits:
            hit.node.metadata = _sorted(hit.node.metadata)
        return self._hits


def _sorted(metadata: dict) -> dict:
    return dict(sorted(metadata.items()))


@dataclass(frozen=True)
class Retrieved:
    """Chunks for a question, best first, and the best dense similarity (for the relevance gate)."""

    chunks: list[StoredChunk]
    best_similarity: float


class Retriever:
    """Top-k retrieval over one store; keyword indexes are rebuilt only when documents change."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        mode: Mode = default("folio_retrieval"),
        dense_weight: float = DENSE_WEIGHT,
        fusion: str = "dist_based_score",
        candidates: int = FUSION_CANDIDATES,
    ):
        self.store = store
        self.mode = mode
        self.candidates = candidates
        self.dense_weight = dense_weight
        self.fusion = fusion
        self._embedding = _LlamaEmbedding(embedder)
        self._index = VectorStoreIndex.from_vector_store(
            ChromaVectorStore(chroma_collection=store.chunks), embed_model=self._embedding
        )
        self._keyword_cache: dict[tuple, BM25Retriever] = {}
        self._lock = threading.Lock()
        self._seen: set[str] = set()  # document versions when the vector index was last refreshed

    def retrieve(self, question: str, k: int, sources: Sequence[str] | None = None) -> Retrieved:
        """The k most relevant chunks of the registered documents (optionally only `sources`)."""
        with self.store.translate_errors():
            return self._retrieve(question, k, sources)

    def _retrieve(self, question: str, k: int, sources: Sequence[str] | None) -> Retrieved:
        documents = self.store.documents()
        self._refresh_if_changed({d.version for d in documents})
        live = {d.version for d in documents if not sources or d.source in sources}
        if not live:
            return Retrieved([], 0.0)
        fetch = max(k * 2, self.candidates)  # room for chunks dropped below (unregistered, merged)
        dense = self._dense(fetch, sources)
        dense_hits = dense.retrieve(question)
        best = max((_cosine(h) for h in dense_hits), default=0.0)
        if self.mode == "dense":
            hits = dense_hits
        else:
            keyword = self._keyword(live, fetch)
            if self.mode == "keyword":
                hits = keyword.retrieve(question)
            else:
                fusion = QueryFusionRetriever(
                    [_Fetched(dense_hits), keyword],
                    llm=MockLLM(),  # one query: no query generation, so no LLM is called
                    mode=FUSION_MODES(self.fusion),
                    retriever_weights=[self.dense_weight, 1.0 - self.dense_weight],
                    similarity_top_k=fetch,
                    num_queries=1,
                    use_async=False,
                )
                hits = fusion.retrieve(question)
        chunks = [_to_chunk(h) for h in hits if h.node.metadata.get("version") in live]
        return Retrieved(chunks[: k * 2], best)

    def _refresh_if_changed(self, versions: set[str]) -> None:
        """Another process (a CLI ingest beside the UI) may have changed the documents: catch up."""
        with self._lock:
            if versions != self._seen:
                self.store.refresh()
                self._seen = versions

    def _dense(self, k: int, sources: Sequence[str] | None):
        filters = (
            MetadataFilters(filters=[MetadataFilter(key="source", value=list(sources), operator=FilterOperator.IN)])
            if sources
            else None
        )
        return self._index.as_retriever(similarity_top_k=k, filters=filters)

    def _keyword(self, live: set[str], k: int) -> BaseRetriever:
        key = tuple(sorted(live))
        with self._lock:
            retriever = self._keyword_cache.get(key)
            if retriever is None:
                nodes = [
                    TextNode(
                        text=c.text,
                        id_=c.id,
                        metadata=_sorted(c.metadata),
                        excluded_embed_metadata_keys=[key for key in c.metadata if key != CONTEXT_KEY],
                    )
                    for c in self.store.all_chunks()
                    if c.metadata.get("version") in live
                ]
                if not nodes:  # registered documents whose chunks are gone (repaired by the next ingest)
                    return _Fetched([])
                retriever = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=k, language="english")
                self._keyword_cache = {key: retriever}  # keep one: the documents changed, old ones are stale
            retriever.similarity_top_k = min(k, len(retriever.corpus))
            return retriever


def _cosine(hit: NodeWithScore) -> float:
    """llama-index's Chroma store reports exp(-distance); with cosine distance that is exp(cos - 1)."""
    return float(1.0 + np.log(max(hit.score or 0.0, 1e-12)))


def _to_chunk(hit: NodeWithScore) -> StoredChunk:
    return StoredChunk(
        id=hit.node.node_id, text=hit.node.get_content(), metadata=hit.node.metadata, score=hit.score or 0.0
    )
