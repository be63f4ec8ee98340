"""What each real-document change is worth, on every dataset: the second reader (pdfium), the layout-aware
cleaning (table rows and fields kept, running headers/footers removed), the context line, and the sentence
splitter. Each row turns one of them off; everything else stays at Folio's defaults."""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.quality import bench_settings, ingest_dataset
from ingest.pdf import ReadLimits, extract_pages
from rag.evaluate import Question, contains_answer, evaluate_retrieval, load_questions
from rag.sentences import sentence_spans

# (name, settings changed, reading changed): each undoes one change
VARIANTS = [
    ("Folio's defaults", {}, {}),
    ("pypdf only (no pdfium fallback)", {"folio_reader": "pypdf"}, {}),
    ("pdfium only", {"folio_reader": "pdfium"}, {}),
    ("old cleaning (lines joined, headers kept)", {}, {"layout": False}),
    ("no context line", {"folio_context_words": 0}, {}),
]
# The splitter Folio used before Punkt, kept here as the baseline of the sentence ablation.
OLD_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n+")


def ablation_report(datasets: list[tuple[Path, int | None]]) -> str:
    lines = [
        "## Ablation: real-document changes, one off at a time",
        "",
        "Retrieval hit@1 / hit@5 / MRR@10 (page-level, k=5) with one change undone; the reader rows also give "
        "extraction speed (all pages, OCR off) and how often a gold answer is found in the gold page's text at all.",
        "",
    ]
    for dataset, limit in datasets:
        questions = load_questions(dataset, limit)
        lines += [
            f"### {dataset.name} ({len(questions)} questions)",
            "",
            "| variant | hit@1 | hit@5 | MRR@10 | doc hit@5 | pages/s (extraction only) "
            "| gold answer in gold page text |",
            "|---|---|---|---|---|---|---|",
        ]
        default_texts: dict[tuple[str, int], str] = {}
        for name, overrides, reading in VARIANTS:
            with tempfile.TemporaryDirectory(prefix="folio-ablation-") as tmp:
                settings = bench_settings(Path(tmp), **overrides)
                parts, _ = ingest_dataset(dataset, settings, **reading)
                k = settings.folio_top_k
                m = evaluate_retrieval(lambda q, p=parts, k=k: p.retriever.retrieve(q, k).chunks, questions)
                limits = replace(ReadLimits.from_settings(settings), ocr=False, **reading)
            speed, present, texts = _extraction(dataset, questions, limits)
            default_texts = default_texts or texts  # the first variant is Folio's defaults
            lines.append(
                f"| {name} | {m['hit@1']:.3f} | {m['hit@5']:.3f} | {m['mrr@10']:.3f} | {m['doc_hit@5']:.3f} "
                f"| {speed} | {present} |"
            )
        whole, old = _sentences_keep_answers(default_texts, questions)
        lines += [
            "",
            f"Sentence splitter: a gold answer lies inside one sentence of its gold page for {whole:.3f} of the "
            f"questions with Punkt (Folio), {old:.3f} with the regex Folio used before (splits after every "
            "'. X', so 'John F. Kennedy' and 'Brown v. Board' broke).",
            "",
        ]
    return "\n".join(lines)


def _extraction(
    dataset: Path, questions: list[Question], limits: ReadLimits
) -> tuple[str, str, dict[tuple[str, int], str]]:
    """Pages per second of extraction with these limits, the share of answers on the gold page, and the texts."""
    pages: dict[tuple[str, int], str] = {}
    count, start = 0, time.perf_counter()
    for pdf in sorted((dataset / "pdfs").glob("*.pdf")):
        try:
            extracted = extract_pages(pdf.read_bytes(), limits)
        except Exception:  # a file this reader cannot read counts as pages without text
            continue
        count += extracted.page_count
        pages |= {(pdf.name, p.number): p.text for p in extracted.pages}
    seconds = time.perf_counter() - start
    paged = [q for q in questions if not q.document_level]
    found = sum(any(contains_answer(pages.get((q.file, n), ""), q.answers) for n in q.pages) for q in paged)
    return f"{count / seconds:.0f}", f"{found / max(1, len(paged)):.3f}", pages


def _sentences_keep_answers(texts: dict[tuple[str, int], str], questions: list[Question]) -> tuple[float, float]:
    """Share of questions whose answer lies inside one sentence of the gold page (`texts`: (file, page) → text):
    Punkt, then the old regex."""
    paged = [q for q in questions if not q.document_level]
    new = old = 0
    for q in paged:
        page_texts = [texts.get((q.file, n), "") for n in q.pages]
        new += any(contains_answer(t[a:b], q.answers) for t in page_texts for a, b in sentence_spans(t))
        old += any(contains_answer(s, q.answers) for t in page_texts for s in OLD_SENTENCE_END.split(t))
    n = max(1, len(paged))
    return new / n, old / n
