"""Offline follow-ups: which questions lean on the conversation, and a chat that uses the turn before."""

import json

import pytest

from bench.followups import FOLLOW_UPS, load_follow_ups
from rag.answer import ChatSession
from rag.followup import follow_up_search, leans_on_history
from rag.retrieve import Retriever
from tests.conftest import SHARED_EVAL

BRAZIL = "What percentage of the Amazon rainforest is in Brazil?"


@pytest.mark.parametrize(
    "question",
    [
        "Who wrote it?",
        "And in Colombia?",
        "What about 2019?",
        "Why?",
        "What age range is eligible for it?",
        "How many patients were in that trial?",
        "When does rain typically fall there?",
    ],
)
def test_questions_that_lean_on_the_conversation(question):
    assert leans_on_history(question)


@pytest.mark.parametrize(
    "question",
    [
        BRAZIL,
        "What is babelbib?",
        "What is the name of the river that flows through Cairo?",
        "Which software will be used for the analyses?",
    ],
)
def test_questions_that_stand_on_their_own(question):
    assert not leans_on_history(question)


def test_the_earlier_words_are_a_context_or_part_of_the_query_or_nothing():
    assert follow_up_search("What age range is eligible for it?", BRAZIL) == (
        "What age range is eligible for it?",
        BRAZIL,
    )
    assert follow_up_search("Who wrote it?", "What is babelbib?") == ("Who wrote it? What is babelbib?", "")
    assert follow_up_search("What is babelbib?", BRAZIL) == ("What is babelbib?", "")
    assert follow_up_search("Who wrote it?", "") == ("Who wrote it?", "")


def test_an_offline_follow_up_finds_what_the_turn_before_was_about(sample_store, minilm):
    alone = ChatSession(Retriever(sample_store, minilm)).answer("Who wrote it?")
    assert alone.mode == "not_found"  # nothing of its own to search with
    chat = ChatSession(Retriever(sample_store, minilm))
    chat.answer(BRAZIL)
    follow_up = chat.answer("And in Colombia?")
    assert follow_up.mode == "extractive" and "Colombia with 10%" in follow_up.text
    assert BRAZIL in follow_up.query  # searched with the earlier question's words
    topic_change = chat.answer("What is babelbib?")
    assert (topic_change.query, topic_change.context) == ("What is babelbib?", "")
    assert topic_change.cited_sources[0].source == "babelbib-tugboat-article.pdf"


def test_a_resumed_chat_follows_up_on_its_last_question(sample_store, minilm):
    chat = ChatSession(Retriever(sample_store, minilm))
    chat.restore([(BRAZIL, "Brazil has 60% of it.")])
    assert "Colombia with 10%" in chat.answer("And in Colombia?").text


def test_every_follow_up_pair_names_two_questions_about_the_same_file():
    rows = [json.loads(line) for line in FOLLOW_UPS.read_text().splitlines() if line.strip()]
    assert len(rows) >= 40
    for dataset in ("real-docs", "squad-public"):
        pairs = load_follow_ups(SHARED_EVAL / dataset)
        assert len(pairs) == sum(r["dataset"] == dataset for r in rows) >= 20
        questions = {
            json.loads(line)["question"]: json.loads(line)["file"]
            for line in (SHARED_EVAL / dataset / "questions.jsonl").read_text().splitlines()
            if line.strip()
        }
        for pair in pairs:
            assert questions[pair.first] == pair.question.file
            assert pair.question.question not in questions  # rewritten, not a dataset question
