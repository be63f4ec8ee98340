"""A conversation over the documents: condense → retrieve → sources → answer, as a stream of events.

One code path for every front end: the CLI, the UI and the tests iterate `ChatSession.ask()`;
`ChatSession.answer()` drains it for callers that want the final `Answer` only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from rag.citations import cited_numbers, filter_citations, renumber
from rag.config import default
from rag.embed import count_tokens
from rag.errors import FolioError, LLMError, LLMUnreachable
from rag.extractive import best_quotes
from rag.followup import follow_up_search
from rag.prompts import CONDENSE_PROMPT, SYSTEM_PROMPT, user_prompt
from rag.retrieve import Retriever
from rag.sources import Source, build_sources

if TYPE_CHECKING:
    import numpy as np

    from rag.llm import ChatModel

NOT_FOUND = "I could not find this in your documents."
OFFLINE_NOTICE = "_Answered offline, with quotes: {reason}._\n\n"  # an LLM server that cannot be reached
Mode = Literal["generated", "extractive", "not_found", "error"]


@dataclass
class Answer:
    question: str
    query: str  # what was searched: the question, or its standalone rewrite in a conversation
    text: str = ""
    mode: Mode = "extractive"
    sources: list[Source] = field(default_factory=list)
    cited: list[int] = field(default_factory=list)
    error: str = ""  # set when the answer failed or was cut off
    context: str = ""  # offline follow-up: earlier words of the conversation searched with it (weighted lower)

    @property
    def cited_sources(self) -> list[Source]:
        """The sources the answer cites, in the order it first cites them."""
        by_number = {s.n: s for s in self.sources}
        return [by_number[n] for n in self.cited if n in by_number]

    @property
    def shown_sources(self) -> list[Source]:
        """The sources listed under the answer: those it cites, or every source when it cites none (small local
        models often cite nothing); a refusal has none."""
        return self.cited_sources or self.sources

    def sources_json(self) -> list[dict[str, Any]]:
        """The shown sources as JSON (`Source.to_dict`): what `folio ask --json`, the API and saved chats hold."""
        return [source.to_dict() for source in self.shown_sources]


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class Sources:
    sources: list[Source]


@dataclass(frozen=True)
class Error:
    message: str


@dataclass(frozen=True)
class Done:
    answer: Answer


Event = Token | Sources | Error | Done


class ChatSession:
    """Questions and answers about the stored documents, remembering the conversation."""

    def __init__(
        self,
        retriever: Retriever,
        llm: ChatModel | None = None,
        top_k: int = default("folio_top_k"),
        min_similarity: float = default("folio_min_similarity"),
        context_tokens: int = 3000,
        history_tokens: int = 1500,
    ):
        self.retriever = retriever
        self.llm = llm
        self.top_k = top_k
        self.min_similarity = min_similarity
        self.context_tokens = context_tokens
        self.history_tokens = history_tokens
        self.turns: list[tuple[str, str]] = []  # (question, answer text), oldest first
        self._searched = ""  # what the last answered turn searched for (its question, and its context if any)
        self._question_vector: tuple[str, np.ndarray | None] = ("", None)  # the last question compared with sentences

    @property
    def mode(self) -> str:
        """'extractive' (offline) or 'generated (MODEL)'."""
        return f"generated ({self.llm.model})" if self.llm else "extractive"

    def reset(self) -> None:
        """Forget the conversation."""
        self.turns = []
        self._searched = ""

    def restore(self, turns: Sequence[tuple[str, str]]) -> None:
        """Remember these (question, answer) turns instead: a conversation resumed from where it was saved. The
        newest turns that fit in `history_tokens` are kept as `_remember` keeps them, each counted once from the
        newest back (any length of history costs what the kept turns cost)."""
        kept, budget = [], self.history_tokens
        for turn in reversed(turns):
            budget -= sum(count_tokens(part) for part in turn)
            if budget < 0 and kept:
                break
            kept.append(tuple(turn))
            if budget < 0:
                break
        self.turns = kept[::-1]
        self._searched = turns[-1][0] if turns else ""

    def answer(self, question: str, documents: Sequence[str] | None = None) -> Answer:
        """Ask and wait for the whole answer."""
        for event in self.ask(question, documents):
            if isinstance(event, Done):
                return event.answer
        raise AssertionError("ask() always ends with Done")

    def ask(self, question: str, documents: Sequence[str] | None = None) -> Iterator[Event]:
        """Answer `question` from the documents (all, or only those named), streaming events. With an LLM server
        that cannot be reached (now, or a moment ago), the answer is the offline one after a one-line notice."""
        answer = Answer(question=question, query=question)
        first_use: dict[int, int] = {}  # source number → its citation number, in the order the answer cites them
        llm, offline_because = self.llm, ""
        try:
            if llm:
                try:
                    answer.query = self._standalone(question, llm)
                except LLMUnreachable as error:
                    llm, offline_because = None, str(error)
            if not llm:
                answer.query, answer.context = follow_up_search(question, self._searched)
            retrieved = self.retriever.retrieve(answer.query, self.top_k, documents, answer.context)
            if not retrieved.chunks or retrieved.best_similarity < self.min_similarity:
                answer.mode, answer.text = "not_found", NOT_FOUND
                yield Token(NOT_FOUND)
            else:
                answer.sources = build_sources(retrieved.chunks, count_tokens, self.context_tokens, self.top_k)
                yield Sources(answer.sources)
                if llm:
                    try:
                        yield from _into(answer, self._generate(answer, first_use, llm))
                    except LLMUnreachable as error:
                        if answer.text:
                            raise
                        llm, offline_because = None, str(error)
                if not llm:
                    if offline_because:
                        yield from _into(answer, [Token(OFFLINE_NOTICE.format(reason=offline_because))])
                    answer.mode = "extractive"
                    yield from _into(answer, self._extract(answer, first_use))
        except FolioError as error:
            answer.error = str(error)
            answer.mode = "error" if not answer.text else answer.mode
            yield Error(answer.error)
        _drop_sources_of_a_refusal(answer)
        _number_by_first_use(answer, first_use)
        if answer.text:
            self._remember(question, answer.text)
            if answer.mode != "error":
                self._searched = f"{answer.query} {answer.context}".strip()
        yield Done(answer)

    def _remember(self, question: str, text: str) -> None:
        """Keep this turn, and only as many earlier ones as fit in `history_tokens` with it."""
        self.turns.append((question, text))
        budget = self.history_tokens
        for i in range(len(self.turns) - 1, -1, -1):
            budget -= sum(count_tokens(part) for part in self.turns[i])
            if budget < 0:
                self.turns = self.turns[i + 1 :] or self.turns[-1:]
                break

    def _history(self) -> list[dict[str, str]]:
        """The remembered turns as chat messages, oldest first."""
        return [
            message
            for question, text in self.turns
            for message in ({"role": "user", "content": question}, {"role": "assistant", "content": text})
        ]

    def _standalone(self, question: str, llm: ChatModel) -> str:
        """Rewrite a follow-up into a question that stands on its own (LLM mode, with history)."""
        history = self._history()
        if not history:
            return question
        transcript = "\n".join(f"{m['role']}: {m['content']}" for m in history)
        prompt = CONDENSE_PROMPT.format(history=transcript, question=question)
        rewritten = llm.complete([{"role": "user", "content": prompt}]).strip()
        return rewritten or question

    def _generate(self, answer: Answer, first_use: dict[int, int], llm: ChatModel) -> Iterator[Event]:
        messages = [{"role": "system", "content": SYSTEM_PROMPT}]
        messages += self._history()
        messages.append({"role": "user", "content": user_prompt(answer.question, answer.sources)})
        answer.mode = "generated"
        valid = {s.n for s in answer.sources}
        try:
            for text in filter_citations(llm.stream(messages), valid, first_use):
                yield Token(text)
        except LLMError:
            if answer.text:
                yield Token(" …")
            raise

    def _extract(self, answer: Answer, first_use: dict[int, int]) -> Iterator[Event]:
        quotes = best_quotes(answer.query, answer.sources, answer.context, similarity=self._similarity)
        if not quotes:
            answer.mode = "not_found"
            yield Token(NOT_FOUND)
            return
        lines = [f"> {q.text} [{q.source.n}] — *{q.source.source}, {q.source.page_label(q.page)}*" for q in quotes]
        text = "Quoted from your documents (offline mode, no language model):\n\n" + "\n>\n".join(lines)
        yield Token(renumber(text, first_use))

    def _similarity(self, question: str, sentences: Sequence[str]) -> Sequence[float]:
        """Cosine of each sentence to the question, by the retriever's embedder (asked a few sentences at a time:
        the question is embedded once)."""
        if self._question_vector[0] != question:
            self._question_vector = (question, self.retriever.embedder.embed([question])[0])
        return self.retriever.embedder.embed(sentences) @ self._question_vector[1]


def _into(answer: Answer, events: Iterable[Event]) -> Iterator[Event]:
    """`events`, passed on, with the text of each Token added to the answer."""
    for event in events:
        if isinstance(event, Token):
            answer.text += event.text
        yield event


def _drop_sources_of_a_refusal(answer: Answer) -> None:
    """A refusal cites nothing, so it lists no sources: the passages retrieved were near the question, not an
    answer to it (every front end shows `answer.sources`, so this is the one place that decides)."""
    refused = answer.mode == "not_found" or (
        answer.mode == "generated" and answer.text.strip().startswith(NOT_FOUND) and not cited_numbers(answer.text)
    )
    if refused:
        answer.mode, answer.sources = "not_found", []


def _number_by_first_use(answer: Answer, first_use: dict[int, int]) -> None:
    """Sources renumbered to match the answer's markers ([1], [2], [3] in order of first citation); uncited
    sources follow in their retrieval order."""
    order = sorted(first_use, key=first_use.get) + [s.n for s in answer.sources if s.n not in first_use]
    by_number = {s.n: s for s in answer.sources}
    answer.sources = [replace(by_number[old], n=new) for new, old in enumerate(order, start=1)]
    answer.cited = [n for n in cited_numbers(answer.text) if n <= len(answer.sources)]
