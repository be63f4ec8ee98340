"""Query layer: retrieval over Chroma, cited answers (generated or extractive), conversation.

Public API (used by the CLI, the UI and the tests): `open_components`, `ChatSession` and its events; `open_team`
(accounts, sharing, API keys, the audit log); sign-in with an identity provider (`rag.oidc`).
Names are imported on first use, so `import rag.errors` (done by PDF-reading child processes)
does not load llama-index and Chroma.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the same names for type checkers and editors (at run time they are imported on first use)
    from rag.access import SignInLimits  # noqa: F401
    from rag.accounts import SignInRefused, SignInThrottle, User  # noqa: F401
    from rag.answer import Answer, ChatSession, Done, Error, Event, Sources, Token  # noqa: F401
    from rag.audit import CLI, Action, AuditEntry  # noqa: F401
    from rag.citations import cited_sentences  # noqa: F401
    from rag.components import Components, create_collection, open_collection, open_components  # noqa: F401
    from rag.config import Settings, load_settings  # noqa: F401
    from rag.conversations import Conversations, Message, open_conversations  # noqa: F401
    from rag.display import attribute, html_text, inert, label, literal, printable, terminal  # noqa: F401
    from rag.embed import Embedder  # noqa: F401
    from rag.errors import ConfigError, FolioError, IngestError, LLMError, StoreError  # noqa: F401
    from rag.evaluate import OFF_TOPIC, evaluate_answers, evaluate_retrieval, load_questions  # noqa: F401
    from rag.keys import ApiKey  # noqa: F401
    from rag.llm import ChatModel  # noqa: F401
    from rag.oidc import (  # noqa: F401
        OIDC_PROVIDER,
        oidc_enabled,
        provider_member,
        provider_session_over,
        write_streamlit_secrets,
    )
    from rag.records import DocumentRecord  # noqa: F401
    from rag.sharing import Grant, Principal  # noqa: F401
    from rag.sources import Source  # noqa: F401
    from rag.store import Store, check_collection_name, collection_names, open_library  # noqa: F401
    from rag.team import Team, open_team  # noqa: F401

_HOMES = {
    "Answer": "rag.answer",
    "ChatSession": "rag.answer",
    "Done": "rag.answer",
    "Error": "rag.answer",
    "Event": "rag.answer",
    "Sources": "rag.answer",
    "Token": "rag.answer",
    "Settings": "rag.config",
    "SignInLimits": "rag.access",
    "SignInRefused": "rag.accounts",
    "SignInThrottle": "rag.accounts",
    "User": "rag.accounts",
    "Action": "rag.audit",
    "AuditEntry": "rag.audit",
    "CLI": "rag.audit",
    "ApiKey": "rag.keys",
    "Grant": "rag.sharing",
    "Principal": "rag.sharing",
    "Team": "rag.team",
    "open_team": "rag.team",
    "ConfigError": "rag.errors",
    "FolioError": "rag.errors",
    "IngestError": "rag.errors",
    "LLMError": "rag.errors",
    "StoreError": "rag.errors",
    "cited_sentences": "rag.citations",
    "load_settings": "rag.config",
    "Components": "rag.components",
    "ChatModel": "rag.llm",
    "OIDC_PROVIDER": "rag.oidc",
    "oidc_enabled": "rag.oidc",
    "provider_member": "rag.oidc",
    "provider_session_over": "rag.oidc",
    "write_streamlit_secrets": "rag.oidc",
    "Conversations": "rag.conversations",
    "DocumentRecord": "rag.records",
    "Embedder": "rag.embed",
    "Source": "rag.sources",
    "Store": "rag.store",
    "Message": "rag.conversations",
    "check_collection_name": "rag.store",
    "collection_names": "rag.store",
    "create_collection": "rag.components",
    "open_conversations": "rag.conversations",
    "attribute": "rag.display",
    "html_text": "rag.display",
    "inert": "rag.display",
    "label": "rag.display",
    "literal": "rag.display",
    "printable": "rag.display",
    "terminal": "rag.display",
    "open_collection": "rag.components",
    "open_components": "rag.components",
    "open_library": "rag.store",
    "OFF_TOPIC": "rag.evaluate",
    "evaluate_answers": "rag.evaluate",
    "evaluate_retrieval": "rag.evaluate",
    "load_questions": "rag.evaluate",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
