"""Saved conversations: every chat and every turn, with the sources each answer showed, in SQLite.

One file in FOLIO_DATA_DIR, shared by the UI (any number of browser tabs and server restarts) and
`folio chat --resume`. Each call opens its own connection (WAL mode, so readers never wait for a writer):
Streamlit runs each session in its own thread, and sqlite3 connections must not cross threads.

A file that cannot be used (damaged, read-only, a full disk, from a newer Folio) never stops anyone asking:
chats are then kept in memory until the process ends, and `unsaved` says why, for the UI and CLI to warn.

With accounts on (rag.team), each chat has an owner (a user's id) and a user lists and opens only theirs; a chat
without one (single-user, or started by `folio chat`) is the operator's. Schema 2 added the owner column: a file
of schema 1 gains it when opened, and an older Folio leaves a schema-2 file alone (its chats go on in memory).
"""

from __future__ import annotations

import builtins  # `Conversations.list` hides the built-in in the class's annotations
import json
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from rag.answer import Answer
from rag.display import inert
from rag.errors import StoreError
from rag.sources import Source

SCHEMA_VERSION = 2
NEW_CHAT = "New chat"
TITLE_CHARS = 60
T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    collection TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    owner INTEGER
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    text TEXT NOT NULL,
    mode TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    sources TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, id);
"""
_COLUMNS = "id, title, collection, created_at, updated_at, owner"  # a Conversation's fields, in order
_INSERT = f"INSERT INTO conversations ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"


@dataclass(frozen=True)
class Conversation:
    id: str
    title: str
    collection: str
    created_at: str
    updated_at: str
    owner: int | None = None  # the id of the user whose chat it is (None: no accounts, or the CLI's)


@dataclass(frozen=True)
class Message:
    """One stored turn half: the user's question, or Folio's answer with the sources it showed."""

    role: str  # "user" or "assistant"
    text: str
    mode: str = ""  # the answer's mode: generated, extractive, not_found, error
    error: str = ""
    sources: list[Source] = field(default_factory=list)


class Conversations:
    """The conversation file of one data folder."""

    def __init__(self, path: Path):
        self.path = path
        self.unsaved = ""  # why chats are kept in memory only, not in the file ("" while they are saved)
        self._memory: sqlite3.Connection | None = None
        self._memory_lock = threading.Lock()
        self._seen: dict[str, Conversation] = {}  # re-created in memory if the file becomes unreadable
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._file() as db:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:  # its tables may differ: nothing of it is copied, nothing written
                    newer = f"{path} was written by a newer Folio (schema {version}, this one knows {SCHEMA_VERSION})"
                    self._keep_in_memory(newer, copy=False)
                    return
                _migrate(db)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except (OSError, StoreError) as error:  # damaged, read-only, disk full: what it holds is still shown
            self._keep_in_memory(str(error) if isinstance(error, StoreError) else _failed(path, error), copy=True)

    def start(self, collection: str, title: str = NEW_CHAT, owner: int | None = None) -> Conversation:
        """A new, empty conversation (of the user `owner`, with accounts on)."""
        now = _now()
        conversation = Conversation(uuid.uuid4().hex[:12], title, collection, now, now, owner)
        self._use(lambda db: db.execute(_INSERT, tuple(asdict(conversation).values())))
        self._seen[conversation.id] = conversation
        return conversation

    def list(self, collection: str | None = None, owner: int | None = None) -> list[Conversation]:
        """Conversations, most recently used first (only those of `collection` and of the user `owner`, when
        given)."""
        given = (("collection = ?", collection), ("owner = ?", owner))
        where = [(clause, value) for clause, value in given if value is not None]
        query = f"SELECT {_COLUMNS} FROM conversations"
        if where:
            query += " WHERE " + " AND ".join(clause for clause, _ in where)
        args = tuple(value for _, value in where)
        rows = self._use(lambda db: db.execute(query + " ORDER BY updated_at DESC, rowid DESC", args).fetchall())
        listed = [Conversation(*row) for row in rows]
        self._seen |= {conversation.id: conversation for conversation in listed}
        return listed

    def get(self, conversation_id: str, owner: int | None = None) -> Conversation | None:
        """The conversation (None if there is none, or if `owner` is given and it is not theirs: open a chat by an
        id from a request only through this)."""
        row = self._use(
            lambda db: db.execute(f"SELECT {_COLUMNS} FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        )
        conversation = Conversation(*row) if row else None
        return conversation if conversation and owner in (None, conversation.owner) else None

    def find(self, prefix: str, owner: int | None = None) -> Conversation | None:
        """The conversation whose id starts with `prefix` ("last" = the most recent), if exactly one does (of the
        user `owner`, when given)."""
        if prefix == "last":
            return next(iter(self.list(owner=owner)), None)
        matches = [c for c in self.list(owner=owner) if c.id.startswith(prefix)]
        return matches[0] if len(matches) == 1 else None

    def adopt(self, owner: int) -> int:
        """Give the user `owner` every chat that has no owner (the upgrade of a single-user library to accounts);
        how many."""
        adopted = "UPDATE conversations SET owner = ? WHERE owner IS NULL"
        return self._use(lambda db: db.execute(adopted, (owner,)).rowcount)

    def rename(self, conversation_id: str, title: str) -> None:
        title = " ".join(title.split())[:TITLE_CHARS] or NEW_CHAT
        self._use(lambda db: db.execute("UPDATE conversations SET title = ? WHERE id = ?", (title, conversation_id)))

    def delete(self, conversation_id: str) -> None:
        self._use(lambda db: db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,)))

    def messages(self, conversation_id: str) -> builtins.list[Message]:
        rows = self._use(
            lambda db: db.execute(
                "SELECT role, text, mode, error, sources FROM messages WHERE conversation_id = ? ORDER BY id",
                (conversation_id,),
            ).fetchall()
        )
        return [Message(role, text, mode, error, _sources(stored)) for role, text, mode, error, stored in rows]

    def add_turn(self, conversation_id: str, answer: Answer) -> None:
        """Store a question and its answer (with the sources shown under it: `Answer.shown_sources`); the first
        question names the chat."""
        now = _now()
        sources = json.dumps(answer.sources_json())

        def add(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO messages (conversation_id, role, text, created_at) VALUES (?, 'user', ?, ?)",
                (conversation_id, answer.question, now),
            )
            db.execute(
                "INSERT INTO messages (conversation_id, role, text, mode, error, sources, created_at) "
                "VALUES (?, 'assistant', ?, ?, ?, ?, ?)",
                (conversation_id, answer.text, answer.mode, answer.error, sources, now),
            )
            db.execute(
                "UPDATE conversations SET updated_at = ?, "
                "title = CASE WHEN title = ? THEN ? ELSE title END WHERE id = ?",
                (now, NEW_CHAT, _title(answer.question), conversation_id),
            )

        self._use(add)

    def history(self, conversation_id: str) -> builtins.list[tuple[str, str]]:
        """(question, answer text) pairs of the answered turns, oldest first: what a resumed session remembers."""
        messages = self.messages(conversation_id)
        pairs = zip(messages[::2], messages[1::2], strict=False)
        return [(question.text, answer.text) for question, answer in pairs if answer.text]

    def markdown(self, conversation_id: str) -> str:
        """The whole conversation as Markdown, each answer followed by its sources; nothing in it is live (a
        Markdown viewer opening the file fetches no image and shows no link of a document's or a model's)."""
        conversation = self.get(conversation_id)
        lines = [f"# {inert(conversation.title) if conversation else 'Folio conversation'}", ""]
        for message in self.messages(conversation_id):
            if message.role == "user":
                lines += [f"**You:** {inert(message.text)}", ""]
                continue
            lines += [f"**Folio:** {inert(message.text)}" if message.text else "**Folio:**", ""]
            if message.error:
                lines += [f"> Error: {inert(message.error)}", ""]
            lines += [
                "- "
                + inert(
                    f"[{s.n}] {s.source}{f' ({s.document})' if s.document else ''}, {s.pages_label}: "
                    f"{' '.join(s.text.split())[:300]}"
                )
                for s in message.sources
            ]
            lines += [""] if message.sources else []
        return "\n".join(lines)

    def _use(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work` in one transaction on the file; if the file fails, in memory from then on (what the file still
        holds copied first, so the open chat goes on), with `unsaved` saying why."""
        memory = self._memory
        if memory is None:
            try:
                with self._file() as db:
                    return work(db)
            except StoreError as error:
                memory = self._keep_in_memory(str(error), copy=True)
        with self._memory_lock, memory as db:
            return work(db)

    def _keep_in_memory(self, reason: str, copy: bool) -> sqlite3.Connection:
        memory = sqlite3.connect(":memory:", check_same_thread=False)  # shared by threads, under _memory_lock
        try:
            if copy:
                with closing(sqlite3.connect(self.path, timeout=10)) as db:
                    db.backup(memory)
        except sqlite3.Error:  # unreadable too: the chats seen so far go on, without their earlier turns
            pass
        _migrate(memory)
        with memory:
            memory.executemany(
                _INSERT.replace("INSERT", "INSERT OR IGNORE", 1),
                [tuple(asdict(conversation).values()) for conversation in self._seen.values()],
            )
        memory.execute("PRAGMA foreign_keys = ON")
        self._memory, self.unsaved = memory, reason
        return memory

    @contextmanager
    def _file(self) -> Iterator[sqlite3.Connection]:
        try:
            with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA foreign_keys = ON")
                yield db
        except sqlite3.Error as error:
            raise StoreError(_failed(self.path, error)) from error


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a file of any earlier schema (or none) to SCHEMA_VERSION's tables: 2 added `conversations.owner`."""
    db.executescript(_SCHEMA)
    db.execute("BEGIN IMMEDIATE")  # a second process opening the same old file waits, then finds the column
    columns = {row[1] for row in db.execute("PRAGMA table_info(conversations)")}
    if "owner" not in columns:
        db.execute("ALTER TABLE conversations ADD COLUMN owner INTEGER")


def open_conversations(data_dir: Path) -> Conversations:
    """The conversations saved in this data folder."""
    return Conversations(data_dir / "conversations.sqlite3")


def _failed(path: Path, error: Exception) -> str:
    reason = f"{type(error).__name__}: {getattr(error, 'strerror', None) or error}"
    try:
        full = shutil.disk_usage(path.parent).free < 1024 * 1024  # SQLite may say only "disk I/O error"
    except OSError:
        full = False
    return f"the conversation file {path} failed ({reason}{'; the disk is full' if full else ''})"


def _sources(stored: str) -> list[Source]:
    return [Source.from_dict(item) for item in json.loads(stored)]


def _title(question: str) -> str:
    words = " ".join(question.split())
    return words if len(words) <= TITLE_CHARS else words[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
