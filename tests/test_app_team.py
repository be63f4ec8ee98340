"""streamlit_app.py with accounts on (issue 31, part B), through Streamlit's AppTest: sign-in, what each user sees
and may do, and actions the page no longer offers being refused when they arrive anyway. Real team database, real
Chroma, real embedder (two one-page PDFs)."""

import pytest
import streamlit as st
from argon2 import PasswordHasher
from streamlit.testing.v1 import AppTest

from ingest import Ingestor
from rag import create_collection, open_team
from rag.display import literal
from tests.conftest import ROOT, make_pdf
from tests.test_app import _until

pytestmark = pytest.mark.slow  # the whole UI script in AppTest, a sign-in (argon2) per browser session

APP = str(ROOT / "streamlit_app.py")
CHEAP = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)  # real argon2id, cheap parameters
PASSWORD = "correct horse"
TIDES = "The harbour of Lumen has two high tides a day, at 06:10 and 18:40."
LAMPS = "The lamps of the Lumen pier were lit by hand until 1931."
TIDES_Q = "When are the high tides in the harbour of Lumen?"
READ_ONLY = "You may only read this collection"


@pytest.fixture
def team(settings, minilm, tmp_path):
    """ada (admin: given 'folio'), bob (owns 'bobs', holding lamps.pdf), cy and dee; 'shared' (ada's, holding
    tides.pdf) may be read by the group staff (bob and cy)."""
    team = open_team(settings, hasher=CHEAP)
    team.add_user("ada", PASSWORD, admin=True)
    team.add_group("staff")
    for name in ("bob", "cy"):
        team.add_user(name, PASSWORD, groups=["staff"])
    team.add_user("dee", PASSWORD)
    for collection, owner, text in (("shared", "ada", TIDES), ("bobs", "bob", LAMPS)):
        parts = create_collection(settings, collection)
        team.sharing.set_owner(collection, team.accounts.require(owner))
        pdf = make_pdf(tmp_path / f"{collection}.pdf", [text])
        assert Ingestor.of(parts).upload(f"{collection}.pdf", pdf.read_bytes()).status == "ingested"
    team.share("shared", "read", group="staff")
    return team


def _open(monkeypatch, collection: str | None = None, chat: str | None = None) -> AppTest:
    """A new browser session (nothing signed in), optionally opening a collection or chat from the address."""
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(APP, default_timeout=120)
    if collection:
        at.query_params["collection"] = collection
    if chat:
        at.query_params["chat"] = chat
    return at.run()


def _sign_in(at: AppTest, name: str, password: str = PASSWORD) -> list[str]:
    """Fill in the sign-in form; the errors shown."""
    [who] = [t for t in at.text_input if t.label == "Name"]
    [secret] = [t for t in at.text_input if t.label == "Password"]
    who.input(name)
    secret.input(password)
    [button] = [b for b in at.button if b.label == "Sign in"]
    button.click().run()
    assert not at.exception
    return [e.value for e in at.error]


def _as(monkeypatch, name: str, collection: str | None = None, chat: str | None = None) -> AppTest:
    at = _open(monkeypatch, collection, chat)
    assert _sign_in(at, name) == []
    return at


def _collections(at: AppTest) -> list[str]:
    [chooser] = [s for s in at.sidebar.selectbox if s.label == "Collection"]
    return list(chooser.options)


def _chats(at: AppTest) -> list[str]:
    """The titles of the chats listed in the sidebar."""
    return [title for r in at.sidebar.radio if r.label == "Chats" for title in r.options if "new chat" not in title]


def _actions(team) -> list[tuple[str, str, str, str]]:
    return [(e.actor, e.action, e.collection, e.target) for e in reversed(team.audit.entries())]


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    st.cache_resource.clear()  # a server process of its own: no team, throttle or store from another test
    yield
    st.cache_resource.clear()


def test_nothing_shows_before_a_sign_in_and_every_failure_reads_the_same(team, monkeypatch):
    at = _open(monkeypatch)
    assert not at.chat_input and not at.sidebar.selectbox and [t.value for t in at.title] == ["Folio"]
    assert _sign_in(at, "bob", "wrong password") == ["Wrong name or password."]
    assert _sign_in(at, "nobody", PASSWORD) == ["Wrong name or password."]
    team.disable_user("dee")
    assert _sign_in(at, "dee", PASSWORD) == ["Wrong name or password."]
    assert not at.chat_input
    failed = [(actor, action) for actor, action, _, _ in _actions(team) if action == "signin_failed"]
    assert failed == [("bob", "signin_failed"), ("nobody", "signin_failed"), ("dee", "signin_failed")]


def test_a_member_sees_only_the_collections_they_may_read_and_a_new_one_is_theirs(team, monkeypatch):
    at = _as(monkeypatch, "bob")
    assert any("Signed in as **bob**" in c.value for c in at.sidebar.caption)
    assert _collections(at) == ["bobs", "shared"]  # not ada's 'folio', the configured one
    forged = _as(monkeypatch, "bob", collection="folio")  # a link to a collection they may not read
    assert any("There is no collection named 'folio'" in w.value for w in forged.warning)
    assert _collections(forged) == ["bobs", "shared"] and not forged.exception

    at.sidebar.text_input(key="new-collection").input("notes").run()
    at.sidebar.button(key="create-collection").click().run()
    assert not at.exception and _collections(at) == ["bobs", "notes", "shared"]
    assert team.sharing.owner("notes") == "bob"
    assert _collections(_as(monkeypatch, "cy")) == ["shared"]  # cy is in staff too, but 'notes' is bob's
    dee = _as(monkeypatch, "dee")  # nothing shared with dee: a notice and a way to start
    assert any("No collection is shared with you yet" in i.value for i in dee.info) and not dee.chat_input
    assert _collections(_as(monkeypatch, "ada")) == ["bobs", "folio", "notes", "shared"]  # an admin sees all


def test_a_reader_asks_but_has_no_upload_delete_or_reindex(team, monkeypatch):
    at = _as(monkeypatch, "cy", collection="shared")
    assert not at.file_uploader
    assert not [b for b in at.sidebar.button if b.label in ("Delete", "Re-index")]
    assert any(f"**{literal('shared.pdf')}**" in m.value for m in at.sidebar.markdown)  # the list, to read
    at.chat_input[0].set_value(TIDES_Q).run()
    assert not at.exception
    assert "06:10" in "".join(m.value for m in at.chat_message[1].markdown) and at.chat_message[1].expander


def test_a_control_drawn_for_a_writer_is_refused_once_their_access_is_read(team, monkeypatch, tmp_path):
    team.share("shared", "write", user="dee")
    at = _as(monkeypatch, "dee", collection="shared")
    at.sidebar.button(key="rm-shared.pdf").click().run()
    team.share("shared", "read", user="dee")  # taken back while dee's page still shows the confirmation
    at.sidebar.button(key="rm-yes-shared.pdf").click().run()  # a click on a button the new run no longer draws
    assert [d.source for d in create_collection(team.settings, "shared").store.documents()] == ["shared.pdf"]
    assert not at.file_uploader and not [b for b in at.sidebar.button if b.label in ("Delete", "Re-index")]

    team.share("shared", "write", user="dee")
    at.run()
    at.file_uploader[0].upload("lamps.pdf", make_pdf(tmp_path / "l.pdf", [LAMPS]).read_bytes(), "application/pdf")
    at.run()
    team.share("shared", "read", user="dee")  # and again, with a file chosen in the uploader
    [ingest] = [b for b in at.sidebar.button if b.label == "Ingest uploaded files"]
    ingest.click().run()
    assert any(READ_ONLY in e.value for e in at.sidebar.error) and not at.sidebar.progress
    assert [d.source for d in create_collection(team.settings, "shared").store.documents()] == ["shared.pdf"]
    assert not [a for a in _actions(team) if a[1] in ("upload", "delete")]

    team.share("shared", "write", user="dee")  # with write access the same clicks act, and are logged
    at.run()
    at.file_uploader[0].upload("lamps.pdf", (tmp_path / "l.pdf").read_bytes(), "application/pdf").run()
    [ingest] = [b for b in at.sidebar.button if b.label == "Ingest uploaded files"]
    ingest.click().run()
    _until(at, lambda at: any(f"{literal('lamps.pdf')}: upload done" in s.value for s in at.sidebar.success))
    _until(at, lambda at: any(b.key == "re-lamps.pdf" for b in at.sidebar.button))  # listed (a run after the job)
    at.sidebar.button(key="re-lamps.pdf").click().run()
    _until(at, lambda at: any(f"{literal('lamps.pdf')}: re-index done" in s.value for s in at.sidebar.success))
    at.sidebar.button(key="rm-yes-shared.pdf").click().run()  # the confirmation asked before is shown again
    assert [d.source for d in create_collection(team.settings, "shared").store.documents()] == ["lamps.pdf"]
    assert [a for a in _actions(team) if a[0] == "dee" and a[1] in ("upload", "reindex", "delete")] == [
        ("dee", "upload", "shared", "lamps.pdf"),
        ("dee", "reindex", "shared", "lamps.pdf"),
        ("dee", "delete", "shared", "shared.pdf"),
    ]


def test_chats_belong_to_their_user_and_sign_out_ends_the_session(team, monkeypatch):
    bob = _as(monkeypatch, "bob", collection="shared")
    bob.chat_input[0].set_value(TIDES_Q).run()
    chat = bob.query_params["chat"]
    chat = chat[0] if isinstance(chat, list) else chat
    assert _chats(bob) == [TIDES_Q] and bob.sidebar.get("download_button")

    cy = _as(monkeypatch, "cy", collection="shared")  # the same collection, another user: none of bob's chats
    assert _chats(cy) == [] and not cy.chat_message
    forged = _as(monkeypatch, "cy", collection="shared", chat=chat)  # bob's chat id in cy's address bar
    assert not forged.chat_message and not forged.sidebar.get("download_button") and _chats(forged) == []

    token = bob.session_state["session_token"]
    assert team.accounts.session_user(token).name == "bob"
    bob.sidebar.button(key="sign-out").click().run()
    assert not bob.exception and not bob.chat_input and [t.label for t in bob.text_input] == ["Name", "Password"]
    assert team.accounts.session_user(token) is None  # the session is over, not only forgotten by the page
    again = _as(monkeypatch, "bob", collection="shared")
    assert _chats(again) == [TIDES_Q] and len(again.chat_message) == 0  # listed; opened with a click
    assert [a[:2] for a in _actions(team) if a[1] in ("signin", "signout") and a[0] == "bob"] == [
        ("bob", "signin"),
        ("bob", "signout"),
        ("bob", "signin"),
    ]


def test_a_session_is_over_after_its_hours_and_the_page_asks_for_a_sign_in_again(team, monkeypatch):
    at = _as(monkeypatch, "bob")
    assert at.chat_input
    with team.db.connect() as db:  # FOLIO_SESSION_HOURS have passed (the file's own record of the session)
        db.execute("UPDATE sessions SET expires_at = created_at")
    at.run()
    assert not at.chat_input and [t.label for t in at.text_input] == ["Name", "Password"]


def test_the_identity_provider_button_shows_once_streamlit_has_its_settings(team, monkeypatch):
    monkeypatch.setenv("FOLIO_OIDC_NAME", "Lumen ID")
    monkeypatch.setenv("FOLIO_OIDC_SERVER_METADATA_URL", "https://id.example.com/.well-known/openid-configuration")
    monkeypatch.setenv("FOLIO_OIDC_CLIENT_ID", "folio")
    at = _open(monkeypatch)  # `streamlit run` without the secrets file: said so, no button that would fail
    assert any("Sign-in with Lumen ID is set up but not started" in c.value for c in at.caption)
    assert [b.label for b in at.button] == ["Sign in"]
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32}
    at.run()
    assert [b.label for b in at.button] == ["Sign in", "Sign in with Lumen ID"]  # beside the form


def test_a_chat_of_a_collection_no_longer_shared_shows_nothing_of_it(team, monkeypatch):
    bob = _as(monkeypatch, "bob", collection="shared")
    bob.chat_input[0].set_value(TIDES_Q).run()
    chat = bob.query_params["chat"]
    chat = chat[0] if isinstance(chat, list) else chat
    assert bob.chat_message[1].expander  # its sources, with the page image
    team.unshare("shared", group="staff")
    bob.run()  # the same page, the next run: the collection, its chat and its sources are gone
    assert not bob.chat_message and _collections(bob) == ["bobs"] and not bob.sidebar.get("download_button")
    again = _as(monkeypatch, "bob", collection="shared", chat=chat)  # a saved link to the chat
    assert any("There is no collection named 'shared'" in w.value for w in again.warning)
    assert not again.chat_message and _chats(again) == []


def test_an_upload_clicked_after_the_user_signed_out_elsewhere_or_was_disabled_is_refused(team, monkeypatch, tmp_path):
    team.share("shared", "write", user="dee")
    pdf = make_pdf(tmp_path / "l.pdf", [LAMPS]).read_bytes()
    for end in (team.accounts.end_session, lambda token: team.disable_user("dee")):
        at = _as(monkeypatch, "dee", collection="shared")
        at.file_uploader[0].upload("lamps.pdf", pdf, "application/pdf").run()
        end(at.session_state["session_token"])  # while the page still shows the upload button
        [ingest] = [b for b in at.sidebar.button if b.label == "Ingest uploaded files"]
        ingest.click().run()  # its callback runs before the page, which then asks for a sign-in
        assert not at.chat_input and [t.label for t in at.text_input] == ["Name", "Password"]
        assert not [a for a in _actions(team) if a[1] == "upload"]  # an upload is logged when it is queued
