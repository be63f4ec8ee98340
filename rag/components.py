"""The long-lived parts of Folio built from the settings: embedder, store, retriever, LLM client."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from rag.answer import ChatSession
from rag.config import Settings, llm_enabled
from rag.embed import Embedder, make_embedder
from rag.errors import ConfigError
from rag.rerank import KeepOrder, Reranker
from rag.retrieve import Retriever
from rag.store import Store, check_collection_name, collection_names, open_store

if TYPE_CHECKING:
    from rag.llm import ChatModel

# FOLIO_RERANKER name → the reranker built from the settings (rag.rerank): one line each
RERANKERS: Mapping[str, Callable[[Settings], Reranker]] = MappingProxyType(
    {
        "none": lambda settings: KeepOrder(),
    }
)


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
    reranker = reranker_for(settings)
    embedder = shared_embedder(settings)
    embedder.warm_up()  # overlaps opening the store; the first question needs the model
    store = open_store(settings, embedder)
    retriever = Retriever(
        store, embedder, settings.folio_retrieval, dense_weight=settings.folio_dense_weight, reranker=reranker
    )
    llm = None
    if llm_enabled(settings):
        from rag.llm import ChatModel  # the openai client takes 1.1 s to import: only when answers are generated

        llm = ChatModel(settings)
    return Components(settings, embedder, store, retriever, llm)


def reranker_for(settings: Settings) -> Reranker:
    """The reranker FOLIO_RERANKER names; ConfigError for a name not in RERANKERS."""
    make = RERANKERS.get(settings.folio_reranker)
    if make is None:
        known = ", ".join(sorted(RERANKERS))
        raise ConfigError(f"FOLIO_RERANKER={settings.folio_reranker!r} names no reranker (Folio has: {known})")
    return make(settings)


def open_collection(settings: Settings, name: str) -> Components:
    """The components of the collection `name` in the configured store; ConfigError for a name Chroma refuses.
    Opening a collection that does not exist creates it: callers that only read check `collection_names` first,
    and creating one on purpose is `create_collection`."""
    return open_components(settings.model_copy(update={"folio_collection": check_collection_name(name)}))


def create_collection(settings: Settings, name: str) -> Components:
    """Create the collection `name` (or open it, if it exists); ConfigError past FOLIO_MAX_COLLECTIONS."""
    existing = collection_names(settings)
    if check_collection_name(name) not in existing and len(existing) >= settings.folio_max_collections:
        raise ConfigError(
            f"there are already {len(existing)} collections, the most this library may have "
            f"(FOLIO_MAX_COLLECTIONS={settings.folio_max_collections}): delete one or raise the limit"
        )
    return open_collection(settings, name)


_embedders: dict[tuple, Embedder] = {}
_embedders_lock = threading.Lock()


def shared_embedder(settings: Settings) -> Embedder:
    """One embedder per process for each embedding configuration, whatever the number of collections: MiniLM
    holds 150-175 MB, and six collections with one each took a server from 617 to 1,444 MB (issue 28)."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    config = (settings.folio_embedding, settings.folio_openai_embedding_model, settings.openai_base_url, key)
    with _embedders_lock:
        if config not in _embedders:
            _embedders[config] = make_embedder(settings)
        return _embedders[config]
