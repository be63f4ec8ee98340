"""Seeded mutation fuzzing through the real `folio ingest`: no mutant crashes a run or damages the store.

Mutants (bit flips, truncation, splicing, duplicated and swapped objects) of small real PDFs, in batches of 20,
each batch with an untouched control file, for as long as a time budget allows (FOLIO_FUZZ_BUDGET_S, 15 s: at
least one batch; a faster machine tries more). The seed changes every day (the UTC date), so the runs together
cover far more mutants than one run could; it is in the test's id and in pytest's header, and
`FOLIO_FUZZ_SEED=N pytest tests/test_fuzz.py` repeats a run (the same mutants in the same order). A mutant that
ever broke a run is kept in tests/fuzz-regressions/ and ingested on every run.
"""

import json
import os
import subprocess
import sys
import time
from itertools import islice
from pathlib import Path

import pytest

from rag import open_components
from rag.config import Settings
from tests.conftest import SAMPLE_DOCS, SHARED_EVAL, fuzz_seed
from tests.mutate import mutants

REGRESSIONS = Path(__file__).parent / "fuzz-regressions"
CONTROL = SAMPLE_DOCS / "amazon-rainforest-wikipedia.pdf"
HOSTILE = SHARED_EVAL / "hostile-pdfs"
REAL = SHARED_EVAL / "real-docs" / "pdfs"
SEEDS = [
    *(HOSTILE / name for name in ["cjk_text.pdf", "corrupt_xref.pdf", "encrypted_empty_user_password.pdf"]),
    *(HOSTILE / name for name in ["image_only_scan.pdf", "rotated_pages.pdf", "two_column.pdf"]),
    *(HOSTILE / name for name in ["upstream_habibi.pdf", "upstream_imagemagick-CCITTFaxDecode.pdf"]),
    *(HOSTILE / name for name in ["upstream_libreoffice-form.pdf", "upstream_pdflatex-forms.pdf"]),
    *(HOSTILE / name for name in ["upstream_with-attachment.pdf", "upstream_multicolumn.pdf"]),
    CONTROL,
    *(REAL / name for name in ["20080102X00002.pdf", "NCT06155240_Prot_SAP_000.pdf", "NCT06155955_Prot_SAP_000.pdf"]),
]
BUDGET_S = float(os.environ.get("FOLIO_FUZZ_BUDGET_S", "15"))  # work, not a deadline: no batch is cut short
BATCH = 20
SEED = fuzz_seed()


def _ingest_batch(folder: Path, data_dir: Path) -> None:
    """Run `python -m ingest` on the folder and check the run, the report and the store."""
    env = {
        **os.environ,
        "FOLIO_DATA_DIR": str(data_dir),
        "FOLIO_READ_TIMEOUT": "30",
        "FOLIO_OCR_MAX_PAGES": "2",
        "FOLIO_OCR_PAGE_TIMEOUT": "10",
    }
    run = subprocess.run(
        [sys.executable, "-m", "ingest", str(folder), "--json"], env=env, capture_output=True, text=True, timeout=900
    )
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert run.returncode in (0, 1), run.stderr[-3000:]  # 1: some files failed, each with its reason
    results = {r["source"]: r for r in json.loads(run.stdout)["files"]}
    assert set(results) == {p.name for p in folder.glob("*.pdf")}
    assert results["control.pdf"]["status"] == "ingested"
    for result in results.values():
        assert result["status"] in ("ingested", "failed")
        assert result["status"] == "ingested" or ("\n" not in result["reason"] and 0 < len(result["reason"]) <= 300)

    parts = open_components(Settings(_env_file=None, folio_data_dir=data_dir))
    documents = parts.store.documents()
    assert {d.source for d in documents} == {s for s, r in results.items() if r["status"] == "ingested"}
    assert [parts.store.stored_chunks(d) for d in documents] == [d.chunks for d in documents]
    assert parts.store.count() == sum(d.chunks for d in documents)


@pytest.mark.slow
def test_every_kept_regression_mutant_is_reported_and_the_run_goes_on(tmp_path):
    folder = tmp_path / "regressions"
    folder.mkdir()
    for mutant in REGRESSIONS.glob("*.pdf"):
        (folder / mutant.name).write_bytes(mutant.read_bytes())
    (folder / "control.pdf").write_bytes(CONTROL.read_bytes())
    _ingest_batch(folder, tmp_path / "data")


@pytest.mark.slow
@pytest.mark.parametrize("seed", [SEED], ids=lambda seed: f"seed{seed}")
def test_seeded_mutants_never_crash_an_ingest_run_or_damage_the_store(tmp_path, seed):
    missing = [path.name for path in SEEDS if not path.exists()]
    assert not missing, f"fuzz seeds missing (is ../shared beside the repository?): {missing}"
    every = mutants(SEEDS, 10**6, seed)
    started, tried = time.monotonic(), 0
    while tried == 0 or time.monotonic() - started < BUDGET_S:
        folder = tmp_path / f"mutants{tried}"
        folder.mkdir()
        for name, data in islice(every, BATCH):
            (folder / name).write_bytes(data)
        (folder / "control.pdf").write_bytes(CONTROL.read_bytes())
        _ingest_batch(folder, tmp_path / f"data{tried}")
        tried += BATCH
    print(f"fuzz seed {seed}: {tried} mutants in {time.monotonic() - started:.0f} s, none crashed a run")
