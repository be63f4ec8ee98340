"""The sweep behind Folio's retrieval defaults, run on every dataset at once: chunk size × context line ×
retriever configuration (mode, dense weight, and any option in RETRIEVER_OPTIONS), then the relevance threshold.
One store per (PDF folder, chunking, context), kept between runs (bench.stores); a set marked `retrieval_only`
(finance-dev: a 30-minute ingest) is swept over retriever configurations on Folio's default chunking only.

Rule: a set's score is its primary metric (hit@5 for page-level sets, doc hit@5 for document-level ones) on its
tune half (on all of squad-public); a configuration's score is the worst of the sets' scores (the worst set's
MRR@10 breaks ties), so a default must hold on every kind of library; the check halves are reported beside it and
never chosen on. Only configurations measured on every set can be chosen. Among those within one standard error
of the best score, only hybrid ones are eligible (the held-out filings showed each single signal failing: keyword
retrieval on boilerplate shared by many documents, dense retrieval is the weakest mode on both public page-level
sets); the current defaults stay if eligible, else the best eligible one is chosen (the best hybrid one when none
is within the error: the report then shows how far the best single signal is ahead). Each set's own choice, by the
same rule on its score alone, is reported too.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from bench.datasets import Dataset
from bench.quality import halves, is_document_level, primary
from bench.stores import bench_settings, open_library
from rag.answer import ChatSession
from rag.evaluate import OFF_TOPIC, Question, evaluate_retrieval
from rag.retrieve import Retriever

CHUNKINGS = [(192, 32), (256, 48)]
CONTEXTS = [0, 24, 40, 64]
# Retriever configurations, each (label, rag.retrieve.Retriever keyword arguments); all are swept on every store.
RETRIEVALS: list[tuple[str, dict]] = [
    ("dense", {"mode": "dense"}),
    ("keyword", {"mode": "keyword"}),
    *((f"hybrid {w}", {"mode": "hybrid", "dense_weight": w}) for w in (0.3, 0.4, 0.5, 0.6, 0.7)),
]
# Retriever options crossed with every configuration above: to sweep a new Retriever keyword argument, add one
# line (name, values), e.g. ("identity", (True, False)). The current default is the Retriever's own default.
RETRIEVER_OPTIONS: list[tuple[str, tuple]] = [("identity", (True, False))]  # the question's scope first (rag.identity)
TUNE_ON_ALL = {"squad-public"}  # sets tuned on all their questions (no halves)
TOP_K = 5  # the retriever returns 2k chunks, so MRR@10 is over 10
THRESHOLDS = [0.20, 0.25, 0.30, 0.35, 0.40, 0.45]
MAX_ANSWERABLE_REFUSED = 0.02  # a refused answerable question costs a rephrase

Key = tuple[str, int, str]  # (chunking, context words, retriever configuration)


def retriever_configs(
    retrievals: list[tuple[str, dict]] = RETRIEVALS, options: list[tuple[str, tuple]] = RETRIEVER_OPTIONS
) -> dict[str, dict]:
    """Every retriever configuration swept: `retrievals` crossed with `options`."""
    configs = dict(retrievals)
    for option, values in options:
        configs = {
            f"{label}, {option} {_show(value)}": kwargs | {option: value}
            for label, kwargs in configs.items()
            for value in values
        }
    return configs


def _show(value) -> str:
    return ("on" if value else "off") if isinstance(value, bool) else str(value)


class Column:
    """One (set, half) of the sweep: its questions and the metrics it is read by."""

    def __init__(self, dataset: Dataset, half: str, questions: list[Question], document_level: bool):
        self.dataset, self.half, self.questions = dataset, half, questions
        self.primary = primary(document_level)
        self.mrr = "doc_mrr@10" if document_level else "mrr@10"
        self.document_level = document_level
        self.name = f"{dataset.name}: {half}"
        self.tuned = half == ("all" if dataset.name in TUNE_ON_ALL else "tune half")

    def cell(self, m: dict) -> str:
        page = f" / {m['page_hit@5']:.3f}" if self.document_level and "page_hit@5" in m else ""
        return f"{m[self.primary]:.3f}{page} / {m[self.mrr]:.3f}"

    def score(self, m: dict) -> tuple[float, float]:
        return m[self.primary], m[self.mrr]


def sweep_report(datasets: list[tuple[Dataset, int | None]]) -> str:
    columns = _columns(datasets)
    configs = retriever_configs()
    defaults = bench_settings(Path("unused"))
    default_ingest = (defaults.folio_chunk_tokens, defaults.folio_chunk_overlap, defaults.folio_context_words)
    scores, thresholds = _measure(datasets, columns, configs, default_ingest)
    tuned = [c for c in columns if c.tuned]
    current = (f"{default_ingest[0]}/{default_ingest[1]}", default_ingest[2], _default_config(configs, defaults))
    chosen, best = _chosen(scores, tuned, configs, current)
    only_default = sorted({d.name for d, _ in datasets if d.retrieval_only})
    unmeasured = f" ({', '.join(only_default)}: default chunking only, a retrieval-only set)" if only_default else ""
    lines = [
        f"## Default sweep: {', '.join(d.name for d, _ in datasets)}, top-10 ranking",
        "",
        "Each cell: hit@5 / MRR@10 (page-level sets), doc hit@5 / page hit@5 / doc MRR@10 (document-level sets). "
        f"Score = the worst of {', '.join(c.name for c in tuned)} (hit@5, doc hit@5 for document-level sets; MRR "
        "breaks ties); the check halves are never chosen on. Best by that rule in bold; score `—`: not measured on "
        f"every set{unmeasured}, so not eligible.",
        "",
        "| chunking | context words | retrieval | " + " | ".join(c.name for c in columns) + " | score |",
        "|---|---|---|" + "---|" * len(columns) + "---|",
    ]
    for key, by_column in scores.items():
        mark = "**" if key == best else ""
        cells = " | ".join(c.cell(by_column[c.name]) if c.name in by_column else "n/a" for c in columns)
        score = _objective(by_column, tuned)
        lines.append(
            f"| {mark}{key[0]}{mark} | {key[1]} | {key[2]} | {cells} | {f'{score[0]:.3f}' if score else '—'} |"
        )
    checks = [c for c in columns if c.half == "check half"]
    measured = scores[chosen] if chosen else {}
    held_out = ", ".join(f"{c.name} {c.cell(measured[c.name])}" for c in checks if c.name in measured) or "n/a"
    lines += [
        "",
        f"Best: {_key(best)}. Chosen by the rule: {_key(chosen)}; its check halves: {held_out}. Folio's defaults: "
        f"{defaults.folio_chunk_tokens}/{defaults.folio_chunk_overlap} tokens, context {defaults.folio_context_words} "
        f"words, {defaults.folio_retrieval} (dense weight {defaults.folio_dense_weight}), threshold "
        f"{defaults.folio_min_similarity:.2f}. One standard error of a hit rate near 0.8 is 0.016 on 600 squad "
        "questions, about 0.06 on a 50-question half and 0.08 on a 25-question half: differences smaller than that "
        "are noise.",
        "",
        "What each set would have chosen alone (its own score; then the same rule on it alone):",
        "",
    ]
    for column in tuned:
        alone_chosen, alone_best = _chosen(scores, [column], configs, current)
        lines.append(f"- {column.name}: best {_key(alone_best)}; by the rule {_key(alone_chosen)}")
    lines += _threshold_lines(thresholds)
    return "\n".join(lines)


def _measure(
    datasets: list[tuple[Dataset, int | None]], columns: list[Column], configs: dict[str, dict], default_ingest: tuple
) -> tuple[dict[Key, dict[str, dict]], dict[str, list]]:
    """Every column's metrics for each (chunking, context, retriever configuration), and the threshold sweep on the
    default store of each set. A PDF folder's stores are built once for all the sets over it."""
    scores: dict[Key, dict[str, dict]] = {}
    thresholds: dict[str, list] = {}
    libraries: dict[str, list[Dataset]] = {}
    for dataset, _ in datasets:
        libraries.setdefault(dataset.library, []).append(dataset)
    for sets in libraries.values():
        for tokens, overlap in CHUNKINGS:
            for context in CONTEXTS:
                ingest = (tokens, overlap, context)
                if (tokens, overlap) != default_ingest[:2] and context != default_ingest[2]:
                    continue
                if any(d.retrieval_only for d in sets) and ingest != default_ingest:
                    continue
                parts = open_library(
                    sets[0], folio_chunk_tokens=tokens, folio_chunk_overlap=overlap, folio_context_words=context
                ).parts
                for label, kwargs in configs.items():
                    retriever = Retriever(parts.store, parts.embedder, **kwargs)
                    for column in (c for c in columns if c.dataset in sets):
                        m = evaluate_retrieval(lambda q, r=retriever: r.retrieve(q, TOP_K).chunks, column.questions)
                        scores.setdefault((f"{tokens}/{overlap}", context, label), {})[column.name] = m
                if ingest == default_ingest:
                    for dataset in sets:
                        thresholds[dataset.name] = _threshold_sweep(parts, columns, dataset)
    return scores, thresholds


def _columns(datasets: list[tuple[Dataset, int | None]]) -> list[Column]:
    columns = []
    for dataset, limit in datasets:
        questions = dataset.load(limit)
        document_level = is_document_level(questions)
        for half, qs in halves(dataset, questions).items():
            if qs and (half == "all") == (dataset.name in TUNE_ON_ALL):
                columns.append(Column(dataset, half, qs, document_level))
    return columns


def _default_config(configs: dict[str, dict], defaults) -> str | None:
    """The label of the configuration Folio uses today (options at the Retriever's own defaults)."""
    parameters = inspect.signature(Retriever).parameters
    wanted = {"mode": defaults.folio_retrieval} | {o: parameters[o].default for o, _ in RETRIEVER_OPTIONS}
    if defaults.folio_retrieval == "hybrid":
        wanted["dense_weight"] = defaults.folio_dense_weight
    return next((label for label, kwargs in configs.items() if kwargs == wanted), None)


def _objective(by_column: dict[str, dict], tuned: list[Column]) -> tuple[float, float] | None:
    """The worst tuned set's (primary metric, MRR); None when a tuned set was not measured."""
    if any(c.name not in by_column for c in tuned):
        return None
    return min(c.score(by_column[c.name]) for c in tuned)


def _chosen(
    scores: dict[Key, dict[str, dict]], tuned: list[Column], configs: dict[str, dict], current: Key
) -> tuple[Key | None, Key | None]:
    """(the configuration the module docstring's rule picks, the best by score) among those measured on `tuned`."""
    measured = {key: s for key in scores if (s := _objective(scores[key], tuned))}
    if not measured:
        return None, None
    best = max(measured, key=measured.get)
    score = measured[best][0]
    noise = (score * (1 - score) / min(len(c.questions) for c in tuned)) ** 0.5
    hybrid = [k for k in measured if configs[k[2]]["mode"] == "hybrid"]
    eligible = [k for k in hybrid if measured[k][0] >= score - noise]
    if current in eligible:
        return current, best
    return max(eligible or hybrid, key=measured.get, default=None), best


def _key(key: Key | None) -> str:
    return f"{key[0]} tokens, context {key[1]} words, {key[2]}" if key else "none measured on every set"


def _threshold_lines(thresholds: dict[str, list]) -> list[str]:
    lines = [
        "",
        'Relevance threshold (best dense similarity below it → "not in your documents"), default chunking, by dataset; '
        "offline answers, which also refuse when no retrieved sentence answers (close in meaning or holding most of "
        "the key terms):",
        "",
        "| threshold | " + " | ".join(f"{name}: answerable refused | off-topic refused" for name in thresholds) + " |",
        "|---|" + "---|---|" * len(thresholds),
    ]
    for i, t in enumerate(THRESHOLDS):
        cells = " | ".join(f"{100 * rows[i][1]:.1f}% | {100 * rows[i][2]:.0f}%" for rows in thresholds.values())
        lines.append(f"| {t:.2f} | {cells} |")
    allowed = [
        t for i, t in enumerate(THRESHOLDS) if all(rows[i][1] <= MAX_ANSWERABLE_REFUSED for rows in thresholds.values())
    ]
    chosen = max(allowed, default=THRESHOLDS[0])
    lines += [
        "",
        f"Rule: the highest threshold that refuses at most {MAX_ANSWERABLE_REFUSED:.0%} of answerable questions on "
        f"every dataset (an invented answer costs more than a refusal): {chosen:.2f}.",
    ]
    return lines


def _threshold_sweep(parts, columns: list[Column], dataset: Dataset) -> list[tuple[float, float, float]]:
    """(threshold, answerable refused, off-topic refused) of offline answers: a question is refused when its best
    chunk is below the threshold or, past it, no retrieved sentence answers it (rag.extractive)."""
    retriever = Retriever(parts.store, parts.embedder, "dense")
    ungated = ChatSession(parts.retriever, None, top_k=TOP_K, min_similarity=-1.0)
    questions = [q for c in columns if c.dataset == dataset for q in c.questions]
    questions = list({q.question: q for q in questions}.values())

    def gate_and_refusal(question: str) -> tuple[float, bool]:
        return retriever.retrieve(question, 1).best_similarity, ungated.answer(question).mode == "not_found"

    answerable = [gate_and_refusal(q.question) for q in questions]
    off_topic = [gate_and_refusal(q) for q in OFF_TOPIC]
    return [
        (t, *(sum(s < t or no_sentence for s, no_sentence in rows) / len(rows) for rows in (answerable, off_topic)))
        for t in THRESHOLDS
    ]
