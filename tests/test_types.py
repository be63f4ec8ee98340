"""mypy (pyproject's [tool.mypy]) over every module of rag/ and ingest/ and the three front ends, with no errors
(issue 29.6); a new module must be named in CHECKED."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT

FRONT_ENDS = ["folio_cli.py", "folio_server.py", "streamlit_app.py"]
CHECKED = [
    *FRONT_ENDS,
    "ingest/__init__.py",
    "ingest/__main__.py",
    "ingest/chunk.py",
    "ingest/identity.py",
    "ingest/ingestor.py",
    "ingest/isolate.py",
    "ingest/jobs.py",
    "ingest/layout.py",
    "ingest/ocr.py",
    "ingest/pdf.py",
    "ingest/preview.py",
    "ingest/sync.py",
    "ingest/uploads.py",
    "ingest/watch.py",
    "rag/__init__.py",
    "rag/access.py",
    "rag/acronyms.py",
    "rag/accounts.py",
    "rag/answer.py",
    "rag/answerer.py",
    "rag/audit.py",
    "rag/citations.py",
    "rag/components.py",
    "rag/config.py",
    "rag/conversations.py",
    "rag/display.py",
    "rag/embed.py",
    "rag/embed_assets/__init__.py",
    "rag/errors.py",
    "rag/evaluate.py",
    "rag/extractive.py",
    "rag/followup.py",
    "rag/keys.py",
    "rag/identity.py",
    "rag/keyword.py",
    "rag/llm.py",
    "rag/modes/__init__.py",
    "rag/modes/extractive.py",
    "rag/modes/generated.py",
    "rag/oidc.py",
    "rag/periods.py",
    "rag/prompts.py",
    "rag/records.py",
    "rag/rerank.py",
    "rag/retrieve.py",
    "rag/sections.py",
    "rag/sentences.py",
    "rag/sharing.py",
    "rag/sources.py",
    "rag/store.py",
    "rag/team.py",
    "rag/team_db.py",
    "rag/terms.py",
    *(p.relative_to(ROOT).as_posix() for p in [ROOT / "ingest/options.py", *ROOT.glob("ingest/readers/*.py")]),
]


def test_every_module_is_checked():
    modules = {
        path.relative_to(ROOT).as_posix() for package in ("rag", "ingest") for path in (ROOT / package).rglob("*.py")
    }
    assert sorted(CHECKED) == sorted(modules | set(FRONT_ENDS))


@pytest.mark.slow  # about 60 s with an empty mypy cache (a fresh clone, CI), 2 s with the one the last run left
def test_the_checked_modules_pass_mypy(request):
    cache = request.config.cache.mkdir("mypy")  # .pytest_cache/d/mypy, kept between runs (a tmp_path is always cold)
    command = [sys.executable, "-m", "mypy", "--follow-imports=silent", "--cache-dir", str(cache), *CHECKED]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
