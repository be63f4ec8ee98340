"""`folio serve` as an attacker sees it (issue 28): cross-origin writes, DNS rebinding, the API description, request
sizes, bodies that are too large, slow or lying. A real server on loopback, driven by httpx and raw sockets."""

import socket
import threading
from urllib.parse import urlsplit

import httpx
import pytest
from pydantic import SecretStr

from tests.conftest import make_pdf
from tests.test_server import _serve

pytestmark = pytest.mark.slow  # `folio serve` on loopback, attacked over HTTP

HANG_GUARD = 600  # seconds: only ends a test that hangs; every wait is for the server's answer


@pytest.fixture
def serve(settings):
    """Start the API with these setting overrides; returns its /v1 URL."""
    servers = []

    def start(**overrides) -> str:
        server, url = _serve(settings.model_copy(update=overrides))
        servers.append(server)
        return url

    yield start
    for server in servers:
        server.should_exit = True


def _files(pdf) -> dict:
    return {"file": (pdf.name, pdf.read_bytes(), "application/pdf")}


def test_a_web_page_of_another_origin_cannot_write_without_a_key(serve, tmp_path):
    api = serve()
    pdf = make_pdf(tmp_path / "report.pdf", ["The harbour moved 1,204 containers in week 3."])
    port = urlsplit(api).port
    for headers in (
        {"Origin": "http://attacker.example"},  # a plain form POST: no preflight, no key
        {"Origin": "null"},  # a sandboxed frame or a file:// page
        {"Origin": f"http://localhost:{port + 1}"},  # another port of this machine is another origin
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": f"http://127.0.0.1:{port + 1}"},
    ):
        refused = httpx.post(f"{api}/documents", files=_files(pdf), headers=headers, timeout=HANG_GUARD)
        assert refused.status_code == 403, headers
        assert refused.json()["error"]["code"] == "cross_origin"
        form = httpx.post(f"{api}/chat/completions", data={"messages": "x"}, headers=headers, timeout=HANG_GUARD)
        assert form.status_code == 403
        assert httpx.delete(f"{api}/documents/report.pdf", headers=headers).status_code == 403
    assert httpx.get(f"{api}/documents").json()["data"] == []  # nothing was stored
    assert httpx.get(f"{api}/models", headers={"Origin": "http://attacker.example"}).status_code == 200  # reads:
    # CORS keeps their answers from the page

    same_origin = {"Origin": f"http://127.0.0.1:{port}", "Sec-Fetch-Site": "same-origin"}
    assert httpx.post(f"{api}/documents", files=_files(pdf), headers=same_origin, timeout=HANG_GUARD).status_code == 200
    assert httpx.post(f"{api}/documents", files=_files(pdf), timeout=HANG_GUARD).status_code == 200  # curl, SDKs


def test_only_ip_addresses_localhost_and_the_configured_names_are_answered(serve):
    api = serve()
    port = urlsplit(api).port
    rebound = httpx.get(f"{api}/models", headers={"Host": f"attacker.example:{port}"})
    assert rebound.status_code == 400 and rebound.json()["error"]["code"] == "host_not_allowed"
    assert "FOLIO_ALLOWED_HOSTS" in rebound.json()["error"]["message"]
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "[::1]:8000", "192.168.1.20", f"LOCALHOST:{port}"):
        assert httpx.get(f"{api}/models", headers={"Host": host}).status_code == 200, host

    named = serve(folio_allowed_hosts="folio.lan, Library.Home")
    assert httpx.get(f"{named}/models", headers={"Host": "library.home:8000"}).status_code == 200
    assert httpx.get(f"{named}/models", headers={"Host": "folio.lan.attacker.example"}).status_code == 400


def test_the_api_description_is_behind_the_key(serve):
    keyed = serve(folio_api_key=SecretStr("s3cret"))
    assert httpx.get(keyed.removesuffix("/v1") + "/openapi.json").status_code == 401
    described = httpx.get(keyed.removesuffix("/v1") + "/openapi.json", headers={"Authorization": "Bearer s3cret"})
    assert described.status_code == 200 and "/v1/chat/completions" in described.json()["paths"]


def test_a_conversation_past_the_limits_is_refused_naming_the_setting(serve):
    api = serve(folio_max_messages=5, folio_max_message_chars=100, folio_max_request_kb=4)
    turn = [{"role": "user", "content": "Where?"}, {"role": "assistant", "content": "Here."}]
    many = httpx.post(f"{api}/chat/completions", json={"messages": turn * 3 + [turn[0]]}, timeout=HANG_GUARD)
    assert many.status_code == 400 and many.json()["error"]["code"] == "too_many_messages"
    assert "FOLIO_MAX_MESSAGES" in many.json()["error"]["message"]
    long = [{"role": "user", "content": "word " * 21}]
    answer = httpx.post(f"{api}/chat/completions", json={"messages": long}, timeout=HANG_GUARD)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "message_too_long"
    assert "FOLIO_MAX_MESSAGE_CHARS" in answer.json()["error"]["message"]
    parts = [{"type": "text", "text": "a" * 90} for _ in range(3)]  # a long message in content parts is one message
    answer = httpx.post(f"{api}/chat/completions", json={"messages": [{"role": "user", "content": parts}]})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "message_too_long"
    big = {"messages": [{"role": "user", "content": "Where?"}], "padding": "x" * 5000}
    body = httpx.post(f"{api}/chat/completions", json=big, timeout=HANG_GUARD)
    assert body.status_code == 413 and "FOLIO_MAX_REQUEST_KB" in body.json()["error"]["message"]


def _raw(url: str, head: str, body: bytes = b"", then=None) -> bytes:
    """Send `head` and `body` on a raw connection (`then(sock)` may send more), and read the whole answer."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=HANG_GUARD) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        if then:
            threading.Thread(target=then, args=(sock,), daemon=True).start()
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


def _upload_head(port: int, length: str, key: str = "") -> str:
    auth = f"Authorization: Bearer {key}\n" if key else ""
    framing = f"Content-Length: {length}\n" if length != "chunked" else "Transfer-Encoding: chunked\n"
    return (
        f"POST /v1/documents HTTP/1.1\nHost: 127.0.0.1:{port}\n{auth}"
        f"Content-Type: multipart/form-data; boundary=b\n{framing}"
    )


def test_an_oversized_upload_is_refused_before_its_body_is_read_key_first(serve, settings):
    api = serve(folio_api_key=SecretStr("s3cret"), folio_max_upload_mb=1)
    port = urlsplit(api).port
    huge = str(300 * 2**20)  # 300 MB announced; not a byte of it is sent: the answer cannot wait for it
    assert _raw(api, _upload_head(port, huge)).startswith(b"HTTP/1.1 401")
    refused = _raw(api, _upload_head(port, huge, "s3cret"))
    assert refused.startswith(b"HTTP/1.1 413") and b"FOLIO_MAX_UPLOAD_MB" in refused


def test_a_body_without_a_length_is_cut_at_the_limit_and_a_stalled_one_times_out(serve, tmp_path):
    api = serve(folio_max_upload_mb=1, folio_body_timeout=0.5)
    port = urlsplit(api).port
    chunk = b"x" * 65536

    def endless(sock):  # a chunked body that never ends, until the server stops listening
        try:
            while True:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass

    head = _upload_head(port, "chunked")
    start = b"--b\r\nContent-Disposition: form-data; name=file; filename=a.pdf\r\n\r\n"
    cut = _raw(api, head, b"%x\r\n%s\r\n" % (len(start), start), endless)
    assert cut.startswith(b"HTTP/1.1 413")
    stalled = _raw(api, _upload_head(port, "1000"), b"--b\r\n")  # says 1000 bytes, sends 5, then nothing
    assert stalled.startswith(b"HTTP/1.1 408")
    assert httpx.get(f"{api}/documents").json()["data"] == []


def test_collections_share_one_embedder_and_creating_one_is_explicit_and_limited(serve, settings):
    from rag import ConfigError, collection_names, create_collection, open_collection

    first = create_collection(settings, "first")
    assert open_collection(settings, "second").embedder is first.embedder  # one model per process
    limited = settings.model_copy(update={"folio_max_collections": len(collection_names(settings))})
    with pytest.raises(ConfigError, match="FOLIO_MAX_COLLECTIONS=2"):
        create_collection(limited, "third")
    assert create_collection(limited, "first").store is not None  # an existing one opens
    api = serve()
    for name in ("third", "fourth"):  # reading, asking and uploading never create one
        assert httpx.get(f"{api}/documents", params={"model": f"folio:{name}"}).status_code == 404
        asked = {"model": f"folio:{name}", "messages": [{"role": "user", "content": "Where?"}]}
        assert httpx.post(f"{api}/chat/completions", json=asked, timeout=HANG_GUARD).status_code == 404
    assert collection_names(settings) == ["first", "second"]


def test_a_content_part_whose_text_is_not_a_string_is_a_400_in_openai_shape(serve):
    api = serve()
    for text in (5, ["a"], {"b": 1}):
        message = {"role": "user", "content": [{"type": "text", "text": text}]}
        answer = httpx.post(f"{api}/chat/completions", json={"messages": [message]}, timeout=HANG_GUARD)
        assert answer.status_code == 400, text
        assert answer.json()["error"]["type"] == "invalid_request_error" and "text" in answer.json()["error"]["message"]
