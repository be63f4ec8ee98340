"""rag/conversations.py: chats saved in SQLite with every answer's sources, exported whole."""

import sqlite3

from rag.answer import Answer
from rag.conversations import SCHEMA_VERSION, open_conversations
from rag.sources import Source

RIVER = Source(1, "amazon.pdf", "The Amazon River runs through it.", ((0, 2),), 0.8, printed=((2, "ii"),))


def _answer(question: str, text: str, sources=(RIVER,), error: str = "") -> Answer:
    answer = Answer(question, question, text, "extractive" if not error else "error", list(sources), error=error)
    answer.cited = [s.n for s in sources] if text else []
    return answer


def test_turns_come_back_with_their_sources_and_the_export_holds_every_exchange(tmp_path):
    chats = open_conversations(tmp_path)
    chat = chats.start("folio")
    chats.add_turn(chat.id, _answer("Which river?", "The Amazon River [1]."))
    chats.add_turn(chat.id, _answer("And the second?", "", error="the model failed (HTTP 500)"))

    again = open_conversations(tmp_path)  # a restart
    [question, answer, _, failed] = again.messages(chat.id)
    assert (question.role, question.text) == ("user", "Which river?")
    assert answer.sources == [RIVER] and answer.mode == "extractive"
    assert failed.error == "the model failed (HTTP 500)" and failed.sources == [RIVER]  # listed under the error
    assert again.get(chat.id).title == "Which river?"
    assert again.history(chat.id) == [("Which river?", "The Amazon River [1].")]

    exported = again.markdown(chat.id)
    assert "**You:** Which river?" in exported and "**You:** And the second?" in exported
    assert "- \\[1\\] amazon.pdf, p. 2 (printed ii): The Amazon River runs through it." in exported
    assert "> Error: the model failed (HTTP 500)" in exported


def test_rename_find_and_delete(tmp_path):
    chats = open_conversations(tmp_path)
    first, second = chats.start("folio"), chats.start("other")
    chats.add_turn(first.id, _answer("Which river?", "The Amazon River [1]."))
    chats.rename(first.id, "  Rivers   of the world ")
    assert chats.get(first.id).title == "Rivers of the world"
    assert [c.id for c in chats.list("folio")] == [first.id]
    assert chats.find("last").id == first.id and chats.find(second.id[:8]).id == second.id
    chats.delete(first.id)
    assert chats.get(first.id) is None and chats.messages(first.id) == []


def test_a_file_from_a_newer_folio_is_left_alone_and_chats_go_on_in_memory(tmp_path):
    open_conversations(tmp_path)
    path = tmp_path / "conversations.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    chats = open_conversations(tmp_path)
    assert "written by a newer Folio" in chats.unsaved
    chat = chats.start("folio")
    chats.add_turn(chat.id, _answer("Which river?", "The Amazon River [1]."))
    assert chats.history(chat.id) == [("Which river?", "The Amazon River [1].")]
    assert path.read_bytes() == before


def test_a_file_damaged_while_open_keeps_the_open_chat_going_in_memory(tmp_path):
    chats = open_conversations(tmp_path)
    chat = chats.start("folio")
    chats.add_turn(chat.id, _answer("Which river?", "The Amazon River [1]."))
    assert chats.unsaved == ""
    path = tmp_path / "conversations.sqlite3"
    path.write_bytes(b"\x00garbage" * 1000)  # damaged under the running app (WAL already checkpointed)
    chats.add_turn(chat.id, _answer("And the second?", "Also the Amazon [1]."))
    assert "file is not a database" in chats.unsaved
    assert chats.history(chat.id) == [("And the second?", "Also the Amazon [1].")]  # the earlier turn was unreadable
    assert [c.id for c in chats.list("folio")] == [chat.id] and "Amazon" in chats.markdown(chat.id)
