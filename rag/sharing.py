"""Who may use which collection: each collection has an owner, and grants give a user or a group read (ask) or
write (upload, delete, re-index) access. An admin may do everything; a collection without an owner (made by the
CLI after accounts were turned on) is the admins' until it is given an owner or shared.

A `Principal` is who a request acts as: a user, narrowed by the API key they used (one collection, read-only).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from rag.accounts import User
from rag.team_db import TeamDB

Access = Literal["none", "read", "write"]
_RANK: dict[str, int] = {"none": 0, "read": 1, "write": 2}


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: `user`, limited to `collection` (when set) and to reading (when `read_only`)."""

    user: User
    collection: str | None = None
    read_only: bool = False


@dataclass(frozen=True)
class Grant:
    collection: str
    user: str | None  # exactly one of user and group
    group: str | None
    access: Access


class Sharing:
    """Collection owners and grants in the team database."""

    def __init__(self, db: TeamDB):
        self.db = db

    def owner(self, collection: str) -> str | None:
        """The name of the collection's owner (None: no owner, the admins')."""
        with self.db.connect() as db:
            row = db.execute(
                "SELECT u.name FROM collections c JOIN users u ON u.id = c.owner_id WHERE c.name = ?", (collection,)
            ).fetchone()
        return row[0] if row else None

    def set_owner(self, collection: str, user: User) -> None:
        """Make `user` the collection's owner (a collection created through the UI is its creator's)."""
        with self.db.connect() as db:
            db.execute(
                "INSERT INTO collections VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET owner_id = excluded.owner_id",
                (collection, user.id, self.db.now()),
            )

    def adopt(self, collections: Iterable[str], user: User) -> list[str]:
        """Give `user` every one of `collections` that has no owner yet (the upgrade of a single-user library to
        accounts); the names adopted."""
        adopted = []
        with self.db.connect() as db:
            for name in sorted(set(collections)):
                owned = db.execute("SELECT 1 FROM collections WHERE name = ? AND owner_id IS NOT NULL", (name,))
                if owned.fetchone() is None:
                    db.execute(
                        "INSERT INTO collections VALUES (?, ?, ?) "
                        "ON CONFLICT(name) DO UPDATE SET owner_id = excluded.owner_id",
                        (name, user.id, self.db.now()),
                    )
                    adopted.append(name)
        return adopted

    def share(self, collection: str, access: Access, *, user: User | None = None, group_id: int | None = None) -> None:
        """Grant `access` ("read" or "write") on `collection` to one user or one group (replacing their grant)."""
        with self.db.connect() as db:
            db.execute(*_grantee_delete(collection, user, group_id))
            db.execute(
                "INSERT INTO grants VALUES (?, ?, ?, ?)", (collection, user.id if user else None, group_id, access)
            )

    def unshare(self, collection: str, *, user: User | None = None, group_id: int | None = None) -> bool:
        """Take the grant away; False if there was none."""
        with self.db.connect() as db:
            return db.execute(*_grantee_delete(collection, user, group_id)).rowcount > 0

    def grants(self, collection: str | None = None) -> list[Grant]:
        """The grants (of one collection, when given), by collection."""
        query = (
            "SELECT g.collection, u.name, gr.name, g.access FROM grants g LEFT JOIN users u ON u.id = g.user_id "
            "LEFT JOIN groups gr ON gr.id = g.group_id"
        )
        args: tuple[str, ...] = ()
        if collection is not None:
            query, args = query + " WHERE g.collection = ?", (collection,)
        with self.db.connect() as db:
            return [Grant(*row) for row in db.execute(query + " ORDER BY 1, 2, 3", args)]

    def access(self, principal: Principal, collection: str) -> Access:
        """What `principal` may do with `collection`: "none" (it must not even learn it exists), "read" or
        "write"."""
        if principal.user.disabled or principal.collection not in (None, collection):
            return "none"
        found = "write" if principal.user.is_admin else self._user_access(principal.user, collection)
        return "read" if found == "write" and principal.read_only else found

    def visible(self, principal: Principal, collections: Iterable[str]) -> list[str]:
        """Those of `collections` that `principal` may read, sorted."""
        return sorted(name for name in set(collections) if self.access(principal, name) != "none")

    def _user_access(self, user: User, collection: str) -> Access:
        with self.db.connect() as db:
            owned = db.execute(
                "SELECT 1 FROM collections WHERE name = ? AND owner_id = ?", (collection, user.id)
            ).fetchone()
            if owned:
                return "write"
            rows = db.execute(
                "SELECT access FROM grants WHERE collection = ? AND (user_id = ? OR group_id IN "
                "(SELECT group_id FROM memberships WHERE user_id = ?))",
                (collection, user.id, user.id),
            ).fetchall()
        return max((access for (access,) in rows), key=_RANK.__getitem__, default="none")


def _grantee_delete(collection: str, user: User | None, group_id: int | None) -> tuple[str, tuple]:
    if (user is None) == (group_id is None):
        raise ValueError("a grant is to one user or one group")
    if user is not None:
        return "DELETE FROM grants WHERE collection = ? AND user_id = ?", (collection, user.id)
    return "DELETE FROM grants WHERE collection = ? AND group_id = ?", (collection, group_id)
