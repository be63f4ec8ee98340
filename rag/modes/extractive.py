"""The extractive (offline) mode: the retrieved sentences that best answer the question, quoted and cited (chosen by
rag.extractive). A follow-up that leans on the conversation is searched with the words of the turn before
(rag.followup)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from rag.answerer import NOT_FOUND, Question, Search, Turn
from rag.embed import Embedder
from rag.extractive import best_quotes
from rag.followup import follow_up_search

HEADING = "Quoted from your documents (offline mode, no language model):\n\n"


class ExtractiveAnswerer:
    """Answers with quotes; needs no language model, only the embedder (to tell how close a sentence is)."""

    mode = label = "extractive"

    def __init__(self, embedder: Embedder):
        self.embedder = embedder
        self._question_vector: tuple[str, np.ndarray | None] = ("", None)  # the last question compared with sentences

    def search(self, question: str, history: Sequence[Turn], searched: str) -> Search:
        """The question, with the words the last turn searched for when it leans on them."""
        query, context = follow_up_search(question, searched)
        return Search(query, context)

    def reply(self, question: Question) -> Iterator[str]:
        """Up to three quotes, each cited with its file and page; `NOT_FOUND` when no sentence answers."""
        search = question.search
        quotes = best_quotes(search.query, question.sources, search.context, similarity=self._similarity)
        if not quotes:
            yield NOT_FOUND
            return
        lines = [f"> {q.text} [{q.source.n}] — *{q.source.source}, {q.source.page_label(q.page)}*" for q in quotes]
        yield HEADING + "\n>\n".join(lines)

    def _similarity(self, question: str, sentences: Sequence[str]) -> Sequence[float]:
        """Cosine of each sentence to the question (asked a few sentences at a time: the question is embedded
        once)."""
        if self._question_vector[0] != question:
            self._question_vector = (question, self.embedder.embed([question])[0])
        return self.embedder.embed(sentences) @ self._question_vector[1]
