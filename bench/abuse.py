"""`python -m bench abuse`: memory and CPU of `folio serve` under the small-request attacks of issue 28, each
against the same server idle (after one ordinary question) in the same run.

Attacks: reads and chats naming 200 collections that do not exist (each once created a collection and loaded
another embedder: +830 MB for six), histories as long as a request may carry (each earlier turn once cost
~18 ms before the first token), a 10 MB message (58 s and +1.8 GB once), and a 300 MB upload without a key
(written to disk in full once). Goals (issue 28): memory within +100 MB of idle, no request above 10 s of CPU.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from bench.speed import _free_port, _wait_http

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "What percentage of the Amazon rainforest is in Brazil?"
TICKS = os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]) / 1024


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def _chat(url: str, messages: list[dict], model: str = "folio") -> int:
    return httpx.post(f"{url}/chat/completions", json={"model": model, "messages": messages}, timeout=600).status_code


def _history(turns: int, chars: int) -> list[dict]:
    """As long a conversation as one request may carry: `turns` messages of `chars` characters, then a question."""
    filler = ("The rainforest covers much of the basin and its rivers. " * (chars // 56 + 1))[:chars]
    earlier = [{"role": ("user", "assistant")[i % 2], "content": filler} for i in range(turns - 1)]
    return [*earlier, {"role": "user", "content": QUESTION}]


def _huge_body(megabytes: int) -> Iterator[bytes]:
    head = b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.pdf"\r\n\r\n%PDF-1.7\n'
    yield head
    for _ in range(megabytes):
        yield b"\0" * 2**20


def _attacks(url: str) -> list[tuple[str, int, Callable[[], int]]]:
    """(what, how many times, one request → its status)."""
    return [
        ("`GET /v1/documents?model=folio:<new name>`", 100,
         lambda: httpx.get(f"{url}/documents", params={"model": f"folio:{uuid.uuid4().hex[:12]}"}).status_code),
        ("chat with `model: folio:<new name>`", 100,
         lambda: _chat(url, [{"role": "user", "content": QUESTION}], f"folio:{uuid.uuid4().hex[:12]}")),
        ("chat with 100 messages × 10,000 characters (~1 MB, the most a request may carry)", 10,
         lambda: _chat(url, _history(100, 10_000))),
        ("chat with one 10 MB message", 3, lambda: _chat(url, [{"role": "user", "content": "x" * 10_000_000}])),
        ("300 MB upload without Content-Length", 2,
         lambda: httpx.post(f"{url}/documents", content=_huge_body(300), timeout=600,
                            headers={"Content-Type": "multipart/form-data; boundary=b"}).status_code),
    ]  # fmt: skip


def abuse_report() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "FOLIO_DATA_DIR": str(Path(tmp) / "data")}
        for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "FOLIO_API_KEY", "FOLIO_COLLECTION"):
            env.pop(name, None)
        subprocess.run([sys.executable, "-m", "ingest", str(ROOT / "sample_docs")], env=env, check=True,
                       capture_output=True)  # fmt: skip
        port = _free_port()
        server = subprocess.Popen([sys.executable, "-m", "folio_cli", "serve", "--port", str(port)], env=env, cwd=ROOT)
        url = f"http://127.0.0.1:{port}/v1"
        try:
            _wait_http(f"{url}/models")
            assert _chat(url, [{"role": "user", "content": QUESTION}]) == 200  # models loaded: this is idle
            idle = _rss_mb(server.pid)
            rows = [f"| idle, after one ordinary question (baseline) | 200 | {idle:.0f} MB | | |"]
            for what, times, request in _attacks(url):
                statuses, most_cpu = set(), 0.0
                for _ in range(times):
                    before = _cpu_s(server.pid)
                    statuses.add(request())
                    most_cpu = max(most_cpu, _cpu_s(server.pid) - before)
                rss = _rss_mb(server.pid)
                codes = ", ".join(map(str, sorted(statuses)))
                rows.append(f"| {what}, {times}× | {codes} | {rss:.0f} MB | {rss - idle:+.0f} MB | {most_cpu:.2f} s |")
        finally:
            server.terminate()
            server.wait(timeout=60)
    return "\n".join(
        [
            "## Abuse: memory and CPU of `folio serve` under small-request attacks (issue 28)",
            "",
            "Reproduce: `uv run python -m bench abuse`. Goals: memory within +100 MB of idle, no request above 10 s"
            " of CPU.",
            "",
            "| `folio serve` (sample library, offline) | statuses | RSS after | vs idle | most CPU of one request |",
            "|---|---|---|---|---|",
            *rows,
        ]
    )
