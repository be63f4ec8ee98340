"""A conversation over the documents: search → retrieve → sources → answer, as a stream of events.

One code path for every front end: the CLI, the UI and the tests iterate `ChatSession.ask()`;
`ChatSession.answer()` drains it for callers that want the final `Answer` only. How the question is searched for
and the answer written is the session's answer mode (rag.answerer, rag.modes); the rest is the same for every mode.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from rag.answerer import NOT_FOUND, Answerer, Question, Turn
from rag.citations import cited_numbers, filter_citations
from rag.config import default
from rag.embed import count_tokens
from rag.errors import FolioError, LLMUnreachable
from rag.modes import answerer_for, offline_answerer
from rag.retrieve import Retriever
from rag.sources import Source, build_sources

if TYPE_CHECKING:  # the openai client takes 1.1 s to import: only sessions that generate answers load it
    from rag.llm import ChatModel

OFFLINE_NOTICE = "_Answered offline, with quotes: {reason}._\n\n"  # an LLM server that cannot be reached


@dataclass
class Answer:
    question: str
    query: str  # what was searched: the question, or its standalone rewrite in a conversation
    text: str = ""
    mode: str = "extractive"  # its answerer's mode ("extractive", "generated", …), or "not_found", "error"
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
        answerer: Answerer | None = None,
    ):
        """Answers in `answerer`'s mode; without one, in the mode `rag.modes.answerer_for` picks for `llm`."""
        self.retriever = retriever
        self.answerer = answerer or answerer_for(retriever.embedder, llm)
        self.offline = offline_answerer(retriever.embedder)  # when the answerer's server cannot be reached
        self.top_k = top_k
        self.min_similarity = min_similarity
        self.context_tokens = context_tokens
        self.history_tokens = history_tokens
        self.turns: list[Turn] = []  # (question, answer text), oldest first
        self._searched = ""  # what the last answered turn searched for (its question, and its context if any)

    @property
    def mode(self) -> str:
        """'extractive' (offline) or 'generated (MODEL)'."""
        return self.answerer.label

    def choose(self, *, top_k: int, llm: ChatModel | None) -> None:
        """From the next question on, `top_k` sources and the mode `rag.modes.answerer_for` picks for `llm` (the UI's
        sidebar); the conversation goes on."""
        self.top_k = top_k
        self.answerer = answerer_for(self.retriever.embedder, llm)

    def reset(self) -> None:
        """Forget the conversation."""
        self.turns = []
        self._searched = ""

    def restore(self, turns: Sequence[Turn]) -> None:
        """Remember these (question, answer) turns instead: a conversation resumed from where it was saved. The
        newest turns that fit in `history_tokens` are kept as `_remember` keeps them, each counted once from the
        newest back (any length of history costs what the kept turns cost)."""
        kept: list[Turn] = []
        budget = self.history_tokens
        for question, text in reversed(turns):
            budget -= count_tokens(question) + count_tokens(text)
            if budget < 0 and kept:
                break
            kept.append((question, text))
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
        answerer, offline_because = self.answerer, ""
        try:
            try:
                search = answerer.search(question, self.turns, self._searched)
            except LLMUnreachable as error:
                answerer, offline_because = self.offline, str(error)
                search = answerer.search(question, self.turns, self._searched)
            answer.query, answer.context = search.query, search.context
            retrieved = self.retriever.retrieve(answer.query, self.top_k, documents, answer.context)
            if not retrieved.chunks or retrieved.best_similarity < self.min_similarity:
                answer.mode, answer.text = "not_found", NOT_FOUND
                yield Token(NOT_FOUND)
            else:
                answer.sources = build_sources(retrieved.chunks, count_tokens, self.context_tokens, self.top_k)
                yield Sources(answer.sources)
                asked = Question(question, search, answer.sources, tuple(self.turns))
                yield from self._reply_or_offline(answerer, offline_because, asked, answer, first_use)
        except FolioError as error:
            answer.error = str(error)
            answer.mode = "error" if not answer.text else answer.mode
            yield Error(answer.error)
        if answer.mode == "not_found":  # a refusal cites nothing, so it lists no sources (see _reply)
            answer.sources = []
        _number_by_first_use(answer, first_use)
        if answer.text:
            self._remember(question, answer.text)
            if answer.mode != "error":
                self._searched = f"{answer.query} {answer.context}".strip()
        yield Done(answer)

    def _reply_or_offline(
        self, answerer: Answerer, offline_because: str, asked: Question, answer: Answer, first_use: dict[int, int]
    ) -> Iterator[Event]:
        """The answerer's reply; when its server cannot be reached (now, or while searching) before it wrote
        anything, the offline answerer's, after a line saying why."""
        if not offline_because:
            try:
                yield from self._reply(answerer, asked, answer, first_use)
                return
            except LLMUnreachable as error:
                if answer.text or answerer is self.offline:
                    raise
                offline_because = str(error)
        yield from _into(answer, [Token(OFFLINE_NOTICE.format(reason=offline_because))])
        yield from self._reply(self.offline, asked, answer, first_use)

    def _reply(self, answerer: Answerer, asked: Question, answer: Answer, first_use: dict[int, int]) -> Iterator[Event]:
        """`answerer`'s reply streamed into `answer`: markers naming no source dropped, the others numbered by first
        use (`first_use` grows as they come); a reply cut off by an error ends with " …". A reply that starts
        with NOT_FOUND and cites nothing is a refusal: the passages retrieved were near the question, not an answer
        to it, so every front end lists no sources for it."""
        answer.mode = answerer.mode
        valid, given = {s.n for s in asked.sources}, ""
        try:
            for piece in filter_citations(answerer.reply(asked), valid, first_use):
                given += piece
                yield from _into(answer, [Token(piece)])
        except FolioError:
            if given:
                yield from _into(answer, [Token(" …")])
            raise
        finally:
            if given.strip().startswith(NOT_FOUND) and not cited_numbers(given):
                answer.mode = "not_found"

    def _remember(self, question: str, text: str) -> None:
        """Keep this turn, and only as many earlier ones as fit in `history_tokens` with it."""
        self.turns.append((question, text))
        budget = self.history_tokens
        for i in range(len(self.turns) - 1, -1, -1):
            budget -= sum(count_tokens(part) for part in self.turns[i])
            if budget < 0:
                self.turns = self.turns[i + 1 :] or self.turns[-1:]
                break


def _into(answer: Answer, events: Iterable[Event]) -> Iterator[Event]:
    """`events`, passed on, with the text of each Token added to the answer."""
    for event in events:
        if isinstance(event, Token):
            answer.text += event.text
        yield event


def _number_by_first_use(answer: Answer, first_use: dict[int, int]) -> None:
    """Sources renumbered to match the answer's markers ([1], [2], [3] in order of first citation); uncited
    sources follow in their retrieval order."""
    order = sorted(first_use, key=first_use.__getitem__) + [s.n for s in answer.sources if s.n not in first_use]
    by_number = {s.n: s for s in answer.sources}
    answer.sources = [replace(by_number[old], n=new) for new, old in enumerate(order, start=1)]
    answer.cited = [n for n in cited_numbers(answer.text) if n <= len(answer.sources)]
