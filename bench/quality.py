"""Folio against the two tutorial pipelines, on every dataset, in one run: retrieval (page- and
document-level), answers, and the causes of Folio's misses. Each set is also reported by half of its
files (defaults are tuned on the first half; the second shows whether a choice generalises)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bench.baselines import langchain_tutorial, llamaindex_starter
from bench.datasets import Dataset
from bench.followups import follow_up_scores, load_follow_ups, topic_change_scores
from bench.misses import miss_causes
from bench.stores import open_library
from rag.evaluate import OFF_TOPIC, Question, evaluate_answers, evaluate_retrieval, split_files

COMPARE_K = 5  # every pipeline is also scored at this k, whatever its own (issue 27 compares at k=5)


def halves(dataset: Dataset, questions: list[Question]) -> dict[str, list[Question]]:
    """All questions, and those of each half of the files (a document-level row by its first file)."""
    tune, check = (set(files) for files in split_files(dataset.pdfs))
    return {
        "all": questions,
        "tune half": [q for q in questions if q.file in tune],
        "check half": [q for q in questions if q.file in check],
    }


def is_document_level(questions: list[Question]) -> bool:
    """A set whose rows name files, not pages: scored by doc hit and page hit, with no answer strings."""
    return bool(questions) and all(q.document_level for q in questions)


def headline(document_level: bool) -> list[tuple[str, str]]:
    """(column title, metric key) of a set's retrieval metrics, at k=5: page-level rows' or document-level rows'."""
    if document_level:
        return [("doc hit@1", "doc_hit@1"), ("doc hit@5", "doc_hit@5"), ("page hit@5", "page_hit@5"),
                ("doc MRR@10", "doc_mrr@10")]  # fmt: skip
    return [("hit@1", "hit@1"), ("hit@5", "hit@5"), ("MRR@10", "mrr@10"), ("doc hit@5", "doc_hit@5")]


def primary(document_level: bool) -> str:
    """The metric a set is tuned on: hit@5 (page-level), doc hit@5 (document-level)."""
    return "doc_hit@5" if document_level else "hit@5"


def cell(metrics: dict, key: str) -> str:
    return f"{metrics[key]:.3f}" if key in metrics else "n/a"


@dataclass
class Row:
    name: str
    chunks: int
    ingest: str  # seconds, or how the index was reused
    own: dict[str, dict]  # group → metrics at the pipeline's own k
    at_k: dict[str, dict]  # group → metrics at COMPARE_K


def quality_report(dataset: Dataset, limit: int | None) -> str:
    questions = dataset.load(limit)
    groups = halves(dataset, questions)
    document_level = is_document_level(questions)
    library = open_library(dataset)
    parts = library.parts
    k = parts.settings.folio_top_k

    def retrieve(question: str):
        return parts.retriever.retrieve(question, k).chunks

    s = parts.settings
    folio = {name: evaluate_retrieval(retrieve, qs) for name, qs in groups.items()}
    name = (
        f"**Folio** ({s.folio_retrieval}, dense weight {s.folio_dense_weight}, {s.folio_chunk_tokens}/"
        f"{s.folio_chunk_overlap} tokens, context {s.folio_context_words} words, k={k})"
    )
    rows = [Row(name, parts.store.count(), library.ingest_cell, folio, folio)]
    for build in (langchain_tutorial, llamaindex_starter):
        start = time.perf_counter()
        index = build(dataset.pdfs, parts.embedder)
        seconds = f"{time.perf_counter() - start:.1f}" + (" (vectors cached)" if index.cached else "")
        own = {group: evaluate_retrieval(index.retrieve, qs) for group, qs in groups.items()}
        at_k = {
            group: evaluate_retrieval(lambda q, i=index: i.retrieve(q, COMPARE_K), qs) for group, qs in groups.items()
        }
        rows.append(Row(f"{index.name} (k={index.k})", index.chunks, seconds, own, at_k))
    lines = [f"### {dataset.name}: {len(questions)} questions", ""]
    lines += _document_table(rows, groups) if document_level else _page_table(rows, groups)
    if not document_level:
        lines += _answers(parts, groups)
        lines += _follow_ups(parts, dataset, questions, k)
    misses = miss_causes(retrieve, questions, parts.store.all_chunks, k)
    kind = "page hit (evidence pages)" if document_level else "hit"
    lines += ["", f"Folio's misses ({kind}) at k={k} ({sum(misses.values())} of {len(questions)}), by first cause:", ""]
    lines += ["| cause | questions |", "|---|---|", *[f"| {c} | {n} |" for c, n in misses.most_common()], ""]
    lines += _comparisons(rows, document_level)
    return "\n".join(lines)


def _page_table(rows: list[Row], groups: dict[str, list[Question]]) -> list[str]:
    lines = [
        "| pipeline | chunks | ingest s | hit@1 | hit@k | MRR@10 | hit@5 at k=5 | doc hit@1 | doc hit@5 at k=5 "
        f"| hit@k, tune half ({len(groups['tune half'])} q) | hit@k, check half ({len(groups['check half'])} q) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        a, five = r.own["all"], r.at_k["all"]
        lines.append(
            f"| {r.name} | {r.chunks} | {r.ingest} | {a['hit@1']:.3f} | {a['hit@5']:.3f} | {a['mrr@10']:.3f} "
            f"| {five['hit@5']:.3f} | {a['doc_hit@1']:.3f} | {five['doc_hit@5']:.3f} "
            f"| {cell(r.own['tune half'], 'hit@5')} | {cell(r.own['check half'], 'hit@5')} |"
        )
    return lines


def _document_table(rows: list[Row], groups: dict[str, list[Question]]) -> list[str]:
    lines = [
        "Document-level rows: a doc hit is a chunk of the right filing, a page hit a chunk of it covering an evidence "
        f"page. Every pipeline at k={COMPARE_K}, and at its own k.",
        "",
        "| pipeline | chunks | ingest s | doc hit@1 | doc hit@5 | page hit@5 | doc MRR@10 | doc hit@k (own k) "
        f"| page hit@k (own k) | doc hit@5, tune half ({len(groups['tune half'])} q) "
        f"| doc hit@5, check half ({len(groups['check half'])} q) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        five, own = r.at_k["all"], r.own["all"]
        lines.append(
            f"| {r.name} | {r.chunks} | {r.ingest} | {five['doc_hit@1']:.3f} | {five['doc_hit@5']:.3f} "
            f"| {cell(five, 'page_hit@5')} | {five['doc_mrr@10']:.3f} | {own['doc_hit@5']:.3f} "
            f"| {cell(own, 'page_hit@5')} | {cell(r.at_k['tune half'], 'doc_hit@5')} "
            f"| {cell(r.at_k['check half'], 'doc_hit@5')} |"
        )
    return lines


def _answers(parts, groups: dict[str, list[Question]]) -> list[str]:
    answers = {name: evaluate_answers(parts.session, qs) for name, qs in groups.items() if name != "all" and qs}
    answers["all"] = _pooled(answers, groups)
    lines = [
        "",
        "Folio's offline answers (extractive, no LLM):",
        "",
        "| questions | answer holds gold | cites the gold page | first citation on the gold page | strict citation "
        "| answerable refused | off-topic refused |",
        "|---|---|---|---|---|---|---|",
    ]
    for group, a in answers.items():
        lines.append(
            f"| {group} | {a['answer_contains_gold']:.3f} | {a['page_exact_citation']:.3f} "
            f"| {a['first_citation_on_gold_page']:.3f} | {a['strict_citation']:.3f} | {a['answerable_refused']:.1%} "
            f"| {a['off_topic_refusal']:.0%} of {len(OFF_TOPIC)} |"
        )
    return lines


def _follow_ups(parts, dataset: Dataset, questions: list[Question], k: int) -> list[str]:
    pairs = load_follow_ups(dataset.root) if dataset.root else []
    lines = ["", ""]
    if pairs:
        f = follow_up_scores(parts.retriever, pairs, k)
        lines.append(
            f"Follow-ups (offline, `bench/data/follow-ups.jsonl`): {f['pairs']} two-turn pairs, hit@{k} of the "
            f"second question alone **{f['alone']:.3f}**, with the first turn's words **{f['with history']:.3f}** "
            f"(target ≥ 0.85; {f['leaning']} seen as leaning on the first). "
        )
    t = topic_change_scores(parts.retriever, questions, k)
    lines[-1] += (
        f"Change of topic (each question after one about another file): hit@{k} {t['alone']:.3f} alone, "
        f"{t['after another topic']:.3f} after ({t['leaning']} of {t['questions']} seen as leaning)."
    )
    return lines


def _comparisons(rows: list[Row], document_level: bool) -> list[str]:
    folio, lines = rows[0], []
    for r in rows[1:]:
        name = r.name.split(" (")[0]
        if document_level:
            a, b = folio.at_k["all"], r.at_k["all"]
            gaps = ", ".join(
                f"{title} {100 * (a[key] - b[key]):+.1f} points"
                for title, key in headline(True)[:3]
                if key in a and key in b
            )
            lines.append(f"- Folio vs {name}, both at k={COMPARE_K}: {gaps}")
            continue
        a, b, five = folio.own["all"], r.own["all"], r.at_k["all"]
        lines.append(
            f"- Folio vs {name}: hit@k {100 * (a['hit@5'] - b['hit@5']):+.1f} points "
            f"(at k={COMPARE_K}: {100 * (a['hit@5'] - five['hit@5']):+.1f}), "
            f"hit@1 {100 * (a['hit@1'] - b['hit@1']):+.1f} points, MRR ×{a['mrr@10'] / max(b['mrr@10'], 1e-9):.2f}"
        )
    return lines


def _pooled(by_half: dict[str, dict], groups: dict[str, list[Question]]) -> dict[str, float]:
    """The answer metrics of all questions from those of the two halves (each question is answered once)."""
    sizes = {name: len(groups[name]) for name in by_half}
    total = sum(sizes.values()) or 1
    first = next(iter(by_half.values()))
    pooled = {key: sum(m[key] * sizes[name] for name, m in by_half.items()) / total for key in first}
    pooled["off_topic_refusal"] = first["off_topic_refusal"]  # the same off-topic questions for each half
    return pooled


def quality_section(datasets: list[tuple[Dataset, int | None]]) -> str:
    parts = [
        "## Retrieval quality: every dataset, Folio and both tutorial pipelines in one run",
        "",
        "Same embedder (all-MiniLM-L6-v2 ONNX) for every pipeline. Page-level hit: a retrieved chunk from the gold "
        "file, on the gold page (or a page in `also_pages`), containing a gold answer. Doc hit: a chunk from the gold "
        "file. Page hit (document-level sets with `evidence_pages`): a chunk from the gold file covering an evidence "
        "page, no answer string needed. hit@k is at each pipeline's own k (Folio 5, LangChain 4, LlamaIndex 2), and "
        f"every pipeline is also scored at k={COMPARE_K}; MRR@10 over what each returns. Halves: the set's PDFs "
        "alternately in name order (`rag.evaluate.split_files`); defaults are tuned on the tune halves (all of "
        "squad-public), never on the check halves. Answers are scored on page-level sets only (document-level rows "
        "have no answer strings). Stores are kept between runs (`bench/stores.py`): an ingest shown as `reused` "
        "was done by an earlier run.",
    ]
    for dataset, limit in datasets:
        parts += ["", quality_report(dataset, limit)]
    return "\n".join(parts)
