"""`folio serve`: Folio as an OpenAI-compatible HTTP API, so any chat client can talk to a library.

- `POST /v1/chat/completions` (model `folio` or `folio:<collection>`, streamed or not): the conversation is
  answered exactly as in the UI (extractive offline, or through the configured LLM); the answer carries [n]
  markers and the response a `sources` list beside `choices`.
- `GET /v1/models`: one model per collection.
- `GET /v1/documents`, `POST /v1/documents` (multipart `file`; `?wait=false` queues it: 202 and `GET /v1/jobs/{id}`),
  `DELETE /v1/documents/{name}`.

Errors use OpenAI's JSON shape. With FOLIO_API_KEY set, every route wants `Authorization: Bearer <key>`
(`GET /openapi.json`, the API's description, included). Once accounts are on (`folio users add`), every route wants
a user's API key (`folio keys create`) and acts as that user: a collection they may not read is answered as if it
did not exist (404), a write to one they may only read is a 403, and a job of another user is a 404; the shared
FOLIO_API_KEY, if still set, acts as the first admin (logged as a warning). Without a key, writes from a browser
page of another origin are refused all the same, and so is any Host header other than an IP address, localhost or
FOLIO_ALLOWED_HOSTS. Request sizes are bounded (FOLIO_MAX_MESSAGES, FOLIO_MAX_MESSAGE_CHARS, FOLIO_MAX_REQUEST_KB,
FOLIO_MAX_UPLOAD_MB) and checked before the body is read.
Uses only the public API of `rag` and `ingest`, like the CLI and the UI.
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import hmac
import ipaddress
import json
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ingest import ACCEPTED_SUFFIXES, FileResult, IngestJobs, Ingestor, clean_uploads
from rag import (
    Answer,
    Components,
    ConfigError,
    Done,
    Error,
    Event,
    FolioError,
    Principal,
    Settings,
    Team,
    Token,
    collection_names,
    open_collection,
    open_team,
)

MODEL = "folio"
log = logging.getLogger("folio.server")


class ContentPart(BaseModel, extra="allow"):
    """One part of a message's content: a text part's `text` must be a string (anything else is a 400)."""

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    role: str
    content: str | list[ContentPart] | None = None

    @property
    def text(self) -> str:
        """The message's text (content parts of other kinds, such as images, are left out)."""
        if isinstance(self.content, list):
            return "".join(part.text or "" for part in self.content if part.type == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    include_usage: bool = False  # a last chunk with the token usage (OpenAI's stream_options)


class ChatRequest(BaseModel):
    model: str = MODEL
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None


def _watchdog(settings: Settings):
    """A lifespan that exits the process when its event loop stops turning for FOLIO_STALL_TIMEOUT seconds.

    Once, after a full disk was freed, every route (even a 404) blocked and SIGTERM was ignored: threads were inside
    chromadb's native code holding the GIL, so nothing written in Python could run, answer or exit. faulthandler's
    timer is a C thread that needs no GIL: the loop re-arms it while it turns; if it stops, the stacks of all threads
    go to stderr (the cause, for a report) and the process exits with status 1, for its supervisor to restart.
    """

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        timeout = settings.folio_stall_timeout
        if not timeout:
            yield
            return

        async def heartbeat() -> None:
            while True:
                faulthandler.dump_traceback_later(timeout, exit=True)
                await asyncio.sleep(timeout / 4)

        beating = asyncio.create_task(heartbeat())
        try:
            yield
        finally:
            beating.cancel()
            faulthandler.cancel_dump_traceback_later()

    return lifespan


class ApiError(Exception):
    """An error answered in OpenAI's shape."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.kind, self.code = status, message, kind, code


def create_app(settings: Settings) -> FastAPI:
    """The API over the library these settings name (other collections are `folio:<name>`)."""
    app = FastAPI(title="Folio", version="1", docs_url=None, redoc_url=None, lifespan=_watchdog(settings))
    team = open_team(settings)
    libraries = _Libraries(settings, team)
    jobs = IngestJobs()  # queued uploads (?wait=false), worked through one at a time like the UI's
    job_owners: dict[int, int] = {}  # job id → the id of the user who queued it (with accounts on)
    clean_uploads(settings.uploads_dir)  # uploads an earlier process left half done

    app.add_middleware(_Guard, settings=settings, team=team)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        return _error_response(error.status, error.message, error.kind, error.code)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = error.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return _error_response(400, "request body is not valid JSON", code="invalid_json")
        # the deepest error: of a union (text or content parts), the branch the value was meant for
        first: dict[str, Any] = max(errors, key=lambda e: len(e.get("loc", ())), default={})
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body" and "[" not in str(part))
        return _error_response(400, f"invalid request: {where or 'body'}: {first.get('msg', 'bad value')}")

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        return _error_response(error.status_code, str(error.detail))

    @app.exception_handler(FolioError)
    async def unavailable(_: Request, error: FolioError) -> JSONResponse:
        return _error_response(503, str(error), "service_unavailable")

    @app.get("/v1/models")
    def models(request: Request) -> dict:
        ids = libraries.models(_principal(request))
        return {
            "object": "list",
            "data": [{"id": i, "object": "model", "created": 0, "owned_by": "folio"} for i in ids],
        }

    @app.post("/v1/chat/completions", response_model=None)
    def chat(request: ChatRequest, http: Request) -> dict[str, Any] | StreamingResponse:
        _check_size(request, settings)
        parts = libraries.get(request.model, _principal(http))
        if request.messages[-1].role != "user" or not request.messages[-1].text.strip():
            raise ApiError(400, "the last message must be a non-empty user message", code="invalid_messages")
        session = parts.session()
        session.restore(_turns(request.messages[:-1]))
        events = session.ask(request.messages[-1].text)
        asked = "\n".join(message.text for message in request.messages)
        if request.stream:
            usage = bool(request.stream_options and request.stream_options.include_usage)
            return StreamingResponse(_stream(events, request.model, asked if usage else None),
                                     media_type="text/event-stream")  # fmt: skip
        answer = next(event.answer for event in events if isinstance(event, Done))
        if answer.error and not answer.text:
            raise ApiError(503, answer.error, "service_unavailable")
        return _completion(answer, request.model, asked)

    @app.get("/v1/documents")
    def documents(request: Request, model: str = MODEL) -> dict:
        store = libraries.get(model, _principal(request)).store
        return {"object": "list", "data": [_document(d) for d in store.documents()]}

    @app.post("/v1/documents", response_model=None, summary=f"Ingest one file ({', '.join(ACCEPTED_SUFFIXES)})")
    def upload(
        request: Request,
        file: UploadFile = File(...),  # noqa: B008 (FastAPI's idiom)
        model: str = MODEL,
        wait: bool = True,
    ) -> dict[str, Any] | JSONResponse:
        """Ingest one file of any format Folio reads (`ACCEPTED_SUFFIXES`: PDF, Word, PowerPoint, Excel, CSV, HTML,
        Markdown, text, EPUB, images); with `wait=false` it is queued instead: 202 and the job's status URL. Another
        format is a 422 that names the accepted suffixes."""
        principal = _principal(request)
        parts = libraries.get(model, principal, write=True)
        limit = parts.settings.folio_max_upload_mb * 1024 * 1024
        data = file.file.read(limit + 1)  # the body is already capped (_Guard): this caps the file within it
        if len(data) > limit:
            raise ApiError(413, f"larger than the {limit // 2**20} MB limit (FOLIO_MAX_UPLOAD_MB)", code="too_large")
        name = file.filename or "upload"  # the content decides its format (ingest.readers.registry)
        collection = parts.settings.folio_collection
        audited = partial(_audited_upload, Ingestor.of(parts).upload, team, principal, _client(request), collection)
        if not wait:
            job = jobs.submit(name, "upload", partial(audited, name, data), collection)
            if principal is not None:
                job_owners[job.id] = principal.user.id
            url = f"/v1/jobs/{job.id}"
            return JSONResponse(_job(job), status_code=202, headers={"Location": url})
        result = audited(name, data)
        if result.status == "failed":  # named as sent: the stored name is reduced to safe characters
            raise _refused(name, result)
        return _uploaded(result)

    @app.get("/v1/jobs/{job_id}")
    def job(job_id: int, request: Request) -> dict:
        """A queued upload: queued, reading, embedding, then done (with the upload's result) or failed. Another
        user's job is answered as if it did not exist."""
        found, principal = jobs.job(job_id), _principal(request)
        if found is None or (principal is not None and job_owners.get(job_id) != principal.user.id):
            raise ApiError(404, f"no upload job {job_id}", code="job_not_found")
        return _job(found)

    @app.delete("/v1/documents/{name:path}")
    def delete(name: str, request: Request, model: str = MODEL) -> dict:
        principal = _principal(request)
        parts = libraries.get(model, principal, write=True)
        deleted = parts.store.delete_document(name)
        if deleted is None:
            raise ApiError(404, f"no document named '{name}'", code="document_not_found")
        if principal is not None:
            team.audit.record(principal.user.name, "delete", parts.settings.folio_collection, deleted.source,
                              _client(request))  # fmt: skip
        return {"source": deleted.source, "deleted": True}

    return app


def _check_size(request: ChatRequest, settings: Settings) -> None:
    """Refuse a conversation longer than the limits (400 naming the setting): each earlier turn costs time before
    the first token, and one huge message is searched word by word."""
    if len(request.messages) > settings.folio_max_messages:
        raise ApiError(400, f"{len(request.messages)} messages are more than the {settings.folio_max_messages} "
                            "a request may carry (FOLIO_MAX_MESSAGES): start a new conversation",
                       code="too_many_messages")  # fmt: skip
    longest = max(len(message.text) for message in request.messages)
    if longest > settings.folio_max_message_chars:
        raise ApiError(400, f"a message of {longest:,} characters is longer than the "
                            f"{settings.folio_max_message_chars:,} allowed (FOLIO_MAX_MESSAGE_CHARS)",
                       code="message_too_long")  # fmt: skip


def _principal(request: Request) -> Principal | None:
    """Who the request acts as (set by _Guard once accounts are on); None in the single-user setup."""
    return getattr(request.state, "principal", None)


def _client(request: Request) -> str:
    """The client's address, for the audit log (behind a reverse proxy: the proxy's)."""
    return request.client.host if request.client else ""


def _audited_upload(
    upload: Any,
    team: Team,
    principal: Principal | None,
    client: str,
    collection: str,
    name: str,
    data: bytes,
    steps: Any = None,
) -> FileResult:
    """`upload(name, data, steps)` (`steps`: a queued job's progress), written to the audit log (with accounts on)
    once the file is in."""
    result = upload(name, data, steps)
    if principal is not None and result.status != "failed":
        team.audit.record(principal.user.name, "upload", collection, result.source, client)
    return result


class _Guard:
    """Checks every request before the app reads its body, in this order: the Host header (an IP address,
    localhost or FOLIO_ALLOWED_HOSTS: a web page cannot reach a loopback server through a name of its own), a
    write from a browser page of another origin (refused with or without a key: a plain form POST needs no CORS
    preflight), the API key, then the body's size (Content-Length, then a running count while it arrives, so an
    oversized upload is never written to disk) and its pace (FOLIO_BODY_TIMEOUT without a byte: 408)."""

    def __init__(self, app: ASGIApp, settings: Settings, team: Team):
        self.app, self.settings, self.team = app, settings, team
        self.key = settings.folio_api_key.get_secret_value() if settings.folio_api_key else ""
        self.warned = False  # about the shared key used with accounts on (once a process)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        refusal = self._refusal(scope, headers) or await self._signed(scope, headers)
        if refusal:
            return await refusal(scope, receive, send)
        limit, setting = self._body_limit(scope["path"])
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return await _too_large(limit, setting)(scope, receive, send)
        await self._capped(scope, receive, send, limit, setting)

    def _refusal(self, scope: Scope, headers: Headers) -> JSONResponse | None:
        host = _hostname(headers.get("host", ""))
        if not _is_address(host) and host not in self.settings.allowed_hosts:
            message = f"this server does not answer to the host name '{host}' (FOLIO_ALLOWED_HOSTS)"
            return _error_response(400, message, code="host_not_allowed")
        if scope["method"] not in ("GET", "HEAD", "OPTIONS") and _cross_site(headers):
            message = "writes from a web page of another origin are refused"
            return _error_response(403, message, "permission_error", "cross_origin")
        return None

    async def _signed(self, scope: Scope, headers: Headers) -> JSONResponse | None:
        """The API key's check: with accounts on, a user's key (or the shared one) whose user goes into the
        request's state as its principal; without, FOLIO_API_KEY when it is set."""
        given = headers.get("authorization", "")
        refused = _error_response(401, "a valid API key is required (Authorization: Bearer …)", "authentication_error")
        try:
            if await run_in_threadpool(self.team.active):  # the team file: no SQLite call in the event loop
                secret = given.removeprefix("Bearer ").strip() if given.startswith("Bearer ") else ""
                principal = await run_in_threadpool(self.team.api_principal, secret) if secret else None
                if principal is None:
                    return refused
                if self.key and not self.warned and hmac.compare_digest(secret.encode(), self.key.encode()):
                    log.warning("FOLIO_API_KEY is in use while accounts are on: it acts as the first admin (%s); "
                                "give each client its own key (folio keys create)", principal.user.name)  # fmt: skip
                    self.warned = True
                scope.setdefault("state", {})["principal"] = principal
                return None
        except FolioError as error:  # the team file cannot be used (from a newer Folio, say): nothing is served
            return _error_response(503, str(error), "service_unavailable")
        if self.key and not hmac.compare_digest(given.encode(), f"Bearer {self.key}".encode()):
            return refused
        return None

    def _body_limit(self, path: str) -> tuple[int, str]:
        """The most bytes a request body to `path` may have: an upload's file and its multipart framing, or JSON."""
        if path.rstrip("/") == "/v1/documents":
            return self.settings.folio_max_upload_mb * 2**20 + 64 * 1024, "FOLIO_MAX_UPLOAD_MB"
        return self.settings.folio_max_request_kb * 1024, "FOLIO_MAX_REQUEST_KB"

    async def _capped(self, scope: Scope, receive: Receive, send: Send, limit: int, setting: str) -> None:
        """Run the app with a body that stops at `limit` bytes or after FOLIO_BODY_TIMEOUT without one: the client
        is answered 413 or 408 at once, and the app sees a disconnected client (what it already handles)."""
        received, arrived, answered = 0, False, False

        async def counted() -> Message:
            nonlocal received, arrived, answered
            if answered:
                return {"type": "http.disconnect"}
            if arrived:  # after the body: a disconnect, waited for as long as an answer streams
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.settings.folio_body_timeout)
            except TimeoutError:
                return await refuse(_error_response(408, "the request body stopped arriving", code="timeout"))
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                arrived = not message.get("more_body", False)
            return message if received <= limit else await refuse(_too_large(limit, setting))

        async def refuse(refusal: JSONResponse) -> Message:
            """Answer the client with `refusal`; the app sees it disconnect."""
            nonlocal answered
            answered = True
            await refusal(scope, receive, send)
            return {"type": "http.disconnect"}

        async def unless_answered(message: Message) -> None:
            if not answered:
                await send(message)

        try:
            await self.app(scope, counted, unless_answered)
        except Exception:
            if not answered:
                raise


def _too_large(limit: int, setting: str) -> JSONResponse:
    size = f"{limit // 2**20} MB" if setting == "FOLIO_MAX_UPLOAD_MB" else f"{limit // 1024} KB"
    return _error_response(413, f"the request body is larger than the {size} limit ({setting})", code="too_large")


def _hostname(host: str) -> str:
    """The name in a Host header, without its port ('[::1]:8000' → '::1')."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def _is_address(host: str) -> bool:
    """An IP address cannot be rebound to another server: only names can."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _cross_site(headers: Headers) -> bool:
    """Whether a browser sent this request from a page of another origin (Sec-Fetch-Site, else Origin).
    Clients that are not browsers (curl, the openai library) send neither header."""
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = headers.get("origin")
    return origin is not None and urlsplit(origin).netloc.lower() != headers.get("host", "").lower()


class _Libraries:
    """The components of each collection, opened on first use and kept (models load once); with accounts on, only
    for a principal who may use the collection."""

    def __init__(self, settings: Settings, team: Team):
        self._settings, self._team = settings, team
        self._open: dict[str, Components] = {}
        self._lock = threading.Lock()

    def models(self, principal: Principal | None) -> list[str]:
        """The model ids this principal may use: `folio` (the configured collection) and `folio:<collection>`."""
        default = self._settings.folio_collection
        names = sorted({default, *collection_names(self._settings)})
        if principal is not None:
            names = self._team.sharing.visible(principal, names)
        return [MODEL] * (default in names) + [f"{MODEL}:{name}" for name in names]

    def get(self, model: str, principal: Principal | None = None, write: bool = False) -> Components:
        """The collection `model` names; 404 for one that does not exist or that `principal` may not read (the
        same answer: names do not leak), 403 for a write to one they may only read."""
        name, _, collection = model.partition(":")
        if name != MODEL:
            raise ApiError(404, f"the model '{model}' does not exist: use 'folio' or 'folio:<collection>'",
                           code="model_not_found")  # fmt: skip
        default = self._settings.folio_collection
        collection = collection or default
        access = "write" if principal is None else self._team.sharing.access(principal, collection)
        if access == "none":
            raise self._unknown(model, collection, principal)
        if write and access != "write":
            raise ApiError(403, f"the model '{model}' may only be read with this key (its user's access, or a "
                                "read-only key)", "permission_error", "read_only")  # fmt: skip
        with self._lock:
            if collection not in self._open:
                existing = collection_names(self._settings)
                if collection != default and collection not in existing:  # asking never creates a collection
                    raise self._unknown(model, collection, principal)
                try:
                    self._open[collection] = open_collection(self._settings, collection)
                except ConfigError as error:  # a name Chroma refuses: no such model
                    raise ApiError(404, str(error), code="model_not_found") from None
            return self._open[collection]

    def _unknown(self, model: str, collection: str, principal: Principal | None) -> ApiError:
        known = ", ".join(f"'{name}'" for name in self.models(principal)) or "none"
        return ApiError(404, f"the model '{model}' does not exist: there is no collection '{collection}' (the "
                             f"models are {known})", code="model_not_found")  # fmt: skip


def _turns(messages: list[ChatMessage]) -> list[tuple[str, str]]:
    """(question, answer) pairs of the earlier conversation, for condensing a follow-up."""
    turns, question = [], None
    for message in messages:
        if message.role == "user":
            question = message.text
        elif message.role == "assistant" and question is not None:
            turns.append((question, message.text))
            question = None
    return turns


def _sources(answer: Answer) -> list[dict]:
    """The sources shown under the answer, as the CLI and saved chats write them; `file` is the API's name for
    `source` (documented, and what clients read)."""
    return [source | {"file": source["source"]} for source in answer.sources_json()]


def _usage(asked: str, answer: Answer) -> dict:
    """Token counts in OpenAI's shape, estimated (about 4 characters a token): the conversation and the sources
    make the prompt, the answer the completion (offline answers are counted the same way)."""
    prompt = _estimated_tokens(asked) + sum(_estimated_tokens(source.text) for source in answer.sources)
    completion = _estimated_tokens(answer.text)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _estimated_tokens(text: str) -> int:
    return (len(text) + 3) // 4


def _completion(answer: Answer, model: str, asked: str) -> dict:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text}, "finish_reason": "stop"}],
        "usage": _usage(asked, answer),
        "sources": _sources(answer),
        "folio": {"mode": answer.mode, "error": answer.error},
    }


def _stream(events: Iterator[Event], model: str, asked_for_usage: str | None = None) -> Iterator[str]:
    """Server-sent events in OpenAI's chunk format; the last chunk carries `sources`. With `asked_for_usage` (the
    conversation's text: stream_options.include_usage), every chunk has `usage: null` and a final chunk with no
    choices carries the usage, as OpenAI sends it."""
    base = {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion.chunk", "created": int(time.time())}
    base["model"] = model
    if asked_for_usage is not None:
        base["usage"] = None

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return f"data: {json.dumps(base | {'choices': [choice]} | extra)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for event in events:
        if isinstance(event, Token):
            yield chunk({"content": event.text})
        elif isinstance(event, Error):
            yield chunk({"content": f"\n\n(error: {event.message})"})
        elif isinstance(event, Done):
            yield chunk({}, "stop", sources=_sources(event.answer), folio={"mode": event.answer.mode,
                                                                            "error": event.answer.error})  # fmt: skip
            if asked_for_usage is not None:
                yield f"data: {json.dumps(base | {'choices': [], 'usage': _usage(asked_for_usage, event.answer)})}\n\n"
    yield "data: [DONE]\n\n"


def _uploaded(result: FileResult) -> dict[str, Any]:
    return {"source": result.source, "status": result.status, "pages": result.pages, "chunks": result.chunks,
            "note": result.reason}  # fmt: skip


def _job(job) -> dict:
    """A queued upload as JSON: its state and progress, then the upload's result or its error."""
    shown = {"id": job.id, "object": "upload.job", "file": job.name, "collection": job.collection,
             "status": job.state, "url": f"/v1/jobs/{job.id}", "pages": job.pages,
             "chunks_done": job.chunks_done, "chunks": job.chunks}  # fmt: skip
    if job.state == "done":
        shown["result"] = _uploaded(job.result)
    elif job.state == "failed":
        refused = _refused(job.name, job.result)
        shown["error"] = {"message": refused.message, "type": refused.kind, "param": None, "code": refused.code}
    return shown


def _refused(name: str, result: FileResult) -> ApiError:
    """A failed upload's error: 422 when the file is the problem, 503 when the library is (a full disk, a store
    down: the same file goes in once it recovers)."""
    if result.fault == "library":
        return ApiError(503, f"{name}: {result.reason}", "service_unavailable", code="store_unavailable")
    return ApiError(422, f"{name}: {result.reason}", code="unusable_file")


def _document(record) -> dict:
    return {"source": record.source, "identity": record.identity.label if record.identity else "",
            "pages": record.pages, "chunks": record.chunks, "ingested_at": record.ingested_at,
            "warnings": record.warnings}  # fmt: skip


def _error_response(
    status: int, message: str, kind: str = "invalid_request_error", code: str | None = None
) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "param": None, "code": code}}, status_code=status)
