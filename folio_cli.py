"""The `folio` command: ingest folders, list and remove documents, ask questions, start the UI."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column, Table
from rich.text import Text

from rag import CLI, ConfigError, FolioError, StoreError, inert, load_settings, printable, terminal

if TYPE_CHECKING:
    from ingest import FileResult, WatchEvent
    from rag import Action, Answer, ChatSession, Conversations, Embedder, Settings, Store, Team

app = typer.Typer(
    help="Folio: chat with your own documents (PDF, Word, PowerPoint, Excel, CSV, HTML, Markdown, text, EPUB, "
    "images), offline by default, cited to the page, slide or section.",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help: flags shown as flags (the rich help printed "--json <bool>")
)
console = Console()
errors = Console(stderr=True)
SAMPLE_DOCS = Path(__file__).parent / "sample_docs"
PARENT_GRACE_S = 10  # `folio up --watch`: how long the watcher may finish its file once the UI has stopped
WATCH_OPTION = typer.Option(
    "--watch", metavar="DIR", help="Keep this folder in sync while running (repeatable; see `folio watch`)."
)
NO_DOCUMENTS = "No documents yet: add files with `folio ingest DIR` or upload them in the web UI."


def _fail(error: FolioError) -> NoReturn:
    errors.print(f"[red]error:[/red] {terminal(str(error))}", soft_wrap=True)
    raise typer.Exit(2)


def _counted(n: int, noun: str) -> str:
    """'1 page', '2 pages'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _open(settings: Settings) -> tuple[Embedder, Store]:
    from rag import open_library

    return open_library(settings)


@app.command()
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Files or folders (searched recursively for every format Folio reads).", exists=True),
    ],
    prune: Annotated[bool, typer.Option(help="Remove stored documents whose file under PATHS is gone.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")] = False,
    ocr: Annotated[
        bool | None, typer.Option(help="OCR pages that have no text layer (scans); default: FOLIO_OCR.")
    ] = None,
) -> None:
    """Ingest documents: new and changed files are (re)indexed, unchanged ones skipped. Exit 1 if any file failed."""
    from ingest import Ingestor, find_pdfs

    try:
        settings = load_settings(**({} if ocr is None else {"folio_ocr": ocr}))
        embedder, store = _open(settings)
        total = len(find_pdfs(paths))
        with _progress_bar(json_out) as bar:
            task = bar.add_task("files", total=total)
            pages = chunks = done = 0

            def progress(source: str, result: FileResult | None) -> None:
                nonlocal pages, chunks, done
                if result is None:
                    so_far = f"{_counted(pages, 'page')}, {_counted(chunks, 'chunk')}"
                    bar.update(task, description=f"{terminal(source[-40:])}  ({so_far})")
                    return
                pages, chunks, done = pages + result.pages, chunks + result.chunks, done + 1
                bar.advance(task)
                if bar.disable and not json_out:  # not a terminal (logs, cron): one line per file
                    errors.print(
                        f"[{done}/{total}] {result.status}: {printable(source)}",
                        highlight=False,
                        soft_wrap=True,
                        markup=False,
                    )

            report = Ingestor(store, embedder, settings).folders(paths, prune=prune, progress=progress)
    except FolioError as error:
        _fail(error)
    changes: dict[str, Action] = {"ingested": "upload", "pruned": "delete"}
    _audit_cli(settings, [(changes[r.status], r.source) for r in report.results if r.status in changes])
    if json_out:
        print(report.to_json())
    else:
        table = Table("file", "result", "pages", "chunks", "read by", "note")
        style = {"ingested": "green", "unchanged": "dim", "duplicate": "dim", "failed": "red", "pruned": "yellow"}
        for r in report.results:  # names and reasons come from files: plain text, never Rich markup
            table.add_row(
                Text(printable(r.source)),
                Text(r.status, style=style[r.status]),
                str(r.pages or ""),
                str(r.chunks or ""),
                r.reader,
                Text(printable(r.reason)),
            )
        console.print(table)
        console.print(", ".join(f"{count} {status}" for status, count in report.summary().items()))
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def docs(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the stored documents."""
    import json
    from dataclasses import asdict

    try:
        _, store = _open(load_settings())
        documents = store.documents()
    except FolioError as error:
        _fail(error)
    if json_out:
        described = [asdict(d) | {"identity": d.identity.label if d.identity else ""} for d in documents]
        print(json.dumps(described, indent=2))
        return
    labels = {d.source: d.identity.label for d in documents if d.identity and d.identity.label}
    what = [Column("what it is", overflow="fold")] if labels else []  # only where Folio could tell
    table = Table(
        Column("document", overflow="fold"), *what, "pages", "chunks", "ingested", Column("warnings", overflow="fold")
    )
    for d in documents:
        identity = [Text(printable(labels.get(d.source, "")))] if labels else []
        table.add_row(
            Text(printable(d.source)),
            *identity,
            str(d.pages),
            str(d.chunks),
            d.ingested_at,
            Text(printable(d.warnings)),
        )
    if documents:
        console.print(table)
    else:
        console.print(NO_DOCUMENTS, soft_wrap=True)


@app.command()
def rm(
    names: Annotated[
        list[str], typer.Argument(help="Document names as `folio docs` shows them, or any unambiguous start.")
    ],
) -> None:
    """Remove documents and their chunks from the store."""
    try:
        settings = load_settings()
        _, store = _open(settings)
        failed = False
        for name in names:
            found = store.matching(name)
            if len(found) == 1:
                store.delete_document(found[0].source)
                _audit_cli(settings, [("delete", found[0].source)])
                console.print(f"removed: {terminal(found[0].source)}")
                continue
            failed = True
            if not found:
                console.print(f"not found: {terminal(name)}")
            else:
                console.print(f"ambiguous: {terminal(name)} matches {', '.join(terminal(d.source) for d in found)}")
    except FolioError as error:
        _fail(error)
    raise typer.Exit(1 if failed else 0)


def _resolve(store: Store, names: list[str] | None) -> list[str] | None:
    """The stored documents that `--doc` names, each by its full name or an unambiguous start (as `folio rm`);
    ConfigError naming what exists for a name that matches none or several."""
    import difflib

    resolved = []
    for name in names or []:
        found = [d.source for d in store.matching(name)]
        if len(found) == 1:
            resolved.append(found[0])
            continue
        if found:
            raise ConfigError(f"--doc '{name}' is ambiguous: it matches {', '.join(found)}")
        stored = [d.source for d in store.documents()]
        close = difflib.get_close_matches(name, stored, n=3, cutoff=0.6) or stored[:3]
        more = " (see `folio docs`)" if len(stored) > len(close) else ""
        raise ConfigError(f"no document '{name}'; closest: {', '.join(close)}{more}")
    return resolved or None


def _print_stream(session: ChatSession, question: str, documents: list[str] | None) -> Answer:
    """Stream one answer, then list its sources (`Answer.shown_sources`). On a terminal the answer is shown as rendered
    Markdown (redrawn as it streams); in a pipe or a log it is the plain text."""
    from rich.live import Live
    from rich.markdown import Markdown

    from rag import Done, Error, Token

    answer: Answer | None = None
    text = ""
    live = Live(console=console, auto_refresh=False) if console.is_terminal else None
    with live or contextlib.nullcontext():
        for event in session.ask(question, documents or None):
            if isinstance(event, Token):
                text += printable(event.text)
                if live:
                    live.update(Markdown(inert(text), hyperlinks=False), refresh=True)  # a model's links stay text
                else:
                    console.out(printable(event.text), end="", highlight=False)
            elif isinstance(event, Error):
                console.print(f"\n[red]error:[/red] {terminal(event.message)}")
            elif isinstance(event, Done):
                answer = event.answer
    if answer is None:
        raise AssertionError("ask() always ends with Done")
    console.print()
    for source in answer.shown_sources:
        snippet = " ".join(source.text.split())[:160]
        console.print(
            f"[bold]\\[{source.n}][/bold] {terminal(source.source)}"
            + (f" ({terminal(source.document)})" if source.document else "")
            + f", {terminal(source.pages_label)}: [dim]{terminal(snippet)}…[/dim]",
            highlight=False,
        )
    return answer


@app.command()
def ask(
    question: Annotated[str, typer.Argument(metavar="QUESTION", help="Your question.")],
    document: Annotated[
        list[str] | None, typer.Option("--doc", metavar="FILE.pdf", help="Only search this document (repeatable).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the answer and its sources as JSON.")] = False,
) -> None:
    """Answer a question from the stored documents, with cited sources. Exit 1 if the answer failed."""
    import json

    from rag import open_components

    try:
        parts = open_components(load_settings())
        if not parts.store.documents():
            errors.print(NO_DOCUMENTS, highlight=False, markup=False, soft_wrap=True)
            raise typer.Exit(1)
        document = _resolve(parts.store, document)
        session = parts.session()
        if json_out:
            answer = session.answer(question, document or None)
            print(
                json.dumps(
                    {
                        "question": question,
                        "answer": answer.text,
                        "mode": answer.mode,
                        "cited": answer.cited,
                        "error": answer.error,
                        "sources": answer.sources_json(),
                    },
                    indent=2,
                    ensure_ascii=False,
                )
            )
        else:
            answer = _print_stream(session, question, document)
    except FolioError as error:
        _fail(error)
    raise typer.Exit(1 if answer.error else 0)


@app.command()
def chat(
    document: Annotated[
        list[str] | None, typer.Option("--doc", metavar="FILE.pdf", help="Only search this document (repeatable).")
    ] = None,
    resume: Annotated[
        str | None, typer.Option("--resume", help="Go on with a saved chat: its id (or a prefix), or 'last'.")
    ] = None,
) -> None:
    """Interactive conversation, saved like the web UI's chats (empty line or Ctrl-D to quit)."""
    from rag import open_components, open_conversations

    try:
        parts = open_components(load_settings())
        chats = open_conversations(parts.settings.folio_data_dir)
        document = _resolve(parts.store, document)
        session = parts.session()
        if resume:
            saved = chats.find(resume)
            if saved is None:
                raise ConfigError(f"no saved chat matches '{resume}' (see `folio chats`)")
            session.restore(chats.history(saved.id))
            console.print(f"Resuming [bold]{terminal(saved.title)}[/bold] ({saved.id}).")
            for message in chats.messages(saved.id)[-4:]:
                console.print(
                    f"[dim]{'you' if message.role == 'user' else 'folio'}: {terminal(message.text[:200])}[/dim]"
                )
        else:
            saved = chats.start(parts.settings.folio_collection)
    except FolioError as error:
        _fail(error)
    console.print(f"Folio ({session.mode} answers). Ask about your documents; an empty line quits.")
    _warn_unsaved(chats)
    unsaved_from_start = bool(chats.unsaved)
    while True:
        try:
            question = console.input("[bold]> [/bold]").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not question:
            break
        was_saved = not chats.unsaved
        chats.add_turn(saved.id, _print_stream(session, question, document))
        if was_saved:
            _warn_unsaved(chats)
    if unsaved_from_start:
        console.print("This chat was not saved.")
    elif chats.unsaved:  # a full disk, say, after some turns were saved
        console.print(
            f"Chat {saved.id} is saved up to the warning: the answers after it were not saved.", soft_wrap=True
        )
    elif chats.messages(saved.id):
        console.print(f"Saved as chat {saved.id}: `folio chat --resume {saved.id}` goes on with it.")
    else:
        chats.delete(saved.id)


def _warn_unsaved(chats: Conversations) -> None:
    """One line when the conversation file cannot be used: the chat goes on in memory."""
    if chats.unsaved:
        errors.print(
            f"[yellow]warning:[/yellow] this chat is not being saved ({terminal(chats.unsaved)})", soft_wrap=True
        )


@app.command()
def chats(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List saved chats (web UI and `folio chat`), most recent first."""
    import json
    from dataclasses import asdict

    from rag import open_conversations

    try:
        saved = open_conversations(load_settings().folio_data_dir)
        listed = saved.list()  # what the file still holds when it cannot be written (read-only, disk full)
        if saved.unsaved and not listed:
            raise StoreError(f"cannot read the saved chats: {saved.unsaved}")
    except FolioError as error:
        _fail(error)
    if saved.unsaved:
        errors.print(
            f"[yellow]warning:[/yellow] new chats are not being saved ({terminal(saved.unsaved)})", soft_wrap=True
        )
    if json_out:
        print(json.dumps([asdict(c) for c in listed], indent=2))
        return
    table = Table("id", "title", "collection", "last used")
    for conversation in listed:
        table.add_row(
            conversation.id, Text(printable(conversation.title)), conversation.collection, conversation.updated_at[:16]
        )
    console.print(table if listed else "No saved chats yet.")


def _progress_bar(json_out: bool) -> Progress:
    """A progress bar on stderr (with an estimate of the time left), off for --json and when stderr is not a
    terminal."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=errors,
        disable=json_out or not errors.is_terminal,
    )


@app.command(name="eval")
def evaluate(
    dataset: Annotated[
        Path, typer.Argument(help="Folder with pdfs/ and questions.jsonl.", exists=True, file_okay=False)
    ],
    limit: Annotated[int | None, typer.Option(help="Evaluate an evenly spread sample of this many questions.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Measure retrieval and answers on a question set, in a throw-away store.

    Page-level rows (file, page, answers) give hit@1/hit@5/MRR@10 and the answer metrics; every row, and
    document-level rows (files: acceptable files, no page), give doc_hit@1/doc_hit@5/doc_mrr@10; rows with
    evidence_pages also give page_hit@1/page_hit@5/page_mrr@10 (a chunk of a gold file covering an evidence
    page, no answer string needed).
    """
    import json
    import tempfile

    from ingest import Ingestor, find_pdfs
    from rag import OFF_TOPIC, evaluate_answers, evaluate_retrieval, load_questions, open_components

    with tempfile.TemporaryDirectory(prefix="folio-eval-") as tmp:
        try:
            settings = load_settings(folio_data_dir=Path(tmp), chroma_host=None)
            parts = open_components(settings)
        except FolioError as error:
            _fail(error)
        questions = load_questions(dataset, limit)
        k = settings.folio_top_k  # the retriever returns 2k chunks, the ranking MRR@10 reads
        with _progress_bar(False) as bar:  # on stderr: --json's stdout stays clean
            files = bar.add_task("ingest", total=len(find_pdfs([dataset / "pdfs"])))

            def ingested(_source: str, result: FileResult | None) -> None:
                if result is not None:
                    bar.advance(files)

            Ingestor.of(parts).folders([dataset / "pdfs"], progress=ingested)
            retrievals = bar.add_task("retrieval", total=len(questions))
            answers = bar.add_task("answers", total=len(questions) + len(OFF_TOPIC))

            def retrieve(question: str):
                bar.advance(retrievals)
                return parts.retriever.retrieve(question, k).chunks

            def session() -> ChatSession:
                bar.advance(answers)
                return parts.session()

            result = evaluate_retrieval(retrieve, questions)
            result |= evaluate_answers(session, questions)
    if json_out:
        print(json.dumps(result, indent=2))
        return
    table = Table("metric", "value")
    for name, value in result.items():
        table.add_row(name, f"{value:.3f}" if isinstance(value, float) else str(value))
    console.print(table)


@app.command()
def watch(
    folders: Annotated[
        list[Path], typer.Argument(metavar="DIR", help="Folders to keep in sync (searched recursively).")
    ],
    parent: Annotated[int | None, typer.Option(hidden=True, help="Stop when this process ends.")] = None,
) -> None:
    """Keep the library in line with FOLDERS until Ctrl-C: new and changed files are ingested, deleted ones removed,
    renamed or moved ones keep their document. A folder may be missing: it is synced when it appears."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _signal, _frame: stop.set())
    if parent:
        threading.Thread(target=_stop_with_parent, args=(parent, stop), daemon=True).start()
    try:
        _watch(load_settings(), folders, stop)
    except FolioError as error:
        _fail(error)
    console.print("stopped watching", highlight=False)


def _watch(settings: Settings, folders: list[Path], stop: threading.Event) -> None:
    """Run a folder watcher on its own store until `stop` is set, printing its events; ConfigError for a file
    given instead of a folder."""
    from ingest import FolderWatcher, Ingestor

    files = [str(folder) for folder in folders if folder.exists() and not folder.is_dir()]
    if files:
        raise ConfigError(f"not a folder: {', '.join(files)} (`folio watch` keeps folders in sync)")
    embedder, store = _open(settings)
    FolderWatcher(Ingestor(store, embedder, settings), folders, _print_watch_event).run(stop)


def _watch_beside(settings: Settings, folders: list[Path], stop: threading.Event) -> None:
    """`_watch` in a thread beside a server: a failure to start is one line, and the server goes on."""
    try:
        _watch(settings, folders, stop)
    except FolioError as error:
        errors.print(f"[red]error:[/red] watching stopped: {terminal(str(error))}", soft_wrap=True)


def _print_watch_event(event: WatchEvent) -> None:
    """One line per change and per sync (files found unchanged are only counted in the sync's line)."""
    if event.kind != "unchanged":
        print(printable(event.line()), flush=True)


def _stop_with_parent(parent: int, stop: threading.Event) -> None:
    """Set `stop` once the process `parent` (the UI, `folio up --watch`) has ended; leave PARENT_GRACE_S later
    if the watcher is still busy with a file."""
    while os.getppid() == parent and not stop.wait(0.5):
        pass
    stop.set()
    time.sleep(PARENT_GRACE_S)
    os._exit(0)


def _start_watcher_child(folders: list[Path]) -> None:
    """`folio watch FOLDERS` beside the UI that this process is about to become: it ends with it (see
    `_stop_with_parent`); Ctrl-C in the terminal stops both."""
    code = "import sys; sys.path.insert(0, sys.argv.pop(1)); import folio_cli; folio_cli.app()"
    here = str(Path(__file__).parent)
    command = [sys.executable, "-c", code, here, "watch", "--parent", str(os.getpid())]
    subprocess.Popen([*command, *(str(f.absolute()) for f in folders)], stdin=subprocess.DEVNULL)


@app.command()
def up(
    folder: Annotated[
        Path | None, typer.Argument(help="Folder to ingest before starting (only what changed).", show_default=False)
    ] = None,
    port: Annotated[int, typer.Option(help="Port of the web UI.")] = 8501,
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 shares it on the network.")] = "127.0.0.1",
    browser: Annotated[bool, typer.Option(help="Open the UI in a web browser.")] = True,
    watch_folders: Annotated[list[Path] | None, WATCH_OPTION] = None,
) -> None:
    """Start the chat UI; ingest FOLDER first, or the sample documents into a new, empty library."""
    try:
        settings = load_settings()
    except FolioError as error:
        _fail(error)
    paths = [folder] if folder else sorted(SAMPLE_DOCS.glob("*.pdf")) if _first_start(settings) else []
    if paths:  # the samples are their PDFs, not the folder's README
        try:
            ingest(paths, prune=False, json_out=False, ocr=None)
        except typer.Exit as done:
            if done.exit_code not in (0, 1):  # 1 = some file failed: reported above, start anyway
                raise
    if host != "127.0.0.1" and not settings.folio_password and not _accounts_on(settings):
        warning = f"listening on {terminal(host)} without FOLIO_PASSWORD: anyone who reaches it can read your documents"
        errors.print(f"[yellow]note:[/yellow] {warning}")
    app_file = Path(__file__).parent / "streamlit_app.py"
    command = [sys.executable, "-m", "streamlit", "run", str(app_file), "--server.port", str(port)]
    command += ["--server.address", host, "--server.maxUploadSize", str(settings.folio_max_upload_mb)]
    command += ["--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal"]
    # Always headless: Streamlit's own browser start asks "Welcome to Streamlit! Email:" on a fresh HOME (and
    # exits 255 without a terminal). The browser is opened by a helper once the UI answers.
    command += ["--client.showErrorDetails", "none", "--server.headless", "true"]
    command += _oidc_secrets(settings)
    if browser and _has_display():
        local = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        _start_browser_helper(f"http://{local}:{port}", os.getpid())
    if watch_folders:
        _start_watcher_child(watch_folders)
    sys.stdout.flush()
    sys.stderr.flush()
    # Streamlit takes this process's place (same pid): SIGTERM or Ctrl-C reach it directly, no child is left
    # behind, and the memory of the ingest above is given back.
    os.execvpe(command[0], command, os.environ.copy())


def _oidc_secrets(settings: Settings) -> list[str]:
    """Streamlit's option naming the secrets file with the identity provider's settings (FOLIO_OIDC_*), written
    to the data folder (mode 0600) before each start; none when sign-in with a provider is not configured."""
    from rag import write_streamlit_secrets

    try:
        written = write_streamlit_secrets(settings)
    except OSError as error:
        _fail(FolioError(f"could not write the identity provider's settings for Streamlit: {error}"))
    return ["--secrets.files", str(written)] if written else []


def _has_display() -> bool:
    """Whether a graphical browser can open: always on macOS and Windows, elsewhere only with a display
    (without one Python's webbrowser would start a text browser such as lynx in the terminal)."""
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _start_browser_helper(url: str, server_pid: int) -> None:
    """A small process that opens `url` in the web browser once the UI answers, and gives up if the server
    (`server_pid`, this process after exec) ends first."""
    code = "import sys, folio_cli; folio_cli.open_browser_when_ready(sys.argv[1], int(sys.argv[2]))"
    subprocess.Popen(
        [sys.executable, "-c", code, url, str(server_pid)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # not stopped by the terminal's Ctrl-C; it ends on its own
        cwd=Path(__file__).parent,
    )


def open_browser_when_ready(url: str, server_pid: int) -> None:
    """Wait for the UI's health endpoint, then open `url` (see `_start_browser_helper`)."""
    import time
    import urllib.request
    import webbrowser

    while True:
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            return
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                break
        except OSError:
            pass
        time.sleep(0.3)
    with contextlib.suppress(webbrowser.Error):
        webbrowser.open(url)


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port of the API.")] = 8765,
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 shares it on the network.")] = "127.0.0.1",
    watch_folders: Annotated[list[Path] | None, WATCH_OPTION] = None,
) -> None:
    """Serve the library as an OpenAI-compatible API (model `folio`) on http://HOST:PORT/v1."""
    import uvicorn

    from folio_server import create_app
    from rag import open_team

    try:
        settings = load_settings()
        accounts = open_team(settings).active()  # a team file Folio cannot use stops the start here, in one line
    except FolioError as error:
        _fail(error)
    if host != "127.0.0.1" and not settings.folio_api_key and not accounts:  # with accounts, keys are needed
        errors.print(f"[yellow]note:[/yellow] listening on {terminal(host)} without FOLIO_API_KEY")
    errors.print(f"Folio API on http://{terminal(host)}:{port}/v1 (model 'folio')", highlight=False)
    stop = threading.Event()
    if watch_folders:  # beside the server, in this process (the store's lock keeps their writes apart)
        threading.Thread(target=_watch_beside, args=(settings, watch_folders, stop), daemon=True).start()
    try:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
    finally:
        stop.set()


# Team: accounts, sharing, API keys and the audit log (rag.team). The CLI runs on the server's machine as its
# operator: it is trusted, and its actor in the audit log is "cli".

users_app = typer.Typer(help="Accounts: the first one (--admin) turns them on.", no_args_is_help=True)
groups_app = typer.Typer(help="Groups of users, to share collections with.", no_args_is_help=True)
keys_app = typer.Typer(help="Per-user API keys for `folio serve`.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(groups_app, name="groups")
app.add_typer(keys_app, name="keys")
PASSWORD_STDIN = typer.Option("--password-stdin", help="Read the password from the first line of stdin (scripts).")
USER_OPTION = typer.Option("--user", metavar="USER", help="A user's name.")
GROUP_OPTION = typer.Option("--group", metavar="GROUP", help="A group's name.")


def _audit_cli(settings: Settings, changes: list[tuple[Action, str]]) -> None:
    """With accounts on, the documents a command added or removed go to the audit log (actor "cli"); a team file
    that cannot be written is a warning, never a failed ingest."""
    from rag import open_team

    try:
        team = open_team(settings)
        if changes and team.active():
            for action, source in changes:
                team.audit.record(CLI, action, settings.folio_collection, source)
    except FolioError as error:
        errors.print(f"[yellow]warning:[/yellow] not in the audit log: {terminal(str(error))}", soft_wrap=True)


def _accounts_on(settings: Settings) -> bool:
    """Whether the UI asks every visitor to sign in (a user exists); a team file it cannot read counts as off."""
    from rag import open_team

    try:
        return open_team(settings).active()
    except FolioError:
        return False


T = TypeVar("T")


def _with_team(work: Callable[[Team], T]) -> T:
    """`work` done on the team database; a FolioError is one line on stderr and the exit code, as everywhere."""
    try:
        return work(_team())
    except FolioError as error:
        _fail(error)


def _team() -> Team:
    from rag import open_team

    return open_team(load_settings())


def _password(from_stdin: bool) -> str:
    """The new password: the first line of stdin, or typed twice at a hidden prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


def _one_grantee(user: str | None, group: str | None) -> None:
    if (user is None) == (group is None):
        raise ConfigError("name one user (--user) or one group (--group)")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The name to sign in with (letters, digits, . _ @ + -).")],
    admin: Annotated[bool, typer.Option("--admin", help="An admin manages users and sees every collection.")] = False,
    group: Annotated[list[str] | None, typer.Option("--group", metavar="GROUP", help="Add to this group.")] = None,
    display_name: Annotated[str, typer.Option(help="The name shown in the UI (default: NAME).")] = "",
    password_stdin: Annotated[bool, PASSWORD_STDIN] = False,
) -> None:
    """Add a user (the password is asked twice). The first user must be an admin: they are given every
    collection and chat of the library as it is, and from then on everyone signs in."""
    try:
        team = _team()
        first = not team.active()
        password = _password(password_stdin)
        user = team.add_user(name, password, admin=admin, groups=group or [], display_name=display_name)
    except FolioError as error:
        _fail(error)
    console.print(f"added {user.role} {terminal(user.name)}", highlight=False)
    if first:
        console.print("Accounts are on: the library is theirs, and everyone now signs in (UI) or uses a key (API).")


@users_app.command("list")
def users_list(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the users, their role, groups and whether they are disabled."""
    import json
    from dataclasses import asdict

    try:
        team = _team()
        listed = [(user, team.accounts.groups_of(user)) for user in team.accounts.users()]
    except FolioError as error:
        _fail(error)
    if json_out:
        print(json.dumps([asdict(user) | {"groups": groups} for user, groups in listed], indent=2))
        return
    table = Table("user", "display name", "role", "status", "signs in with", "groups", "created")
    for user, groups in listed:
        table.add_row(
            user.name, Text(printable(user.display_name)), user.role, "disabled" if user.disabled else "active",
            user.provider or "password", ", ".join(groups), user.created_at[:16],
        )  # fmt: skip
    console.print(table if listed else "No users: Folio is single-user (`folio users add NAME --admin`).")


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="The user's name.")]) -> None:
    """Disable a user: their sessions end and their API keys stop working; their collections and chats stay."""
    _with_team(lambda team: team.disable_user(name))
    console.print(f"disabled {terminal(name)}", highlight=False)


@users_app.command("reset-password")
def users_reset_password(
    name: Annotated[str, typer.Argument(help="The user's name.")],
    password_stdin: Annotated[bool, PASSWORD_STDIN] = False,
) -> None:
    """Set a new password (asked twice); the user's sessions end."""
    try:
        team = _team()
        team.accounts.require(name)  # before asking for a password
        team.reset_password(name, _password(password_stdin))
    except FolioError as error:
        _fail(error)
    console.print(f"new password set for {terminal(name)}", highlight=False)


@groups_app.command("add")
def groups_add(name: Annotated[str, typer.Argument(help="The group's name.")]) -> None:
    """Add a group."""
    _with_team(lambda team: team.add_group(name))
    console.print(f"added group {terminal(name)}", highlight=False)


@groups_app.command("add-member")
def groups_add_member(
    group: Annotated[str, typer.Argument(help="The group's name.")],
    user: Annotated[str, typer.Argument(help="The user's name.")],
) -> None:
    """Add a user to a group."""
    _with_team(lambda team: team.add_member(group, user))
    console.print(f"{terminal(user)} is in {terminal(group)}", highlight=False)


@app.command()
def share(
    collection: Annotated[str, typer.Argument(help="The collection (FOLIO_COLLECTION is the default one).")],
    user: Annotated[str | None, USER_OPTION] = None,
    group: Annotated[str | None, GROUP_OPTION] = None,
    write: Annotated[bool, typer.Option("--write", help="Also upload, delete and re-index (default: ask).")] = False,
) -> None:
    """Let a user or a group ask a collection's documents (read), or also change them (--write)."""
    try:
        _one_grantee(user, group)
        _team().share(collection, "write" if write else "read", user=user, group=group)
    except FolioError as error:
        _fail(error)
    who = f"user {user}" if user else f"group {group}"
    console.print(f"{terminal(who)} may {'change' if write else 'read'} {terminal(collection)}", highlight=False)


@app.command()
def unshare(
    collection: Annotated[str, typer.Argument(help="The collection.")],
    user: Annotated[str | None, USER_OPTION] = None,
    group: Annotated[str | None, GROUP_OPTION] = None,
) -> None:
    """Take a user's or a group's access to a collection away (the owner and admins keep theirs)."""
    try:
        _one_grantee(user, group)
        removed = _team().unshare(collection, user=user, group=group)
    except FolioError as error:
        _fail(error)
    who = f"user {user}" if user else f"group {group}"
    console.print(f"{terminal(who)} {'no longer' if removed else 'did not'} share {terminal(collection)}")
    raise typer.Exit(0 if removed else 1)


@keys_app.command("create")
def keys_create(
    user: Annotated[str, typer.Option("--user", metavar="USER", help="The key acts as this user.")],
    collection: Annotated[
        str | None, typer.Option("--collection", metavar="C", help="Only this collection (model folio:C).")
    ] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="Only read and ask: no uploads or deletes.")] = False,
) -> None:
    """Create an API key: printed once on stdout (only its hash is kept)."""
    key, secret = _with_team(lambda team: team.create_key(user, collection, read_only))
    print(secret)
    errors.print(f"key {key.id} for {terminal(user)}: shown once, keep it now (`folio keys revoke {key.id}`)")


@keys_app.command("list")
def keys_list(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the API keys (their first characters only), revoked ones too."""
    import json
    from dataclasses import asdict

    listed = _with_team(lambda team: team.keys.list())
    if json_out:
        print(json.dumps([asdict(key) for key in listed], indent=2))
        return
    table = Table("id", "key", "user", "collection", "access", "created", "last used", "revoked")
    for key in listed:
        table.add_row(
            str(key.id), f"{key.prefix}…", key.user, key.collection or "(all)",
            "read" if key.read_only else "read, write", key.created_at[:16], (key.last_used_at or "")[:16],
            (key.revoked_at or "")[:16],
        )  # fmt: skip
    console.print(table if listed else "No API keys (`folio keys create --user USER`).")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(metavar="ID", help="The key's id (`folio keys list`).")]) -> None:
    """Revoke an API key for good."""
    key = _with_team(lambda team: team.revoke_key(key_id))
    console.print(f"revoked key {key.id} of {terminal(key.user)}", highlight=False)


@app.command()
def audit(
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    limit: Annotated[int, typer.Option(help="How many entries, newest first.", min=1)] = 50,
) -> None:
    """Who signed in (or failed to), uploaded, deleted, re-indexed, shared, managed users and keys, and when."""
    import json
    from dataclasses import asdict

    entries = _with_team(lambda team: team.audit.entries(limit))
    if json_out:
        print(json.dumps([asdict(entry) for entry in entries], indent=2, ensure_ascii=False))
        return
    table = Table("time (UTC)", "who", "action", "collection", Column("target", overflow="fold"), "client")
    for e in entries:
        table.add_row(e.at, Text(printable(e.actor)), e.action, Text(printable(e.collection)),
                      Text(printable(e.target)), e.client)  # fmt: skip
    console.print(table if entries else "The audit log is empty (it starts with the first user).")


def _first_start(settings: Settings) -> bool:
    """True once per data folder, when its library is still empty: the sample documents go in then only
    (a sample the user deleted must not come back on the next start)."""
    marker = settings.folio_data_dir / ".sample-docs-offered"
    if marker.exists() or not SAMPLE_DOCS.is_dir():
        return False
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("folio up ingested sample_docs/ into the empty library once\n")
    try:
        return not _open(settings)[1].documents()
    except FolioError:
        return True  # the ingest that follows reports what is wrong


if __name__ == "__main__":
    app()
