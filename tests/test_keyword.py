"""The keyword index on disk: bm25s's scores, segments that survive the process, and that heal."""

import bm25s
import pytest

from ingest import IngestOptions, ingest_paths
from rag.keyword import KeywordIndex, tokens
from rag.retrieve import Retriever
from rag.store import open_store
from tests.conftest import make_pdf

TEXTS = {
    "a": ["The Nile flows north through Egypt.", "Cairo lies on the Nile delta.", "Rivers carry silt."],
    "b": ["The Amazon river carries more water than the Nile.", "Brazil holds most of the Amazon rainforest."],
}
QUESTION = "Which river flows through Egypt and Cairo?"


def _index(folder) -> KeywordIndex:
    index = KeywordIndex(folder)
    for version, texts in TEXTS.items():
        index.add(version, [f"{version}{i}" for i in range(len(texts))], texts)
    return index


def _no_text(version):
    raise AssertionError(f"segment {version} should have been read from disk")


def test_scores_are_those_of_bm25s_over_the_same_chunks(tmp_path):
    ids = [f"{v}{i}" for v, texts in TEXTS.items() for i in range(len(texts))]
    corpus = [t for texts in TEXTS.values() for t in texts]
    reference = bm25s.BM25()
    reference.index(tokens(corpus), show_progress=False)
    expected = reference.get_scores(tokens([QUESTION])[0])
    hits = dict(_index(tmp_path).search(QUESTION, list(TEXTS), 10, _no_text))
    assert hits  # some chunks share the question's words
    for chunk_id, score in hits.items():
        assert score == pytest.approx(expected[ids.index(chunk_id)], rel=1e-5)
    assert {ids[i] for i, s in enumerate(expected) if s > 0} == set(hits)


def test_a_new_process_reads_the_segments_instead_of_rebuilding_them(tmp_path):
    first = _index(tmp_path).search(QUESTION, list(TEXTS), 3, _no_text)
    assert KeywordIndex(tmp_path).search(QUESTION, list(TEXTS), 3, _no_text) == first
    assert first[0][0] == "a0"


def test_only_the_documents_asked_for_are_searched(tmp_path):
    hits = _index(tmp_path).search("Nile", ["b"], 10, _no_text)
    assert [chunk_id for chunk_id, _ in hits] == ["b0"]


def test_a_missing_or_broken_segment_is_rebuilt_from_the_store(tmp_path):
    _index(tmp_path)
    whole = (tmp_path / "a.bm25").read_bytes()
    (tmp_path / "a.bm25").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "b.bm25").unlink()
    asked = []

    def from_store(version):
        asked.append(version)
        texts = TEXTS[version]
        return [f"{version}{i}" for i in range(len(texts))], texts

    hits = KeywordIndex(tmp_path).search(QUESTION, list(TEXTS), 3, from_store)
    assert sorted(asked) == ["a", "b"] and hits[0][0] == "a0"
    assert KeywordIndex(tmp_path).search(QUESTION, list(TEXTS), 3, _no_text) == hits  # and written back


def test_drop_and_prune_delete_segments(tmp_path):
    index = _index(tmp_path)
    index.drop(["a"])
    assert not (tmp_path / "a.bm25").exists()
    index.prune(set())
    assert list(tmp_path.glob("*.bm25")) == []


def test_the_store_keeps_one_segment_per_stored_document_and_heals_without_them(tmp_path, settings, embedder):
    folder = tmp_path / "pdfs"
    folder.mkdir()
    make_pdf(folder / "nile.pdf", ["The Nile flows north through Egypt to the Mediterranean Sea."])
    make_pdf(folder / "amazon.pdf", ["Brazil holds sixty percent of the Amazon rainforest."])
    store = open_store(settings, embedder)
    ingest_paths([folder], store, embedder, options=IngestOptions(chunk_tokens=64, chunk_overlap=8))
    segments = store.keywords.folder
    assert sorted(p.stem for p in segments.glob("*.bm25")) == sorted(d.version for d in store.documents())
    store.delete_document("amazon.pdf")
    assert [p.stem for p in segments.glob("*.bm25")] == [store.document("nile.pdf").version]
    for segment in segments.glob("*.bm25"):  # a store written before the index existed
        segment.unlink()
    reopened = open_store(settings, embedder)
    top = Retriever(reopened, embedder, "keyword").retrieve("Which river flows through Egypt?", 1).chunks[0]
    assert top.source == "nile.pdf"
    assert len(list(segments.glob("*.bm25"))) == 1
