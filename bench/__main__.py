"""`python -m bench {quality,sweep,speed,ocr,all} [DATASET] [--limit N]`: measurements that decide Folio's defaults.

quality: Folio vs the tutorial pipelines in one run; sweep: the sweep behind the retrieval defaults;
speed: throughput, latency at 10k/100k chunks, memory and cold start against same-run baselines;
ocr: RapidOCR vs Tesseract on generated scans.
Each run prints its tables and replaces its own section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from bench.baselines import langchain_tutorial, llamaindex_starter
from bench.misses import miss_causes
from bench.ocr import ocr_report
from bench.speed import speed_report
from bench.sweep import sweep_report
from ingest import ingest_paths
from rag import Settings, open_components
from rag.evaluate import OFF_TOPIC, evaluate_answers, evaluate_retrieval, load_questions

ROOT = Path(__file__).resolve().parent.parent


def quality(dataset: Path, limit: int | None) -> str:
    questions = load_questions(dataset, limit)
    rows = []
    with tempfile.TemporaryDirectory(prefix="folio-bench-") as tmp:
        settings = Settings(_env_file=None, folio_data_dir=Path(tmp), chroma_host=None)
        parts = open_components(settings)
        start = time.perf_counter()
        ingest_paths(
            [dataset / "pdfs"], parts.store, parts.embedder, settings.folio_chunk_tokens, settings.folio_chunk_overlap
        )
        folio_seconds = time.perf_counter() - start
        k = settings.folio_top_k
        folio = evaluate_retrieval(lambda q: parts.retriever.retrieve(q, k).chunks, questions)
        answers = evaluate_answers(parts.session, questions)
        misses = miss_causes(lambda q: parts.retriever.retrieve(q, k).chunks, questions, parts.store.all_chunks(), k)
        rows.append(
            (
                f"Folio (hybrid, {settings.folio_chunk_tokens}/{settings.folio_chunk_overlap} tokens, k={k})",
                parts.store.count(),
                folio_seconds,
                folio,
            )
        )
        for build in (langchain_tutorial, llamaindex_starter):
            start = time.perf_counter()
            index = build(dataset / "pdfs", parts.embedder)
            seconds = time.perf_counter() - start
            rows.append(
                (f"{index.name} (k={index.k})", index.chunks, seconds, evaluate_retrieval(index.retrieve, questions))
            )
    lines = [
        f"## Retrieval quality: {dataset.name}, {len(questions)} questions",
        "",
        "Same embedder (all-MiniLM-L6-v2 ONNX) for every pipeline; hit = a retrieved chunk from the gold file,",
        "on the gold page, containing a gold answer. Ratios are Folio / baseline, from this run.",
        "",
        "hit@k is at each pipeline's own k (Folio: hit@5); MRR@10 is over what each returns (baselines: k results).",
        "",
        "| pipeline | chunks | ingest s | hit@1 | hit@k | MRR@10 | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, chunks, seconds, m in rows:
        lines.append(
            f"| {name} | {chunks} | {seconds:.1f} | {m['hit@1']:.3f} | {m['hit@5']:.3f} | {m['mrr@10']:.3f} "
            f"| {m['p50_ms']:.1f} | {m['p95_ms']:.1f} |"
        )
    lines += [
        "",
        f"Folio's answers, offline extractive mode (no LLM), same questions: gold answer in the answer "
        f"{answers['answer_contains_gold']:.3f}; page-exact citation {answers['page_exact_citation']:.3f} "
        f"(target ≥ 0.95); {len(OFF_TOPIC)} off-topic questions refused {answers['off_topic_refusal']:.0%}.",
        f"Targets: hit@5 ≥ 0.97 (Folio {folio['hit@5']:.3f}), MRR@10 ≥ 0.85 ({folio['mrr@10']:.3f}), "
        f"+10 points of hit@1 over the LangChain tutorial.",
        "",
        f"Folio's misses at k={k} ({sum(misses.values())} of {len(questions)} questions), by first cause:",
        "",
        "| cause | questions |",
        "|---|---|",
        *[f"| {cause} | {n} |" for cause, n in misses.most_common()],
        "",
    ]
    for name, _, _, m in rows[1:]:
        lines.append(
            f"- Folio / {name}: hit@1 ×{folio['hit@1'] / max(m['hit@1'], 1e-9):.2f} "
            f"({100 * (folio['hit@1'] - m['hit@1']):+.1f} points), MRR ×{folio['mrr@10'] / max(m['mrr@10'], 1e-9):.2f}"
        )
    return "\n".join(lines)


# The report's sections in reading order: headline first, then what decided the defaults, then speed.
SECTION_ORDER = ("Retrieval quality", "Default sweep", "Speed and memory", "OCR")


def _replace_section(document: str, section: str) -> str:
    """`document` with the section of the same `## ` title prefix replaced by `section`, sections in SECTION_ORDER."""
    head, *blocks = document.split("\n## ")
    by_title = {block.split(":")[0]: block for block in blocks}
    by_title[section.removeprefix("## ").split(":")[0]] = section.removeprefix("## ")
    ordered = sorted(by_title, key=lambda t: SECTION_ORDER.index(t) if t in SECTION_ORDER else len(SECTION_ORDER))
    return "\n## ".join([head.rstrip() + "\n", *(by_title[t].rstrip() + "\n" for t in ordered)]).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("what", choices=["quality", "sweep", "speed", "ocr", "all"])
    parser.add_argument("dataset", nargs="?", type=Path, default=ROOT.parent / "shared" / "eval" / "squad-public")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    sections = []
    if args.what in ("quality", "all"):
        sections.append(quality(args.dataset, args.limit))
    if args.what in ("sweep", "all"):
        sections.append(sweep_report(args.dataset, args.limit))
    if args.what in ("speed", "all"):
        sections.append(speed_report(args.dataset))
    if args.what in ("ocr", "all"):
        sections.append(ocr_report())
    target = ROOT / "docs" / "benchmarks.md"
    document = target.read_text() if target.exists() else ""
    if not document.startswith("# Folio benchmarks"):
        document = (
            f"# Folio benchmarks\n\nMachine: {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}. Reproduce: `uv run python -m bench all --limit 600`.\n"
        )
    for section in sections:
        document = _replace_section(document, section)
        print(section)
    target.write_text(document)


if __name__ == "__main__":
    main()
