"""The seam of answer modes: what an `Answerer` is given and what it returns.

A session (rag.answer.ChatSession) asks its answerer what to search for, retrieves and numbers the sources, then
streams the answerer's reply: markers naming no source are dropped and the others numbered by first use, a refusal
lists no sources, and an answerer whose server cannot be reached (`LLMUnreachable`) gives way to the offline one.
The modes are in rag/modes/, chosen in `rag.modes.answerer_for`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from rag.sources import Source

NOT_FOUND = "I could not find this in your documents."

Turn = tuple[str, str]  # (question, answer text)


@dataclass(frozen=True)
class Search:
    """What to retrieve for a question: `query`, and earlier words of the conversation searched with it (weighted
    lower; offline follow-ups only)."""

    query: str
    context: str = ""


@dataclass(frozen=True)
class Question:
    """What an answerer answers from: the question as asked, what was searched, and the numbered sources found."""

    text: str
    search: Search
    sources: Sequence[Source]
    history: Sequence[Turn] = ()  # the remembered turns, oldest first


class Answerer(Protocol):
    """One answer mode: how a question is searched for, and the reply written from its sources."""

    @property
    def mode(self) -> str:
        """The mode of its answers (`Answer.mode`): "extractive", "generated"."""
        ...

    @property
    def label(self) -> str:
        """How front ends name it: "extractive", "generated (gpt-4o-mini)"."""
        ...

    def search(self, question: str, history: Sequence[Turn], searched: str) -> Search:
        """What to retrieve for `question`, given the remembered turns and what the last answered turn searched."""
        ...

    def reply(self, question: Question) -> Iterable[str]:
        """The answer's text, in pieces as they come, citing sources as [n]; `NOT_FOUND` alone to refuse."""
        ...
