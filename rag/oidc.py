"""Sign-in with an identity provider (OpenID Connect) through Streamlit's own `st.login`: Folio's FOLIO_OIDC_*
settings become the `[auth]` secrets Streamlit reads, and a provider's user becomes a Folio member.

Streamlit keeps the provider's ID token claims in a signed cookie (30 days); Folio starts its own session from them
(FOLIO_SESSION_HOURS, counted from the provider's sign-in) and looks the user up by the token's issuer and subject
(`iss`, `sub`), never by a name: a provider's "alice" is not the password user "alice". The user's groups are the
groups claim's, set again at every sign-in; a disabled user is refused however they come.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rag.accounts import NAME, User
from rag.config import Settings
from rag.team import Team

OIDC_PROVIDER = "folio"  # the [auth.folio] section of the secrets, and st.login("folio")
SECRETS_FILE = "streamlit-secrets.toml"  # in FOLIO_DATA_DIR, passed to Streamlit with --secrets.files


def oidc_enabled(settings: Settings) -> bool:
    """Whether sign-in with an identity provider is configured (it is offered only once accounts are on)."""
    return bool(settings.folio_oidc_server_metadata_url and settings.folio_oidc_client_id)


def write_streamlit_secrets(settings: Settings) -> Path | None:
    """Write the `[auth]` secrets Streamlit's st.login needs into FOLIO_DATA_DIR (mode 0600, replaced whole);
    the path, or None when OIDC is not configured. Without FOLIO_OIDC_COOKIE_SECRET the cookie secret written
    earlier is kept (a new one would sign everyone out), or a random one is made."""
    if not oidc_enabled(settings):
        return None
    path = settings.folio_data_dir / SECRETS_FILE
    client_secret = settings.folio_oidc_client_secret.get_secret_value() if settings.folio_oidc_client_secret else ""
    cookie = settings.folio_oidc_cookie_secret.get_secret_value() if settings.folio_oidc_cookie_secret else ""
    auth = {
        "redirect_uri": settings.folio_oidc_redirect_uri,
        "cookie_secret": cookie or _kept_cookie_secret(path) or secrets.token_urlsafe(32),
    }
    provider = {
        "client_id": settings.folio_oidc_client_id or "",
        "client_secret": client_secret,
        "server_metadata_url": settings.folio_oidc_server_metadata_url or "",
    }
    kwargs = {"scope": settings.folio_oidc_scope, "prompt": settings.folio_oidc_prompt, "code_challenge_method": "S256"}
    lines = ["[auth]", *_pairs(auth), "", f"[auth.{OIDC_PROVIDER}]", *_pairs(provider), ""]
    lines += [f"[auth.{OIDC_PROVIDER}.client_kwargs]", *_pairs(kwargs)]
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.unlink(missing_ok=True)
    with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    partial.replace(path)
    return path


def provider_member(team: Team, claims: Mapping[str, Any], groups_claim: str) -> User | None:
    """The Folio user of a provider's ID token claims, made a member on their first sign-in, with the groups
    claim's groups (those that can be Folio group names); None for a disabled user or claims without an issuer and
    a subject."""
    issuer, subject = str(claims.get("iss") or ""), str(claims.get("sub") or "")
    if not issuer or not subject:
        return None
    user = team.accounts.by_subject(issuer, subject)
    if user is None:
        name = _free_name(team, claims)
        display = str(claims.get("name") or name)
        user = team.accounts.add(name, None, display_name=display, provider=issuer, subject=subject)
        team.audit.record(name, "user_add", target=f"{name} (first sign-in through {issuer})")
    if user.disabled:
        return None
    team.accounts.set_groups(user, claimed_groups(claims.get(groups_claim)))
    return user


def claimed_groups(value: Any) -> list[str]:
    """The group names of a groups claim (a list, or one name), leaving out what cannot be a Folio group name."""
    names = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    return sorted({name for name in names if isinstance(name, str) and NAME.fullmatch(name)})


def provider_session_over(claims: Mapping[str, Any], hours: float, now: float | None = None) -> bool:
    """Whether the provider's sign-in (`auth_time`, else the token's `iat`) is more than `hours` old: Streamlit's
    cookie lasts 30 days, a Folio session FOLIO_SESSION_HOURS."""
    signed_in = claims.get("auth_time") or claims.get("iat")
    if not isinstance(signed_in, int | float):
        return True
    return (time.time() if now is None else now) - signed_in > hours * 3600


def _free_name(team: Team, claims: Mapping[str, Any]) -> str:
    """A user name from the claims (preferred_username, email, else the subject) that no one has yet."""
    for claim in ("preferred_username", "email", "sub"):
        wanted = "".join(c if NAME.fullmatch(f"a{c}") else "-" for c in str(claims.get(claim) or "")).strip("-._@+")
        if wanted:
            break
    base = (wanted or "user")[:56]
    name, n = base, 1
    while team.accounts.get(name):
        n += 1
        name = f"{base}-{n}"
    return name


def _kept_cookie_secret(path: Path) -> str:
    try:
        return str(tomllib.loads(path.read_text(encoding="utf-8"))["auth"]["cookie_secret"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def _pairs(values: Mapping[str, str]) -> list[str]:
    """TOML `key = "value"` lines (a JSON string is a TOML basic string)."""
    return [f"{key} = {json.dumps(value)}" for key, value in values.items()]
