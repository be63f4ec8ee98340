"""The `folio` command: ingest folders, list and remove documents, ask questions, start the UI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rag.config import Settings
from rag.errors import FolioError

app = typer.Typer(help="Folio: chat with your own PDFs, offline by default, cited to the page.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)
SAMPLE_DOCS = Path(__file__).parent / "sample_docs"


def _fail(error: FolioError) -> None:
    errors.print(f"[red]error:[/red] {error}")
    raise typer.Exit(2)


def _open(settings: Settings):
    from rag.embed import make_embedder
    from rag.store import open_store

    embedder = make_embedder(settings)
    return embedder, open_store(settings, embedder)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="PDF files or folders (searched recursively).", exists=True)],
    prune: Annotated[bool, typer.Option(help="Remove stored documents whose file under PATHS is gone.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")] = False,
) -> None:
    """Ingest PDFs: new and changed files are (re)indexed, unchanged ones skipped. Exit 1 if any file failed."""
    from ingest import find_pdfs, ingest_paths

    settings = Settings()
    try:
        embedder, store = _open(settings)
        total = len(find_pdfs(paths))
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=errors, disable=json_out or not errors.is_terminal,
        ) as bar:
            task = bar.add_task("files", total=total)
            pages = chunks = 0

            def progress(source, result):
                nonlocal pages, chunks
                if result is None:
                    bar.update(task, description=f"{source[-40:]}  ({pages} pages, {chunks} chunks)")
                    return
                pages, chunks = pages + result.pages, chunks + result.chunks
                bar.advance(task)

            report = ingest_paths(
                paths, store, embedder, settings.folio_chunk_tokens, settings.folio_chunk_overlap,
                prune=prune, progress=progress,
            )
    except FolioError as error:
        _fail(error)
    if json_out:
        print(report.to_json())
    else:
        table = Table("file", "result", "pages", "chunks", "note")
        style = {"ingested": "green", "unchanged": "dim", "failed": "red", "pruned": "yellow"}
        for r in report.results:
            table.add_row(r.source, f"[{style[r.status]}]{r.status}[/]", str(r.pages or ""), str(r.chunks or ""), r.reason)
        console.print(table)
        console.print(", ".join(f"{report.count(s)} {s}" for s in ("ingested", "unchanged", "failed", "pruned")))
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def docs(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the stored documents."""
    import json
    from dataclasses import asdict

    try:
        _, store = _open(Settings())
        documents = store.documents()
    except FolioError as error:
        _fail(error)
    if json_out:
        print(json.dumps([asdict(d) for d in documents], indent=2))
        return
    table = Table("document", "pages", "chunks", "ingested", "warnings")
    for d in documents:
        table.add_row(d.source, str(d.pages), str(d.chunks), d.ingested_at, d.warnings)
    console.print(table if documents else "No documents yet: run `folio ingest FOLDER`.")


@app.command()
def rm(sources: Annotated[list[str], typer.Argument(help="Document names as `folio docs` shows them.")]) -> None:
    """Remove documents and their chunks from the store."""
    try:
        _, store = _open(Settings())
        missing = [s for s in sources if store.delete_document(s) is None]
    except FolioError as error:
        _fail(error)
    for source in sources:
        console.print(f"{'not found' if source in missing else 'removed'}: {source}")
    raise typer.Exit(1 if missing else 0)


@app.command()
def up(
    folder: Annotated[Path, typer.Argument(help="Folder to ingest before starting.")] = SAMPLE_DOCS,
    port: Annotated[int, typer.Option(help="Port of the web UI.")] = 8501,
) -> None:
    """Ingest FOLDER (only what changed) and start the chat UI."""
    try:
        ingest([folder], prune=False, json_out=False)
    except typer.Exit as done:
        if done.exit_code not in (0, 1):  # 1 = some file failed: reported above, start anyway
            raise
    app_file = Path(__file__).parent / "streamlit_app.py"
    command = [sys.executable, "-m", "streamlit", "run", str(app_file), "--server.port", str(port),
               "--browser.gatherUsageStats", "false"]
    raise typer.Exit(subprocess.call(command, env=os.environ.copy()))


if __name__ == "__main__":
    app()
