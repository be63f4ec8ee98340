"""The built wheel runs on its own: the README's wheel commands, run as written in a copy of the project, install
it into a fresh virtual environment (pinned versions from uv.lock); `folio up --no-browser` serves a healthy UI,
`folio serve` answers /v1/models, and SIGTERM leaves nothing listening."""

import os
import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT, free_port
from tests.test_first_run import stop_and_check_nothing_listens, wait_until_healthy

# pip downloads every dependency into the fresh environment: 2-5 minutes of the network, so a release check
pytestmark = [pytest.mark.slow, pytest.mark.release]
BUILD_INPUTS = ["pyproject.toml", "uv.lock", "README.md", "rag", "ingest"]  # what `uv build` reads
BUILD_INPUTS += ["folio_cli.py", "folio_server.py", "streamlit_app.py"]


def readme_wheel_commands() -> list[str]:
    """The lines of README.md's fenced bash block that starts with `uv build`."""
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    [block] = [b for b in blocks if b.startswith("uv build")]
    return block.strip().splitlines()


@pytest.mark.skipif(shutil.which("uv") is None or shutil.which("python3.11") is None, reason="uv builds the wheel")
def test_the_readme_wheel_commands_install_a_wheel_that_serves_the_ui_and_the_api(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, project / name)
    *install, start = readme_wheel_commands()
    assert start == "folio-env/bin/folio up"
    done = subprocess.run(
        ["bash", "-ec", "\n".join(install)], cwd=project, capture_output=True, text=True, timeout=1800
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [wheel] = (project / "dist").glob("folio-*.whl")
    names = subprocess.run(["unzip", "-l", str(wheel)], capture_output=True, text=True).stdout
    assert "streamlit_app.py" in names and "bench/" not in names and "sample_docs/" not in names

    env = {**os.environ, "FOLIO_DATA_DIR": str(tmp_path / "data")}
    env.pop("CHROMA_HOST", None)
    folio = str(project / "folio-env" / "bin" / "folio")
    outside = tmp_path / "elsewhere"  # not a checkout: no sample_docs, no .streamlit
    outside.mkdir()
    ui_port, api_port = free_port(), free_port()
    quiet = {"cwd": outside, "env": env, "stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL}
    ui = subprocess.Popen([folio, "up", "--no-browser", "--port", str(ui_port)], **quiet)
    api = subprocess.Popen([folio, "serve", "--port", str(api_port)], **quiet)
    try:
        wait_until_healthy(ui, f"http://127.0.0.1:{ui_port}/_stcore/health")
        wait_until_healthy(api, f"http://127.0.0.1:{api_port}/v1/models")
    finally:
        for process, port in ((ui, ui_port), (api, api_port)):
            if process.poll() is None:
                stop_and_check_nothing_listens(process, port)
