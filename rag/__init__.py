"""Query layer: retrieval over Chroma, cited answers (generated or extractive), conversation.

Public API (used by the CLI, the UI and the tests): `open_components`, `ChatSession` and its events.
Names are imported on first use, so `import rag.errors` (done by PDF-reading child processes)
does not load llama-index and Chroma.
"""

from __future__ import annotations

import importlib

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
    "ConfigError": "rag.errors",
    "FolioError": "rag.errors",
    "IngestError": "rag.errors",
    "LLMError": "rag.errors",
    "StoreError": "rag.errors",
    "cited_sentences": "rag.citations",
    "load_settings": "rag.config",
    "Components": "rag.components",
    "Conversations": "rag.conversations",
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


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
