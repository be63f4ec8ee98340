"""`folio ask` lists the sources the UI and the API show (`Answer.shown_sources`), even when the model cites none:
the command through Click's runner, against a real store and the OpenAI-wire fake on loopback."""

import json

import pytest
from typer.testing import CliRunner

from folio_cli import app
from ingest import Ingestor
from tests.conftest import make_pdf

UNCITED = ["Most of the Amazon rainforest ", "is in Brazil."]  # what small local models often write: no [n]


@pytest.fixture
def ask(tmp_path, settings, store, embedder, fake_llm):
    make_pdf(tmp_path / "docs" / "amazon.pdf", ["About 60% of the Amazon rainforest is in Brazil."])
    assert Ingestor(store, embedder, settings).folders([tmp_path / "docs"]).ok
    env = {
        "FOLIO_DATA_DIR": str(settings.folio_data_dir),
        "OPENAI_BASE_URL": fake_llm.base_url,
        "FOLIO_LLM_MODEL": "fake-small",
    }

    def ask(*args: str) -> str:
        fake_llm.then("stream", tokens=UNCITED)
        command = ["ask", *args, "How much of the Amazon rainforest is in Brazil?"]
        done = CliRunner().invoke(app, command, env=env, catch_exceptions=False)
        assert done.exit_code == 0, done.stderr
        return done.stdout

    return ask


def test_ask_lists_every_source_when_the_model_cites_none(ask):
    printed = ask()
    assert "Most of the Amazon rainforest is in Brazil." in printed
    assert "[1] amazon.pdf, p. 1: About 60% of the Amazon rainforest is in Brazil." in printed


def test_ask_json_holds_the_same_sources_in_the_shape_saved_chats_keep(ask):
    answer = json.loads(ask("--json"))
    assert answer["mode"] == "generated" and answer["cited"] == []
    [source] = answer["sources"]
    assert (source["n"], source["source"], source["pages"]) == (1, "amazon.pdf", "p. 1")
    assert "60% of the Amazon" in source["text"] and source["page_breaks"] == [[0, 1]]
