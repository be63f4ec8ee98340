"""rag.oidc: the FOLIO_OIDC_* settings as the secrets file Streamlit's st.login reads, and a provider's user as a
Folio member (found by issuer and subject, never by name; groups from the claim at every sign-in). The browser
walk through a real provider is in tests/test_browser_team.py."""

import stat
import tomllib

import pytest
from argon2 import PasswordHasher
from pydantic import SecretStr

from rag import open_team, provider_member, provider_session_over, write_streamlit_secrets
from rag.oidc import claimed_groups

CHEAP = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
ISSUER = "https://id.example.com"
OIDC = {
    "folio_oidc_server_metadata_url": f"{ISSUER}/.well-known/openid-configuration",
    "folio_oidc_client_id": "folio",
    "folio_oidc_client_secret": SecretStr('s3cret "quoted" \\ value'),
    "folio_oidc_redirect_uri": "https://folio.example.com/oauth2callback",
}


def test_no_secrets_file_without_a_provider(settings):
    assert write_streamlit_secrets(settings) is None
    assert not (settings.folio_data_dir / "streamlit-secrets.toml").exists()


def test_the_secrets_file_is_private_parses_as_streamlit_reads_it_and_keeps_its_cookie_secret(settings):
    path = write_streamlit_secrets(settings.model_copy(update=OIDC))
    assert path is not None and stat.S_IMODE(path.stat().st_mode) == 0o600
    auth = tomllib.loads(path.read_text(encoding="utf-8"))["auth"]
    assert auth["redirect_uri"] == "https://folio.example.com/oauth2callback" and len(auth["cookie_secret"]) >= 32
    assert auth["folio"] == {
        "client_id": "folio",
        "client_secret": 's3cret "quoted" \\ value',
        "server_metadata_url": f"{ISSUER}/.well-known/openid-configuration",
        "client_kwargs": {"scope": "openid email profile", "prompt": "login", "code_challenge_method": "S256"},
    }
    path.chmod(0o644)
    again = write_streamlit_secrets(settings.model_copy(update=OIDC))  # the next `folio up`
    assert tomllib.loads(again.read_text(encoding="utf-8"))["auth"]["cookie_secret"] == auth["cookie_secret"]
    assert stat.S_IMODE(again.stat().st_mode) == 0o600
    chosen = settings.model_copy(update={**OIDC, "folio_oidc_cookie_secret": SecretStr("x" * 40)})
    written = write_streamlit_secrets(chosen).read_text(encoding="utf-8")
    assert tomllib.loads(written)["auth"]["cookie_secret"] == "x" * 40


@pytest.fixture
def team(settings):
    team = open_team(settings, hasher=CHEAP)
    team.add_user("ada", "correct horse", admin=True)
    team.add_user("alice", "correct horse")  # a password user: a provider's "alice" is someone else
    return team


def test_a_provider_user_is_found_by_issuer_and_subject_and_takes_the_groups_claim_each_time(team):
    claims = {"iss": ISSUER, "sub": "u-17", "preferred_username": "alice", "name": "Alice P", "groups": ["lab", "x y"]}
    first = provider_member(team, claims, "groups")
    assert first is not None and first.name == "alice-2" and first.provider == ISSUER and not first.has_password
    assert first.role == "member" and first.display_name == "Alice P"
    assert team.accounts.groups_of(first) == ["lab"]  # "x y" cannot be a Folio group name
    again = provider_member(team, {**claims, "preferred_username": "renamed", "groups": ["ops"]}, "groups")
    assert again is not None and again.id == first.id  # the same user, whatever their name says now
    assert team.accounts.groups_of(again) == ["ops"]  # set again: no longer in lab
    assert team.accounts.groups_of(provider_member(team, {"iss": ISSUER, "sub": "u-17"}, "groups")) == []
    other = provider_member(team, {**claims, "iss": "https://other.example.com"}, "groups")
    assert other is not None and other.id != first.id  # another provider's u-17 is another person
    team.disable_user(first.name)
    assert provider_member(team, claims, "groups") is None
    assert provider_member(team, {"iss": ISSUER}, "groups") is None  # no subject: no one


def test_group_claims_and_the_age_of_a_provider_sign_in():
    assert claimed_groups("lab") == ["lab"] and claimed_groups(["b", "a", "a", 3, None]) == ["a", "b"]
    assert claimed_groups(None) == [] and claimed_groups({"lab": True}) == []
    assert not provider_session_over({"auth_time": 1000, "iat": 0}, hours=1, now=1000 + 3599)
    assert provider_session_over({"auth_time": 1000}, hours=1, now=1000 + 3601)
    assert provider_session_over({"iat": 1000}, hours=1, now=1000 + 3601)
    assert provider_session_over({}, hours=1, now=0)  # no time: as if it were over
