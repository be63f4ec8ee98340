"""The team database: one SQLite file (`FOLIO_DATA_DIR/team.sqlite3`) holding users, groups, sessions, collection
owners and grants, API keys and the audit log, with its schema version in `PRAGMA user_version`.

Migrations only add (tables, columns): an older Folio never sees a table it would misread, and a file of a newer
version than this code knows is refused with one message, never written (downgrade-safe). Each call opens its own
connection (WAL, so readers never wait for a writer; a busy timeout for writers): Streamlit runs each session in its
own thread, and sqlite3 connections must not cross threads. The clock is a seam for tests (session expiry).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from rag.errors import StoreError

BUSY_TIMEOUT_S = 10  # how long a write waits for another process's write (a CLI command beside the server)

# One tuple of statements per version: MIGRATIONS[n] takes a file from version n to n + 1.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            display_name TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
            disabled INTEGER NOT NULL DEFAULT 0,
            password_hash TEXT,
            provider TEXT,
            subject TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (provider, subject)
        )""",
        """CREATE TABLE groups (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE memberships (
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
            PRIMARY KEY (user_id, group_id)
        )""",
        """CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )""",
        """CREATE TABLE collections (
            name TEXT PRIMARY KEY,
            owner_id INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE grants (
            collection TEXT NOT NULL,
            user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
            group_id INTEGER REFERENCES groups(id) ON DELETE CASCADE,
            access TEXT NOT NULL CHECK (access IN ('read', 'write')),
            CHECK ((user_id IS NULL) != (group_id IS NULL))
        )""",
        "CREATE UNIQUE INDEX grants_of_users ON grants(collection, user_id) WHERE user_id IS NOT NULL",
        "CREATE UNIQUE INDEX grants_of_groups ON grants(collection, group_id) WHERE group_id IS NOT NULL",
        """CREATE TABLE api_keys (
            id INTEGER PRIMARY KEY,
            key_hash TEXT NOT NULL UNIQUE,
            prefix TEXT NOT NULL,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            collection TEXT,
            read_only INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            last_used_at TEXT,
            revoked_at TEXT
        )""",
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            collection TEXT NOT NULL DEFAULT '',
            target TEXT NOT NULL DEFAULT '',
            client TEXT NOT NULL DEFAULT ''
        )""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class TeamDB:
    """The team database of one data folder: connections, migrations and the clock."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time):
        self.path = path
        self.clock = clock
        self._ready = False

    def exists(self) -> bool:
        """Whether the file is there (reading whether accounts are on never creates it)."""
        return self.path.exists()

    def now(self) -> str:
        """The clock's time as sortable ISO text (UTC, seconds), the form every time in the file has."""
        return iso(self.clock())

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """One transaction on the file (created and migrated on first use); StoreError naming the file if it fails."""
        try:
            if not self._ready:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._migrate()
                self._ready = True
            with closing(self._open()) as db, db:
                yield db
        except (sqlite3.Error, OSError) as error:
            raise StoreError(f"the team database {self.path} failed ({type(error).__name__}: {error})") from error

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
        db.execute("PRAGMA foreign_keys = ON")
        return db

    def _migrate(self) -> None:
        """Bring the file to SCHEMA_VERSION in one write transaction (a second process migrating at the same time
        waits, then finds it done); StoreError for a file of a newer Folio."""
        with closing(self._open()) as db:
            db.isolation_level = None  # explicit transactions: DDL and the version change commit together
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("BEGIN IMMEDIATE")
            try:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise StoreError(
                        f"{self.path} was written by a newer Folio (schema {version}; this one knows "
                        f"{SCHEMA_VERSION}): upgrade Folio, or use a copy of the data folder made before"
                    )
                for statements in MIGRATIONS[version:]:
                    for statement in statements:
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise


def iso(seconds: float) -> str:
    """Epoch seconds as the ISO text the team database stores (UTC, to the second)."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")
