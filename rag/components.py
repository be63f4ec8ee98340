"""The long-lived parts of Folio built from the settings: embedder, store, retriever, LLM client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.answer import ChatSession
from rag.config import Settings, llm_enabled
from rag.embed import Embedder, make_embedder
from rag.retrieve import Retriever
from rag.store import Store, check_collection_name, open_store

if TYPE_CHECKING:
    from rag.llm import ChatModel


@dataclass
class Components:
    """The long-lived parts built from the settings: load once, share between questions."""

    settings: Settings
    embedder: Embedder
    store: Store
    retriever: Retriever
    llm: ChatModel | None

    def session(self) -> ChatSession:
        """A new conversation."""
        s = self.settings
        return ChatSession(self.retriever, self.llm, top_k=s.folio_top_k, min_similarity=s.folio_min_similarity)


def open_components(settings: Settings) -> Components:
    """Embedder, store, retriever and (if configured) the LLM client for these settings."""
    embedder = make_embedder(settings)
    embedder.warm_up()  # overlaps opening the store; the first question needs the model
    store = open_store(settings, embedder)
    retriever = Retriever(store, embedder, settings.folio_retrieval, dense_weight=settings.folio_dense_weight)
    llm = None
    if llm_enabled(settings):
        from rag.llm import ChatModel  # the openai client takes 1.1 s to import: only when answers are generated

        llm = ChatModel(settings)
    return Components(settings, embedder, store, retriever, llm)


def open_collection(settings: Settings, name: str) -> Components:
    """The components of the collection `name` in the configured store; ConfigError for a name Chroma refuses."""
    return open_components(settings.model_copy(update={"folio_collection": check_collection_name(name)}))
