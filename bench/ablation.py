"""What each real-document change is worth, on every dataset: the second reader (pdfium), the layout-aware
cleaning (table rows and fields kept, running headers/footers removed), the context line, and the sentence
splitter; and each side of hybrid retrieval. Each row turns one of them off; everything else stays at Folio's
defaults. A `retrieval_only` set (finance-dev: a 30-minute ingest) gets only the rows that need no new ingest."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path

from bench.datasets import Dataset
from bench.quality import cell, headline, is_document_level
from bench.stores import open_library
from ingest.pdf import ReadLimits, extract_pages
from rag.evaluate import Question, contains_answer, evaluate_retrieval
from rag.retrieve import Retriever
from rag.sentences import sentence_spans

# (name, settings changed, reading changed, Retriever keyword arguments changed): each undoes one change. Rows with
# no settings or reading change reuse the default store (a new Retriever option is ablated by one line here).
VARIANTS = [
    ("Folio's defaults", {}, {}, {}),
    ("pypdf only (no pdfium fallback)", {"folio_reader": "pypdf"}, {}, {}),
    ("pdfium only", {"folio_reader": "pdfium"}, {}, {}),
    ("old cleaning (lines joined, headers kept)", {}, {"layout": False}, {}),
    ("no context line", {"folio_context_words": 0}, {}, {}),
    ("no keyword side (dense only)", {}, {}, {"mode": "dense"}),
    ("no dense side (keyword only)", {}, {}, {"mode": "keyword"}),
    ("no document identity (the question's scope not searched first)", {}, {}, {"identity": False}),
]
# The splitter Folio used before Punkt, kept here as the baseline of the sentence ablation.
OLD_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n+")


def ablation_report(datasets: list[tuple[Dataset, int | None]]) -> str:
    lines = [
        "## Ablation: real-document changes, one off at a time",
        "",
        "Retrieval at k=5 with one change undone (page-level sets: hit@1 / hit@5 / MRR@10 / doc hit@5; "
        "document-level sets: doc hit@1 / doc hit@5 / page hit@5 / doc MRR@10); the reader rows also give "
        "extraction speed (all pages, OCR off) and how often a gold answer is found in the gold page's text at all.",
        "",
    ]
    for dataset, limit in datasets:
        lines += _dataset_ablation(dataset, dataset.load(limit))
    return "\n".join(lines)


def _dataset_ablation(dataset: Dataset, questions: list[Question]) -> list[str]:
    columns = headline(is_document_level(questions))
    variants = [v for v in VARIANTS if not dataset.retrieval_only or not (v[1] or v[2])]
    lines = [f"### {dataset.name} ({len(questions)} questions)", ""]
    if dataset.retrieval_only:
        skipped = ", ".join(v[0] for v in VARIANTS if v not in variants)
        lines += [f"Retrieval-time rows only (no re-ingest of this set's PDFs); not run: {skipped}.", ""]
    lines += [
        "| variant | " + " | ".join(title for title, _ in columns) + " | pages/s (extraction only) "
        "| gold answer in gold page text |",
        "|---|" + "---|" * len(columns) + "---|---|",
    ]
    default_texts: dict[tuple[str, int], str] = {}
    for name, overrides, reading, retrieval in variants:
        parts = open_library(dataset, reading, **overrides).parts
        retriever = Retriever(parts.store, parts.embedder, **retrieval) if retrieval else parts.retriever
        k = parts.settings.folio_top_k
        m = evaluate_retrieval(lambda q, r=retriever, k=k: r.retrieve(q, k).chunks, questions)
        if retrieval:
            speed, present = "(same reading)", "(same reading)"
        else:
            limits = replace(ReadLimits.from_settings(parts.settings), ocr=False, **reading)
            speed, present, texts = _extraction(dataset.pdfs, questions, limits)
            default_texts = default_texts or texts  # the first variant is Folio's defaults
        cells = " | ".join(cell(m, key) for _, key in columns)
        lines.append(f"| {name} | {cells} | {speed} | {present} |")
    if all(q.document_level for q in questions):
        return [*lines, ""]
    whole, old = _sentences_keep_answers(default_texts, questions)
    lines += [
        "",
        f"Sentence splitter: a gold answer lies inside one sentence of its gold page for {whole:.3f} of the "
        f"questions with Punkt (Folio), {old:.3f} with the regex Folio used before (splits after every "
        "'. X', so 'John F. Kennedy' and 'Brown v. Board' broke).",
        "",
    ]
    return lines


def _extraction(
    pdfs: Path, questions: list[Question], limits: ReadLimits
) -> tuple[str, str, dict[tuple[str, int], str]]:
    """Pages per second of extraction with these limits, the share of answers on the gold page, and the texts."""
    pages: dict[tuple[str, int], str] = {}
    count, start = 0, time.perf_counter()
    for pdf in sorted(pdfs.glob("*.pdf")):
        try:
            extracted = extract_pages(pdf.read_bytes(), limits)
        except Exception:  # a file this reader cannot read counts as pages without text
            continue
        count += extracted.page_count
        pages |= {(pdf.name, p.number): p.text for p in extracted.pages}
    seconds = time.perf_counter() - start
    paged = [q for q in questions if not q.document_level]
    found = sum(any(contains_answer(pages.get((q.file, n), ""), q.answers) for n in q.pages) for q in paged)
    share = f"{found / len(paged):.3f}" if paged else "n/a (no answer strings)"
    return f"{count / seconds:.0f}", share, pages


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
