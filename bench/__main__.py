"""`python -m bench WHAT [DATASET ...] [--limit N]`: measurements that decide Folio's defaults. DATASET: a set's
name (squad-public, real-docs, finance-dev, finance-more, formats, formats-pdf; all of them by default) or a folder
with `pdfs/` and `questions.jsonl`. Stores and tutorial embeddings are kept between runs under FOLIO_BENCH_CACHE
(default ~/.cache/folio-bench; bench/stores.py).

WHAT: quality: Folio vs the tutorial pipelines on every dataset in one run; sweep: the cross-dataset sweep behind
the retrieval defaults; ablation: each real-document change undone in turn; speed: throughput, latency at
10k/100k chunks, memory and cold start against same-run baselines; filings: ingest speed on real filings
(finance-dev, one per company) beside the encoder and the tutorials; formats: every format against its PDF
rendering; ocr: RapidOCR vs Tesseract on generated scans; abuse: memory and CPU of `folio serve` under
small-request attacks, against the same server idle; all: every one of them.
Each run prints its tables and replaces its own section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path

from bench.ablation import ablation_report
from bench.abuse import abuse_report
from bench.datasets import DATASETS, FINANCE_DEV, available, resolve
from bench.filings_speed import filings_speed_report
from bench.formats import formats_report
from bench.ocr import ocr_report
from bench.quality import quality_section
from bench.speed import speed_report
from bench.sweep import sweep_report

ROOT = Path(__file__).resolve().parent.parent


# The report's sections in reading order: headline first, then what decided the defaults, then speed.
SECTION_ORDER = (
    "Retrieval quality",
    "Default sweep",
    "Ablation",
    "Speed and memory",
    "Speed on real filings",
    "Formats",
    "Abuse",
    "OCR",
)


def _replace_section(document: str, section: str) -> str:
    """`document` with the section of the same `## ` title prefix replaced by `section`, sections in SECTION_ORDER."""
    head, *blocks = document.split("\n## ")
    by_title = {block.split(":")[0]: block for block in blocks}
    by_title[section.removeprefix("## ").split(":")[0]] = section.removeprefix("## ")
    ordered = sorted(by_title, key=lambda t: SECTION_ORDER.index(t) if t in SECTION_ORDER else len(SECTION_ORDER))
    return "\n## ".join([head.rstrip() + "\n", *(by_title[t].rstrip() + "\n" for t in ordered)]).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    what = ["quality", "sweep", "ablation", "speed", "filings", "formats", "ocr", "abuse", "all"]
    parser.add_argument("what", choices=what)
    parser.add_argument("datasets", nargs="*", help="set names or folders (default: every set whose files exist)")
    parser.add_argument("--limit", type=int, default=None, help="questions per dataset at most (evenly spread)")
    args = parser.parse_args()
    chosen = [resolve(name) for name in args.datasets] or available(DATASETS)
    datasets = [(dataset, args.limit) for dataset in chosen]
    sections = []
    if args.what in ("quality", "all"):
        sections.append(quality_section(datasets))
    if args.what in ("sweep", "all"):
        sections.append(sweep_report(datasets))
    if args.what in ("ablation", "all"):
        sections.append(ablation_report(datasets))
    if args.what in ("speed", "all"):
        sections.append(speed_report(next(d.root for d in chosen if d.root)))
    if args.what in ("filings", "all"):
        sections.append(filings_speed_report(FINANCE_DEV / "pdfs"))
    if args.what in ("formats", "all"):
        sections.append(formats_report())
    if args.what in ("abuse", "all"):
        sections.append(abuse_report())
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
