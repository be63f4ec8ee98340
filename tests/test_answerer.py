"""The answer-mode seam (rag/answerer.py): a session applies the same rules to every mode's reply. A scripted mode
plugged in through `ChatSession(answerer=...)` over sample_docs in real Chroma with the real embedder."""

import pytest

from rag.answer import OFFLINE_NOTICE, ChatSession, Done, Sources, Token
from rag.answerer import NOT_FOUND, Question, Search
from rag.errors import LLMUnreachable
from rag.retrieve import Retriever

BRAZIL = "What percentage of the Amazon rainforest is in Brazil?"
DOWN = "cannot reach the scripted server"


class Scripted:
    """A mode that replies with the pieces it is given, or whose server cannot be reached."""

    mode = label = "scripted"

    def __init__(self, pieces=(), down_at: str = ""):
        self.pieces, self.down_at = list(pieces), down_at
        self.asked: list[Question] = []

    def search(self, question, history, searched):
        if self.down_at == "search":
            raise LLMUnreachable(DOWN)
        return Search(question)

    def reply(self, question):
        self.asked.append(question)
        if self.down_at == "reply":
            raise LLMUnreachable(DOWN)
        yield from self.pieces


@pytest.fixture(scope="module")
def retriever(sample_store, minilm):
    return Retriever(sample_store, minilm)


def test_a_modes_markers_are_checked_and_numbered_by_first_use_and_its_sources_follow(retriever):
    mode = Scripted(["Most of it [3", "] is in Brazil [99], the rest elsewhere [1, 3]."])
    events = list(ChatSession(retriever, answerer=mode).ask(BRAZIL))
    [asked] = mode.asked
    assert len(asked.sources) >= 3 and asked.search == Search(BRAZIL) and asked.history == ()
    assert isinstance(events[0], Sources) and isinstance(events[-1], Done)
    answer = events[-1].answer
    assert "".join(e.text for e in events if isinstance(e, Token)) == answer.text
    assert answer.text == "Most of it [1] is in Brazil , the rest elsewhere [2, 1]."  # [99] names no source
    assert answer.mode == "scripted" and answer.cited == [1, 2]
    assert [s.text for s in answer.shown_sources] == [asked.sources[2].text, asked.sources[0].text]


def test_a_mode_that_refuses_lists_no_sources(retriever):
    answer = ChatSession(retriever, answerer=Scripted([NOT_FOUND])).answer(BRAZIL)
    assert (answer.text, answer.mode, answer.sources) == (NOT_FOUND, "not_found", [])


@pytest.mark.parametrize("down_at", ["search", "reply"])
def test_a_mode_whose_server_cannot_be_reached_gives_way_to_the_offline_answer(retriever, down_at):
    answer = ChatSession(retriever, answerer=Scripted(down_at=down_at)).answer(BRAZIL)
    assert answer.text.startswith(OFFLINE_NOTICE.format(reason=DOWN)) and "60%" in answer.text
    assert (answer.mode, answer.error) == ("extractive", "") and answer.cited_sources
