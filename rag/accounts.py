"""Accounts: users (admin or member, password or identity provider), groups, sign-in and sessions.

Passwords are hashed with argon2id (argon2-cffi's PasswordHasher, RFC 9106's low-memory profile: 0.4 s a hash on
the 2-core development machine while it ran a benchmark). A session is a random token kept by the browser; the file
keeps only its SHA-256, so a copy of the file signs no one in. Sessions end after FOLIO_SESSION_HOURS, and all of a
user's end when the user is disabled or given a new password. Sign-in attempts are throttled per account and per
client (rag.access's back-off, one count each).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rag.access import SignInLimits
from rag.config import default
from rag.errors import ConfigError, FolioError
from rag.team_db import TeamDB, iso

Role = Literal["admin", "member"]
MIN_PASSWORD_CHARS = 8
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")  # user and group names: an e-mail address fits
_USER_COLUMNS = "id, name, display_name, role, disabled, password_hash IS NOT NULL, provider, created_at"


@dataclass(frozen=True)
class User:
    id: int
    name: str
    display_name: str
    role: Role
    disabled: bool
    has_password: bool  # False for a user of an identity provider
    provider: str | None
    created_at: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class SignInRefused(FolioError):
    """A sign-in that did not succeed: the message is what the person signing in is told (the same for an unknown
    name, a wrong password and a disabled account; the audit log says which)."""

    def __init__(self, message: str, wait: float = 0.0):
        super().__init__(message)
        self.wait = wait


class SignInThrottle:
    """Failed sign-ins counted per account and per client (each with rag.access's back-off), for the life of the
    process; the clock is a seam for tests."""

    def __init__(self, clock: Callable[[], float] | None = None):
        self._accounts = SignInLimits(clock) if clock else SignInLimits()
        self._clients = SignInLimits(clock) if clock else SignInLimits()

    def wait(self, name: str, client: str) -> float:
        """Seconds before this account may be tried again from this client (0: now)."""
        return max(self._accounts.wait(f"account {name.lower()}"), self._clients.wait(client))

    def failed(self, name: str, client: str) -> None:
        self._accounts.failed(f"account {name.lower()}")
        self._clients.failed(client)

    def succeeded(self, name: str, client: str) -> None:
        self._accounts.succeeded(f"account {name.lower()}")
        self._clients.succeeded(client)


class Accounts:
    """Users, groups and sessions in the team database. `hasher` is a seam: tests pass cheaper argon2 parameters."""

    def __init__(
        self, db: TeamDB, session_hours: float = default("folio_session_hours"), hasher: PasswordHasher | None = None
    ):
        self.db, self.session_hours = db, session_hours
        self.hasher = hasher or PasswordHasher()
        self._dummy = ""  # a hash verified for unknown names, so that they take as long as known ones

    def any(self) -> bool:
        """Whether any user exists (accounts are on); never creates the file."""
        if not self.db.exists():
            return False
        with self.db.connect() as db:
            return db.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None

    def add(
        self,
        name: str,
        password: str | None,
        role: Role = "member",
        display_name: str = "",
        provider: str | None = None,
        subject: str | None = None,
    ) -> User:
        """A new user, with a password or from an identity provider (`provider` and `subject`); ConfigError for a
        bad or taken name or a short password."""
        _check_name(name, "user")
        if self.get(name):
            raise ConfigError(f"there is already a user named '{name}'")
        hashed = self.hasher.hash(_checked_password(password)) if password is not None else None
        with self.db.connect() as db:
            db.execute(
                "INSERT INTO users (name, display_name, role, password_hash, provider, subject, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, display_name or name, role, hashed, provider, subject, self.db.now()),
            )
        return self.require(name)

    def get(self, name: str) -> User | None:
        with self.db.connect() as db:
            row = db.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE name = ?", (name,)).fetchone()
        return _user(row) if row else None

    def by_id(self, user_id: int) -> User | None:
        with self.db.connect() as db:
            row = db.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?", (user_id,)).fetchone()
        return _user(row) if row else None

    def by_subject(self, provider: str, subject: str) -> User | None:
        """The user an identity provider's subject (`sub` claim) belongs to."""
        with self.db.connect() as db:
            row = db.execute(
                f"SELECT {_USER_COLUMNS} FROM users WHERE provider = ? AND subject = ?", (provider, subject)
            ).fetchone()
        return _user(row) if row else None

    def require(self, name: str) -> User:
        """The user `name`; ConfigError if there is none."""
        user = self.get(name)
        if user is None:
            raise ConfigError(f"there is no user named '{name}' (see `folio users list`)")
        return user

    def users(self) -> list[User]:
        """Every user, by name (an empty list without the file)."""
        if not self.db.exists():
            return []
        with self.db.connect() as db:
            return [_user(row) for row in db.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY name")]

    def admins(self) -> list[User]:
        """The enabled admins, oldest first (the first is who the shared FOLIO_API_KEY acts as)."""
        return sorted((u for u in self.users() if u.is_admin and not u.disabled), key=lambda u: (u.created_at, u.id))

    def disable(self, name: str) -> User:
        """Disable a user: their sessions end and their keys stop working; nothing of theirs is deleted."""
        user = self.require(name)
        with self.db.connect() as db:
            db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (user.id,))
            db.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))
        return self.require(name)

    def set_password(self, name: str, password: str) -> None:
        """A new password (the user's sessions end); ConfigError for a user of an identity provider."""
        user = self.require(name)
        if user.provider:
            raise ConfigError(f"'{name}' signs in through {user.provider}: there is no password to reset")
        hashed = self.hasher.hash(_checked_password(password))
        with self.db.connect() as db:
            db.execute("UPDATE users SET password_hash = ? WHERE id = ?", (hashed, user.id))
            db.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))

    def add_group(self, name: str) -> None:
        """A new group (adding an existing one does nothing)."""
        _check_name(name, "group")
        with self.db.connect() as db:
            db.execute("INSERT OR IGNORE INTO groups (name, created_at) VALUES (?, ?)", (name, self.db.now()))

    def groups(self) -> list[str]:
        if not self.db.exists():
            return []
        with self.db.connect() as db:
            return [name for (name,) in db.execute("SELECT name FROM groups ORDER BY name")]

    def group_id(self, name: str) -> int:
        """The group's id; ConfigError if there is none."""
        with self.db.connect() as db:
            row = db.execute("SELECT id FROM groups WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise ConfigError(f"there is no group named '{name}' (`folio groups add {name}` makes one)")
        return row[0]

    def add_member(self, group: str, name: str) -> None:
        group_id, user = self.group_id(group), self.require(name)
        with self.db.connect() as db:
            db.execute("INSERT OR IGNORE INTO memberships VALUES (?, ?)", (user.id, group_id))

    def set_groups(self, user: User, groups: Iterable[str]) -> None:
        """Make `groups` (created if need be) exactly the user's groups: an identity provider's group claims."""
        names = sorted(set(groups))
        for group in names:
            self.add_group(group)
        with self.db.connect() as db:
            db.execute("DELETE FROM memberships WHERE user_id = ?", (user.id,))
            db.executemany(
                "INSERT INTO memberships SELECT ?, id FROM groups WHERE name = ?", [(user.id, g) for g in names]
            )

    def groups_of(self, user: User) -> list[str]:
        with self.db.connect() as db:
            rows = db.execute(
                "SELECT g.name FROM groups g JOIN memberships m ON m.group_id = g.id WHERE m.user_id = ? "
                "ORDER BY g.name",
                (user.id,),
            )
            return [name for (name,) in rows]

    def sign_in(self, name: str, password: str, client: str, throttle: SignInThrottle) -> tuple[User, str]:
        """The user and a new session token for a right name and password; SignInRefused otherwise (a wait when
        this account or this client failed too often: refused without even being checked)."""
        wait = throttle.wait(name, client)
        if wait > 0:
            raise SignInRefused(f"Too many attempts: try again in {wait:.0f} s.", wait)
        user = self.get(name)
        stored = self._password_hash(user) if user else None
        verified = self._verified(stored or self._dummy_hash(), password)  # as slow for an unknown name
        if user is None or stored is None or not verified or user.disabled:
            throttle.failed(name, client)
            raise SignInRefused("Wrong name or password.")
        throttle.succeeded(name, client)
        if self.hasher.check_needs_rehash(stored):  # stronger parameters since it was set
            with self.db.connect() as db:
                db.execute("UPDATE users SET password_hash = ? WHERE id = ?", (self.hasher.hash(password), user.id))
        return user, self.start_session(user)

    def start_session(self, user: User) -> str:
        """A new session for a user who has proven who they are (a password, or an identity provider)."""
        token = secrets.token_urlsafe(32)
        now = self.db.clock()
        with self.db.connect() as db:
            db.execute("DELETE FROM sessions WHERE expires_at <= ?", (iso(now),))  # the file does not grow
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?)",
                (_hash(token), user.id, iso(now), iso(now + self.session_hours * 3600)),
            )
        return token

    def session_user(self, token: str) -> User | None:
        """The enabled user whose unexpired session this is; None otherwise."""
        if not token or not self.db.exists():
            return None
        with self.db.connect() as db:
            row = db.execute(
                "SELECT user_id FROM sessions WHERE token_hash = ? AND expires_at > ?", (_hash(token), self.db.now())
            ).fetchone()
        user = self.by_id(row[0]) if row else None
        return user if user and not user.disabled else None

    def end_session(self, token: str) -> None:
        """Sign out."""
        with self.db.connect() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (_hash(token),))

    def _password_hash(self, user: User) -> str | None:
        with self.db.connect() as db:
            return db.execute("SELECT password_hash FROM users WHERE id = ?", (user.id,)).fetchone()[0]

    def _verified(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def _dummy_hash(self) -> str:
        if not self._dummy:
            self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_name(name: str, what: str) -> None:
    if not NAME.fullmatch(name):
        raise ConfigError(
            f"'{name}' cannot be a {what} name: 1-64 letters, digits and . _ @ + -, starting with a letter or digit"
        )


def _checked_password(password: str | None) -> str:
    if password is None or len(password) < MIN_PASSWORD_CHARS:
        raise ConfigError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    return password


def _user(row: tuple) -> User:
    user_id, name, display_name, role, disabled, has_password, provider, created_at = row
    return User(user_id, name, display_name, role, bool(disabled), bool(has_password), provider, created_at)
