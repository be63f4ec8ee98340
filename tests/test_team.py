"""rag/team_db.py, accounts.py, sharing.py, keys.py, audit.py and team.py on a real SQLite file: users and
passwords, sessions and their expiry (a clock seam), the sign-in throttle, grants, API keys, the audit log, the
schema version, and the upgrade of a single-user library."""

import sqlite3

import pytest
from argon2 import PasswordHasher

from rag.access import FREE_ATTEMPTS
from rag.accounts import SignInRefused, SignInThrottle
from rag.errors import ConfigError, StoreError
from rag.sharing import Principal
from rag.team import open_team
from rag.team_db import SCHEMA_VERSION

# real argon2id with cheap parameters (the default costs 0.4 s a hash here): a seam of open_team
CHEAP = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
PASSWORD = "correct horse"


class Clock:
    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def team(settings, clock):
    return open_team(settings, clock, CHEAP)


@pytest.fixture
def staffed(team):
    """An admin (ada) and two members (bob in group staff, cy)."""
    team.add_user("ada", PASSWORD, admin=True)
    team.add_group("staff")
    team.add_user("bob", PASSWORD, groups=["staff"])
    team.add_user("cy", PASSWORD)
    return team


def test_single_user_stays_the_default_and_reading_never_creates_the_file(team, settings):
    assert not team.active() and team.accounts.users() == [] and team.keys.list() == []
    assert team.audit.entries() == [] and team.api_principal("folio_x") is None
    assert not (settings.folio_data_dir / "team.sqlite3").exists()


def test_the_first_user_must_be_an_admin_and_names_are_checked(team):
    with pytest.raises(ConfigError, match="first user must be an admin"):
        team.add_user("bob", PASSWORD)
    ada = team.add_user("ada", PASSWORD, admin=True, display_name="Ada L.")
    assert team.active() and ada.is_admin and ada.display_name == "Ada L." and ada.has_password
    with pytest.raises(ConfigError, match="already a user named 'ADA'"):
        team.add_user("ADA", PASSWORD)  # names are case-insensitive
    with pytest.raises(ConfigError, match="cannot be a user name"):
        team.add_user("bob smith", PASSWORD)
    with pytest.raises(ConfigError, match="at least 8 characters"):
        team.add_user("bob", "short")
    with pytest.raises(ConfigError, match="no group named 'staff'"):
        team.add_user("bob", PASSWORD, groups=["staff"])
    assert [u.name for u in team.accounts.users()] == ["ada"]  # nothing half-written


def test_passwords_are_stored_as_argon2id_hashes_only(staffed):
    with sqlite3.connect(staffed.db.path) as db:
        hashes = [h for (h,) in db.execute("SELECT password_hash FROM users")]
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert PASSWORD.encode() not in staffed.db.path.read_bytes()


def test_sign_in_gives_a_session_that_expires(staffed, clock):
    throttle = SignInThrottle(clock)
    user, token = staffed.sign_in("bob", PASSWORD, "10.0.0.2", throttle)
    assert user.name == "bob" and staffed.accounts.session_user(token) == user
    assert staffed.accounts.session_user("forged") is None
    assert token.encode() not in staffed.db.path.read_bytes()  # only its hash is kept
    clock.now += 12 * 3600 - 1
    assert staffed.accounts.session_user(token) == user
    clock.now += 1
    assert staffed.accounts.session_user(token) is None  # FOLIO_SESSION_HOURS (12) later
    _, again = staffed.sign_in("bob", PASSWORD, "10.0.0.2", throttle)
    staffed.accounts.end_session(again)
    assert staffed.accounts.session_user(again) is None


def test_disabling_or_a_new_password_ends_the_sessions(staffed, clock):
    throttle = SignInThrottle(clock)
    _, bobs = staffed.sign_in("bob", PASSWORD, "local", throttle)
    _, cys = staffed.sign_in("cy", PASSWORD, "local", throttle)
    staffed.disable_user("bob")
    assert staffed.accounts.session_user(bobs) is None and staffed.accounts.require("bob").disabled
    with pytest.raises(SignInRefused, match="Wrong name or password"):  # the same words as a wrong password
        staffed.sign_in("bob", PASSWORD, "local", throttle)
    staffed.reset_password("cy", "a new secret")
    assert staffed.accounts.session_user(cys) is None
    with pytest.raises(SignInRefused):
        staffed.sign_in("cy", PASSWORD, "local", throttle)
    assert staffed.sign_in("cy", "a new secret", "local", throttle)[0].name == "cy"


def test_wrong_passwords_and_unknown_names_are_refused_alike_and_throttled_per_account_and_client(staffed, clock):
    throttle = SignInThrottle(clock)
    for n in range(FREE_ATTEMPTS):  # one account, from many clients (a spread-out guesser)
        with pytest.raises(SignInRefused, match="^Wrong name or password.$"):
            staffed.sign_in("bob", f"guess-{n}", f"10.0.0.{n}", throttle)
    with pytest.raises(SignInRefused, match="Too many attempts: try again in 2 s") as refused:
        staffed.sign_in("bob", PASSWORD, "10.0.9.9", throttle)  # the right password, not even checked
    assert refused.value.wait == 2
    assert staffed.sign_in("cy", PASSWORD, "10.0.9.9", throttle)[0].name == "cy"  # another account goes on
    clock.now += 2
    assert staffed.sign_in("bob", PASSWORD, "10.0.9.9", throttle)[0].name == "bob"

    for n in range(FREE_ATTEMPTS):  # one client, many names (unknown ones too)
        with pytest.raises(SignInRefused, match="^Wrong name or password.$"):
            staffed.sign_in(f"nobody{n}", PASSWORD, "10.6.6.6", throttle)
    with pytest.raises(SignInRefused, match="Too many attempts"):
        staffed.sign_in("cy", PASSWORD, "10.6.6.6", throttle)
    failed = [e for e in staffed.audit.entries() if e.action == "signin_failed"]
    assert len(failed) == 2 * FREE_ATTEMPTS + 2 and failed[0].client == "10.6.6.6"


def test_grants_owners_groups_and_admins(staffed):
    ada, bob, cy = (staffed.accounts.require(n) for n in ("ada", "bob", "cy"))
    staffed.sharing.set_owner("reports", bob)
    staffed.sharing.share("reports", "read", user=cy)
    staffed.sharing.share("manuals", "write", group_id=staffed.accounts.group_id("staff"))
    access = staffed.sharing.access
    assert access(Principal(bob), "reports") == "write"  # the owner
    assert access(Principal(cy), "reports") == "read"
    assert access(Principal(ada), "reports") == "write"  # an admin
    assert access(Principal(bob), "manuals") == "write" and access(Principal(cy), "manuals") == "none"
    assert access(Principal(cy), "folio") == "none"  # the admin's (adopted) collection
    assert staffed.sharing.visible(Principal(cy), ["folio", "manuals", "reports"]) == ["reports"]
    assert staffed.sharing.visible(Principal(ada), ["folio", "manuals", "reports"]) == ["folio", "manuals", "reports"]

    staffed.sharing.share("reports", "write", user=cy)  # replaces the read grant
    assert access(Principal(cy), "reports") == "write"
    assert [(g.user, g.access) for g in staffed.sharing.grants("reports")] == [("cy", "write")]
    assert staffed.sharing.unshare("reports", user=cy) and not staffed.sharing.unshare("reports", user=cy)
    assert access(Principal(cy), "reports") == "none"

    assert access(Principal(bob, read_only=True), "reports") == "read"  # a read-only key
    assert access(Principal(bob, collection="manuals"), "reports") == "none"  # a key bound to another collection
    assert access(Principal(ada, collection="manuals"), "manuals") == "write"
    staffed.disable_user("bob")
    assert access(Principal(staffed.accounts.require("bob")), "reports") == "none"


def test_identity_provider_users_have_no_password_and_groups_from_claims(staffed):
    dee = staffed.accounts.add("dee@example.com", None, provider="dex", subject="Cg1kZWU")
    assert not dee.has_password and staffed.accounts.by_subject("dex", "Cg1kZWU") == dee
    staffed.accounts.set_groups(dee, ["staff", "finance"])
    assert staffed.accounts.groups_of(dee) == ["finance", "staff"] and "finance" in staffed.accounts.groups()
    staffed.accounts.set_groups(dee, ["finance"])
    assert staffed.accounts.groups_of(dee) == ["finance"]
    with pytest.raises(SignInRefused):
        staffed.sign_in("dee@example.com", "", "local", SignInThrottle())
    with pytest.raises(ConfigError, match="signs in through dex"):
        staffed.reset_password("dee@example.com", PASSWORD)


def test_api_keys_are_shown_once_stored_hashed_and_act_as_their_user(staffed, clock):
    key, secret = staffed.create_key("bob", read_only=True)
    assert secret.startswith("folio_") and len(secret) == 6 + 43 and key.prefix == secret[:12]
    assert secret.encode() not in staffed.db.path.read_bytes()
    assert staffed.api_principal(secret) == Principal(staffed.accounts.require("bob"), None, True)
    assert staffed.keys.list()[0].last_used_at == staffed.db.now()
    assert staffed.api_principal(secret + "x") is None and staffed.api_principal("s3cret") is None

    bound, bound_secret = staffed.create_key("cy", collection="folio")
    assert staffed.api_principal(bound_secret).collection == "folio"
    with pytest.raises(ConfigError, match="no collection named 'nosuch'"):
        staffed.create_key("cy", collection="nosuch")
    staffed.revoke_key(key.id)
    assert staffed.api_principal(secret) is None and staffed.keys.list()[0].revoked_at
    staffed.disable_user("cy")
    assert staffed.api_principal(bound_secret) is None  # a disabled user's keys stop working
    with pytest.raises(ConfigError, match="no API key 99"):
        staffed.revoke_key(99)


def test_the_shared_api_key_acts_as_the_first_admin(settings, clock):
    from pydantic import SecretStr

    team = open_team(settings.model_copy(update={"folio_api_key": SecretStr("s3cret")}), clock, CHEAP)
    assert team.api_principal("s3cret") is None  # no admin yet: the server checks the key itself
    team.add_user("ada", PASSWORD, admin=True)
    team.add_user("zed", PASSWORD, admin=True)
    assert team.api_principal("s3cret").user.name == "ada" and team.api_principal("s3cre") is None


def test_the_audit_log_says_who_did_what_newest_first(staffed):
    staffed.share("folio", "read", group="staff")
    staffed.unshare("folio", group="staff")
    staffed.audit.record("bob", "upload", "folio", "report.pdf", "10.0.0.2")
    latest, unshared, shared = staffed.audit.entries(limit=3)
    assert (latest.actor, latest.action, latest.collection, latest.target, latest.client) == (
        "bob", "upload", "folio", "report.pdf", "10.0.0.2"
    )  # fmt: skip
    assert (unshared.action, unshared.target) == ("unshare", "group staff")
    assert (shared.actor, shared.action, shared.target) == ("cli", "share", "group staff (read)")
    actions = [e.action for e in reversed(staffed.audit.entries())]
    assert actions[:4] == ["user_add", "share", "group_add", "user_add"]  # ada, ada given 'folio', staff, bob


def test_a_database_of_a_newer_folio_is_refused_and_left_as_it_is(team, settings):
    team.add_user("ada", PASSWORD, admin=True)
    with sqlite3.connect(team.db.path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = team.db.path.read_bytes()
    newer = open_team(settings)
    with pytest.raises(StoreError, match=f"written by a newer Folio \\(schema {SCHEMA_VERSION + 1}; this one knows"):
        newer.active()
    with pytest.raises(StoreError, match="newer Folio"):
        newer.add_user("bob", PASSWORD)
    assert team.db.path.read_bytes() == before


def test_migrating_twice_and_from_two_openers_is_harmless(team, settings):
    team.add_user("ada", PASSWORD, admin=True)
    again = open_team(settings)  # a second process: the file is at the current version, nothing is re-created
    assert [u.name for u in again.accounts.users()] == ["ada"]
    with sqlite3.connect(team.db.path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
