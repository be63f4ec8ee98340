"""Per-user API keys: `folio_` and 32 random bytes (URL-safe), shown once; the file keeps their SHA-256.

A key has 256 bits of entropy, so a plain SHA-256 cannot be reversed by guessing, and checking one costs
microseconds where argon2 would cost 0.4 s a request. A key acts as its user, narrowed to one collection and/or to
reading when it was made so; a revoked key, or one of a disabled user, is refused.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from rag.accounts import Accounts, User
from rag.errors import ConfigError
from rag.sharing import Principal
from rag.team_db import TeamDB, iso

PREFIX = "folio_"
SHOWN_CHARS = 12  # the start of a key kept in the clear, so a list can say which key is which
LAST_USED_EVERY_S = 60  # "last used" is written at most this often per key: not one write per request


@dataclass(frozen=True)
class ApiKey:
    id: int
    prefix: str
    user: str
    collection: str | None
    read_only: bool
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


class ApiKeys:
    """The API keys in the team database."""

    def __init__(self, db: TeamDB, accounts: Accounts):
        self.db, self.accounts = db, accounts

    def create(self, user: User, collection: str | None = None, read_only: bool = False) -> tuple[ApiKey, str]:
        """A new key for `user` and its secret (shown once: only its hash is kept)."""
        if user.disabled:
            raise ConfigError(f"'{user.name}' is disabled: a key of theirs would not work")
        secret = PREFIX + secrets.token_urlsafe(32)
        with self.db.connect() as db:
            cursor = db.execute(
                "INSERT INTO api_keys (key_hash, prefix, user_id, collection, read_only, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (_hash(secret), secret[:SHOWN_CHARS], user.id, collection, int(read_only), self.db.now()),
            )
            key_id = cursor.lastrowid
        return self._get(key_id), secret

    def list(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""
        if not self.db.exists():
            return []
        with self.db.connect() as db:
            return [_key(row) for row in db.execute(_SELECT + " ORDER BY k.id")]

    def revoke(self, key_id: int) -> ApiKey:
        """Revoke a key for good; ConfigError for an unknown id."""
        with self.db.connect() as db:
            db.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (self.db.now(), key_id)
            )
        return self._get(key_id)

    def principal(self, secret: str) -> Principal | None:
        """Who a request bearing `secret` acts as; None for an unknown or revoked key or a disabled user."""
        if not secret.startswith(PREFIX) or not self.db.exists():
            return None
        now = self.db.clock()
        with self.db.connect() as db:
            row = db.execute(
                "SELECT id, user_id, collection, read_only, last_used_at FROM api_keys "
                "WHERE key_hash = ? AND revoked_at IS NULL",
                (_hash(secret),),
            ).fetchone()
            if row is None:
                return None
            key_id, user_id, collection, read_only, last_used = row
            if last_used is None or last_used <= iso(now - LAST_USED_EVERY_S):
                db.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", (iso(now), key_id))
        user = self.accounts.by_id(user_id)
        if user is None or user.disabled:
            return None
        return Principal(user, collection, bool(read_only))

    def _get(self, key_id: int | None) -> ApiKey:
        with self.db.connect() as db:
            row = db.execute(_SELECT + " WHERE k.id = ?", (key_id,)).fetchone()
        if row is None:
            raise ConfigError(f"there is no API key {key_id} (see `folio keys list`)")
        return _key(row)


_SELECT = (
    "SELECT k.id, k.prefix, u.name, k.collection, k.read_only, k.created_at, k.last_used_at, k.revoked_at "
    "FROM api_keys k JOIN users u ON u.id = k.user_id"
)


def _key(row: tuple) -> ApiKey:
    key_id, prefix, user, collection, read_only, created, used, revoked = row
    return ApiKey(key_id, prefix, user, collection, bool(read_only), created, used, revoked)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
