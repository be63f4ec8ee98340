"""`python -m bench formats`: retrieval and citations per format (issue 30), on bench/data/formats' containers
against the same questions asked of each file's PDF rendering, in one run.

hit@5: a chunk of the gold file in the gold unit (a section, chapter, slide or block of rows, as the readers number
them; a page of the PDF rendering) holding a gold answer. Cites: one of the offline answer's cited sources is that
unit; first citation: the first one is. Target (issue 30): each format within 3 points of its PDF rendering,
citations of the right unit ≥ 0.95.

Ingest speed per format: each file ingested alone into a new store (the model loaded before any clock starts),
beside the bare encoder on the same chunks; no format slower than PDF.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.datasets import FORMATS, resolve
from bench.stores import open_library
from ingest import Ingestor
from rag import Settings, open_components
from rag.evaluate import Question, contains_answer, first_hit_rank, on_gold_page, read_questions
from rag.store import embedded_text

K = 5


def _scored(name: str, questions: list[Question]) -> list[tuple[bool, bool, bool, bool]]:
    """Per question: hit@5, the offline answer citing the gold unit, its first citation on it, the answer holding a
    gold answer."""
    parts = open_library(resolve(name)).parts
    scored = []
    for q in questions:
        rank = first_hit_rank(parts.retriever.retrieve(q.question, K).chunks[: 2 * K], q)
        answer = parts.session().answer(q.question)
        cites = any(on_gold_page(source, q) for source in answer.cited_sources)
        first = bool(answer.cited_sources) and on_gold_page(answer.cited_sources[0], q)
        scored.append((rank is not None and rank <= K, cites, first, contains_answer(answer.text, q.answers)))
    return scored


def _ingest_rows() -> list[str]:
    """Per format: units and chunks per second of Folio's ingest, and its throughput against the bare encoder."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0, 0])  # ingest s, encoder s, units, chunks
    with tempfile.TemporaryDirectory() as tmp:
        parts = open_components(Settings(_env_file=None, folio_data_dir=Path(tmp)))
        parts.embedder.embed(["warm up"])
        ingestor = Ingestor.of(parts)
        files = sorted((FORMATS / "formats" / "pdfs").iterdir()) + sorted((FORMATS / "formats-pdf" / "pdfs").iterdir())
        for path in files:
            start = time.perf_counter()
            result = ingestor.file(path.name, path.read_bytes(), path=path)
            ingest_s = time.perf_counter() - start
            assert result.status == "ingested", result
            texts = [embedded_text(c.meta.context, c.text) for c in parts.store.all_chunks() if c.source == path.name]
            start = time.perf_counter()
            parts.embedder.embed(texts)
            total = totals[path.suffix.lstrip(".")]
            total[0] += ingest_s
            total[1] += time.perf_counter() - start
            total[2] += result.pages
            total[3] += result.chunks
    return [
        f"| {kind} | {units:.0f} | {chunks:.0f} | {units / seconds:.1f} | {chunks / seconds:.1f} "
        f"| ×{encoder / seconds:.2f} |"
        for kind, (seconds, encoder, units, chunks) in sorted(totals.items())
    ]


def formats_report() -> str:
    kinds = [json.loads(line)["format"] for line in (FORMATS / "formats" / "questions.jsonl").read_text().splitlines()]
    containers = read_questions(FORMATS / "formats" / "questions.jsonl")
    renderings = read_questions(FORMATS / "formats-pdf" / "questions.jsonl")
    assert len(kinds) == len(containers) == len(renderings), "the two question files are kept in step"
    by_format: dict[str, list[int]] = defaultdict(list)
    for index, kind in enumerate(kinds):
        by_format[kind].append(index)
    native, pdf = _scored("formats", containers), _scored("formats-pdf", renderings)
    rows = []
    for kind, indexes in [*sorted(by_format.items()), ("all", list(range(len(kinds))))]:
        mine, theirs = ([scores[i] for i in indexes] for scores in (native, pdf))
        share = [[sum(s[m] for s in group) / len(group) for m in range(4)] for group in (mine, theirs)]
        (hit, cites, first, holds), (pdf_hit, pdf_cites, pdf_first, pdf_holds) = share
        rows.append(
            f"| {kind} | {len(indexes)} | {hit:.3f} | {pdf_hit:.3f} | {(hit - pdf_hit) * 100:+.1f} "
            f"| {cites:.3f} | {pdf_cites:.3f} | {first:.3f} | {pdf_first:.3f} | {holds:.3f} | {pdf_holds:.3f} |"
        )
    return "\n".join(
        [
            "## Formats: every format against the same content as PDF",
            "",
            f"Reproduce: `uv run python -m bench formats`. {__doc__.split(chr(10) + chr(10))[1].replace(chr(10), ' ')}",
            "",
            "| format | questions | hit@5 | hit@5 as PDF | points | cites the gold unit | as PDF "
            "| first citation on the gold unit | as PDF | answer holds gold | as PDF |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            "| format | units (pages, sections, slides, row blocks) | chunks | units/s | chunks/s | × bare encoder |",
            "|---|---|---|---|---|---|",
            *_ingest_rows(),
        ]
    )
