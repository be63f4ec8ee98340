"""The UI's sign-in (streamlit_app.py) and rag/access.py: wrong passwords slow down the next tries, per client
and over all clients, with a clock passed in (no sleeping)."""

import logging

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rag.access import FREE_ATTEMPTS, GLOBAL_FREE_ATTEMPTS, MAX_WAIT_S, SignInLimits
from tests.conftest import ROOT


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _page(clock):
    import streamlit_app

    streamlit_app.run(clock)


def _sign_in(at: AppTest, password: str) -> list[str]:
    at.text_input[0].input(password)
    at.button[0].click().run()
    assert not at.exception
    return [e.value for e in at.error]


def test_wrong_passwords_make_every_session_of_the_client_wait_and_are_logged_without_the_password(
    settings, monkeypatch, caplog
):
    monkeypatch.setenv("FOLIO_PASSWORD", "open sesame")
    monkeypatch.chdir(ROOT)
    st.cache_resource.clear()
    clock = Clock()
    at = AppTest.from_function(_page, args=(clock,), default_timeout=120).run()
    with caplog.at_level(logging.WARNING, logger="rag.access"):
        for n in range(FREE_ATTEMPTS):
            assert _sign_in(at, f"guess-{n}") == ["Wrong password."]
        assert _sign_in(at, "guess-5") == ["Too many attempts: try again in 2 s."]  # refused, not even checked
        assert _sign_in(at, "open sesame") == ["Too many attempts: try again in 2 s."] and not at.chat_input
        reloaded = AppTest.from_function(_page, args=(clock,), default_timeout=120).run()  # a new session
        clock.now += 1.5
        assert _sign_in(reloaded, "open sesame") == ["Too many attempts: try again in 1 s."]
        clock.now += 0.5
        assert _sign_in(at, "open sesame") == [] and at.chat_input  # the wait has passed
    failures = [r.getMessage() for r in caplog.records if r.name == "rag.access"]
    assert len(failures) == FREE_ATTEMPTS and all("sign-in failed from local" in line for line in failures)
    assert not any("guess" in line or "sesame" in line for line in caplog.text.splitlines())


def test_the_wait_doubles_up_to_its_cap_and_many_clients_share_one_limit():
    clock = Clock()
    limits = SignInLimits(clock)
    waits = []
    for _ in range(FREE_ATTEMPTS + 10):
        limits.failed("10.0.0.1")
        waits.append(limits.wait("10.0.0.1"))
    assert waits[: FREE_ATTEMPTS - 1] == [0] * (FREE_ATTEMPTS - 1)
    assert waits[FREE_ATTEMPTS - 1 : FREE_ATTEMPTS + 3] == [2, 4, 8, 16] and waits[-1] == MAX_WAIT_S
    assert limits.wait("10.0.0.2") == 0  # another client is not held up by this one ...

    for n in range(GLOBAL_FREE_ATTEMPTS):  # ... but guesses from many addresses slow down everyone
        limits.failed(f"10.1.0.{n}")
    assert limits.wait("10.0.0.3") > 0
    limits.succeeded("10.0.0.1")  # the owner signs in: the counts start again
    assert limits.wait("10.0.0.1") == 0 and limits.wait("10.0.0.3") == 0


@pytest.mark.parametrize("failures", [FREE_ATTEMPTS, FREE_ATTEMPTS + 20])
def test_failures_are_forgotten_after_an_hour(failures):
    clock = Clock()
    limits = SignInLimits(clock)
    for _ in range(failures):
        limits.failed("10.0.0.1")
    assert limits.wait("10.0.0.1") > 0
    clock.now += 3600
    assert limits.wait("10.0.0.1") == 0
