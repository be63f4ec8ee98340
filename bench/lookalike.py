"""`python -m bench.lookalike [--reading JSON] SETS CONFIG [CONFIG ...]`: retrieval-time settings of `Retriever` on
the bench stores.

SETS: comma-separated set names (squad-public 600 questions, as the bench samples it); CONFIG: a JSON object of
`Retriever` keyword arguments (`'{}'` for the defaults, `'{"heading_weight": 0, "scoped_candidates": 20}'`);
`--reading`: ReadLimits fields for the stores (`'{"reader": "pypdf"}'`: stores read by pypdf alone, kept beside the
default ones). Each
line: the set's metrics at k=5 and its tune / check halves (rag.evaluate.split_files) on page hit@5 or hit@5.
The stores are the bench's (bench.stores, kept under FOLIO_BENCH_CACHE); only files not stored yet are ingested,
so on a warm cache this is query-only (finance-dev's ingest takes 30 to 75 minutes on 2 loaded cores).
"""

from __future__ import annotations

import json
import sys

from bench.datasets import DATASETS
from bench.stores import open_library
from rag.evaluate import evaluate_retrieval, split_files
from rag.retrieve import Retriever

K = 5
SQUAD_SAMPLE = 600  # what `bench quality --limit 600` measures


def measure(names: list[str], configs: list[dict], reading: dict | None = None) -> None:
    for dataset in [d for d in DATASETS if d.name in names]:
        parts = open_library(dataset, reading).parts
        questions = dataset.load(SQUAD_SAMPLE if dataset.name == "squad-public" else None)
        tune, check = (set(half) for half in split_files(dataset.pdfs))
        halves = {
            "all": questions,
            "tune": [q for q in questions if (q.files or (q.file,))[0] in tune],
            "check": [q for q in questions if (q.files or (q.file,))[0] in check],
        }
        for config in configs:
            print(_line(dataset.name, config, Retriever(parts.store, parts.embedder, **config), halves), flush=True)


METRICS = ("doc_hit@1", "doc_hit@5", "page_hit@5", "hit@1", "hit@5")


def _line(name: str, config: dict, retriever: Retriever, halves: dict) -> str:
    got = {half: evaluate_retrieval(lambda q: retriever.retrieve(q, K).chunks, qs) for half, qs in halves.items()}
    whole = got["all"]
    key = "page_hit@5" if "page_hit@5" in whole else "hit@5"
    shown = " ".join(f"{m} {whole[m]:.3f}" for m in METRICS if m in whole)
    tune, check = (got[half].get(key, 0.0) for half in ("tune", "check"))
    return f"{name} {json.dumps(config)} n={whole['questions']} {shown} | {key} tune {tune:.3f} check {check:.3f}"


if __name__ == "__main__":
    arguments = sys.argv[1:]
    reading = json.loads(arguments.pop(1)) if arguments[:1] == ["--reading"] and len(arguments) > 1 else None
    if reading is not None:
        arguments.pop(0)
    if len(arguments) < 2:
        sys.exit(__doc__)
    measure(arguments[0].split(","), [json.loads(c) for c in arguments[1:]], reading)
