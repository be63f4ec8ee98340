"""The built wheel runs on its own: installed into a fresh virtual environment (pinned versions from uv.lock),
`folio up --no-browser` serves a healthy UI and `folio serve` answers /v1/models."""

import os
import shutil
import subprocess
import time
import urllib.request

import pytest

from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.slow
UV = shutil.which("uv")


def _status(url: str, seconds: float = 180) -> int:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return urllib.request.urlopen(url, timeout=2).status
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _run(*command: str, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, **kwargs)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.skipif(UV is None, reason="uv builds the wheel")
def test_the_wheel_installs_into_a_fresh_venv_and_serves_the_ui_and_the_api(tmp_path):
    _run(UV, "build", "--wheel", "--out-dir", str(tmp_path / "dist"), cwd=ROOT)
    [wheel] = (tmp_path / "dist").glob("folio-*.whl")
    names = subprocess.run(["unzip", "-l", str(wheel)], capture_output=True, text=True).stdout
    assert "streamlit_app.py" in names and "bench/" not in names and "sample_docs/" not in names
    pins = tmp_path / "requirements.txt"
    _run(UV, "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", "-o", str(pins), cwd=ROOT)
    _run(UV, "venv", "--python", "3.11", str(tmp_path / "venv"))
    python = tmp_path / "venv" / "bin" / "python"
    _run(UV, "pip", "install", "--python", str(python), "-r", str(pins), str(wheel), "--link-mode", "copy")

    env = {**os.environ, "FOLIO_DATA_DIR": str(tmp_path / "data"), "VIRTUAL_ENV": str(tmp_path / "venv")}
    folio = str(tmp_path / "venv" / "bin" / "folio")
    outside = tmp_path / "elsewhere"  # not a checkout: no sample_docs, no .streamlit
    outside.mkdir()
    ui_port, api_port = free_port(), free_port()
    ui = subprocess.Popen([folio, "up", "--no-browser", "--port", str(ui_port)], cwd=outside, env=env)
    api = subprocess.Popen([folio, "serve", "--port", str(api_port)], cwd=outside, env=env)
    try:
        assert _status(f"http://127.0.0.1:{ui_port}/_stcore/health") == 200
        assert _status(f"http://127.0.0.1:{api_port}/v1/models") == 200
    finally:
        ui.terminate()
        api.terminate()
        ui.wait(timeout=30)
        api.wait(timeout=30)
