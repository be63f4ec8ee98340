"""The audit log: who signed in (or failed to), uploaded, deleted, re-indexed, shared, managed users and keys, when,
and from which client address. Never a document's text or a question's text: only names of files, collections
and users.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rag.team_db import TeamDB

Action = Literal[
    "signin",
    "signin_failed",
    "signout",
    "upload",
    "delete",
    "reindex",
    "share",
    "unshare",
    "user_add",
    "user_disable",
    "password_reset",
    "group_add",
    "group_member_add",
    "key_create",
    "key_revoke",
]
CLI = "cli"  # the actor of a `folio` command: its operator, on the server's machine
SYSTEM = "system"  # Folio itself (the upgrade of a library to accounts)


@dataclass(frozen=True)
class AuditEntry:
    at: str
    actor: str
    action: Action
    collection: str
    target: str  # a file's name or a user's, a key's id
    client: str  # the client's address ("" for the CLI)


class AuditLog:
    """Entries of the audit log, in the team database."""

    def __init__(self, db: TeamDB):
        self.db = db

    def record(self, actor: str, action: Action, collection: str = "", target: str = "", client: str = "") -> None:
        with self.db.connect() as db:
            db.execute(
                "INSERT INTO audit (at, actor, action, collection, target, client) VALUES (?, ?, ?, ?, ?, ?)",
                (self.db.now(), actor, action, collection, target, client),
            )

    def entries(self, limit: int = 100) -> list[AuditEntry]:
        """The latest `limit` entries, newest first (none without the file)."""
        if not self.db.exists():
            return []
        with self.db.connect() as db:
            rows = db.execute(
                "SELECT at, actor, action, collection, target, client FROM audit ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [AuditEntry(*row) for row in rows]
