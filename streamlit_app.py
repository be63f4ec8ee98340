"""Folio's web UI: chat with cited sources, uploads, document manager, settings.

Calls the public APIs of `rag` and `ingest` only; every FolioError is shown as a message.
"""

from __future__ import annotations

import html
from pathlib import Path

import streamlit as st

from ingest import ReadLimits, ingest_bytes
from ingest.preview import render_preview
from ingest.uploads import ingest_upload
from rag import Components, Done, Error, Token, load_settings, open_components
from rag.citations import cited_sentences
from rag.display import inert, literal
from rag.errors import FolioError

st.set_page_config(page_title="Folio", page_icon="📚", layout="wide")


@st.cache_resource(show_spinner="Loading the embedding model and the store…")
def components() -> Components:
    """Embedder, store, retriever and LLM client, loaded once per server process."""
    return open_components(load_settings())


def upload_panel(parts: Components) -> None:
    limit = parts.settings.folio_max_upload_mb
    files = st.file_uploader(f"Add PDFs (up to {limit} MB each)", type=["pdf"], accept_multiple_files=True)
    if not files or not st.button("Ingest uploaded files", type="primary"):
        return
    for file in files:
        with st.spinner(f"Ingesting {file.name}…"):
            result = ingest_upload(file.name, file.getvalue(), parts.store, parts.embedder, parts.settings)
        if result.status == "failed":
            st.error(f"{literal(result.source)}: {literal(result.reason)}")
        elif result.status == "unchanged":
            st.info(f"{literal(result.source)}: already stored, unchanged")
        else:
            notes = f" {literal(result.reason)}" if result.reason else ""
            st.success(f"{literal(result.source)}: ingested {result.pages} pages, {result.chunks} chunks.{notes}")


def reindex(parts: Components, doc) -> None:
    try:
        data = Path(doc.path).read_bytes()
    except OSError as error:
        st.error(f"{literal(doc.source)}: cannot read {literal(doc.path)} ({error.strerror})")
        return
    settings = parts.settings
    with st.spinner(f"Re-indexing {doc.source}…"):
        result = ingest_bytes(
            doc.source,
            data,
            parts.store,
            parts.embedder,
            settings.folio_chunk_tokens,
            settings.folio_chunk_overlap,
            path=Path(doc.path),
            force=True,
            limits=ReadLimits.from_settings(settings),
            context_words=settings.folio_context_words,
        )
    if result.status == "failed":
        st.error(f"{literal(doc.source)}: {literal(result.reason)}")
    else:
        st.success(f"{literal(doc.source)}: re-indexed {result.pages} pages, {result.chunks} chunks")


def document_panel(parts: Components) -> list[str]:
    """List documents with delete buttons; returns the documents the chat is restricted to."""
    documents = parts.store.documents()
    if not documents:
        st.caption("No documents yet.")
        return []
    for doc in documents:
        st.markdown(f"**{literal(doc.source)}**  \n{doc.pages} pages · {doc.chunks} chunks · {doc.ingested_at[:16]}")
        left, right = st.columns(2)
        if left.button("Delete", key=f"rm-{doc.source}", help=f"Delete {doc.source} and its chunks"):
            parts.store.delete_document(doc.source)
            st.rerun()
        if doc.path and right.button("Re-index", key=f"re-{doc.source}", help="Read the file again and re-embed it"):
            reindex(parts, doc)
    return st.multiselect("Only ask these documents", [d.source for d in documents])


def show_sources(parts: Components, answer) -> None:
    """Each cited source: its text, and an image of the cited page rendered from the PDF."""
    highlights = cited_sentences(answer.text, answer.sources)
    for source in answer.cited_sources:
        with st.expander(source_label(source)):
            text = html.escape(source.text)
            if source.n in highlights:
                sentence = html.escape(highlights[source.n])
                text = text.replace(sentence, f"<mark>{sentence}</mark>", 1)
            # one line of HTML: a blank line would end the HTML block and let Markdown in the text come alive
            text = text.replace("\n", "&#10;")
            st.markdown(f"<div style='white-space: pre-wrap'>{text}</div>", unsafe_allow_html=True)
            record = parts.store.document(source.source)
            if record and record.path and Path(record.path).exists():
                try:
                    image = render_preview(record.path, source.page_start)
                except Exception as error:  # a preview must never break the answer
                    st.caption(f"The page preview could not be rendered: {error}")
                else:
                    st.image(image, caption=f"{source.source}, page {source.page_start}")
            else:
                st.caption("The original file is not available for a page preview.")


def source_label(source) -> str:
    """ "[1] file.pdf, p. 3", the file name shown as typed."""
    return f"\\[{source.n}\\] {literal(source.source)}, {source.pages_label}"


def transcript_markdown(messages: list[dict]) -> str:
    lines = ["# Folio conversation", ""]
    for message in messages:
        lines += [f"**{message['role']}:** {message['content']}", ""]
        for label in message.get("sources", []):
            lines.append(f"- {label}")
    return "\n".join(lines)


def main() -> None:
    st.title("Folio")
    try:
        parts = components()
    except FolioError as error:
        st.error(literal(str(error)))
        st.stop()
    if "session" not in st.session_state:
        st.session_state.session = parts.session()
        st.session_state.messages = []
    session = st.session_state.session

    with st.sidebar:
        st.subheader("Settings")
        if parts.llm:
            st.write(f"Answers: **generated** by `{parts.llm.model}`")
        else:
            st.write(
                "Answers: **offline, extractive** (quotes from your documents; "
                "set OPENAI_API_KEY or OPENAI_BASE_URL for generated answers)"
            )
        session.top_k = st.slider("Sources per question (top-k)", 1, 15, parts.settings.folio_top_k)
        st.caption(f"Collection: `{parts.settings.folio_collection}`")
        if st.button("New chat"):
            session.reset()
            st.session_state.messages = []
            st.rerun()
        st.download_button("Download chat (Markdown)", transcript_markdown(st.session_state.messages), "folio-chat.md")
        st.subheader("Documents")
        upload_panel(parts)
        selected = document_panel(parts)

    question = st.chat_input("Ask about your documents")
    if not st.session_state.messages and not question:
        st.info("Ask a question about your documents below. Add PDFs in the sidebar, or run `folio ingest FOLDER`.")
    for message in st.session_state.messages:
        with st.chat_message(message["role"]):
            st.markdown(inert(message["content"]) if message["role"] == "assistant" else literal(message["content"]))
            for label in message.get("sources", []):
                st.caption(label)

    if not question:
        return
    st.session_state.messages.append({"role": "user", "content": question})
    with st.chat_message("user"):
        st.markdown(literal(question))
    with st.chat_message("assistant"):
        box, text, answer = st.empty(), "", None
        for event in session.ask(question, selected or None):
            if isinstance(event, Token):
                text += event.text
                box.markdown(inert(text))  # the whole text each time: a link split across tokens is still caught
            elif isinstance(event, Error):
                st.error(literal(event.message))
            elif isinstance(event, Done):
                answer = event.answer
        show_sources(parts, answer)
    labels = [source_label(s) for s in answer.cited_sources]
    st.session_state.messages.append({"role": "assistant", "content": answer.text, "sources": labels})


main()
