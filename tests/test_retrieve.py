"""rag/retrieve.py on the sample library: what `retrieve(question, k)` returns for k sources."""

from rag.retrieve import CHUNKS_PER_SOURCE, Retriever

QUESTION = "What percentage of the Amazon rainforest is in Brazil?"


def test_k_sources_get_twice_as_many_chunks_the_best_of_one_ranking_whatever_k(sample_store, minilm):
    retriever = Retriever(sample_store, minilm)
    ten = [c.id for c in retriever.retrieve(QUESTION, 10).chunks]
    three = [c.id for c in retriever.retrieve(QUESTION, 3).chunks]
    assert len(ten) == 10 * CHUNKS_PER_SOURCE == 20
    assert three == ten[: 3 * CHUNKS_PER_SOURCE]  # room for neighbours to merge into one source, same ranking
