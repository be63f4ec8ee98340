"""A small OpenAI-wire-compatible chat server on loopback, scripted per test.

Each request takes the next scripted behaviour (or a default short streamed answer). Real HTTP,
real server-sent events, so the openai client's retries, timeouts and stream parsing all run.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client that hangs up mid-answer is what many tests do (timeouts, stops): not an error to print. Printed,
        it lands in whatever stderr a later test in this process captures (the CLI runs in the test process)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeLLM:
    def __init__(self):
        self.script: deque[dict] = deque()
        self.requests: list[dict] = []  # {"path", "headers", "body"}
        self.models = ["fake-small", "fake-large"]  # what GET /v1/models lists
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def then(self, kind: str, **behaviour) -> FakeLLM:
        """Queue a behaviour: stream(tokens) | status(code, body, headers) | sleep(seconds) | cut(tokens) | malformed
        | keepalive(seconds)."""
        self.script.append({"kind": kind, **behaviour})
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _chunk(text: str) -> bytes:
    payload = {
        "id": "x",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "fake",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
    }
    return f"data: {json.dumps(payload)}\n\n".encode()


def _handler(fake: FakeLLM):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep test output quiet
            pass

        def do_GET(self):  # noqa: N802 (http.server's name)
            fake.requests.append({"path": self.path, "headers": dict(self.headers), "body": None})
            if not self.path.endswith("/models"):
                self.send_error(404)
                return
            models = [{"id": name, "object": "model", "created": 0, "owned_by": "fake"} for name in fake.models]
            data = json.dumps({"object": "list", "data": models}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            fake.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            step = fake.script.popleft() if fake.script else {"kind": "stream", "tokens": ["OK"]}
            kind = step["kind"]
            if kind == "sleep":
                time.sleep(step["seconds"])
                kind, step = "stream", {"tokens": step.get("tokens", ["late"])}
            if kind == "status":
                data = json.dumps(step.get("body", {"error": {"message": "scripted failure"}})).encode()
                self.send_response(step["code"])
                for name, value in step.get("headers", {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if kind == "keepalive":  # headers, then only SSE comments: bytes flow, no event ever comes
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for _ in range(int(step.get("seconds", 10) / 0.2)):
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                    time.sleep(0.2)
                self.close_connection = True
                return
            events = b"".join(_chunk(t) for t in step.get("tokens", []))
            if kind == "stream":
                events += b"data: [DONE]\n\n"
            elif kind == "malformed":
                events += b"data: {this is not json\n\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            # a cut stream promises more bytes than it sends, then closes the connection
            self.send_header("Content-Length", str(len(events) + (10_000 if kind == "cut" else 0)))
            self.end_headers()
            self.wfile.write(events)
            self.wfile.flush()
            if kind == "cut":
                self.close_connection = True

    return Handler
