"""The generated mode: a language model answers from the numbered sources (rag.prompts), citing them as [n]; a
follow-up is first rewritten by the model into a question that stands on its own."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from rag.answerer import Question, Search, Turn
from rag.prompts import CONDENSE_PROMPT, SYSTEM_PROMPT, user_prompt

if TYPE_CHECKING:  # the openai client takes 1.1 s to import: the caller that built the model has paid for it
    from rag.llm import ChatModel


class GeneratedAnswerer:
    """Answers through `llm`: the conversation so far, then the sources and the question."""

    mode = "generated"

    def __init__(self, llm: ChatModel):
        self.llm = llm

    @property
    def label(self) -> str:
        return f"generated ({self.llm.model})"

    def search(self, question: str, history: Sequence[Turn], searched: str) -> Search:
        """The question, or, after earlier turns, the model's standalone rewrite of it."""
        if not history:
            return Search(question)
        transcript = "\n".join(f"{m['role']}: {m['content']}" for m in _messages(history))
        prompt = CONDENSE_PROMPT.format(history=transcript, question=question)
        rewritten = self.llm.complete([{"role": "user", "content": prompt}]).strip()
        return Search(rewritten or question)

    def reply(self, question: Question) -> Iterator[str]:
        """The model's answer, streamed."""
        messages = [{"role": "system", "content": SYSTEM_PROMPT}, *_messages(question.history)]
        messages.append({"role": "user", "content": user_prompt(question.text, question.sources)})
        return self.llm.stream(messages)


def _messages(history: Sequence[Turn]) -> list[dict[str, str]]:
    """The remembered turns as chat messages, oldest first."""
    return [
        message
        for question, text in history
        for message in ({"role": "user", "content": question}, {"role": "assistant", "content": text})
    ]
