"""The `folio` console script as a user runs it: real processes, real store on disk."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED_EVAL, make_pdf

FOLIO = str(Path(sys.executable).parent / "folio")


@pytest.fixture
def run(settings):
    env = {**os.environ, "FOLIO_DATA_DIR": str(settings.folio_data_dir)}

    def run(*args: str, module: bool = False) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "ingest", *args] if module else [FOLIO, *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    return run


def test_ingest_json_summary_and_exit_codes(tmp_path, run):
    docs = tmp_path / "docs"
    make_pdf(docs / "good.pdf", ["Saturn has a large ring system."])
    first = run("ingest", str(docs), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["summary"] == {"ingested": 1, "unchanged": 0, "failed": 0, "pruned": 0}

    (docs / "empty.pdf").write_bytes(b"")
    second = run(str(docs), "--json", module=True)
    assert second.returncode == 1
    report = json.loads(second.stdout)
    assert report["summary"] == {"ingested": 0, "unchanged": 1, "failed": 1, "pruned": 0}
    assert report["files"][0] == {"source": "empty.pdf", "status": "failed", "pages": 0, "chunks": 0,
                                  "reason": "file is empty (0 bytes)"}


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
    result = run("ingest", str(docs))
    assert result.returncode == 1
    assert "scan.pdf" in result.stdout and "no extractable text" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_missing_path_is_a_usage_error(run):
    result = run("ingest", "/no/such/folder")
    assert result.returncode == 2
    assert "does not exist" in result.stderr
