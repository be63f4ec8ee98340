"""The `folio` command as a user runs it, on a real store on disk: in this process through Click's runner (the
commands, their output and exit codes; `python -m ingest` and the terminal tests run real processes, and
tests/test_clean_exit.py and tests/test_first_run.py run the installed console script)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from folio_cli import app
from tests.conftest import SHARED_EVAL, make_pdf

FOLIO = str(Path(sys.executable).parent / "folio")


@pytest.fixture
def run(settings):
    def run(*args: str, module: bool = False, stdin: str = "") -> subprocess.CompletedProcess:
        env = {"FOLIO_DATA_DIR": str(settings.folio_data_dir)}  # read now: tests may set variables
        if module:
            command = [sys.executable, "-m", "ingest", *args]
            return subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, timeout=300)
        done = CliRunner().invoke(app, list(args), input=stdin, env=env, catch_exceptions=False)
        return subprocess.CompletedProcess(["folio", *args], done.exit_code, done.stdout, done.stderr)

    return run


@pytest.mark.slow  # real processes
def test_ingest_json_summary_and_exit_codes(tmp_path, run):
    docs = tmp_path / "docs"
    make_pdf(docs / "good.pdf", ["Saturn has a large ring system."])
    first = run("ingest", str(docs), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["summary"] == {
        "ingested": 1,
        "unchanged": 0,
        "duplicate": 0,
        "failed": 0,
        "pruned": 0,
    }

    (docs / "empty.pdf").write_bytes(b"")
    second = run(str(docs), "--json", module=True)
    assert second.returncode == 1
    report = json.loads(second.stdout)
    assert report["summary"] == {"ingested": 0, "unchanged": 1, "duplicate": 0, "failed": 1, "pruned": 0}
    assert report["files"][0] == {
        "source": "empty.pdf",
        "status": "failed",
        "pages": 0,
        "chunks": 0,
        "reason": "file is empty (0 bytes)",
        "reader": "",
        "fault": "file",  # the file's, not the library's (a full disk): trying again will not help
    }


def test_docs_lists_and_rm_removes(tmp_path, run):
    make_pdf(tmp_path / "docs" / "moons.pdf", ["Titan is the largest moon of Saturn."])
    assert run("ingest", str(tmp_path / "docs")).returncode == 0
    listed = json.loads(run("docs", "--json").stdout)
    assert [(d["source"], d["pages"], d["chunks"]) for d in listed] == [("moons.pdf", 1, 1)]

    removed = run("rm", "moons.pdf", "nope.pdf")
    assert removed.returncode == 1
    assert "removed: moons.pdf" in removed.stdout and "not found: nope.pdf" in removed.stdout
    assert json.loads(run("docs", "--json").stdout) == []


def test_ingest_table_names_the_bad_file_and_its_reason(tmp_path, run):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "scan.pdf").write_bytes((SHARED_EVAL / "hostile-pdfs" / "image_only_scan.pdf").read_bytes())
    result = run("ingest", str(docs), "--no-ocr")
    assert result.returncode == 1
    assert "scan.pdf" in result.stdout and "no extractable text" in result.stdout
    assert "[1/1] failed: scan.pdf" in result.stderr  # not a terminal: one line per file
    assert "Traceback" not in result.stdout + result.stderr


def test_a_missing_path_is_a_usage_error(run):
    result = run("ingest", "/no/such/folder")
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_ask_answers_offline_with_sources_as_json(tmp_path, run):
    make_pdf(tmp_path / "docs" / "saturn.pdf", ["Intro page.", "Saturn has a large ring system made of ice."])
    assert run("ingest", str(tmp_path / "docs")).returncode == 0
    result = run("ask", "--json", "What is Saturn's ring system made of?")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["mode"] == "extractive" and "made of ice" in answer["answer"]
    assert answer["sources"][0]["source"] == "saturn.pdf" and "2" in answer["sources"][0]["pages"]


def small_dataset(tmp_path) -> Path:
    """Two SQuAD PDFs, every 80th of their questions and one document-level question."""
    dataset = tmp_path / "set"
    (dataset / "pdfs").mkdir(parents=True)
    for name in ("00_Super_Bowl_50.pdf", "16_Amazon_rainforest.pdf"):
        (dataset / "pdfs" / name).write_bytes((SHARED_EVAL / "squad-public" / "pdfs" / name).read_bytes())
    lines = [
        line
        for line in (SHARED_EVAL / "squad-public" / "questions.jsonl").read_text().splitlines()
        if json.loads(line)["file"] in ("00_Super_Bowl_50.pdf", "16_Amazon_rainforest.pdf")
    ]
    document_level = {"question": "Which team won Super Bowl 50?", "files": ["00_Super_Bowl_50.pdf"]}
    (dataset / "questions.jsonl").write_text("\n".join([*lines[::80], json.dumps(document_level)]))
    return dataset


def test_rich_markup_in_names_and_text_is_printed_as_text(tmp_path, run):
    docs = tmp_path / "docs"
    make_pdf(docs / "[red]notes[/x].pdf", ["The [/bold] harbour gate code is 4417 for all guests."])
    ingested = run("ingest", str(docs))
    assert ingested.returncode == 0, ingested.stderr
    assert "[red]notes[/x].pdf" in ingested.stdout.replace("\n", "")
    assert "[red]notes[/x].pdf" in run("docs").stdout.replace("\n", "")
    asked = run("ask", "What is the harbour gate code?")
    assert asked.returncode == 0, asked.stderr
    assert "[/bold] harbour gate code is 4417" in asked.stdout and "[red]notes[/x].pdf" in asked.stdout


def test_a_bad_setting_is_one_line_naming_it(run, monkeypatch):
    monkeypatch.setenv("FOLIO_TOP_K", "0")
    monkeypatch.setenv("CHROMA_PORT", "abc")
    done = run("docs")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "FOLIO_TOP_K='0'" in line and "CHROMA_PORT='abc'" in line


def test_terminal_escape_sequences_in_a_file_name_are_not_sent_to_the_terminal(tmp_path, run):
    name = "red\x1b[31mX\x1b]0;owned\x07.pdf"
    make_pdf(tmp_path / "docs" / name, ["The harbour gate code is 4417 for all guests."])
    for done in (run("ingest", str(tmp_path / "docs")), run("docs")):
        assert done.returncode == 0, done.stderr
        assert "\x1b" not in done.stdout + done.stderr and "\x07" not in done.stdout
        assert "red[31mX]0;owned.pdf" in done.stdout.replace("\n", "")


def test_a_cli_chat_is_saved_listed_and_resumed(tmp_path, run):
    make_pdf(tmp_path / "docs" / "moons.pdf", ["Titan is the largest moon of Saturn. Ganymede orbits Jupiter."])
    assert run("ingest", str(tmp_path / "docs")).returncode == 0
    first = run("chat", stdin="Which is the largest moon of Saturn?\n\n")
    assert first.returncode == 0, first.stderr
    assert "Titan is the largest moon of Saturn" in first.stdout and "Saved as chat " in first.stdout
    [saved] = json.loads(run("chats", "--json").stdout)
    assert saved["title"] == "Which is the largest moon of Saturn?"

    resumed = run("chat", "--resume", saved["id"][:6], stdin="Which moon orbits Jupiter?\n\n")
    assert resumed.returncode == 0, resumed.stderr
    assert "Resuming Which is the largest moon of Saturn?" in resumed.stdout
    assert "you: Which is the largest moon of Saturn?" in resumed.stdout and "Ganymede" in resumed.stdout
    assert len(json.loads(run("chats", "--json").stdout)) == 1

    missing = run("chat", "--resume", "zzz", stdin="\n")
    assert missing.returncode == 2 and "no saved chat matches 'zzz'" in missing.stderr


def test_same_name_files_from_two_folders_are_two_documents_and_rm_takes_a_prefix(tmp_path, run):
    make_pdf(tmp_path / "a" / "report.pdf", ["The northern depot stores 120 pallets of grain."])
    make_pdf(tmp_path / "a" / "report-2.pdf", ["The western depot is closed on Sundays."])
    make_pdf(tmp_path / "b" / "report.pdf", ["The southern depot stores 75 pallets of rice."])
    assert run("ingest", str(tmp_path / "a")).returncode == 0
    second = run("ingest", str(tmp_path / "b"), "--json")
    [file] = json.loads(second.stdout)["files"]
    assert (file["source"], file["status"]) == ("b/report.pdf", "ingested")
    again = json.loads(run("ingest", str(tmp_path / "b"), "--json").stdout)["files"][0]
    assert (again["source"], again["status"]) == ("b/report.pdf", "unchanged")  # the file is its identity
    assert [d["source"] for d in json.loads(run("docs", "--json").stdout)] == [
        "b/report.pdf",
        "report-2.pdf",
        "report.pdf",
    ]
    rice = json.loads(run("ask", "How many pallets of rice does the southern depot store?", "--json").stdout)
    assert rice["sources"][0]["source"] == "b/report.pdf"
    grain = json.loads(run("ask", "How many pallets of grain does the northern depot store?", "--json").stdout)
    assert grain["sources"][0]["source"] == "report.pdf"

    ambiguous = run("rm", "report")
    assert ambiguous.returncode == 1 and "ambiguous: report matches report-2.pdf, report.pdf" in ambiguous.stdout
    removed = run("rm", "b/", "report-")
    assert (
        removed.returncode == 0
        and "removed: b/report.pdf" in removed.stdout
        and "removed: report-2.pdf" in removed.stdout
    )
    assert [d["source"] for d in json.loads(run("docs", "--json").stdout)] == ["report.pdf"]


def test_ask_on_an_empty_library_says_how_to_add_documents_and_help_shows_flags_as_flags(run):
    empty = run("ask", "What is the gate code?")
    assert empty.returncode == 1
    assert "No documents yet: add files with `folio ingest DIR` or upload them in the web UI." in empty.stderr
    helped = run("ask", "--help")
    assert "--json " in helped.stdout and "<bool>" not in helped.stdout
    assert "--doc FILE.pdf" in helped.stdout and "list[str]" not in helped.stdout


def on_a_terminal(settings, *args: str, stdout_piped: bool = False) -> tuple[str, str]:
    """What `folio ARGS` shows on a terminal (a pty for stderr, and for stdout unless it is piped, as in
    `folio eval --json > out.json`) and what it wrote to the pipe; asserts it exits 0."""
    import pty

    env = {**os.environ, "FOLIO_DATA_DIR": str(settings.folio_data_dir), "COLUMNS": "120"}
    leader, follower = pty.openpty()
    stdout = subprocess.PIPE if stdout_piped else follower
    process = subprocess.Popen([FOLIO, *args], stdout=stdout, stderr=follower, env=env, text=True)
    os.close(follower)
    shown = b""
    while True:
        try:
            piece = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not piece:
            break
        shown += piece
    piped = process.stdout.read() if stdout_piped else ""
    assert process.wait(timeout=120) == 0
    return shown.decode("utf-8", "replace"), piped


@pytest.mark.slow  # real processes
def test_on_a_terminal_the_answer_is_rendered_markdown(tmp_path, run, settings):
    make_pdf(tmp_path / "docs" / "moons.pdf", ["Titan is the largest moon of Saturn. Ganymede orbits Jupiter."])
    assert run("ingest", str(tmp_path / "docs")).returncode == 0
    text, _ = on_a_terminal(settings, "ask", "Which is the largest moon of Saturn?")
    assert "Titan is the largest moon of Saturn" in text
    assert "> Titan" not in text and "*moons.pdf" not in text  # Markdown rendered, not printed raw


def test_a_copy_of_a_stored_file_is_a_skipped_duplicate_not_a_failure(tmp_path, run):
    docs = tmp_path / "docs"
    make_pdf(docs / "report.pdf", ["The harbour gate code is 4417 for all guests."])
    (docs / "zz-copy.pdf").write_bytes((docs / "report.pdf").read_bytes())
    for _ in range(2):  # a cron job: every run after the first must exit 0 too
        done = run("ingest", str(docs), "--json")
        assert done.returncode == 0, done.stdout
        files = {f["source"]: f for f in json.loads(done.stdout)["files"]}
        assert files["zz-copy.pdf"]["status"] == "duplicate"
        assert files["zz-copy.pdf"]["reason"] == "same content as 'report.pdf', which is already stored"
        assert json.loads(done.stdout)["summary"]["duplicate"] == 1
    table = run("ingest", str(docs))
    assert table.returncode == 0 and "duplicate" in table.stdout and "0 failed" in table.stdout
    assert "[2/2] duplicate: zz-copy.pdf" in table.stderr


def test_ask_doc_takes_a_prefix_and_an_unknown_name_is_an_error_naming_what_exists(tmp_path, run):
    make_pdf(tmp_path / "docs" / "amazon-rainforest.pdf", ["About 60% of the Amazon rainforest is in Brazil."])
    make_pdf(tmp_path / "docs" / "saturn.pdf", ["Saturn has a large ring system made of ice."])
    assert run("ingest", str(tmp_path / "docs")).returncode == 0
    prefixed = run("ask", "--doc", "amazon", "--json", "How much of the rainforest is in Brazil?")
    assert prefixed.returncode == 0, prefixed.stderr
    assert {s["source"] for s in json.loads(prefixed.stdout)["sources"]} == {"amazon-rainforest.pdf"}

    missing = run("ask", "--doc", "amazon-forest.pdf", "How much of the rainforest is in Brazil?")
    assert missing.returncode == 2 and missing.stdout == ""
    [line] = missing.stderr.strip().splitlines()
    assert line == "error: no document 'amazon-forest.pdf'; closest: amazon-rainforest.pdf (see `folio docs`)"
    ambiguous = run("ask", "--doc", "", "--json", "Which rings?")
    assert ambiguous.returncode == 2
    assert "is ambiguous: it matches amazon-rainforest.pdf, saturn.pdf" in ambiguous.stderr


@pytest.mark.slow  # real processes
def test_ingest_progress_on_a_terminal_says_1_page_not_1_pages(tmp_path, settings):
    make_pdf(tmp_path / "docs" / "a.pdf", ["Titan is the largest moon of Saturn."])
    make_pdf(tmp_path / "docs" / "b.pdf", ["Ganymede orbits Jupiter."])
    text, _ = on_a_terminal(settings, "ingest", str(tmp_path / "docs"))
    assert "(1 page, 1 chunk)" in text and "1 pages" not in text and "1 chunks" not in text


@pytest.mark.slow  # real processes
def test_eval_reports_metrics_as_json_with_its_progress_on_the_terminal(tmp_path, settings):
    dataset = small_dataset(tmp_path)
    lines = (dataset / "questions.jsonl").read_text().splitlines()[:-1]
    text, piped = on_a_terminal(settings, "eval", str(dataset), "--json", stdout_piped=True)
    assert "ingest" in text and "2/2" in text  # the PDFs, then the questions, counted
    assert "retrieval" in text and "answers" in text
    metrics = json.loads(piped)  # stdout holds only the JSON
    assert metrics["questions"] == len(lines) + 1
    assert metrics["doc_hit@5"] >= metrics["hit@5"] and "strict_citation" in metrics
    assert metrics["hit@5"] >= 0.8 and metrics["answer_contains_gold"] >= 0.6
    assert 0 <= metrics["hit@1"] <= metrics["hit@5"] <= 1
