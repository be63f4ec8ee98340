"""Folio for a team in a real browser (issue 31, part B): Debian's chromium (headless, via Playwright) against
`streamlit run` on loopback, with accounts on. Two users and a shared read-only collection, over the UI and the
API; and a sign-in through a real OpenID Connect provider (the npm package oidc-provider, tests/oidc/) on
loopback. Each test is one long walk (a browser test costs ~30 s: the suite has a time budget)."""

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher

from ingest import Ingestor
from rag import create_collection, open_team
from rag.config import Settings
from tests.conftest import ROOT, free_port, make_pdf
from tests.test_browser import CHROMIUM, FLAGS, HANG_MS, _ask, _page, _start_app
from tests.test_first_run import FOLIO, wait_until_healthy
from tests.test_server import _serve

OIDC_DIR = ROOT / "tests" / "oidc"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (apt-get install chromium)"),
]
CHEAP = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)  # real argon2id, cheap parameters
PASSWORD = "correct horse"
TIDES = "The harbour of Lumen has two high tides a day, at 06:10 and 18:40."
LAMPS = "The lamps of the Lumen pier were lit by hand until 1931."
ACCOUNTS = "The travel budget of the Lumen office for 2027 is 18,400 euros."


def _library(settings: Settings, tmp_path: Path, collections: dict[str, tuple[str, str]]):
    """The team of the data folder with ada (admin) and `collections` (name → (owner, the text of its one
    document), each owner a member with a password unless it is ada)."""
    team = open_team(settings, hasher=CHEAP)
    team.add_user("ada", PASSWORD, admin=True)
    for collection, (owner, text) in collections.items():
        if not team.accounts.get(owner):
            team.add_user(owner, PASSWORD)
        parts = create_collection(settings, collection)
        team.sharing.set_owner(collection, team.accounts.require(owner))
        pdf = make_pdf(tmp_path / f"{collection}.pdf", [text])
        assert Ingestor.of(parts).upload(f"{collection}.pdf", pdf.read_bytes()).status == "ingested"
    return team


def _sign_in(page, url: str, name: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    page.get_by_role("textbox", name="Name").fill(name)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text(f"Signed in as {name}")).to_be_visible()


def _sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()


def _collections(page) -> list[str]:
    """The names the sidebar's collection picker offers (opened, read, closed)."""
    from playwright.sync_api import expect

    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Collection").click()
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    names = [text.strip() for text in options.all_inner_texts()]
    page.keyboard.press("Escape")
    return names


def _open_collection(page, name: str) -> None:
    from playwright.sync_api import expect

    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Collection").click()
    page.get_by_role("option", name=name, exact=True).click()
    expect(page.get_by_text(f"{name}.pdf", exact=True)).to_be_visible()  # its document list


def test_two_users_and_a_shared_read_only_collection_over_the_ui_and_the_api(settings, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    team = _library(settings, tmp_path, {"handbook": ("ada", TIDES), "anns": ("ann", LAMPS), "bobs": ("bob", ACCOUNTS)})
    team.share("handbook", "read", user="ann")
    bob_key = team.create_key("bob")[1]
    process, url = _start_app(settings, {}, free_port())
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = _page(browser, viewport={"width": 1400, "height": 1000})
            _sign_in(page, url, "ann")
            page.wait_for_function("document.cookie.includes('folio_session=')")
            page.reload()  # a reload (a new Streamlit session) stays signed in: the session's cookie
            expect(page.get_by_text("Signed in as ann")).to_be_visible()
            assert _collections(page) == ["anns", "handbook"]  # not ada's 'folio', not bob's
            expect(page.locator("input[type=file]")).to_have_count(1)  # her own: she may upload
            _open_collection(page, "handbook")
            _ask(page, "When are the high tides in the harbour of Lumen?")
            expect(page.get_by_text("06:10").first).to_be_visible()
            expect(page.get_by_text("handbook.pdf, p. 1").first).to_be_visible()  # cited
            expect(page.locator("input[type=file]")).to_have_count(0)  # read-only: no upload, no delete
            expect(page.get_by_role("button", name="Delete")).to_have_count(0)
            _sign_out(page)
            expect(page.get_by_role("textbox", name="Password")).to_be_visible()
            expect(page.get_by_text("06:10")).to_have_count(0)
            page.wait_for_function("!document.cookie.includes('folio_session=')")
            page.reload()
            expect(page.get_by_role("textbox", name="Password")).to_be_visible()

            _sign_in(page, url, "bob")
            assert _collections(page) == ["bobs"]
            expect(page.get_by_text("bobs.pdf", exact=True)).to_be_visible()
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
    server, api = _serve(settings)
    try:
        models = httpx.get(f"{api}/models", headers={"Authorization": f"Bearer {bob_key}"}, timeout=60)
        assert [m["id"] for m in models.json()["data"]] == ["folio:bobs"]
    finally:
        server.should_exit = True
    actions = [(e.actor, e.action) for e in reversed(team.audit.entries())]
    assert [a for a in actions if a[1] in ("signin", "signout")] == [
        ("ann", "signin"),
        ("ann", "signout"),
        ("bob", "signin"),
    ]


@pytest.fixture
def oidc_provider():
    """The OpenID Connect provider of tests/oidc on a loopback port, with carol (in the group research) and dan
    (no groups); yields (issuer, client id, client secret, the app's port: its redirect URI's)."""
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.skip("the test OIDC provider is not installed: run `npm ci` in tests/oidc (Node 20; .ci/run does)")
    port, app_port = free_port(), free_port()
    config = {
        "port": port,
        "client_id": "folio",
        "client_secret": "folio-test-client-secret",
        "redirect_uri": f"http://127.0.0.1:{app_port}/oauth2callback",
        "accounts": {
            "carol": {"name": "Carol Provider", "email": "carol@example.com", "groups": ["research", "all staff"]},
            "dan": {"name": "Dan Provider", "email": "dan@example.com", "groups": []},
        },
    }
    process = subprocess.Popen(
        ["node", "provider.mjs", json.dumps(config)], cwd=OIDC_DIR, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == b"ready", (
            "the provider did not start"
        )
        yield f"http://127.0.0.1:{port}", config["client_id"], config["client_secret"], app_port
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_sign_in_through_an_identity_provider_maps_its_groups_and_signs_out(settings, tmp_path, oidc_provider):
    from playwright.sync_api import expect, sync_playwright

    issuer, client_id, client_secret, app_port = oidc_provider
    team = _library(settings, tmp_path, {"lab": ("ada", TIDES), "ledger": ("ada", ACCOUNTS)})
    team.add_group("research")
    team.share("lab", "read", group="research")
    oidc = {
        "FOLIO_OIDC_NAME": "Lumen ID",
        "FOLIO_OIDC_SERVER_METADATA_URL": f"{issuer}/.well-known/openid-configuration",
        "FOLIO_OIDC_CLIENT_ID": client_id,
        "FOLIO_OIDC_CLIENT_SECRET": client_secret,
        "FOLIO_OIDC_REDIRECT_URI": f"http://127.0.0.1:{app_port}/oauth2callback",
        "FOLIO_OIDC_SCOPE": "openid email profile groups",
    }
    (settings.folio_data_dir / ".sample-docs-offered").write_text("")  # no sample ingest: start the UI at once
    process = subprocess.Popen(  # as a team runs it: `folio up` writes Streamlit's secrets and names them
        [FOLIO, "up", "--no-browser", "--port", str(app_port)],
        env={**os.environ, "FOLIO_DATA_DIR": str(settings.folio_data_dir), **oidc},
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{app_port}"
    wait_until_healthy(process, f"{url}/_stcore/health", HANG_MS / 1000)
    secrets = settings.folio_data_dir / "streamlit-secrets.toml"
    assert secrets.stat().st_mode & 0o777 == 0o600 and client_secret in secrets.read_text(encoding="utf-8")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = _page(browser, viewport={"width": 1400, "height": 1000})
            page.goto(url)
            expect(page.get_by_role("textbox", name="Password")).to_be_visible()  # the form too: both ways are on
            page.get_by_role("button", name="Sign in with Lumen ID").click()
            page.locator("input[name=login]").fill("carol")  # the provider's own login page
            page.locator("input[name=password]").fill("anything")
            page.get_by_role("button", name="Sign-in").click()
            expect(page.get_by_text("Signed in as Carol Provider")).to_be_visible()
            assert _collections(page) == ["lab"]  # through the group claim; not 'ledger', not 'folio'
            expect(page.get_by_text("lab.pdf", exact=True)).to_be_visible()
            expect(page.locator("input[type=file]")).to_have_count(0)

            _sign_out(page)
            page.get_by_role("button", name="Yes, sign me out").click()  # the provider's sign-out
            expect(page.get_by_role("textbox", name="Password")).to_be_visible()
            expect(page.get_by_text("Signed in as")).to_have_count(0)

            team.disable_user("carol")  # the provider still knows carol: Folio lets her not in
            page.get_by_role("button", name="Sign in with Lumen ID").click()
            page.locator("input[name=login]").fill("carol")
            page.locator("input[name=password]").fill("anything")
            page.get_by_role("button", name="Sign-in").click()
            expect(page.get_by_text("This account cannot sign in to Folio")).to_be_visible()
            expect(page.get_by_text("lab.pdf", exact=True)).to_have_count(0)
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
    carol = team.accounts.by_subject(issuer, "carol")
    assert carol is not None and carol.provider == issuer and not carol.has_password and carol.role == "member"
    assert team.accounts.groups_of(carol) == ["research"]  # "all staff" cannot be a Folio group name
    actions = [(e.actor, e.action) for e in reversed(team.audit.entries())]
    assert [a for a in actions if a[0] == "carol"] == [
        ("carol", "user_add"),
        ("carol", "signin"),
        ("carol", "signout"),
        ("carol", "signin_failed"),
    ]
