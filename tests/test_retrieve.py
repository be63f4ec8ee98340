"""rag/retrieve.py and rag/rerank.py on the sample library: what `retrieve(question, k)` returns for k sources, and the
reranker step between retrieval and sources."""

from collections.abc import Sequence

import pytest

from rag.components import reranker_for
from rag.config import Settings
from rag.errors import ConfigError
from rag.records import StoredChunk
from rag.rerank import KeepOrder
from rag.retrieve import CHUNKS_PER_SOURCE, Retriever

QUESTION = "What percentage of the Amazon rainforest is in Brazil?"


def test_k_sources_get_twice_as_many_chunks_the_best_of_one_ranking_whatever_k(sample_store, minilm):
    retriever = Retriever(sample_store, minilm)
    ten = [c.id for c in retriever.retrieve(QUESTION, 10).chunks]
    three = [c.id for c in retriever.retrieve(QUESTION, 3).chunks]
    assert len(ten) == 10 * CHUNKS_PER_SOURCE == 20
    assert three == ten[: 3 * CHUNKS_PER_SOURCE]  # room for neighbours to merge into one source, same ranking


class Reversed:
    """A reranker that puts retrieval's candidates in reverse order, scored by their new rank."""

    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    def rerank(self, question: str, chunks: Sequence[StoredChunk]) -> list[StoredChunk]:
        self.seen.append([c.id for c in chunks])
        return [StoredChunk(c.id, c.text, c.metadata, score=-rank) for rank, c in enumerate(reversed(chunks))]


def test_a_reranker_orders_every_candidate_before_the_cut_to_k(sample_store, minilm):
    plain = Retriever(sample_store, minilm).retrieve(QUESTION, 2)
    reranker = Reversed()
    reranked = Retriever(sample_store, minilm, reranker=reranker).retrieve(QUESTION, 2)
    (candidates,) = reranker.seen
    assert len(candidates) > 2 * CHUNKS_PER_SOURCE  # the whole pool, not only what the caller gets
    assert candidates[: len(plain.chunks)] == [c.id for c in plain.chunks]  # given in retrieval's order
    assert [c.id for c in reranked.chunks] == candidates[::-1][: 2 * CHUNKS_PER_SOURCE]
    assert [c.score for c in reranked.chunks] == [0, -1, -2, -3]
    assert reranked.best_similarity == plain.best_similarity  # the relevance gate still sees the dense similarity


def test_without_a_reranker_retrieval_keeps_its_order(sample_store, minilm):
    retriever = Retriever(sample_store, minilm)
    chunks = retriever.retrieve(QUESTION, 3).chunks
    assert isinstance(retriever.reranker, KeepOrder)
    assert KeepOrder().rerank(QUESTION, chunks) == chunks


def test_the_settings_name_the_reranker_and_an_unknown_name_is_refused():
    assert isinstance(reranker_for(Settings(_env_file=None)), KeepOrder)
    with pytest.raises(ConfigError, match="FOLIO_RERANKER='cross-encoder' names no reranker \\(Folio has: none\\)"):
        reranker_for(Settings(_env_file=None, folio_reranker="cross-encoder"))
