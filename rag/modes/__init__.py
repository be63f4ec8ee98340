"""Answer modes, one module each (each an `rag.answerer.Answerer`), and the one place that picks a session's mode.

Adding a mode is a module here and a line in `answerer_for`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.answerer import Answerer
from rag.embed import Embedder
from rag.modes.extractive import ExtractiveAnswerer
from rag.modes.generated import GeneratedAnswerer

if TYPE_CHECKING:  # the openai client takes 1.1 s to import: only sessions that generate answers load it
    from rag.llm import ChatModel


def answerer_for(embedder: Embedder, llm: ChatModel | None) -> Answerer:
    """A session's answer mode: generated through `llm` when there is one, else extractive (offline)."""
    return GeneratedAnswerer(llm) if llm else ExtractiveAnswerer(embedder)


def offline_answerer(embedder: Embedder) -> Answerer:
    """The mode that needs no server: a session falls back to it when its answerer's server cannot be reached."""
    return ExtractiveAnswerer(embedder)
