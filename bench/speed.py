"""Speed and memory of the pipeline, each next to a baseline from the same run:

- ingest throughput vs the bare encoder on the same chunks (the ratio is the pipeline's overhead);
- re-ingest of the unchanged folder as a fraction of the first ingest;
- retrieval latency p50/p95 at 10k and 100k chunks, embedded Chroma and a Chroma server
  (chunks synthesised from the real ones: perturbed vectors, varied text);
- peak memory (PSS of the process tree) of `python -m ingest` on a generated 1,000-page PDF, on 40 scanned
  pages (OCR) and on 40 poster-sized image-only pages, next to a 1-page one;
- cold start of the web server, and the first paint of the page in headless chromium.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from bench.ocr import SCAN_TEXTS, make_poster_scans, make_scanned_pdf
from ingest import IngestOptions, ingest_paths
from rag import Settings, open_components
from rag.evaluate import latency_percentiles, load_questions
from rag.retrieve import Retriever
from rag.store import CONTEXT_KEY, DocumentRecord, StoredChunk, embedded_text, open_store

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
SIZES = (10_000, 100_000)
DOCS_PER_STORE = 100
OCR_PAGES = 40


def ingest_speed(dataset: Path, settings: Settings) -> tuple[list[str], list[StoredChunk], np.ndarray]:
    """Rows for the ingest table, and the ingested chunks with their vectors (to synthesise bigger stores).

    The first ingest of a process also loads the model and starts the reader process; the ratio to the
    bare encoder compares a second ingest (into a new collection) so both sides run warm.
    """
    pdfs = [dataset / "pdfs"]
    options = IngestOptions(chunk_tokens=settings.folio_chunk_tokens, chunk_overlap=settings.folio_chunk_overlap)
    parts = open_components(settings.model_copy(update={"folio_collection": "cold"}))
    _, cold = _timed(lambda: ingest_paths(pdfs, parts.store, parts.embedder, options=options))
    store = open_store(settings, parts.embedder)
    _, first = _timed(lambda: ingest_paths(pdfs, store, parts.embedder, options=options))
    chunks = store.all_chunks()
    vectors, encoder = _timed(
        lambda: parts.embedder.embed([embedded_text(c.metadata[CONTEXT_KEY], c.text) for c in chunks])
    )
    _, again = _timed(lambda: ingest_paths(pdfs, store, parts.embedder, options=options))
    documents = store.documents()
    pages = sum(d.pages for d in documents)
    n = len(chunks)
    rows = [
        f"| first ingest in a new process ({len(documents)} PDFs, {pages} pages, {n} chunks; "
        f"loads the model, starts the reader) | {cold:.1f} s | {pages / cold:.1f} pages/s, {n / cold:.1f} chunks/s |",
        f"| the same ingest, warm process, new collection | {first:.1f} s "
        f"| {pages / first:.1f} pages/s, {n / first:.1f} chunks/s |",
        f"| bare encoder, same {n} chunks | {encoder:.1f} s | {n / encoder:.1f} chunks/s |",
        f"| **warm ingest / bare encoder throughput** | | **×{encoder / first:.2f}** (target ≥ 0.8) |",
        f"| re-ingest, unchanged folder | {again * 1000:.0f} ms | **{100 * again / first:.2f}%** of the warm "
        "ingest (target ≤ 2%) |",
    ]
    return rows, chunks, vectors


def _timed(work: Callable[[], T]) -> tuple[T, float]:
    """What `work()` returns, and the seconds it took."""
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


def fill_synthetic(
    store, chunks: list[StoredChunk], vectors: np.ndarray, total: int, seed: int = 0, documents: int = DOCS_PER_STORE
) -> float:
    """Add `total` chunks made from the real ones (noisy vectors, varied text) as `documents` documents; seconds
    taken."""
    rng = np.random.default_rng(seed)
    per_doc = total // documents
    start = time.perf_counter()
    for d in range(documents):
        picks = rng.integers(0, len(chunks), per_doc)
        noisy = vectors[picks] + rng.normal(0, 0.02, (per_doc, vectors.shape[1])).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        record = DocumentRecord(
            f"synthetic-{seed}-{d:03}.pdf", f"{seed}-{d}", "", per_doc, per_doc, "2026-01-01", "synthetic"
        )
        metadatas = [
            chunks[p].metadata
            | {"version": record.version, "doc_id": record.doc_id, "source": record.source, "chunk_index": i}
            for i, p in enumerate(picks)
        ]
        store.write_document(
            record,
            ids=[f"{record.version}-{i}" for i in range(per_doc)],
            texts=[f"{chunks[p].text} (copy {d}-{i})" for i, p in enumerate(picks)],
            metadatas=metadatas,
            vectors=noisy,
        )
    return time.perf_counter() - start


FIRST_QUESTION = """
import sys, time
from rag import load_settings, open_components
parts = open_components(load_settings())
parts.embedder.embed(["warm up"])  # the model's load is the CLI table's; this is the store's and the index's
start = time.perf_counter()
parts.retriever.retrieve(sys.argv[1], parts.settings.folio_top_k)
print(time.perf_counter() - start)
"""


def first_question(settings: Settings, question: str) -> float:
    """Seconds of the first question in a new process (stores and keyword index as on disk, model loaded)."""
    env = os.environ | {"FOLIO_DATA_DIR": str(settings.folio_data_dir), "FOLIO_COLLECTION": settings.folio_collection}
    env |= {"CHROMA_HOST": settings.chroma_host or "", "CHROMA_PORT": str(settings.chroma_port)}
    done = subprocess.run(
        [sys.executable, "-c", FIRST_QUESTION, question], env=env, capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def retrieval_latency(settings: Settings, questions: list[str], chunks, vectors) -> list[tuple]:
    """(size, hybrid percentiles, dense-only percentiles, seconds to fill, first question in a new process,
    first question after adding a document) for each synthetic size.

    Dense-only runs the same questions through Chroma alone: the difference is BM25 and fusion."""
    out = []
    for size in SIZES:
        collection = settings.model_copy(update={"folio_collection": f"bench-{size}"})
        parts = open_components(collection)
        filled = fill_synthetic(parts.store, chunks, vectors, size)
        new_process = first_question(collection, questions[0])
        parts.retriever.retrieve(questions[0], settings.folio_top_k)
        fill_synthetic(parts.store, chunks, vectors, size // DOCS_PER_STORE, seed=1, documents=1)
        start = time.perf_counter()
        parts.retriever.retrieve(questions[1], settings.folio_top_k)
        after_adding = time.perf_counter() - start
        timings = []
        for mode in ("hybrid", "dense"):
            retriever = Retriever(parts.store, parts.embedder, mode)
            retriever.retrieve(questions[0], settings.folio_top_k)  # warm-up
            seconds = []
            for q in questions:
                start = time.perf_counter()
                retriever.retrieve(q, settings.folio_top_k)
                seconds.append(time.perf_counter() - start)
            timings.append(latency_percentiles(seconds))
        out.append((parts.store.count(), *timings, filled, new_process, after_adding))
    return out


def command_seconds(args: list[str], env: dict, runs: int = 5) -> float:
    """Median seconds from starting `args` to its first line of output (stdout or stderr), over `runs` runs."""
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        process.stdout.readline()
        seconds.append(time.perf_counter() - start)
        process.communicate()
    return statistics.median(seconds)


def cli_rows(settings: Settings, question: str) -> list[str]:
    """`folio --help`, `docs` and `ask` to their first line at each store size, against `import chromadb` (the
    least any command that opens the store pays) measured in the same run."""
    env = os.environ | {"FOLIO_DATA_DIR": str(settings.folio_data_dir), "CHROMA_HOST": "", "PYTHONUNBUFFERED": "1"}
    folio = [sys.executable, "-m", "folio_cli"]
    floor = command_seconds([sys.executable, "-c", "import chromadb; print()"], env)
    rows = [f"| `python -c 'import chromadb'` (baseline) | | {floor:.2f} s | ×1.00 |"]
    rows.append(f"| `folio --help` | | {command_seconds(folio + ['--help'], env):.2f} s | |")
    for size in SIZES:
        at = env | {"FOLIO_COLLECTION": f"bench-{size}"}
        docs = command_seconds(folio + ["docs"], at)
        ask = command_seconds(folio + ["ask", question], at)
        rows.append(f"| `folio docs` | {size:,} | {docs:.2f} s | ×{docs / floor:.2f} |")
        rows.append(f"| `folio ask` (target < 2.5 s at 10k) | {size:,} | **{ask:.2f} s** | ×{ask / floor:.2f} |")
    return rows


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, timeout: float = 120) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return time.perf_counter() - start
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def with_chroma_server(path: Path):
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "chroma"), "run", "--path", str(path), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat")
    return server, port


def generated_pdf(path: Path, chunks: list[StoredChunk], pages: int = 1000) -> Path:
    """A text PDF of `pages` pages made of the real chunks' text (about 1,400 characters a page)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    for page in range(pages):
        pdf.add_page()
        text = " ".join(chunks[(page * 2 + i) % len(chunks)].text for i in range(2))
        pdf.multi_cell(0, 5, text[:1400].encode("latin-1", "replace").decode("latin-1"))
    pdf.output(str(path))
    return path


def _tree_pss_bytes(root: int) -> int:
    """Memory of a process and all its descendants: the sum of their PSS (shared pages counted once)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        stack += children.get(pid, [])
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) * 1024 for line in rollup.splitlines() if line.startswith("Pss:")), 0)
    return total


def peak_memory_mb(command: list[str], env: dict) -> tuple[float, float]:
    """(peak memory in MB of the command's whole process tree, sampled every 100 ms; seconds) for one run.

    Exit code 1 (`folio ingest`: a file was refused, with its reason) counts as a run; a crash does not.
    """
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        peak = 0
        while process.poll() is None:
            peak = max(peak, _tree_pss_bytes(process.pid))
            time.sleep(0.1)
        seconds = time.perf_counter() - start
        if process.returncode not in (0, 1):
            errors.seek(0)
            raise RuntimeError(f"{command} failed: {errors.read().decode()[-2000:]}")
    return peak / 2**20, seconds


def speed_report(dataset: Path, questions_limit: int = 200) -> str:
    questions = [q.question for q in load_questions(dataset, questions_limit)]
    with tempfile.TemporaryDirectory(prefix="folio-speed-") as tmp:
        tmp = Path(tmp)
        settings = Settings(_env_file=None, folio_data_dir=tmp / "embedded", chroma_host=None)
        ingest_rows, chunks, vectors = ingest_speed(dataset, settings)
        latency = {"embedded": retrieval_latency(settings, questions, chunks, vectors)}
        cli = cli_rows(settings, questions[0])
        server, port = with_chroma_server(tmp / "server")
        try:
            remote = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": port})
            latency["Chroma server"] = retrieval_latency(remote, questions, chunks, vectors)
        finally:
            server.kill()

        big = generated_pdf(tmp / "thousand.pdf", chunks)
        small = generated_pdf(tmp / "one.pdf", chunks, pages=1)
        env = {**os.environ, "FOLIO_DATA_DIR": str(tmp / "rss-small")}
        small_rss, small_s = peak_memory_mb([sys.executable, "-m", "ingest", str(small)], env)
        env = {**os.environ, "FOLIO_DATA_DIR": str(tmp / "rss")}
        ingest_rss, ingest_s = peak_memory_mb([sys.executable, "-m", "ingest", str(big)], env)
        scans = make_scanned_pdf(tmp / "scans.pdf", [SCAN_TEXTS[n % len(SCAN_TEXTS)] for n in range(OCR_PAGES)])
        env_ocr = {**os.environ, "FOLIO_DATA_DIR": str(tmp / "rss-ocr")}
        ocr_rss, ocr_s = peak_memory_mb([sys.executable, "-m", "ingest", str(scans)], env_ocr)
        posters = make_poster_scans(tmp / "posters.pdf", OCR_PAGES)
        posters_kb = posters.stat().st_size // 1024  # read now: the folder is gone when the table is written
        env_posters = {**os.environ, "FOLIO_DATA_DIR": str(tmp / "rss-posters")}
        poster_rss, poster_s = peak_memory_mb([sys.executable, "-m", "ingest", str(posters)], env_posters)

        port = _free_port()
        app = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"), "--server.port", str(port)]
            + ["--server.headless", "true", "--browser.gatherUsageStats", "false"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            cold = _wait_http(f"http://127.0.0.1:{port}/_stcore/health")
            paint, ready = first_paint(f"http://127.0.0.1:{port}")
        finally:
            app.kill()
    _plot(latency)
    lines = [
        f"## Speed and memory: {dataset.name}",
        "",
        "| what | time | rate / ratio |",
        "|---|---|---|",
        *ingest_rows,
        "",
        f"Retrieval latency, Folio's hybrid retriever (dense + BM25), top-{settings.folio_top_k}, "
        f"{len(questions)} questions after one warm-up question; then the first question in a new process (the "
        "model already loaded: the store's and the keyword index's part) and the first question after adding a "
        "document of 1% of the chunks (target ≤ 1 s at 100k for both):",
        "",
        "| store | chunks | fill s | p50 ms | p95 ms | target p95 | dense only: p50 / p95 ms | first question, "
        "new process | first question after adding a document |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for store, rows in latency.items():
        for size, p, dense, filled, new_process, after_adding in rows:
            target = "≤ 50 ms" if size < SIZES[1] else "≤ 150 ms"  # the stores hold SIZES plus one added document
            lines.append(
                f"| {store} | {size:,} | {filled:.0f} | {p['p50_ms']:.1f} | {p['p95_ms']:.1f} | {target} "
                f"| {dense['p50_ms']:.1f} / {dense['p95_ms']:.1f} | {new_process * 1000:.0f} ms "
                f"| {after_adding * 1000:.0f} ms |"
            )
    lines += [
        "",
        "The command line, seconds to the first line of output (median of 5 runs; `ask` answers offline from the "
        "embedded store):",
        "",
        "| command | chunks | time | vs baseline |",
        "|---|---|---|---|",
        *cli,
        "",
        "![retrieval latency vs collection size](latency.png)",
        "",
        "Peak memory = the largest sum of PSS over the command's process tree (readers, OCR workers included),",
        "sampled every 100 ms.",
        "",
        "| process | peak memory | time |",
        "|---|---|---|",
        f"| `python -m ingest` on a 1-page PDF (baseline: models and store loaded) | {small_rss:.0f} MB "
        f"| {small_s:.1f} s |",
        f"| `python -m ingest` on a generated 1,000-page PDF | **{ingest_rss:.0f} MB** (target ≤ 1 GB) "
        f"| {ingest_s:.0f} s |",
        f"| 1,000 pages / 1 page | ×{ingest_rss / small_rss:.2f} | |",
        f"| `python -m ingest` on {OCR_PAGES} scanned A4 pages (OCR) | **{ocr_rss:.0f} MB** (target ≤ 1 GB) "
        f"| {ocr_s:.0f} s, {OCR_PAGES / max(ocr_s - small_s, 0.1):.2f} pages/s net of the baseline |",
        f"| `python -m ingest` on {OCR_PAGES} image-only pages of 2000 × 2000 pt ({posters_kb} KB) "
        f"| **{poster_rss:.0f} MB** (target ≤ 1 GB) | {poster_s:.0f} s |",
        f"| OCR / 1 page | ×{ocr_rss / small_rss:.2f} | |",
        "",
        f"Web server cold start (`streamlit run` until `/_stcore/health` answers): {cold:.1f} s. First visit in "
        f"headless chromium: title and chat input after **{paint:.1f} s** (target < 2 s), the page ready (model "
        f"and store loaded) after {ready:.1f} s.",
    ]
    return "\n".join(lines)


def first_paint(url: str) -> tuple[float, float]:
    """Seconds from opening `url` in headless chromium to the title and chat input, and to the ready page."""
    import shutil

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--headless", "--no-sandbox"]
        )
        page = browser.new_page()
        start = time.perf_counter()
        page.goto(url)
        page.get_by_placeholder("Ask about your documents").wait_for(timeout=120_000)
        page.get_by_role("heading", name="Folio").wait_for(timeout=120_000)
        painted = time.perf_counter() - start
        page.get_by_text("Ask a question about your documents").wait_for(timeout=120_000)
        ready = time.perf_counter() - start
        browser.close()
    return painted, ready


def _plot(latency: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 3.5))
    for store, rows in latency.items():
        sizes = [row[0] for row in rows]
        axis.plot(sizes, [row[1]["p50_ms"] for row in rows], marker="o", label=f"{store} p50")
        axis.plot(sizes, [row[1]["p95_ms"] for row in rows], marker="s", linestyle="--", label=f"{store} p95")
    axis.set_xscale("log")
    axis.set_xlabel("chunks in the collection")
    axis.set_ylabel("ms per question")
    axis.set_title("Folio hybrid retrieval latency")
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(ROOT / "docs" / "latency.png", dpi=120)
