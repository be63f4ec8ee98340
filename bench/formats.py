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

import argparse
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.datasets import FORMATS, resolve
from bench.stores import open_library
from ingest import Ingestor
from rag import Settings, open_components
from rag.answer import Answer
from rag.evaluate import Question, contains_answer, first_hit_rank, is_hit, on_gold_page, read_questions
from rag.store import StoredChunk, embedded_text

K = 5


def _scored(
    name: str, questions: list[Question], misses: list[dict] | None = None
) -> list[tuple[bool, bool, bool, bool]]:
    """Per question: hit@5, the offline answer citing the gold unit, its first citation on it, the answer holding a
    gold answer. Each question whose answer cites no gold unit is added to `misses` (`_miss`), when given."""
    parts = open_library(resolve(name)).parts
    scored = []
    for q in questions:
        chunks = parts.retriever.retrieve(q.question, K).chunks[: 2 * K]
        rank = first_hit_rank(chunks, q)
        answer = parts.session().answer(q.question)
        cites = any(on_gold_page(source, q) for source in answer.cited_sources)
        first = bool(answer.cited_sources) and on_gold_page(answer.cited_sources[0], q)
        scored.append((rank is not None and rank <= K, cites, first, contains_answer(answer.text, q.answers)))
        if misses is not None and not cites:
            misses.append(_miss(name, q, chunks, answer))
    return scored


def _miss(name: str, q: Question, chunks: list[StoredChunk], answer: Answer) -> dict:
    """What a missed question looked like: the gold unit, the retrieved chunks by rank (their file, unit span and
    whether each is a hit), the sources the answer was given and what it quoted and cited."""
    return {
        "set": name,
        "question": q.question,
        "answers": q.answers,
        "gold": {"file": q.file, "units": sorted(q.pages)},
        "retrieved": [
            f"{rank}. {c.source} {c.pages[0]}-{c.pages[1]}{' HIT' if is_hit(c, q) else ''}"
            for rank, c in enumerate(chunks, start=1)
        ],
        "sources": [
            f"[{s.n}] {s.source} {s.page_start}-{s.page_end} ({s.pages_label}){' GOLD' if on_gold_page(s, q) else ''}"
            for s in answer.sources
        ],
        "cited": answer.cited,
        "answer": answer.text,
    }


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


def formats_report(misses: Path | None = None, speed: bool = True) -> str:
    """The section of docs/benchmarks.md; with `misses`, every question whose answer cites no gold unit is written
    there (a JSON line each) to see why; without `speed`, no ingest speed table (the scores alone, in minutes)."""
    kinds = [json.loads(line)["format"] for line in (FORMATS / "formats" / "questions.jsonl").read_text().splitlines()]
    containers = read_questions(FORMATS / "formats" / "questions.jsonl")
    renderings = read_questions(FORMATS / "formats-pdf" / "questions.jsonl")
    assert len(kinds) == len(containers) == len(renderings), "the two question files are kept in step"
    by_format: dict[str, list[int]] = defaultdict(list)
    for index, kind in enumerate(kinds):
        by_format[kind].append(index)
    missed: list[dict] = []
    native, pdf = _scored("formats", containers, missed), _scored("formats-pdf", renderings, missed)
    if misses:
        kind_of = {q.question: kind for q, kind in zip(containers, kinds, strict=True)}
        misses.write_text("".join(json.dumps({"format": kind_of[m["question"]]} | m) + "\n" for m in missed))
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
            *(
                [
                    "| format | units (pages, sections, slides, row blocks) | chunks | units/s | chunks/s "
                    "| × bare encoder |",
                    "|---|---|---|---|---|---|",
                    *_ingest_rows(),
                ]
                if speed
                else []
            ),
        ]
    )


def main() -> None:
    """`python -m bench.formats [--misses FILE]`: the scores table alone, printed (docs/benchmarks.md untouched),
    and the questions whose answer cites no gold unit written to FILE, to debug a reader or the answer."""
    parser = argparse.ArgumentParser(prog="python -m bench.formats")
    parser.add_argument("--misses", type=Path, default=Path(tempfile.gettempdir()) / "folio-formats-misses.jsonl")
    args = parser.parse_args()
    print(formats_report(args.misses, speed=False))
    print(f"misses: {args.misses}")


if __name__ == "__main__":
    main()
