"""ingest/isolate.py: the child process that reads, OCRs and renders PDFs is bounded and never outlives its parent."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.isolate import run_isolated
from rag.errors import IngestError

REPO = Path(__file__).resolve().parent.parent


def _allocate_two_gigabytes() -> int:
    return len(bytearray(2 << 30))


def test_an_isolated_child_cannot_grow_past_its_memory_cap():
    with pytest.raises(IngestError, match=r"needs more than \d+ MB of memory"):
        run_isolated(_allocate_two_gigabytes, timeout=30)


def test_a_child_that_dies_is_reported_at_once_not_after_the_timeout():
    with pytest.raises(IngestError, match="the PDF reader crashed on this file"):
        run_isolated(os._exit, 3, timeout=600)  # a native crash ends the child without an answer


def record_pid_and_sleep(path: str) -> None:
    Path(path).write_text(str(os.getpid()))
    time.sleep(600)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_the_child_dies_when_its_parent_is_killed(tmp_path):
    pid_file = tmp_path / "child.pid"
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from ingest.isolate import run_isolated; from tests.test_isolate import record_pid_and_sleep; "
            f"run_isolated(record_pid_and_sleep, {str(pid_file)!r}, timeout=600)",
        ],
        cwd=REPO,
    )
    try:
        for _ in range(300):
            if pid_file.exists() and pid_file.read_text():
                break
            time.sleep(0.1)
        child = int(pid_file.read_text())
        assert _running(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while _running(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _running(child)
    finally:
        parent.kill()
