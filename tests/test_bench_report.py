import numpy as np

from bench.__main__ import _replace_section
from bench.datasets import Dataset
from bench.stores import bench_settings, cached_vectors, store_name
from bench.sweep import Column, _chosen, retriever_configs
from ingest import ReadLimits
from rag.evaluate import Question

REPORT = "# Folio benchmarks\n\nintro\n\n## Speed and memory: old\n\nslow\n\n## Retrieval quality: set\n\nold table\n"


def test_a_rerun_section_replaces_its_old_text_and_the_report_keeps_its_reading_order():
    updated = _replace_section(REPORT, "## Retrieval quality: set\n\nnew table")

    assert "old table" not in updated and "new table" in updated
    assert updated.index("new table") < updated.index("## Speed and memory") < updated.index("slow")
    assert updated.startswith("# Folio benchmarks\n\nintro\n")


def test_a_new_section_is_added_in_its_place():
    updated = _replace_section(REPORT, "## Default sweep: set\n\nrows")

    assert updated.index("## Retrieval quality") < updated.index("## Default sweep") < updated.index("## Speed")


def finance_and_squad(tmp_path):
    """Two tuned columns: a page-level set of 600 questions and a document-level set's tune half of 25."""

    def questions(n):
        return [Question(f"q{i}", [], "a.pdf", None, files=("a.pdf",)) for i in range(n)]

    squad = Column(Dataset("squad-public", tmp_path, tmp_path / "q.jsonl"), "all", questions(600), False)
    finance = Column(Dataset("finance-dev", tmp_path, tmp_path / "f.jsonl"), "tune half", questions(25), True)
    return squad, finance


def scored(squad_hit, finance_hit):
    return {
        "squad-public: all": {"hit@5": squad_hit, "mrr@10": 0.5},
        "finance-dev: tune half": {"doc_hit@5": finance_hit, "doc_mrr@10": 0.5, "page_hit@5": 0.4},
    }


CONFIGS = {"dense": {"mode": "dense"}, "hybrid 0.3": {"mode": "hybrid", "dense_weight": 0.3}}
CONFIGS |= {"hybrid 0.6": {"mode": "hybrid", "dense_weight": 0.6}}


def test_the_sweep_chooses_on_the_worst_set_and_each_set_alone_on_its_own_score(tmp_path):
    squad, finance = finance_and_squad(tmp_path)
    scores = {
        ("256/48", 40, "hybrid 0.3"): scored(0.96, 0.50),  # today's default: best on squad, worst on finance
        ("256/48", 40, "hybrid 0.6"): scored(0.94, 0.80),
        ("256/48", 40, "dense"): scored(0.84, 0.92),  # the best worst set, but not hybrid
    }
    current, hybrid, dense = ("256/48", 40, "hybrid 0.3"), ("256/48", 40, "hybrid 0.6"), ("256/48", 40, "dense")

    # worst sets 0.50 / 0.80 / 0.84: hybrid 0.6 is within one standard error of 0.84 on 25 questions (0.073)
    assert _chosen(scores, [squad, finance], CONFIGS, current) == (hybrid, dense)
    assert _chosen(scores, [squad], CONFIGS, current) == (current, current)
    # finance-dev alone: dense 0.92, no hybrid within 0.054 of it, so the best hybrid one
    assert _chosen(scores, [finance], CONFIGS, current) == (hybrid, dense)


def test_a_configuration_not_measured_on_every_tuned_set_cannot_be_chosen(tmp_path):
    squad, finance = finance_and_squad(tmp_path)
    scores = {
        ("192/32", 40, "hybrid 0.6"): {"squad-public: all": {"hit@5": 0.99, "mrr@10": 0.9}},  # finance not re-ingested
        ("256/48", 40, "hybrid 0.3"): scored(0.95, 0.90),
    }

    assert _chosen(scores, [squad, finance], CONFIGS, ("256/48", 40, "hybrid 0.3"))[1] == ("256/48", 40, "hybrid 0.3")


def test_a_retriever_option_is_swept_by_one_line_crossed_with_every_configuration():
    configs = retriever_configs([("dense", {"mode": "dense"})], [("identity", (True, False)), ("candidates", (50,))])

    assert configs == {
        "dense, identity on, candidates 50": {"mode": "dense", "identity": True, "candidates": 50},
        "dense, identity off, candidates 50": {"mode": "dense", "identity": False, "candidates": 50},
    }


def test_a_store_is_named_by_its_chunking_and_each_reading_change(tmp_path):
    settings = bench_settings(tmp_path, folio_chunk_tokens=192, folio_chunk_overlap=32, folio_context_words=0)

    assert store_name(settings, ReadLimits.from_settings(settings)) == "192-32-c0"
    changed = bench_settings(tmp_path, folio_reader="pdfium")
    assert store_name(changed, ReadLimits(reader="pdfium", layout=False)).endswith("-reader=pdfium-layout=False")


class CountingEmbedder:
    """Vectors from the text's length; counts the texts it was asked to embed."""

    name, dim = "counting", 2

    def __init__(self):
        self.embedded = 0

    def embed(self, texts):
        self.embedded += len(texts)
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    def warm_up(self):
        pass


def test_tutorial_vectors_are_embedded_once_per_set_of_texts_and_a_stale_file_is_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv("FOLIO_BENCH_CACHE", str(tmp_path))
    embedder = CountingEmbedder()

    first, cached_first = cached_vectors("set/pipeline", ["a", "bb"], embedder)
    again, cached_again = cached_vectors("set/pipeline", ["a", "bb"], embedder)
    changed, cached_changed = cached_vectors("set/pipeline", ["a", "bbb"], embedder)

    assert (cached_first, cached_again, cached_changed) == (False, True, False)
    assert embedder.embedded == 4 and again.tolist() == first.tolist() and changed[1].tolist() == [3.0, 1.0]
    assert len(list((tmp_path / "embeddings" / "set").glob("pipeline-*.npy"))) == 1
