"""Ingest speed on real filings (issue 27): Folio beside the bare encoder on the same chunks and beside the two
tutorial pipelines on the same files, all in one run, plus what working out the documents' identities costs.

The whole of finance-dev (5,359 pages) takes 30 to 75 minutes per pipeline on 2 cores, so this reads one filing
per company: the smallest of each, 7 filings. Every pipeline embeds with the same MiniLM embedder; the
model is loaded before any clock starts.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bench.baselines import _pages
from ingest import Ingestor
from ingest.identity import identify
from rag import Settings, open_components
from rag.store import CONTEXT_KEY, embedded_text

T = TypeVar("T")


def _timed(work: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


def one_per_company(pdf_dir: Path) -> list[Path]:
    """The smallest filing (in bytes) of each company (the file name's part before the first year)."""
    chosen: dict[str, Path] = {}
    for pdf in sorted(pdf_dir.glob("*.pdf"), key=lambda p: (p.stat().st_size, p.name)):
        chosen.setdefault(pdf.stem.split("_20")[0], pdf)
    return sorted(chosen.values())


def _tutorial_splitters() -> dict[str, Callable[[str], list[str]]]:
    """The two tutorials' text splitters, as bench.baselines builds them."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    from llama_index.core.node_parser import SentenceSplitter

    from rag.embed import count_tokens

    llama = SentenceSplitter(chunk_size=1024, chunk_overlap=200, tokenizer=lambda t: [0] * count_tokens(t))
    return {
        "LangChain PDF tutorial (PyPDFLoader, 1000/200 characters)": RecursiveCharacterTextSplitter(
            chunk_size=1000, chunk_overlap=200
        ).split_text,
        "LlamaIndex starter (SentenceSplitter, 1024/200 tokens)": llama.split_text,
    }


def filings_speed_report(pdf_dir: Path) -> str:
    filings = one_per_company(pdf_dir)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "filings"
        folder.mkdir()
        for pdf in filings:
            (folder / pdf.name).symlink_to(pdf)
        parts = open_components(Settings(_env_file=None, folio_data_dir=Path(tmp) / "data"))
        parts.embedder.embed(["warm up"])
        report, folio_s = _timed(lambda: Ingestor.of(parts).folders([folder]))
        assert report.ok, report.to_json()
        documents = parts.store.documents()
        pages, chunks = sum(d.pages for d in documents), parts.store.all_chunks()
        texts = [embedded_text(c.metadata[CONTEXT_KEY], c.text) for c in chunks]
        _, encoder_s = _timed(lambda: parts.embedder.embed(texts))
        page_texts = {d.source: parts.store.page_texts(d) for d in documents}
        _, identity_s = _timed(lambda: [identify(name, "", texts) for name, texts in page_texts.items()])
        rows = [
            f"| Folio (`folio ingest`: read, clean, chunk, identify, embed, store) | {folio_s:.0f} s "
            f"| {pages / folio_s:.1f} | {len(chunks)} | {len(chunks) / folio_s:.1f} |",
            f"| bare encoder, Folio's {len(chunks)} chunks | {encoder_s:.0f} s | | {len(chunks)} "
            f"| {len(chunks) / encoder_s:.1f} |",
        ]
        texts_by_page, read_s = _timed(lambda: [text for _, _, text in _pages(folder)])  # both read so
        for name, split in _tutorial_splitters().items():
            cut, seconds = _timed(lambda split=split: [c for text in texts_by_page for c in split(text)])
            _, embed_s = _timed(lambda cut=cut: parts.embedder.embed(cut))
            total = read_s + seconds + embed_s
            rows.append(f"| {name} | {total:.0f} s | {pages / total:.1f} | {len(cut)} | {len(cut) / total:.1f} |")
    ratio = (len(chunks) / folio_s) / (len(chunks) / encoder_s)
    return "\n".join(
        [
            "## Speed on real filings: finance-dev, one filing per company",
            "",
            "Reproduce: `uv run python -m bench filings`.",
            "",
            f"Ingest of real filings: {len(filings)} of finance-dev's filings, one per company ({pages} pages).",
            "",
            "| pipeline | time | pages/s | chunks | chunks/s |",
            "|---|---|---|---|---|",
            *rows,
            f"| **Folio / bare encoder throughput** | | | | **×{ratio:.2f}** (target ≥ 0.8) |",
            f"| identities of the {len(documents)} filings (from their stored pages) | {identity_s:.2f} s | | | "
            f"**{identity_s / folio_s:.1%}** of Folio's ingest (target ≤ 5%) |",
        ]
    )
