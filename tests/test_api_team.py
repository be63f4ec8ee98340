"""`folio serve` with accounts on (issue 31): every route acts as the API key's user. A collection they may not read
is a 404 exactly like one that does not exist (names do not leak), a write to one they may only read is a 403,
another user's job is a 404. A real server on loopback over the sample library (ingested once by conftest), with
a second collection owned by a member."""

import logging
import shutil
import time
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from pydantic import SecretStr

from ingest import Ingestor
from rag import create_collection, open_team
from tests.conftest import make_pdf
from tests.test_server import _serve
from tests.test_team_upgrade import sample_data_dir

pytestmark = pytest.mark.slow  # `folio serve` on loopback with real stores, driven over HTTP

CHEAP = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)  # real argon2id, cheap parameters
PASSWORD = "correct horse"
SAMPLE = "amazon-rainforest-wikipedia.pdf"  # in the admin's collection 'folio'
TIDES = "The harbour of Lumen has two high tides a day, at 06:10 and 18:40."
HANG_GUARD = 600


@pytest.fixture
def team_library(sample_store, settings, tmp_path):
    """The sample library as a single user left it, then accounts: ada (admin: given 'folio'), bob (owns 'bobs',
    holding tides.pdf), cy (in group staff, which may read 'bobs'); one key each, and two narrowed keys of bob's."""
    shutil.copytree(sample_data_dir(sample_store), settings.folio_data_dir)
    team = open_team(settings, hasher=CHEAP)
    team.add_user("ada", PASSWORD, admin=True)
    team.add_group("staff")
    team.add_user("bob", PASSWORD)
    team.add_user("cy", PASSWORD, groups=["staff"])
    bobs = create_collection(settings, "bobs")
    team.sharing.set_owner("bobs", team.accounts.require("bob"))
    make_pdf(tmp_path / "tides.pdf", [TIDES])
    assert Ingestor.of(bobs).upload("tides.pdf", (tmp_path / "tides.pdf").read_bytes()).status == "ingested"
    team.share("bobs", "read", group="staff")
    keys = {name: team.create_key(name)[1] for name in ("ada", "bob", "cy")}
    keys["bob_read_only"] = team.create_key("bob", read_only=True)[1]
    keys["bob_bobs_only"] = team.create_key("bob", collection="bobs")[1]
    return team, keys


@pytest.fixture
def api(team_library, settings):
    server, url = _serve(settings)
    yield url, team_library[1]
    server.should_exit = True


def _as(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def _ask(url: str, key: str, model: str) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": "When are the high tides in Lumen?"}]}
    return httpx.post(f"{url}/chat/completions", json=body, headers=_as(key), timeout=HANG_GUARD)


def _upload(url: str, key: str, model: str, path: Path, **params) -> httpx.Response:
    files = {"file": (path.name, path.read_bytes(), "application/pdf")}
    return httpx.post(f"{url}/documents", params={"model": model, **params}, files=files, headers=_as(key),
                      timeout=HANG_GUARD)  # fmt: skip


def _models(url: str, key: str) -> list[str]:
    return [m["id"] for m in httpx.get(f"{url}/models", headers=_as(key)).json()["data"]]


def test_models_lists_only_the_collections_each_key_may_read(api):
    url, keys = api
    assert _models(url, keys["ada"]) == ["folio", "folio:bobs", "folio:folio"]  # the admin's, and every one
    assert _models(url, keys["bob"]) == ["folio:bobs"]  # 'folio' (the default collection) is not theirs
    assert _models(url, keys["cy"]) == ["folio:bobs"]  # through the group
    assert _models(url, keys["bob_bobs_only"]) == ["folio:bobs"]
    assert httpx.get(f"{url}/models").status_code == 401  # accounts on: a key is needed
    assert httpx.get(f"{url}/models", headers=_as("folio_forged")).status_code == 401


def test_chat_completions_on_a_collection_one_may_not_read_is_a_404_like_an_unknown_one(api):
    url, keys = api
    hidden, unknown = _ask(url, keys["cy"], "folio:folio"), _ask(url, keys["cy"], "folio:nosuch")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["error"]["code"] == unknown.json()["error"]["code"] == "model_not_found"
    assert hidden.json()["error"]["message"] == unknown.json()["error"]["message"].replace("nosuch", "folio")
    assert "'folio:bobs'" in hidden.json()["error"]["message"] and "'folio:folio'" not in unknown.text
    assert _ask(url, keys["bob"], "folio").status_code == 404  # the default model is the default collection
    assert _ask(url, keys["bob_bobs_only"], "folio:bobs").status_code == 200
    answered = _ask(url, keys["cy"], "folio:bobs")  # read access is enough to ask
    assert answered.status_code == 200 and "06:10" in answered.json()["choices"][0]["message"]["content"]
    assert answered.json()["sources"][0]["file"] == "tides.pdf"
    assert _ask(url, keys["ada"], "folio:bobs").status_code == 200  # an admin sees all


def test_documents_get_on_a_collection_one_may_not_read_is_a_404(api):
    url, keys = api
    listed = httpx.get(f"{url}/documents", params={"model": "folio:folio"}, headers=_as(keys["bob"]))
    assert listed.status_code == 404 and listed.json()["error"]["code"] == "model_not_found"
    assert SAMPLE not in listed.text
    bound = httpx.get(f"{url}/documents", params={"model": "folio:folio"}, headers=_as(keys["bob_bobs_only"]))
    assert bound.status_code == 404
    mine = httpx.get(f"{url}/documents", params={"model": "folio:bobs"}, headers=_as(keys["cy"]))
    assert [d["source"] for d in mine.json()["data"]] == ["tides.pdf"]
    admins = httpx.get(f"{url}/documents", headers=_as(keys["ada"]))
    assert SAMPLE in [d["source"] for d in admins.json()["data"]]


def test_documents_post_needs_write_access_403_for_read_only_404_for_invisible(api, team_library, tmp_path):
    url, keys = api
    pdf = make_pdf(tmp_path / "moons.pdf", ["Titan is the largest moon of Saturn."])
    refused = _upload(url, keys["cy"], "folio:bobs", pdf)  # cy may read 'bobs', not change it
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "read_only"
    assert _upload(url, keys["bob_read_only"], "folio:bobs", pdf).status_code == 403  # bob may, his key may not
    hidden = _upload(url, keys["bob"], "folio", pdf)
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "model_not_found"
    assert _upload(url, keys["cy"], "folio:folio", pdf).status_code == 404
    done = _upload(url, keys["bob_bobs_only"], "folio:bobs", pdf)
    assert done.status_code == 200 and done.json()["status"] == "ingested"
    listed = httpx.get(f"{url}/documents", params={"model": "folio:bobs"}, headers=_as(keys["bob"])).json()["data"]
    assert sorted(d["source"] for d in listed) == ["moons.pdf", "tides.pdf"]
    assert "moons.pdf" not in httpx.get(f"{url}/documents", headers=_as(keys["ada"])).text  # nothing went elsewhere
    [entry] = [e for e in team_library[0].audit.entries() if e.action == "upload"]
    assert (entry.actor, entry.collection, entry.target, entry.client) == ("bob", "bobs", "moons.pdf", "127.0.0.1")


def test_documents_delete_needs_write_access_403_for_read_only_404_for_invisible(api, team_library):
    url, keys = api
    bobs = {"model": "folio:bobs"}
    refused = httpx.delete(f"{url}/documents/tides.pdf", params=bobs, headers=_as(keys["cy"]))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "read_only"
    read_only = httpx.delete(f"{url}/documents/tides.pdf", params=bobs, headers=_as(keys["bob_read_only"]))
    assert read_only.status_code == 403
    hidden = httpx.delete(f"{url}/documents/{SAMPLE}", headers=_as(keys["bob"]))  # in 'folio', which bob cannot see
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "model_not_found"
    assert SAMPLE in httpx.get(f"{url}/documents", headers=_as(keys["ada"])).text  # still there
    deleted = httpx.delete(f"{url}/documents/tides.pdf", params=bobs, headers=_as(keys["bob"]))
    assert deleted.status_code == 200 and deleted.json()["deleted"]
    [entry] = [e for e in team_library[0].audit.entries() if e.action == "delete"]
    assert (entry.actor, entry.collection, entry.target) == ("bob", "bobs", "tides.pdf")


def test_jobs_of_another_user_are_a_404(api, team_library, tmp_path):
    url, keys = api
    pdf = make_pdf(tmp_path / "moons.pdf", ["Titan is the largest moon of Saturn."])
    assert _upload(url, keys["cy"], "folio:bobs", pdf, wait="false").status_code == 403  # not even queued
    queued = _upload(url, keys["bob"], "folio:bobs", pdf, wait="false")
    assert queued.status_code == 202
    job_url = url.removesuffix("/v1") + queued.headers["location"]
    other = httpx.get(job_url, headers=_as(keys["cy"]))
    assert other.status_code == 404 and other.json()["error"]["code"] == "job_not_found"
    assert httpx.get(job_url, headers=_as(keys["ada"])).status_code == 404  # only its own user follows a job
    deadline = time.monotonic() + HANG_GUARD  # the job's state is the event waited on
    while (job := httpx.get(job_url, headers=_as(keys["bob_bobs_only"])).json())["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    assert job["file"] == "moons.pdf" and job["result"]["status"] == "ingested"  # followed with bob's other key
    [entry] = [e for e in team_library[0].audit.entries() if e.action == "upload"]
    assert (entry.actor, entry.collection, entry.target) == ("bob", "bobs", "moons.pdf")


def test_the_shared_key_acts_as_the_first_admin_and_a_disabled_users_key_stops(team_library, settings, caplog):
    team, keys = team_library
    server, url = _serve(settings.model_copy(update={"folio_api_key": SecretStr("s3cret")}))
    try:
        with caplog.at_level(logging.WARNING, logger="folio.server"):
            assert _models(url, "s3cret") == ["folio", "folio:bobs", "folio:folio"]
        assert "FOLIO_API_KEY is in use while accounts are on: it acts as the first admin (ada)" in caplog.text
        assert "s3cret" not in caplog.text
        assert _models(url, keys["bob"]) == ["folio:bobs"]
        team.disable_user("bob")
        assert httpx.get(f"{url}/models", headers=_as(keys["bob"])).status_code == 401
        assert httpx.get(f"{url}/models", headers=_as("s3cre")).status_code == 401
    finally:
        server.should_exit = True
