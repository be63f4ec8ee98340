"""`folio serve`: the OpenAI-compatible API on loopback, driven by the official openai client and httpx."""

import threading
import time

import httpx
import openai
import pytest
import uvicorn
from pydantic import SecretStr

from folio_server import create_app
from rag import Settings
from tests.conftest import SAMPLE_DOCS, free_port

pytestmark = pytest.mark.slow  # `folio serve` on loopback with a real store, driven over HTTP

AMAZON = "amazon-rainforest-wikipedia.pdf"
BRAZIL = "What percentage of the Amazon rainforest is in Brazil?"


def _serve(settings: Settings):
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def api(settings):
    server, url = _serve(settings)
    yield url
    server.should_exit = True


@pytest.fixture
def api_with_key(settings):
    server, url = _serve(settings.model_copy(update={"folio_api_key": SecretStr("s3cret")}))
    yield url
    server.should_exit = True


def _upload(url: str, path, name: str | None = None, **headers) -> httpx.Response:
    files = {"file": (name or path.name, path.read_bytes(), "application/pdf")}
    return httpx.post(f"{url}/documents", files=files, headers=headers, timeout=120)


def test_upload_then_chat_with_the_openai_client_streamed_and_not(api):
    uploaded = _upload(api, SAMPLE_DOCS / AMAZON)
    assert uploaded.status_code == 200 and uploaded.json()["status"] == "ingested"
    assert [d["source"] for d in httpx.get(f"{api}/documents").json()["data"]] == [AMAZON]

    client = openai.OpenAI(base_url=api, api_key="unused")
    assert [m.id for m in client.models.list()] == ["folio", "folio:folio"]
    done = client.chat.completions.create(model="folio", messages=[{"role": "user", "content": BRAZIL}])
    assert "60%" in done.choices[0].message.content
    sources = done.model_extra["sources"]
    assert [s["n"] for s in sources] == list(range(1, len(sources) + 1))  # numbered as the answer cites them
    [brazil] = [s for s in sources if "with 60% of the rainforest" in s["text"]]
    assert (brazil["file"], brazil["pages"]) == (AMAZON, "p. 1")
    assert f"[{brazil['n']}]" in done.choices[0].message.content

    pieces, last = [], None
    for chunk in client.chat.completions.create(
        model="folio", messages=[{"role": "user", "content": BRAZIL}], stream=True
    ):
        pieces += [chunk.choices[0].delta.content or ""] if chunk.choices else []
        last = chunk
    assert "60%" in "".join(pieces) and last.choices[0].finish_reason == "stop"
    assert last.model_extra["sources"][0]["file"] == AMAZON

    deleted = httpx.delete(f"{api}/documents/{AMAZON}")
    assert deleted.status_code == 200 and httpx.get(f"{api}/documents").json()["data"] == []
    assert httpx.delete(f"{api}/documents/{AMAZON}").status_code == 404


def test_errors_are_json_in_openai_shape_with_the_right_status(api, settings, tmp_path):
    client = openai.OpenAI(base_url=api, api_key="unused", max_retries=0)
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    bad_json = httpx.post(f"{api}/chat/completions", content=b"{not json", headers={"content-type": "application/json"})
    assert bad_json.status_code == 400 and bad_json.json()["error"]["type"] == "invalid_request_error"
    no_messages = httpx.post(f"{api}/chat/completions", json={"model": "folio", "messages": []})
    assert no_messages.status_code == 400 and "messages" in no_messages.json()["error"]["message"]

    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"<html>not a pdf</html>")
    refused = _upload(api, fake)
    assert refused.status_code == 422 and "not a PDF" in refused.json()["error"]["message"]
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (settings.folio_max_upload_mb * 1024 * 1024))
    assert _upload(api, big).status_code == 413


def test_an_api_key_guards_every_route(api_with_key):
    assert httpx.get(f"{api_with_key}/models").status_code == 401
    assert httpx.get(f"{api_with_key}/documents", headers={"Authorization": "Bearer wrong"}).status_code == 401
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=api_with_key, api_key="wrong", max_retries=0).models.list()
    models = openai.OpenAI(base_url=api_with_key, api_key="s3cret").models.list()
    assert models.data[0].id == "folio"


DOLPHIN = "What is the favourite colour of the Amazon river dolphin?"  # near Amazon passages, answered by none


def test_a_refusal_lists_no_sources_streamed_or_not(api):
    assert _upload(api, SAMPLE_DOCS / AMAZON).status_code == 200
    client = openai.OpenAI(base_url=api, api_key="unused")
    done = client.chat.completions.create(model="folio", messages=[{"role": "user", "content": DOLPHIN}])
    assert done.choices[0].message.content == "I could not find this in your documents."
    assert done.model_extra["sources"] == [] and done.model_extra["folio"]["mode"] == "not_found"
    *_, last = client.chat.completions.create(
        model="folio", messages=[{"role": "user", "content": DOLPHIN}], stream=True
    )
    assert last.model_extra["sources"] == []


def test_an_unknown_collection_is_a_404_naming_the_models_and_is_never_created(api):
    assert _upload(api, SAMPLE_DOCS / AMAZON).status_code == 200
    client = openai.OpenAI(base_url=api, api_key="unused", max_retries=0)
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(model="folio:nosuch", messages=[{"role": "user", "content": BRAZIL}])
    error = raised.value.body
    assert error["code"] == "model_not_found" and "'folio:nosuch'" in error["message"]
    assert "'folio:folio'" in error["message"]  # says what exists
    listed = httpx.get(f"{api}/documents", params={"model": "folio:nosuch"})
    assert listed.status_code == 404 and listed.json()["error"]["code"] == "model_not_found"
    assert [m.id for m in client.models.list()] == ["folio", "folio:folio"]  # nothing was created


def test_the_key_is_checked_before_the_body_and_bad_json_is_one_clear_400(api_with_key):
    broken = {"content-type": "application/json"}
    assert httpx.post(f"{api_with_key}/chat/completions", content=b"{not json", headers=broken).status_code == 401
    signed = broken | {"Authorization": "Bearer s3cret"}
    bad = httpx.post(f"{api_with_key}/chat/completions", content=b"{not json", headers=signed)
    assert bad.status_code == 400
    assert bad.json()["error"] == {
        "message": "request body is not valid JSON", "type": "invalid_request_error", "param": None,
        "code": "invalid_json",
    }  # fmt: skip


def test_a_refused_upload_is_named_as_sent(api, tmp_path):
    report = tmp_path / "report.docx"
    report.write_bytes(b"PK\x03\x04 a Word file")
    refused = _upload(api, report)
    message = refused.json()["error"]["message"]
    assert refused.status_code == 422 and message.startswith("report.docx: corrupt .docx file")


def test_stream_options_include_usage_ends_with_a_usage_chunk(api):
    assert _upload(api, SAMPLE_DOCS / AMAZON).status_code == 200
    client = openai.OpenAI(base_url=api, api_key="unused")
    chunks = list(
        client.chat.completions.create(
            model="folio",
            messages=[{"role": "user", "content": BRAZIL}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    *answer, last = chunks
    assert last.choices == [] and last.usage.completion_tokens > 0
    assert last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens
    assert all(chunk.usage is None for chunk in answer) and answer[-1].choices[0].finish_reason == "stop"
    plain = client.chat.completions.create(model="folio", messages=[{"role": "user", "content": BRAZIL}])
    assert plain.usage.prompt_tokens > 0 and plain.usage.completion_tokens > 0


def _settled(api: str, url: str) -> dict:
    """The job at `url` once it is done or failed (polled: the job's state is the event waited on)."""
    deadline = time.monotonic() + 600  # a hang guard, not a speed expectation
    while (job := httpx.get(f"{api.removesuffix('/v1')}{url}").json())["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, f"the job never finished: {job}"
        time.sleep(0.2)
    return job


def test_a_queued_upload_answers_202_with_a_status_url(api, tmp_path):
    files = {"file": (AMAZON, (SAMPLE_DOCS / AMAZON).read_bytes(), "application/pdf")}
    queued = httpx.post(f"{api}/documents", params={"wait": "false"}, files=files, timeout=30)
    assert queued.status_code == 202 and queued.json()["status"] in ("queued", "reading", "embedding")
    url = queued.headers["location"]
    assert url == queued.json()["url"]
    done = _settled(api, url)
    assert done["status"] == "done" and done["result"]["status"] == "ingested" and done["result"]["pages"] == 5
    assert [d["source"] for d in httpx.get(f"{api}/documents").json()["data"]] == [AMAZON]

    files = {"file": ("report.docx", b"PK\x03\x04 a Word file", "application/msword")}
    refused = _settled(api, httpx.post(f"{api}/documents?wait=false", files=files).headers["location"])
    assert refused["status"] == "failed" and refused["error"]["message"].startswith("report.docx: corrupt .docx file")
    missing = httpx.get(f"{api}/jobs/999")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "job_not_found"
