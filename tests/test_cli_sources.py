"""`folio ask` lists the sources the UI and the API show (`Answer.shown_sources`), even when the model cites none:
the real command in a subprocess, against a real store and the OpenAI-wire fake on loopback."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest import Ingestor
from tests.conftest import make_pdf

pytestmark = pytest.mark.slow  # the real `folio` command in a subprocess

FOLIO = str(Path(sys.executable).parent / "folio")
UNCITED = ["Most of the Amazon rainforest ", "is in Brazil."]  # what small local models often write: no [n]


@pytest.fixture
def ask(tmp_path, settings, store, embedder, fake_llm):
    make_pdf(tmp_path / "docs" / "amazon.pdf", ["About 60% of the Amazon rainforest is in Brazil."])
    assert Ingestor(store, embedder, settings).folders([tmp_path / "docs"]).ok
    env = os.environ | {
        "FOLIO_DATA_DIR": str(settings.folio_data_dir),
        "OPENAI_BASE_URL": fake_llm.base_url,
        "FOLIO_LLM_MODEL": "fake-small",
    }

    def ask(*args: str) -> subprocess.CompletedProcess:
        fake_llm.then("stream", tokens=UNCITED)
        command = [FOLIO, "ask", *args, "How much of the Amazon rainforest is in Brazil?"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done

    return ask


def test_ask_lists_every_source_when_the_model_cites_none(ask):
    printed = ask().stdout
    assert "Most of the Amazon rainforest is in Brazil." in printed
    assert "[1] amazon.pdf, p. 1: About 60% of the Amazon rainforest is in Brazil." in printed


def test_ask_json_holds_the_same_sources_in_the_shape_saved_chats_keep(ask):
    answer = json.loads(ask("--json").stdout)
    assert answer["mode"] == "generated" and answer["cited"] == []
    [source] = answer["sources"]
    assert (source["n"], source["source"], source["pages"]) == (1, "amazon.pdf", "p. 1")
    assert "60% of the Amazon" in source["text"] and source["page_breaks"] == [[0, 1]]
