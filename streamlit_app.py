"""Folio's web UI (placeholder until the chat UI lands): shows the ingested documents."""

import streamlit as st

from rag.config import Settings
from rag.embed import make_embedder
from rag.errors import FolioError
from rag.store import open_store

st.set_page_config(page_title="Folio", page_icon="📚")
st.title("📚 Folio")
try:
    settings = Settings()
    documents = open_store(settings, make_embedder(settings)).documents()
except FolioError as error:
    st.error(str(error))
    st.stop()
if not documents:
    st.info("No documents yet. Run `folio ingest FOLDER` to add PDFs.")
for doc in documents:
    st.write(f"**{doc.source}**: {doc.pages} pages, {doc.chunks} chunks (ingested {doc.ingested_at})")
