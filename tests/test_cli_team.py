"""`folio users|groups|share|unshare|keys|audit` through Click's runner on a real data folder (the team database
and an embedded Chroma store); passwords typed at the hidden prompt or given on stdin."""

import json
import subprocess

import pytest
from typer.testing import CliRunner

from folio_cli import app
from rag import Principal, SignInThrottle, load_settings, open_team
from tests.conftest import make_pdf

PASSWORD = "correct horse"


@pytest.fixture
def folio(settings):
    env = {"FOLIO_DATA_DIR": str(settings.folio_data_dir)}

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        done = CliRunner().invoke(app, list(args), input=stdin, env=env, catch_exceptions=False)
        return subprocess.CompletedProcess(["folio", *args], done.exit_code, done.stdout, done.stderr)

    return run


def test_users_and_groups(folio, settings):
    assert "Folio is single-user" in folio("users", "list").stdout
    member_first = folio("users", "add", "bob", "--password-stdin", stdin=PASSWORD + "\n")
    assert member_first.returncode == 2 and "the first user must be an admin" in member_first.stderr
    added = folio("users", "add", "ada", "--admin", stdin=f"{PASSWORD}\n{PASSWORD}\n")  # the prompt, twice, hidden
    assert added.returncode == 0 and "added admin ada" in added.stdout and "Accounts are on" in added.stdout
    assert PASSWORD not in added.stdout
    no_group = folio("users", "add", "bob", "--group", "staff", "--password-stdin", stdin=PASSWORD + "\n")
    assert no_group.returncode == 2 and "no group named 'staff'" in no_group.stderr
    assert folio("groups", "add", "staff").returncode == 0
    assert folio("users", "add", "bob", "--group", "staff", "--password-stdin", stdin=PASSWORD + "\n").returncode == 0
    short = folio("users", "add", "cy", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    assert folio("users", "add", "cy", "--display-name", "Cy Young", "--password-stdin", stdin=PASSWORD).returncode == 0
    assert folio("groups", "add-member", "staff", "cy").returncode == 0

    assert folio("users", "disable", "bob").returncode == 0
    listed = {u["name"]: u for u in json.loads(folio("users", "list", "--json").stdout)}
    assert (listed["ada"]["role"], listed["bob"]["disabled"]) == ("admin", True)
    assert listed["cy"]["display_name"] == "Cy Young"
    assert listed["cy"]["groups"] == ["staff"] and "password_hash" not in listed["cy"]
    table = folio("users", "list").stdout
    assert "disabled" in table and "Cy Young" in table

    unknown = folio("users", "reset-password", "nobody", "--password-stdin", stdin=PASSWORD)
    assert unknown.returncode == 2 and "no user named 'nobody'" in unknown.stderr
    assert folio("users", "reset-password", "cy", "--password-stdin", stdin="another secret\n").returncode == 0
    team = open_team(load_settings(folio_data_dir=settings.folio_data_dir))
    assert team.sign_in("cy", "another secret", "local", SignInThrottle())[0].name == "cy"


def test_share_unshare_keys_and_audit(folio, settings):
    folio("users", "add", "ada", "--admin", "--password-stdin", stdin=PASSWORD)
    folio("users", "add", "bob", "--password-stdin", stdin=PASSWORD)
    folio("groups", "add", "staff")
    team = open_team(load_settings(folio_data_dir=settings.folio_data_dir))
    bob = Principal(team.accounts.require("bob"))

    nowhere = folio("share", "nosuch", "--user", "bob")
    assert nowhere.returncode == 2 and "no collection named 'nosuch'" in nowhere.stderr
    both = folio("share", "folio", "--user", "bob", "--group", "staff")
    assert both.returncode == 2 and "one user (--user) or one group (--group)" in both.stderr
    assert team.sharing.access(bob, "folio") == "none"
    assert "user bob may read folio" in folio("share", "folio", "--user", "bob").stdout
    assert team.sharing.access(bob, "folio") == "read"
    assert folio("share", "folio", "--user", "bob", "--write").returncode == 0
    assert team.sharing.access(bob, "folio") == "write"
    assert folio("unshare", "folio", "--user", "bob").returncode == 0
    assert team.sharing.access(bob, "folio") == "none"
    assert folio("unshare", "folio", "--user", "bob").returncode == 1  # there was nothing to take away

    created = folio("keys", "create", "--user", "bob", "--collection", "folio", "--read-only")
    secret = created.stdout.strip()
    assert created.returncode == 0 and secret.startswith("folio_") and "shown once" in created.stderr
    assert team.api_principal(secret) == Principal(team.accounts.require("bob"), "folio", True)
    [listed] = json.loads(folio("keys", "list", "--json").stdout)
    assert (listed["user"], listed["collection"], listed["read_only"]) == ("bob", "folio", True)
    assert secret not in folio("keys", "list").stdout and listed["prefix"] == secret[:12]
    assert folio("keys", "revoke", str(listed["id"])).returncode == 0
    assert team.api_principal(secret) is None
    assert "no API key 7" in folio("keys", "revoke", "7").stderr

    entries = json.loads(folio("audit", "--json").stdout)
    assert [(e["actor"], e["action"]) for e in entries[:3]] == [("cli", "key_revoke"), ("cli", "key_create"),
                                                               ("cli", "unshare")]  # fmt: skip
    assert {"user_add", "group_add", "share"} <= {e["action"] for e in entries}
    assert len(json.loads(folio("audit", "--json", "--limit", "2").stdout)) == 2
    shown = folio("audit").stdout
    assert "key_revoke" in shown and secret not in shown and PASSWORD not in shown


def test_ingest_and_rm_go_to_the_audit_log_once_accounts_are_on(folio, tmp_path):
    docs = tmp_path / "docs"
    make_pdf(docs / "moons.pdf", ["Titan is the largest moon of Saturn."])
    assert folio("ingest", str(docs)).returncode == 0
    assert folio("audit", "--json").stdout.strip() == "[]"  # single-user: no audit log, no team file
    folio("users", "add", "ada", "--admin", "--password-stdin", stdin=PASSWORD)
    make_pdf(docs / "tides.pdf", ["The harbour has two high tides a day."])
    assert folio("ingest", str(docs)).returncode == 0  # moons.pdf unchanged: not an upload
    assert folio("rm", "moons").returncode == 0
    entries = json.loads(folio("audit", "--json").stdout)
    assert [(e["actor"], e["action"], e["collection"], e["target"]) for e in entries[:2]] == [
        ("cli", "delete", "folio", "moons.pdf"),
        ("cli", "upload", "folio", "tides.pdf"),
    ]
    assert "Titan" not in json.dumps(entries)
