"""The README's first command as a new user runs it: a fresh HOME (no ~/.streamlit), no terminal on stdin.
It must reach a healthy UI without any prompt, and SIGTERM must leave nothing listening."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.slow
FOLIO = str(Path(sys.executable).parent / "folio")


def wait_until_healthy(process: subprocess.Popen, url: str, seconds: float = 300) -> None:
    """Poll `url` until it answers 200; fail at once if the process ends first (a prompt that hit EOF)."""
    import time

    deadline = time.monotonic() + seconds  # generous: an overall bound, not a measurement
    while process.poll() is None:
        try:
            if urllib.request.urlopen(url, timeout=2).status == 200:
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, f"{url} never answered"
        time.sleep(0.2)
    raise AssertionError(f"exited with {process.returncode} before {url} answered")


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def stop_and_check_nothing_listens(process: subprocess.Popen, port: int) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    assert not listening(port), f"something still listens on {port} after SIGTERM"


def test_folio_up_with_a_fresh_home_and_no_terminal_serves_the_ui_without_a_prompt(tmp_path):
    home = Path(tempfile.mkdtemp(dir=tmp_path))
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "CHROMA_HOST")}
    env |= {"HOME": str(home), "FOLIO_DATA_DIR": str(tmp_path / "data")}
    port = free_port()
    process = subprocess.Popen(
        [FOLIO, "up", "--port", str(port)],  # the browser is wanted (the default), as in the README
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_healthy(process, f"http://127.0.0.1:{port}/_stcore/health")
    finally:
        if process.poll() is None:
            stop_and_check_nothing_listens(process, port)
    output = process.stdout.read()
    assert "Email" not in output and "Welcome to Streamlit" not in output, output
    assert "usage statistics" not in output, output
    assert not (home / ".streamlit").exists()  # nothing written into the user's home


def test_sigterm_to_folio_up_stops_the_ui_server_too(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / ".sample-docs-offered").write_text("")  # no sample ingest: start the UI at once
    port = free_port()
    process = subprocess.Popen(
        [FOLIO, "up", "--no-browser", "--port", str(port)],
        env={**os.environ, "FOLIO_DATA_DIR": str(data)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_healthy(process, f"http://127.0.0.1:{port}/_stcore/health")
    finally:
        if process.poll() is None:
            stop_and_check_nothing_listens(process, port)
