"""Folio against the two tutorial pipelines, on every dataset, in one run: retrieval (page- and
document-level), answers, and the causes of Folio's misses. Real-docs is also reported by half of its
files (defaults are tuned on the first half; the second shows whether a choice generalises)."""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.baselines import langchain_tutorial, llamaindex_starter
from bench.followups import follow_up_scores, load_follow_ups, topic_change_scores
from bench.misses import miss_causes
from ingest import Ingestor, ReadLimits
from rag import Components, Settings, open_components
from rag.evaluate import OFF_TOPIC, Question, evaluate_answers, evaluate_retrieval, load_questions, split_files

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"


def bench_settings(data_dir: Path, **overrides) -> Settings:
    """Folio's defaults (no .env, embedded store) with `overrides`, storing under `data_dir`."""
    return Settings(_env_file=None, folio_data_dir=data_dir, chroma_host=None, **overrides)


def ingest_dataset(dataset: Path, settings: Settings, **reading) -> tuple[Components, float]:
    """The dataset's PDFs ingested with `settings` (and `reading` changes to its ReadLimits); the components and
    the seconds the ingest took."""
    parts = open_components(settings)
    start = time.perf_counter()
    limits = replace(ReadLimits.from_settings(settings), **reading)
    Ingestor(parts.store, parts.embedder, settings, limits).folders([dataset / "pdfs"])
    return parts, time.perf_counter() - start


def halves(dataset: Path, questions: list[Question]) -> dict[str, list[Question]]:
    """All questions, and those of each half of the files."""
    tune, check = (set(files) for files in split_files(dataset / "pdfs"))
    return {
        "all": questions,
        "tune half": [q for q in questions if q.file in tune],
        "check half": [q for q in questions if q.file in check],
    }


def quality_report(dataset: Path, limit: int | None) -> str:
    questions = load_questions(dataset, limit)
    groups = halves(dataset, questions)
    rows = []
    with tempfile.TemporaryDirectory(prefix="folio-bench-") as tmp:
        settings = bench_settings(Path(tmp))
        parts, seconds = ingest_dataset(dataset, settings)
        k = settings.folio_top_k

        def retrieve(question: str):
            return parts.retriever.retrieve(question, k).chunks

        folio = {name: evaluate_retrieval(retrieve, qs) for name, qs in groups.items()}
        answers = {name: evaluate_answers(parts.session, qs) for name, qs in groups.items() if name != "all"}
        answers["all"] = _pooled(answers, groups)
        misses = miss_causes(retrieve, questions, parts.store.all_chunks(), k)
        follow_ups = follow_up_scores(parts.retriever, load_follow_ups(dataset), k)
        topic_change = topic_change_scores(parts.retriever, questions, k)
        name = (
            f"**Folio** ({settings.folio_retrieval}, dense weight {settings.folio_dense_weight}, "
            f"{settings.folio_chunk_tokens}/{settings.folio_chunk_overlap} tokens, "
            f"context {settings.folio_context_words} words, k={k})"
        )
        rows.append((name, parts.store.count(), seconds, folio))
        for build in (langchain_tutorial, llamaindex_starter):
            start = time.perf_counter()
            index = build(dataset / "pdfs", parts.embedder)
            seconds = time.perf_counter() - start
            scores = {name: evaluate_retrieval(index.retrieve, qs) for name, qs in groups.items()}
            rows.append((f"{index.name} (k={index.k})", index.chunks, seconds, scores))
    lines = [
        f"### {dataset.name}: {len(questions)} questions",
        "",
        "| pipeline | chunks | ingest s | hit@1 | hit@k | MRR@10 | doc hit@1 | doc hit@5 | hit@k, tune half "
        f"({len(groups['tune half'])} q) | hit@k, check half ({len(groups['check half'])} q) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, chunks, seconds, m in rows:
        a = m["all"]
        lines.append(
            f"| {name} | {chunks} | {seconds:.1f} | {a['hit@1']:.3f} | {a['hit@5']:.3f} | {a['mrr@10']:.3f} "
            f"| {a['doc_hit@1']:.3f} | {a['doc_hit@5']:.3f} | {m['tune half']['hit@5']:.3f} "
            f"| {m['check half']['hit@5']:.3f} |"
        )
    lines += [
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
    lines += [
        "",
        f"Follow-ups (offline, `bench/data/follow-ups.jsonl`): {follow_ups['pairs']} two-turn pairs, hit@{k} of the "
        f"second question alone **{follow_ups['alone']:.3f}**, with the first turn's words "
        f"**{follow_ups['with history']:.3f}** (target ≥ 0.85; {follow_ups['leaning']} seen as leaning on the first). "
        f"Change of topic (each question after one about another file): hit@{k} {topic_change['alone']:.3f} alone, "
        f"{topic_change['after another topic']:.3f} after ({topic_change['leaning']} of "
        f"{topic_change['questions']} seen as leaning).",
    ]
    folio = rows[0][3]["all"]
    lines += ["", f"Folio's misses at k={k} ({sum(misses.values())} of {len(questions)}), by first cause:", ""]
    lines += ["| cause | questions |", "|---|---|", *[f"| {c} | {n} |" for c, n in misses.most_common()], ""]
    for name, _, _, m in rows[1:]:
        other = m["all"]
        lines.append(
            f"- Folio vs {name.split(' (')[0]}: hit@k {100 * (folio['hit@5'] - other['hit@5']):+.1f} points, "
            f"hit@1 {100 * (folio['hit@1'] - other['hit@1']):+.1f} points, "
            f"MRR ×{folio['mrr@10'] / max(other['mrr@10'], 1e-9):.2f}"
        )
    return "\n".join(lines)


def _pooled(by_half: dict[str, dict], groups: dict[str, list[Question]]) -> dict[str, float]:
    """The answer metrics of all questions from those of the two halves (each question is answered once)."""
    sizes = {name: len(groups[name]) for name in by_half}
    total = sum(sizes.values()) or 1
    first = next(iter(by_half.values()))
    pooled = {key: sum(m[key] * sizes[name] for name, m in by_half.items()) / total for key in first}
    pooled["off_topic_refusal"] = first["off_topic_refusal"]  # the same off-topic questions for each half
    return pooled


def quality_section(datasets: list[tuple[Path, int | None]]) -> str:
    parts = [
        "## Retrieval quality: every dataset, Folio and both tutorial pipelines in one run",
        "",
        "Same embedder (all-MiniLM-L6-v2 ONNX) for every pipeline. Page-level hit: a retrieved chunk from the gold "
        "file, on the gold page (or a page in `also_pages`), containing a gold answer. Doc hit: a chunk from the gold "
        "file. hit@k is at each pipeline's own k (Folio 5, LangChain 4, LlamaIndex 2); MRR@10 over what each returns. "
        "Halves: the dataset's PDFs alternately in name order (`rag.evaluate.split_files`); defaults were tuned on "
        "the tune half of real-docs and on squad-public, never on the check half.",
    ]
    for dataset, limit in datasets:
        parts += ["", quality_report(dataset, limit)]
    return "\n".join(parts)
