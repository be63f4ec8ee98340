"""Folio for a team: the accounts, sharing, API keys and audit log of one data folder, and the operations the front
ends call, each written to the audit log.

Single-user stays the default: until the first user is added (`folio users add NAME --admin`), `active()` is
False and Folio behaves as it always did (FOLIO_PASSWORD, FOLIO_API_KEY). Adding the first admin hands them the
library as it is: every collection and every saved chat becomes theirs, nothing is read or embedded again.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.accounts import Accounts, SignInRefused, SignInThrottle, User
from rag.audit import CLI, SYSTEM, AuditLog
from rag.config import Settings
from rag.errors import ConfigError
from rag.keys import ApiKey, ApiKeys
from rag.sharing import Access, Principal, Sharing
from rag.team_db import TeamDB

if TYPE_CHECKING:
    from argon2 import PasswordHasher

TEAM_FILE = "team.sqlite3"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Team:
    settings: Settings
    db: TeamDB
    accounts: Accounts
    keys: ApiKeys
    sharing: Sharing
    audit: AuditLog

    def active(self) -> bool:
        """Whether accounts are on (a user exists); never creates the file."""
        return self.accounts.any()

    def add_user(
        self,
        name: str,
        password: str | None,
        *,
        admin: bool = False,
        groups: Iterable[str] = (),
        display_name: str = "",
        actor: str = CLI,
    ) -> User:
        """Add a user (to `groups`, which must exist); the first user must be an admin, and is given the library."""
        first = not self.accounts.admins()
        if first and not admin:
            raise ConfigError("the first user must be an admin (--admin): they are given the library as it is")
        groups = list(groups)
        for group in groups:
            self.accounts.group_id(group)  # ConfigError before anything is written
        user = self.accounts.add(name, password, "admin" if admin else "member", display_name)
        for group in groups:
            self.accounts.add_member(group, name)
        self.audit.record(actor, "user_add", target=name)
        if first:
            self._adopt(user)
        return user

    def disable_user(self, name: str, actor: str = CLI) -> User:
        user = self.accounts.disable(name)
        self.audit.record(actor, "user_disable", target=name)
        return user

    def reset_password(self, name: str, password: str, actor: str = CLI) -> None:
        self.accounts.set_password(name, password)
        self.audit.record(actor, "password_reset", target=name)

    def add_group(self, name: str, actor: str = CLI) -> None:
        self.accounts.add_group(name)
        self.audit.record(actor, "group_add", target=name)

    def add_member(self, group: str, name: str, actor: str = CLI) -> None:
        self.accounts.add_member(group, name)
        self.audit.record(actor, "group_member_add", target=f"{name} → {group}")

    def sign_in(self, name: str, password: str, client: str, throttle: SignInThrottle) -> tuple[User, str]:
        """A session for a right name and password (SignInRefused otherwise), either way in the audit log."""
        try:
            user, token = self.accounts.sign_in(name, password, client, throttle)
        except SignInRefused:
            self.audit.record(name, "signin_failed", client=client)
            raise
        self.audit.record(user.name, "signin", client=client)
        return user, token

    def share(
        self, collection: str, access: Access, *, user: str | None = None, group: str | None = None, actor: str = CLI
    ) -> None:
        """Grant a user or a group read or write access to an existing collection."""
        self._check_collection(collection)
        grantee = self.accounts.require(user) if user else None
        group_id = self.accounts.group_id(group) if group else None
        self.sharing.share(collection, access, user=grantee, group_id=group_id)
        self.audit.record(actor, "share", collection, _grantee(user, group) + f" ({access})")

    def unshare(self, collection: str, *, user: str | None = None, group: str | None = None, actor: str = CLI) -> bool:
        """Take a grant away; False if there was none."""
        grantee = self.accounts.require(user) if user else None
        group_id = self.accounts.group_id(group) if group else None
        removed = self.sharing.unshare(collection, user=grantee, group_id=group_id)
        if removed:
            self.audit.record(actor, "unshare", collection, _grantee(user, group))
        return removed

    def create_key(
        self, user: str, collection: str | None = None, read_only: bool = False, actor: str = CLI
    ) -> tuple[ApiKey, str]:
        """A new API key for `user` and its secret (shown once)."""
        if collection is not None:
            self._check_collection(collection)
        key, secret = self.keys.create(self.accounts.require(user), collection, read_only)
        self.audit.record(actor, "key_create", collection or "", f"key {key.id} of {user}")
        return key, secret

    def revoke_key(self, key_id: int, actor: str = CLI) -> ApiKey:
        key = self.keys.revoke(key_id)
        self.audit.record(actor, "key_revoke", key.collection or "", f"key {key.id} of {key.user}")
        return key

    def api_principal(self, secret: str) -> Principal | None:
        """Who an API request bearing `secret` acts as: a key's user, or, for the shared FOLIO_API_KEY of the
        single-user setup, the first admin (so that scripts written before accounts keep working)."""
        shared = self.settings.folio_api_key.get_secret_value() if self.settings.folio_api_key else ""
        if shared and hmac.compare_digest(secret.encode(), shared.encode()):
            admins = self.accounts.admins()
            return Principal(admins[0]) if admins else None
        return self.keys.principal(secret)

    def _check_collection(self, name: str) -> None:
        from rag.store import collection_names  # chromadb: only for the commands that name a collection

        known = {self.settings.folio_collection, *collection_names(self.settings)}
        if name not in known:
            raise ConfigError(f"there is no collection named '{name}' (the collections: {', '.join(sorted(known))})")

    def _adopt(self, admin: User) -> None:
        """The upgrade to accounts: the first admin owns every collection (the configured one too, even before it
        holds anything) and every saved chat. Nothing is read or embedded again."""
        from rag.conversations import open_conversations  # the chats' module imports the answer layer
        from rag.store import collection_names

        names = {self.settings.folio_collection, *collection_names(self.settings)}
        for name in self.sharing.adopt(names, admin):
            self.audit.record(SYSTEM, "share", name, f"{admin.name} (owner)")
        chats = open_conversations(self.settings.folio_data_dir)
        adopted = chats.adopt(admin.id)
        if chats.unsaved:  # the file cannot be written (from a newer Folio, say): its chats stay without an owner
            log.warning("the saved chats were not given to %s: %s", admin.name, chats.unsaved)
        elif adopted:
            self.audit.record(SYSTEM, "share", "", f"{adopted} saved chats → {admin.name} (owner)")


def open_team(settings: Settings, clock: Callable[[], float] = time.time, hasher: PasswordHasher | None = None) -> Team:
    """The team database of the settings' data folder (created on the first write, never by a read); the clock
    and the password hasher are seams for tests."""
    db = TeamDB(settings.folio_data_dir / TEAM_FILE, clock)
    accounts = Accounts(db, settings.folio_session_hours, hasher)
    return Team(settings, db, accounts, ApiKeys(db, accounts), Sharing(db), AuditLog(db))


def _grantee(user: str | None, group: str | None) -> str:
    return f"user {user}" if user else f"group {group}"
