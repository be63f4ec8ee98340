"""Folio's web UI: saved chats with cited sources, background uploads, document manager, settings.

Calls the public APIs of `rag` and `ingest` only; every FolioError is shown as a message. Nothing lives
only in the page: chats are in SQLite (a reload or a restart brings them back with their sources), and
ingestion runs in a background queue that no click can cancel.

With accounts on (`folio users add`), nothing shows before a sign-in (a name and password, or the identity
provider's button), and every path checks the signed-in user's access to the collection when it acts, not only
when it draws a control: the collection picker, asking, the document list, sources and page images, chats (only
the user's own) and their downloads; uploads, deletes and re-indexing need write access. Without accounts the UI
is the single-user one it always was (FOLIO_PASSWORD included).
"""

from __future__ import annotations

import hmac
import json
import math
import secrets
import struct
import time
import zlib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import streamlit as st

from rag import (
    OIDC_PROVIDER,
    FolioError,
    Principal,
    SignInLimits,
    SignInRefused,
    SignInThrottle,
    Team,
    User,
    html_text,
    inert,
    label,
    literal,
    load_settings,
    oidc_enabled,
    open_team,
    provider_member,
    provider_session_over,
)

if TYPE_CHECKING:  # the heavy modules are imported after the first paint (see main)
    from ingest import IngestJobs
    from rag import Action, ChatModel, ChatSession, Components, Conversations, DocumentRecord, Message, Settings, Source

st.set_page_config(page_title="Folio", page_icon="📚", layout="wide")
SEARCHING = "_Searching your documents…_"
SESSION_COOKIE = "folio_session"  # a signed-in session's token, in the browser (see remember_session)


@st.cache_resource(show_spinner=False)
def components(collection: str) -> Components:
    """Embedder, store, retriever and LLM client of a collection, loaded once per server process."""
    from rag import open_collection

    return open_collection(load_settings(), collection)


@st.cache_resource(show_spinner=False)
def ingest_jobs() -> IngestJobs:
    """The background ingest queue, one per server process: it outlives every rerun and browser tab. Uploads an
    earlier process left half done are cleaned first."""
    from ingest import IngestJobs, clean_uploads

    clean_uploads(load_settings().uploads_dir)
    return IngestJobs()


@st.cache_resource(show_spinner=False)
def conversations(data_dir: str) -> Conversations:
    from rag import open_conversations

    return open_conversations(Path(data_dir))


@st.cache_data(max_entries=256, show_spinner=False)
def page_image(path: str, page: int, modified: float) -> bytes:
    """A cited page as a PNG (cached: every rerun shows every saved answer's sources again)."""
    from ingest import render_preview

    return render_preview(path, page)


# access ---------------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def sign_in_limits(_clock: Callable[[], float]) -> SignInLimits:
    """Failed password attempts of every browser session of this server process (the clock: a test seam)."""
    return SignInLimits(_clock)


@st.cache_resource(show_spinner=False)
def sign_in_throttle(_clock: Callable[[], float]) -> SignInThrottle:
    """Failed sign-ins per account and per client, over every browser session of this server process."""
    return SignInThrottle(_clock)


@st.cache_resource(show_spinner=False)
def team(data_dir: str) -> Team:
    """The accounts, sharing and audit log of the data folder (one per process: it keeps the dummy hash that makes
    an unknown name as slow to refuse as a known one)."""
    return open_team(load_settings())


def client_address() -> str:
    address = st.context.ip_address  # None on loopback; not a str outside a real server (AppTest)
    return address if isinstance(address, str) else "local"


class Permissions:
    """The signed-in user of this page run (None without accounts) and what they may do, asked again at every
    action: a control drawn for a user who may write is no proof that they still may when it is clicked."""

    def __init__(self, team: Team | None, user: User | None):
        self.team, self.user = team, user

    def visible(self, names: list[str]) -> list[str]:
        """Those of `names` the user may read (all of them without accounts)."""
        if self.team is None or self.user is None:
            return sorted(set(names))
        return self.team.sharing.visible(Principal(self.user), names)

    def may(self, collection: str, wanted: Literal["read", "write"] = "read") -> bool:
        """Whether the user may still read (write) the collection: asked of the files at the moment, with the
        session checked too (a callback runs before the page: its user may have signed out, or been disabled)."""
        if self.team is None or self.user is None:
            return True
        user = self.team.accounts.session_user(st.session_state.get("session_token", ""))
        if user is None or user.id != self.user.id:
            return False
        found = self.team.sharing.access(Principal(user), collection)
        return found == "write" or found == wanted == "read"

    @property
    def owner(self) -> int | None:
        """The owner of this user's chats (None without accounts: every chat)."""
        return self.user.id if self.user else None

    def record(self, action: Action, collection: str, target: str = "") -> None:
        """Write an action to the audit log (with accounts on)."""
        if self.team is not None and self.user is not None:
            self.team.audit.record(self.user.name, action, collection, target, client_address())


READ_ONLY = "You may only read this collection: uploads, deletes and re-indexing need write access."


def signed_in_user(team: Team, settings: Settings, clock: Callable[[], float]) -> User:
    """The user of this browser session's unexpired Folio session; otherwise the sign-in page (the form, and the
    identity provider's button when configured), and nothing else of the app. A reload or a new tab of the same
    browser brings the session's token back from its cookie (see remember_session)."""
    kept = st.context.cookies.get(SESSION_COOKIE)  # not a str outside a real server (AppTest)
    token = st.session_state.get("session_token") or (kept if isinstance(kept, str) else "")
    user = team.accounts.session_user(token) if token else None
    if user is not None:
        st.session_state.session_token = token
        return user
    st.session_state.pop("session_token", None)
    configured = oidc_enabled(settings)
    provider = configured and st.secrets.load_if_toml_exists() and "auth" in st.secrets
    provider_user = provider and st.user.get("is_logged_in") is True
    if provider_user:
        claims = st.user.to_dict()
        if provider_session_over(claims, settings.folio_session_hours):
            st.logout()  # the provider's sign-in is older than FOLIO_SESSION_HOURS: sign in there again
            st.stop()
        user = provider_member(team, claims, settings.folio_oidc_groups_claim)
        if user is not None:
            st.session_state.session_token = team.accounts.start_session(user)
            st.session_state.remember = True
            team.audit.record(user.name, "signin", client=client_address())
            return user
        known = team.accounts.by_subject(str(claims.get("iss") or ""), str(claims.get("sub") or ""))
        who = known.name if known else str(claims.get("email") or claims.get("sub") or "?")
        team.audit.record(who, "signin_failed", client=client_address())
    st.title("Folio")
    st.write("Sign in to see your documents and chats.")
    if st.session_state.pop("forget", False):
        remember_session("", 0)
    if provider_user:  # a disabled user: the provider knows them, Folio lets them not in
        st.error("This account cannot sign in to Folio. Ask your Folio admin.")
        st.button("Sign out of the identity provider", on_click=st.logout)
        st.stop()
    with st.form("sign-in"):
        name = st.text_input("Name")
        typed = st.text_input("Password", type="password")
        if st.form_submit_button("Sign in") and name and typed:
            try:
                _, token = team.sign_in(name, typed, client_address(), sign_in_throttle(clock))
            except SignInRefused as refused:
                st.error(str(refused))  # the same words for an unknown name, a wrong password, a disabled user
            else:
                st.session_state.session_token = token
                st.session_state.remember = True
                st.rerun()
    if provider:
        st.button(f"Sign in with {settings.folio_oidc_name}", on_click=st.login, args=(OIDC_PROVIDER,))
    elif configured:  # `streamlit run` without the secrets file `folio up` writes and names
        st.caption(
            f"Sign-in with {literal(settings.folio_oidc_name)} is set up but not started: start Folio with `folio up`."
        )
    st.stop()


def sign_out(team: Team, user: User) -> None:
    """End the Folio session (and the identity provider's cookie, for a provider's user)."""
    team.accounts.end_session(st.session_state.pop("session_token", ""))
    st.session_state.forget = True  # the cookie's token is of no use now; the sign-in page drops it all the same
    team.audit.record(user.name, "signout", client=client_address())
    for key in ("sessions", "pending_questions", "only_documents"):
        st.session_state.pop(key, None)
    st.query_params.clear()
    if user.provider and st.user.get("is_logged_in") is True:
        st.logout()  # to the provider's sign-out, then back to the sign-in page
        st.stop()
    st.rerun()


def account_panel(access: Permissions) -> None:
    """Who is signed in, and the sign-out button (nothing without accounts)."""
    if access.team is None or access.user is None:
        return
    user = access.user
    st.caption(f"Signed in as **{literal(user.display_name or user.name)}** ({literal(user.name)})")
    if st.session_state.pop("remember", False):
        remember_session(st.session_state.session_token, access.team.settings.folio_session_hours * 3600)
    if st.button("Sign out", key="sign-out"):
        sign_out(access.team, user)


def remember_session(token: str, seconds: float) -> None:
    """Keep the session's token in a cookie of this browser (an empty one for `seconds` 0: forget it), so that a
    reload or a new tab stays signed in until the session ends; the server checks the token at every page run, so
    a signed-out or expired token in a cookie signs no one in. Streamlit sets no cookies for an app: a script of
    the page does (not HttpOnly; SameSite=Strict, Secure over HTTPS). The token is random URL-safe text."""
    secure = "; Secure" if (st.context.url or "").startswith("https:") else ""
    cookie = f"{SESSION_COOKIE}={token}; Path=/; Max-Age={int(seconds)}; SameSite=Strict{secure}"
    st.html(f"<script>document.cookie = {json.dumps(cookie)};</script>", unsafe_allow_javascript=True)


def require_password(password: str, limits: SignInLimits) -> None:
    """With FOLIO_PASSWORD set, nothing of the app shows before the right password; wrong ones slow down the
    next tries of the same client (its address) and of everyone (see rag.access)."""
    if not password or st.session_state.get("signed_in"):
        return
    st.title("Folio")
    st.write("Chat with your own PDFs. This library is private: sign in with the password its owner set.")
    address = st.context.ip_address  # None on loopback; not a str outside a real server (AppTest)
    client = address if isinstance(address, str) else "local"
    with st.form("sign-in"):
        typed = st.text_input("Password", type="password")
        if st.form_submit_button("Sign in") and typed:
            if wait := limits.wait(client):
                st.error(f"Too many attempts: try again in {math.ceil(wait)} s.")
            elif hmac.compare_digest(typed.encode(), password.encode()):
                limits.succeeded(client)
                st.session_state.signed_in = True
                st.rerun()
            else:
                limits.failed(client)
                st.error("Wrong password.")
    st.stop()


# documents --------------------------------------------------------------------------------------


def upload_panel(parts: Components, jobs: IngestJobs, access: Permissions) -> None:
    """Files chosen here are queued by the button's callback, which runs before anything else can interrupt
    the page (a question asked right after the click must not cancel the upload); the uploader is then emptied."""
    limit = parts.settings.folio_max_upload_mb
    key = f"uploader-{st.session_state.setdefault('uploads', 0)}"
    # no type filter: Streamlit would refuse other files with a bare MIME sentence; Folio's own check names the file
    # and the formats it reads ("unsupported file type (.odt); Folio reads …")
    from ingest import ACCEPTED_SUFFIXES

    kinds = ", ".join(suffix.lstrip(".") for suffix in ACCEPTED_SUFFIXES)
    st.file_uploader(f"Add documents (up to {limit} MB each)", accept_multiple_files=True, key=key, help=kinds)
    if st.session_state.get(key):
        st.button("Ingest uploaded files", type="primary", on_click=queue_uploads, args=(parts, jobs, key, access))


def queue_uploads(parts: Components, jobs: IngestJobs, key: str, access: Permissions) -> None:
    from ingest import Ingestor

    collection = parts.settings.folio_collection
    if not access.may(collection, "write"):
        st.session_state.refused = READ_ONLY
        return
    ingestor = Ingestor.of(parts)
    for file in st.session_state.get(key) or []:
        name, data = file.name, file.getvalue()
        jobs.submit(name, "upload", partial(ingestor.upload, name, data), collection)
        access.record("upload", collection, name)
    st.session_state.uploads += 1  # a new, empty uploader


def queue_reindex(parts: Components, jobs: IngestJobs, doc: DocumentRecord, access: Permissions) -> None:
    from ingest import Ingestor

    collection = parts.settings.folio_collection
    if not access.may(collection, "write"):
        st.session_state.refused = READ_ONLY
        return
    ingestor = Ingestor.of(parts)
    jobs.submit(doc.source, "re-index", partial(ingestor.reindex, doc), collection)
    access.record("reindex", collection, doc.source)


def delete_document(parts: Components, source: str, access: Permissions) -> None:
    collection = parts.settings.folio_collection
    if not access.may(collection, "write"):
        st.session_state.refused = READ_ONLY
        return
    parts.store.delete_document(source)
    access.record("delete", collection, source)


def watched_panel(settings: Settings) -> None:  # the server's folders: shown to admins only, with accounts
    """Folders kept in sync (`folio watch`, `folio up --watch`) and their last sync."""
    from ingest import watched_folders

    for folder in watched_folders(settings):
        state = "missing" if not folder.present else "watching" if folder.active else "not watched now"
        error = f"; last error: {literal(folder.last_error)}" if folder.last_error else ""
        synced = folder.last_sync or "never"
        st.caption(f"{literal(folder.folder)}: {state}, {folder.files} files, last sync {synced}{error}")


@st.fragment(run_every=1.0)
def job_panel(jobs: IngestJobs, collection: str) -> None:
    """The collection's ingest jobs with a progress bar per file, polled every second (only this part reruns)."""
    listed = jobs.jobs(collection)
    if not listed:
        return
    for job in listed:
        name = literal(job.name)
        if job.state == "failed":
            st.error(f"{name}: {literal(job.result.reason if job.result else 'failed')}")
        elif job.state == "done" and job.result:  # always: a finished job carries its result
            result = job.result
            if result.status == "unchanged":
                st.info(f"{name}: already stored, unchanged")
            else:
                note = f" {literal(result.reason)}" if result.reason else ""
                counts = f"{counted(result.pages, 'page')}, {counted(result.chunks, 'chunk')}"
                st.success(f"{name}: {job.action} done, {counts}.{note}")
        elif job.state == "embedding" and job.chunks:
            embedded = f"{job.chunks_done}/{counted(job.chunks, 'chunk')} embedded"
            st.progress(job.fraction, text=f"{name}: {counted(job.pages, 'page')} read, {embedded}")
        else:
            st.progress(job.fraction, text=f"{name}: {'queued' if job.state == 'queued' else 'reading…'}")
    busy = jobs.busy(collection)
    if not busy and st.button("Clear the list", key="clear-jobs"):
        jobs.clear_finished(collection)
        st.rerun(scope="fragment")
    if st.session_state.get("documents_seen_busy") and not busy:
        st.session_state.documents_seen_busy = False
        st.rerun()  # the whole page: the document list has new entries
    st.session_state.documents_seen_busy = busy


def counted(number: int, noun: str) -> str:
    """'1 page', '5 pages'."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def document_panel(
    parts: Components, jobs: IngestJobs, documents: list[DocumentRecord], access: Permissions
) -> list[str]:
    """List documents with Delete (confirmed) and Re-index (for users who may write); returns the documents the
    chat is restricted to."""
    if not documents:
        st.caption("No documents yet.")
        return []
    writer = access.may(parts.settings.folio_collection, "write")
    confirming = st.session_state.get("confirm_delete")
    for doc in documents:
        counts = f"{counted(doc.pages, 'page')} · {counted(doc.chunks, 'chunk')}"
        what = f"{label(doc.identity.label)}  \n" if doc.identity and doc.identity.label else ""
        st.markdown(f"**{literal(doc.source)}**  \n{what}{counts} · {doc.ingested_at[:16]}")
        if not writer:
            continue
        if confirming == doc.source:
            st.warning(f"Delete {literal(doc.source)} and its chunks?")
            yes, no = st.columns(2)
            if yes.button("Delete", key=f"rm-yes-{doc.source}", type="primary"):
                delete_document(parts, doc.source, access)
                st.session_state.confirm_delete = None
                st.rerun()
            if no.button("Keep", key=f"rm-no-{doc.source}"):
                st.session_state.confirm_delete = None
                st.rerun()
            continue
        left, right = st.columns(2)
        if left.button("Delete", key=f"rm-{doc.source}", help=f"Delete {literal(doc.source)} and its chunks"):
            st.session_state.confirm_delete = doc.source
            st.rerun()
        if doc.path and right.button("Re-index", key=f"re-{doc.source}", help="Read the file again and re-embed it"):
            queue_reindex(parts, jobs, doc, access)
            st.rerun()
    names = [d.source for d in documents]
    kept = [name for name in st.session_state.get("only_documents", []) if name in names]
    st.session_state.only_documents = st.multiselect("Only ask these documents", names, default=kept)
    return st.session_state.only_documents


# chats ------------------------------------------------------------------------------------------


def chat_panel(chats: Conversations, collection: str, owner: int | None) -> str | None:
    """Start, switch, rename and delete the user's chats (`owner`; every chat without accounts); returns the open
    chat's id (None: a new chat, not saved yet)."""
    current = st.query_params.get("chat")
    if st.button("New chat", use_container_width=True):
        st.query_params.pop("chat", None)
        st.rerun()
    listed = chats.list(collection, owner=owner)
    opened = chats.get(current, owner=owner) if current else None  # a chat id from the address: only through get
    if current and (opened is None or opened.collection != collection):
        current = None  # deleted, from another collection, or another user's
    if listed:
        ids: list[str | None] = [None, *(c.id for c in listed)] if current is None else [c.id for c in listed]
        titles = {c.id: c.title for c in listed} | {None: "(new chat)"}
        chosen = st.radio("Chats", ids, index=ids.index(current), format_func=lambda i: label(titles[i]))
        if chosen is not None and chosen != current:  # None is offered only while current is None
            st.query_params["chat"] = chosen
            st.rerun()
    if current:
        with st.expander("Rename or delete this chat"):
            title = st.text_input("Title", value=titles[current], key=f"title-{current}")
            if st.button("Rename", key=f"rename-{current}"):
                chats.rename(current, title)
                st.rerun()
            if st.checkbox("Yes, delete this chat", key=f"sure-{current}") and st.button("Delete chat"):
                chats.delete(current)
                st.query_params.pop("chat", None)
                st.rerun()
    return current


def show_message(message: Message, files: dict[str, DocumentRecord]) -> None:
    """One saved message, with the sources of an answer (text, highlighted sentence, page image);
    `files` maps each stored document's name to its record (read once per page run, not per source)."""
    if message.role == "user":
        st.markdown(literal(message.text))
        return
    if message.text:
        st.markdown(inert(message.text))
    if message.error:
        st.error(literal(message.error))
    show_sources(message.text, message.sources, files)


def show_sources(answer_text: str, sources: list[Source], files: dict[str, DocumentRecord]) -> None:
    from rag import cited_sentences

    highlights = cited_sentences(answer_text, sources)
    for source in sources:
        with st.expander(source_label(source)):
            text, page = html_text(source.text), source.page_start  # one line of HTML, nothing in it live
            if source.n in highlights:
                sentence = highlights[source.n]
                page = source.page_at(max(source.text.find(sentence), 0))  # the cited sentence's page, not the first
                text = text.replace(html_text(sentence), f"<mark>{html_text(sentence)}</mark>", 1)
            st.markdown(f"<div style='white-space: pre-wrap'>{text}</div>", unsafe_allow_html=True)
            show_page(source, page, files.get(source.source))


def show_page(source: Source, page: int, record: DocumentRecord | None) -> None:
    """The image of `page` of the source's file, captioned with its page."""
    path = Path(record.path) if record and record.path else None
    if not source.source.lower().endswith(".pdf"):  # only a PDF's pages have an image (the text shows the unit)
        return
    if not path or not path.exists():
        st.caption("The original file is not available for a page preview.")
        return
    try:
        image = page_image(str(path), page, path.stat().st_mtime)
    except Exception as error:  # a preview must never break the answer
        st.caption(f"The page preview could not be rendered: {literal(str(error))}")
    else:
        caption = label(f"{source.source}, {source.page_label(page)}")
        st.image(session_only(image), caption=caption, output_format="PNG")  # as is: not re-encoded, tag kept


def session_only(png: bytes) -> bytes:
    """`png` tagged with this browser session's random text chunk (invisible). Streamlit serves images from
    /media/<hash of the bytes> to any client, signed in or not: untagged, one page shown in two sessions has one
    URL, fetchable for as long as either session lives; tagged, each session's URLs are its own and unguessable."""
    tag = st.session_state.setdefault("media_tag", secrets.token_hex(16))
    chunk = b"tEXt" + b"Comment\x00" + tag.encode()
    tagged = struct.pack(">I", len(chunk) - 4) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return png[:-12] + tagged + png[-12:]  # before the IEND chunk, the last 12 bytes of every PNG


def exported(chats: Conversations, chat_id: str) -> str:
    """A chat as Markdown, marked with the time of the export (down to the microsecond: its /media/ URL, a hash of
    the content, differs from any earlier export's)."""
    from datetime import UTC, datetime

    return f"<!-- exported by Folio at {datetime.now(UTC).isoformat()} -->\n{chats.markdown(chat_id)}"


def source_label(source: Source) -> str:
    """ "[1] file.pdf, p. 3", the file name and the printed page label shown as typed."""
    document = f" ({label(source.document)})" if source.document else ""
    return f"\\[{source.n}\\] {label(source.source)}{document}, {label(source.pages_label)}"


def keep_question() -> None:
    """The chat input's callback: the question waits in the session until its answer is saved, so a click
    that reruns the page before or while it is answered cannot drop it."""
    if st.session_state.get("question"):
        st.session_state.setdefault("pending_questions", []).append(st.session_state.question)


def ask(
    parts: Components,
    chats: Conversations,
    chat_id: str | None,
    pending: list[str],
    documents: list[str],
    top_k: int,
    llm: ChatModel | None = None,
    owner: int | None = None,
) -> str:
    """Stream the answer to the first pending question into the page, then save the turn; returns the chat's id.

    A click elsewhere during the stream stops this run at its next drawing call: the answer is then
    finished without drawing and saved all the same, so the rerun shows it (no message is ever dropped).
    """
    from rag import Done, Error, Sources, Token

    question = pending[0]
    if chat_id is None:
        chat_id = chats.start(parts.settings.folio_collection, owner=owner).id
        st.query_params["chat"] = chat_id
    session = chat_session(parts, chats, chat_id)
    session.choose(top_k=top_k, llm=llm)
    events, answer = session.ask(question, documents or None), None
    try:
        with st.chat_message("user"):
            st.markdown(literal(question))
        with st.chat_message("assistant"):
            box, text = st.empty(), ""
            box.markdown(SEARCHING)
            for event in events:
                if isinstance(event, Sources):
                    box.markdown("_Writing the answer…_" if llm else SEARCHING)
                elif isinstance(event, Token):
                    text += event.text
                    box.markdown(inert(text))  # the whole text each time: a link split across tokens is still caught
                elif isinstance(event, Error) and not text:
                    box.empty()
                elif isinstance(event, Done):
                    answer = event.answer
    finally:
        for event in events:  # interrupted: finish without drawing
            if isinstance(event, Done):
                answer = event.answer
        if answer is not None:
            chats.add_turn(chat_id, answer)
            pending.remove(question)
    return chat_id


def chat_session(parts: Components, chats: Conversations, chat_id: str) -> ChatSession:
    """This browser session's ChatSession for the chat, remembering its saved turns (after a reload too)."""
    sessions = st.session_state.setdefault("sessions", {})
    if chat_id not in sessions:
        session = parts.session()
        session.restore(chats.history(chat_id))
        sessions[chat_id] = session
    return sessions[chat_id]


# page -------------------------------------------------------------------------------------------


def signed_in(settings: Settings, clock: Callable[[], float]) -> Permissions:
    """Who uses this page: with accounts on, the signed-in user (the sign-in page until there is one); without, no
    one in particular (behind FOLIO_PASSWORD when set)."""
    accounts = team(str(settings.folio_data_dir))
    if accounts.active():
        user = signed_in_user(accounts, settings, clock)
        return Permissions(accounts, user)
    password = settings.folio_password.get_secret_value() if settings.folio_password else ""
    require_password(password, sign_in_limits(clock))
    return Permissions(None, None)


def main(clock: Callable[[], float] = time.monotonic) -> None:
    settings = load_settings()
    access = signed_in(settings, clock)
    st.title("Folio")
    collection = chosen_collection(settings, access)
    if collection is None:  # with accounts: nothing of this library is theirs yet
        with st.sidebar:
            account_panel(access)
            collection_panel(settings, settings.folio_collection, access)
        st.info("No collection is shared with you yet: ask your Folio admin, or create your own in the sidebar.")
        st.stop()
    st.chat_input("Ask about your documents", key="question", on_submit=keep_question)
    loading = st.empty()
    if not st.session_state.get("loaded"):
        loading.info("Loading the embedding model and the store…")
    try:
        parts = components(collection)
        chats = conversations(str(parts.settings.folio_data_dir))
    except FolioError as error:
        loading.error(literal(str(error)))
        st.stop()
    loading.empty()
    st.session_state.loaded = True
    if chats.unsaved:  # a damaged, read-only or full conversation file: asking still works
        st.warning(f"Chats are not being saved ({literal(chats.unsaved)}): they last until Folio restarts.")
    jobs = ingest_jobs()
    documents = parts.store.documents()
    files = {record.source: record for record in documents}

    with st.sidebar:
        account_panel(access)
        chat_id = chat_panel(chats, collection, access.owner)
        st.subheader("Settings")
        llm = model_panel(parts)
        top_k = st.slider("Sources per question (top-k)", 1, 15, parts.settings.folio_top_k)
        collection_panel(parts.settings, collection, access)
        st.subheader("Documents")
        if refused := st.session_state.pop("refused", ""):
            st.error(refused)
        if access.may(collection, "write"):
            upload_panel(parts, jobs, access)
        job_panel(jobs, collection)
        if access.user is None or access.user.is_admin:
            watched_panel(parts.settings)
        selected = document_panel(parts, jobs, documents, access)

    pending = st.session_state.setdefault("pending_questions", [])
    saved = chats.messages(chat_id) if chat_id else []
    if not saved and not pending:
        st.info("Ask a question about your documents below. Add files in the sidebar, or run `folio ingest FOLDER`.")
    for message in saved:
        with st.chat_message(message.role):
            show_message(message, files)
    if pending:
        chat_id = ask(parts, chats, chat_id, pending, selected, top_k, llm, access.owner)
        st.rerun()  # draw the saved turn like every other, with its sources
    if chat_id:
        with st.sidebar:
            st.download_button(  # made on the click, so that no URL of it exists before (see session_only)
                "Download this chat (Markdown)",
                partial(exported, chats, chat_id),
                f"folio-chat-{chat_id}.md",
                key="download",
            )


def model_panel(parts: Components) -> ChatModel | None:
    """Which answers: offline, or generated by a model chosen from those the server lists."""
    if not parts.llm:
        st.write(
            "Answers: **offline, extractive** (quotes from your documents; "
            "set OPENAI_API_KEY or OPENAI_BASE_URL for generated answers)"
        )
        return None
    try:
        offered = served_models(parts.llm.base_url, parts.llm)
    except FolioError as error:
        st.caption(f"The model list is not available: {literal(str(error))}")
        offered = []
    names = sorted({parts.llm.model, *offered})
    model = st.selectbox("Answers generated by", names, index=names.index(parts.llm.model), key="model")
    return parts.llm.with_model(model)


@st.cache_data(ttl=300, show_spinner=False)
def served_models(base_url: str, _llm: ChatModel) -> list[str]:
    """The models the LLM server offers (asked at most every 5 minutes)."""
    return _llm.models()


def collection_panel(settings: Settings, current: str, access: Permissions) -> None:
    """Switch to another collection the user may read (a separate library with its own chats), or start a new one
    (its creator's)."""
    from rag import collection_names, create_collection

    names = access.visible([settings.folio_collection, *collection_names(settings)])
    if current in names:
        chosen = st.selectbox("Collection", names, index=names.index(current))
        if chosen != current:
            open_collection(chosen)
    with st.expander("New collection"):
        name = st.text_input("Name", key="new-collection").strip()
        if st.button("Create and open", key="create-collection") and name:
            try:
                if name not in names and name in collection_names(settings):
                    raise FolioError(f"there is already a collection named '{name}'")  # another's: not opened
                create_collection(load_settings(), name)  # the one place the UI creates one (FOLIO_MAX_COLLECTIONS)
                if access.team is not None and access.user is not None and name not in names:
                    access.team.sharing.set_owner(name, access.user)
                open_collection(name)
            except FolioError as error:
                st.error(literal(str(error)))


def chosen_collection(settings: Settings, access: Permissions) -> str | None:
    """The collection the address bar names, if it exists and the user may read it; otherwise the configured one
    (or, with accounts, the first the user may read; None if there is none), with a notice that names no
    collection the user may not see (a mistyped or stale link never creates a collection: that is the sidebar's
    "Create and open")."""
    from rag import collection_names

    asked, default = st.query_params.get("collection"), settings.folio_collection
    names = access.visible([default, *collection_names(settings)])
    fallback = default if default in names else next(iter(names), None)
    if not asked or asked == fallback or asked in names:
        return asked or fallback
    shown = f"'{literal(fallback)}'" if fallback else "nothing"
    st.warning(f"There is no collection named '{literal(asked)}': showing {shown} instead.")
    st.query_params.pop("collection", None)
    return fallback


def open_collection(name: str) -> None:
    st.query_params["collection"] = name
    st.query_params.pop("chat", None)
    st.session_state.only_documents = []
    st.rerun()


def run(clock: Callable[[], float] = time.monotonic) -> None:
    """The page (tests pass their own clock through AppTest.from_function)."""
    try:
        main(clock)
    except FolioError as error:  # a store that went away mid-page: a message, never a traceback
        st.error(literal(str(error)))


if __name__ == "__main__":  # `streamlit run` and AppTest.from_file run the file as __main__
    run()
