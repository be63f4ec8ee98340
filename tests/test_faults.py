"""Faults on disk through the real entry points (the `folio` command, the UI through AppTest): a damaged,
read-only or full conversation file never stops anyone asking (the answer is shown and said to be unsaved); a
store that cannot open on a full disk is one line."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rag.conversations import open_conversations
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # full disks, damaged files and real processes

FOLIO = str(Path(sys.executable).parent / "folio")
REFUSAL = "I could not find this in your documents."


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path` cannot be written, by root too (chattr +i; chmod alone does not stop root)."""
    root = os.geteuid() == 0
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True) if root else path.chmod(0o444)
    try:
        try:
            path.open("ab").close()
        except PermissionError:
            yield
        else:
            pytest.skip(f"cannot make a file read-only here ({made.stderr if root else 'chmod ignored'})")
    finally:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True) if root else path.chmod(0o644)


@contextmanager
def broken(data_dir: Path, how: str) -> Iterator[Path]:
    """The data folder's conversation file damaged (random bytes) or read-only (holding one saved chat)."""
    path = data_dir / "conversations.sqlite3"
    data_dir.mkdir(parents=True, exist_ok=True)
    if how == "damaged":
        path.write_bytes(os.urandom(8192))
        yield path
        return
    open_conversations(data_dir).start("folio", "Kept from before")
    with read_only(path):
        yield path


def _folio(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "FOLIO_DATA_DIR": str(data_dir)}
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "FOLIO_COLLECTION"):
        env.pop(name, None)
    return subprocess.run([FOLIO, *args], env=env, capture_output=True, text=True, timeout=300, input=stdin)


@pytest.mark.parametrize("how", ["damaged", "read-only"])
def test_folio_chat_answers_unsaved_and_folio_chats_says_why_in_one_line(tmp_path, how):
    data_dir = tmp_path / "data"
    with broken(data_dir, how) as path:
        before = path.read_bytes()
        chat = _folio(data_dir, "chat", stdin="What is the capital of Peru?\n\n")
        listed = _folio(data_dir, "chats")
        assert path.read_bytes() == before  # nothing written into it, nothing repaired away
    assert chat.returncode == 0, chat.stderr
    assert REFUSAL in chat.stdout and "This chat was not saved." in chat.stdout
    [warning] = chat.stderr.splitlines()
    assert warning.startswith("warning: this chat is not being saved (the conversation file") and str(path) in warning
    if how == "damaged":
        assert listed.returncode == 2 and listed.stdout == ""
        [error] = listed.stderr.splitlines()
        assert error.startswith("error: cannot read the saved chats:") and "file is not a database" in error
    else:  # what the file holds is still listed
        assert listed.returncode == 0 and "Kept from before" in listed.stdout
        [warning] = listed.stderr.splitlines()
        assert "new chats are not being saved" in warning and "readonly database" in warning
    assert "Traceback" not in chat.stderr + listed.stderr


def test_the_ui_answers_with_one_warning_when_the_conversation_file_is_damaged(settings, monkeypatch):
    st.cache_resource.clear()
    monkeypatch.chdir(ROOT)
    with broken(settings.folio_data_dir, "damaged"):
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120).run()
        at.chat_input[0].set_value("What is the capital of Peru?").run()
    assert not at.exception and not at.error
    assert REFUSAL in "".join(m.value for m in at.chat_message[1].markdown)
    [warning] = at.warning
    assert "Chats are not being saved" in warning.value and "file is not a database" in warning.value
    assert at.sidebar.radio[0].options == ["What is the capital of Peru?"]  # the chat is listed, from memory


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A 16 MB file system of its own (tmpfs: needs root and mount rights, else the test is skipped)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a small file system here ({mounted.stderr.strip()})")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=True)


def _fill(disk: Path) -> None:
    """Take every free byte of the file system."""
    with (disk / f"filler-{uuid.uuid4().hex}").open("wb") as file:
        try:
            while True:
                file.write(b"\0" * 65536)
                file.flush()
        except OSError:
            pass


def test_a_full_disk_mid_chat_keeps_the_answers_and_says_from_where_they_were_not_saved(small_disk):
    data_dir = small_disk / "data"
    assert _folio(data_dir, "docs").returncode == 0  # the store exists, there was room
    env = {**os.environ, "FOLIO_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "FOLIO_COLLECTION"):
        env.pop(name, None)
    chat = subprocess.Popen(
        [FOLIO, "chat"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        chat.stdin.write("What is the capital of Peru?\n")
        chat.stdin.flush()
        lines = []
        while not lines or REFUSAL not in lines[-1]:  # the first answer is out (and saved)
            line = chat.stdout.readline()
            assert line, f"folio chat ended early: {lines}"
            lines.append(line)
        _fill(small_disk)
        out, err = chat.communicate("And the capital of Chile?\n\n", timeout=300)
    finally:
        chat.kill()
    assert chat.returncode == 0, err
    assert "".join(lines + [out]).count(REFUSAL) == 2  # both answers shown
    [warning] = err.splitlines()
    assert warning.startswith("warning: this chat is not being saved") and "disk is full" in warning
    assert "is saved up to the warning: the answers after it were not saved." in out

    stopped = _folio(data_dir, "chat", stdin="Anything?\n\n")  # the store cannot even open now: one line
    assert stopped.returncode == 2 and stopped.stdout == ""
    [error] = stopped.stderr.splitlines()
    assert error.startswith("error: cannot open the embedded store in") and "disk is full" in error


STALLED_SERVER = """
import re, sys, threading, time
import httpx, uvicorn
from folio_server import create_app
from rag import Settings

settings = Settings(_env_file=None, folio_data_dir=sys.argv[1], folio_stall_timeout=2)
port = int(sys.argv[2])
server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
threading.Thread(target=server.run, daemon=True).start()
while not server.started:
    time.sleep(0.05)
print(httpx.get(f"http://127.0.0.1:{port}/v1/models").status_code, flush=True)

def hold_the_gil():  # exponential backtracking inside C: no Python thread runs until it ends (for ages)
    re.fullmatch(r"(a+)+b", "a" * 64)

hold_the_gil()
"""


def test_a_server_stuck_in_native_code_prints_every_stack_and_exits_for_its_supervisor(tmp_path):
    """Issue 28.11: once every route hung and SIGTERM was ignored, threads inside chromadb's native code holding
    the GIL. Held here by a regular expression (C code that never lets the GIL go): the watchdog still fires."""
    from tests.conftest import free_port

    run = subprocess.run(
        [sys.executable, "-c", STALLED_SERVER, str(tmp_path / "data"), str(free_port())],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.stdout.splitlines() == ["200"]  # it served, then stalled
    assert run.returncode == 1
    assert "Timeout (0:00:02)!" in run.stderr and "in hold_the_gil" in run.stderr  # the cause is in the report


def test_an_upload_on_a_full_disk_is_the_servers_fault_and_the_api_recovers_when_space_is_freed(small_disk):
    """Issue 28.12: a full disk during an upload was a 422 "unusable_file" with chromadb's text; it is a 503 (the
    same file goes in later), and once space is freed every route answers and the upload goes in (28.11)."""
    import httpx

    from rag import Settings
    from tests.conftest import SAMPLE_DOCS
    from tests.test_server import _serve

    settings = Settings(_env_file=None, folio_data_dir=small_disk / "data")
    server, url = _serve(settings)
    pdfs = sorted(SAMPLE_DOCS.glob("*.pdf"))

    def upload(pdf: Path) -> httpx.Response:
        return httpx.post(f"{url}/documents", files={"file": (pdf.name, pdf.read_bytes())}, timeout=300)

    try:
        assert upload(pdfs[0]).status_code == 200
        _fill(small_disk)
        full = upload(pdfs[1])
        assert full.status_code == 503, full.text
        error = full.json()["error"]
        assert error["code"] == "store_unavailable" and error["message"].startswith(f"{pdfs[1].name}: ")
        assert "space" in error["message"] or "disk is full" in error["message"]
        queued = httpx.post(f"{url}/documents?wait=false", files={"file": (pdfs[1].name, pdfs[1].read_bytes())})
        job = queued.json()
        while job["status"] not in ("done", "failed"):
            time.sleep(0.1)
            job = httpx.get(f"{url}/jobs/{job['id']}", timeout=30).json()
        assert job["status"] == "failed" and job["error"]["code"] == "store_unavailable"

        for filler in small_disk.glob("filler-*"):
            filler.unlink()
        assert httpx.get(f"{url}/nothing-here").status_code == 404
        assert upload(pdfs[1]).status_code == 200
        listed = httpx.get(f"{url}/documents", timeout=30).json()["data"]
        assert [d["source"] for d in listed] == [pdfs[0].name, pdfs[1].name]
    finally:
        server.should_exit = True
