"""Chats get an owner (rag/conversations.py schema 2), and a single-user library becomes the first admin's: its
collections and chats, nothing read or embedded again (issue 31.6)."""

import json
import shutil
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from folio_cli import app
from rag import open_collection, open_conversations, open_team
from rag.conversations import SCHEMA_VERSION

PASSWORD = "correct horse"
BRAZIL = "What percentage of the Amazon rainforest is in Brazil?"

SCHEMA_1 = """
CREATE TABLE conversations (id TEXT PRIMARY KEY, title TEXT NOT NULL, collection TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')), text TEXT NOT NULL, mode TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '', sources TEXT NOT NULL DEFAULT '[]', created_at TEXT NOT NULL);
INSERT INTO conversations VALUES ('abc123', 'Rivers', 'folio', '2026-01-01T00:00:00', '2026-01-02T00:00:00');
INSERT INTO messages (conversation_id, role, text, created_at) VALUES
    ('abc123', 'user', 'Which river?', '2026-01-02'), ('abc123', 'assistant', 'The Amazon.', '2026-01-02');
PRAGMA user_version = 1;
"""


def sample_data_dir(store) -> Path:
    """The data folder of conftest's copy of the sample library (its keyword index is DATA/chroma/keyword/NAME)."""
    return store.keywords.folder.parents[2]


def test_a_file_of_schema_1_gains_owners_and_keeps_its_chats(tmp_path):
    with sqlite3.connect(tmp_path / "conversations.sqlite3") as db:
        db.executescript(SCHEMA_1)
    chats = open_conversations(tmp_path)
    assert not chats.unsaved
    [old] = chats.list()
    assert (old.id, old.title, old.owner) == ("abc123", "Rivers", None)
    assert chats.history("abc123") == [("Which river?", "The Amazon.")]
    with sqlite3.connect(tmp_path / "conversations.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2

    assert chats.adopt(7) == 1 and chats.adopt(8) == 0  # only chats without an owner
    mine = chats.start("folio", owner=8)
    assert [c.id for c in chats.list(owner=7)] == ["abc123"] and [c.id for c in chats.list(owner=8)] == [mine.id]
    assert chats.get("abc123", owner=8) is None and chats.get("abc123", owner=7).owner == 7
    assert chats.find("last", owner=7).id == "abc123" and chats.find("abc", owner=8) is None
    assert {c.id for c in chats.list()} == {"abc123", mine.id}  # the operator (CLI) sees all
    assert [c.id for c in chats.list("folio", owner=8)] == [mine.id]


def test_a_single_user_library_becomes_the_first_admins_without_re_embedding(sample_store, settings):
    shutil.copytree(sample_data_dir(sample_store), settings.folio_data_dir)  # ingested before accounts existed
    parts = open_collection(settings, "folio")
    chats = open_conversations(settings.folio_data_dir)
    chat = chats.start("folio")
    chats.add_turn(chat.id, parts.session().answer(BRAZIL))
    before = parts.store.documents()
    chunks = parts.store.count()

    runner = CliRunner()
    env = {"FOLIO_DATA_DIR": str(settings.folio_data_dir)}
    added = runner.invoke(app, ["users", "add", "ada", "--admin", "--password-stdin"], input=PASSWORD, env=env)
    assert added.exit_code == 0, added.output
    team = open_team(settings)
    ada = team.accounts.require("ada")
    assert team.sharing.owner("folio") == "ada"
    assert [c.owner for c in open_conversations(settings.folio_data_dir).list()] == [ada.id]
    assert open_conversations(settings.folio_data_dir).history(chat.id)[0][0] == BRAZIL

    again = open_collection(settings, "folio")  # nothing was read, embedded or written again
    assert again.store.documents() == before and again.store.count() == chunks
    audit = json.loads(runner.invoke(app, ["audit", "--json"], env=env).stdout)
    assert [(e["actor"], e["action"]) for e in audit] == [("system", "share"), ("system", "share"), ("cli", "user_add")]
    assert BRAZIL not in json.dumps(audit)  # never a question's text

    runner.invoke(app, ["users", "add", "bob", "--password-stdin"], input=PASSWORD, env=env)
    bob = team.accounts.require("bob")
    assert open_conversations(settings.folio_data_dir).list(owner=bob.id) == []  # a later member sees none of it
    assert team.sharing.visible(team.api_principal(team.create_key("bob")[1]), ["folio"]) == []


def test_an_older_folio_never_writes_a_newer_chat_file(tmp_path):
    open_conversations(tmp_path).start("folio", owner=3)
    path = tmp_path / "conversations.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    chats = open_conversations(tmp_path)
    assert "written by a newer Folio" in chats.unsaved and chats.adopt(5) == 0  # the copy in memory has none
    assert path.read_bytes() == before
