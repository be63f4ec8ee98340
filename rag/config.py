"""All of Folio's settings, read once from the environment and `.env`.

Every field is documented in `.env.example`; the defaults run fully offline.
"""

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.errors import ConfigError

DENSE_WEIGHT = 0.3  # share of the dense score in hybrid fusion, from the cross-dataset sweep in docs/benchmarks.md
# Weight of the previous turn's words in an offline follow-up's search and quotes (the question's own words: 1),
# from the follow-up set in docs/benchmarks.md.
HISTORY_WEIGHT = 0.3
CONTEXT_WORDS = 40  # words of each document's context line, embedded and keyword-indexed with every chunk


class Settings(BaseSettings):
    """Folio configuration (env vars are upper-case field names, e.g. ``FOLIO_DATA_DIR``)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", env_ignore_empty=True, extra="ignore")

    # storage
    folio_data_dir: Path = Path("data")
    folio_collection: str = "folio"
    chroma_host: str | None = None
    chroma_port: int = 8000
    folio_chroma_timeout: float = Field(default=30.0, gt=0)

    # ingestion
    folio_embedding: Literal["local", "openai"] = "local"
    folio_openai_embedding_model: str = "text-embedding-3-small"
    folio_chunk_tokens: int = Field(default=256, ge=32, le=256)
    folio_chunk_overlap: int = Field(default=48, ge=0, le=128)
    folio_max_upload_mb: int = Field(default=50, ge=1)
    folio_max_pages: int = Field(default=5000, ge=1)
    folio_max_chars: int = Field(default=20_000_000, ge=1)
    folio_read_timeout: float = Field(default=600.0, gt=0)
    folio_ocr: bool = True
    folio_ocr_max_pages: int = Field(default=300, ge=0)
    folio_ocr_page_timeout: float = Field(default=60.0, gt=0)
    folio_reader: Literal["auto", "pypdf", "pdfium"] = "auto"
    folio_context_words: int = Field(default=CONTEXT_WORDS, ge=0, le=100)

    # query and answers
    folio_top_k: int = Field(default=5, ge=1, le=50)
    folio_retrieval: Literal["hybrid", "dense", "keyword"] = "hybrid"
    folio_dense_weight: float = Field(default=DENSE_WEIGHT, ge=0, le=1)
    folio_reranker: str = "none"  # a name in rag.components.RERANKERS
    folio_min_similarity: float = Field(default=0.25, ge=-1, le=1)
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    folio_llm_model: str = "gpt-4o-mini"
    folio_llm_timeout: float = Field(default=60.0, gt=0)

    # web UI and API
    folio_password: SecretStr | None = None
    folio_api_key: SecretStr | None = None
    # hours a sign-in to the web UI lasts (accounts: `folio users add`); a disabled user or a new password ends it
    folio_session_hours: float = Field(default=12.0, gt=0)
    # sign-in with an identity provider (OpenID Connect, through Streamlit's st.login; see rag.oidc), offered once
    # accounts are on and the metadata URL and client id are set
    folio_oidc_name: str = "your identity provider"  # shown on the button: "Sign in with <name>"
    folio_oidc_server_metadata_url: str | None = None  # https://idp.example.com/.well-known/openid-configuration
    folio_oidc_client_id: str | None = None
    folio_oidc_client_secret: SecretStr | None = None
    folio_oidc_redirect_uri: str = "http://localhost:8501/oauth2callback"  # the UI's address + /oauth2callback
    folio_oidc_cookie_secret: SecretStr | None = None  # signs the identity cookie; unset: made once, kept on disk
    folio_oidc_groups_claim: str = "groups"  # the ID token's claim listing the user's groups (Folio groups)
    folio_oidc_scope: str = "openid email profile"
    folio_oidc_prompt: str = "login"  # the provider asks who signs in every time (also after a sign-out)
    # host names the API answers to besides IP addresses and localhost (comma-separated): any other Host header is
    # refused, so a web page cannot reach a loopback server through a name of its own (DNS rebinding)
    folio_allowed_hosts: str = ""
    # what one API request may carry: messages, characters of one message, bytes of a JSON body; an upload's body
    # is bounded by FOLIO_MAX_UPLOAD_MB. Each earlier turn costs time before the first token, and a 10 MB message
    # took 58 s and 1.8 GB (issue 28); past the limits a request is refused with a message naming the setting.
    folio_max_messages: int = Field(default=100, ge=1)
    folio_max_message_chars: int = Field(default=20_000, ge=1)
    folio_max_request_kb: int = Field(default=1024, ge=1)
    folio_body_timeout: float = Field(default=30.0, gt=0)  # seconds a request body may go without sending a byte
    # collections that `folio serve` and the UI may create (reading one never creates it)
    folio_max_collections: int = Field(default=20, ge=1)
    # seconds the API's event loop may be stuck (a native call holding the GIL) before the process prints every
    # thread's stack and exits with status 1 for its supervisor to restart it; 0 turns the watchdog off
    folio_stall_timeout: float = Field(default=60.0, ge=0)

    @property
    def allowed_hosts(self) -> set[str]:
        """Host names accepted in a request's Host header besides IP addresses (always) and localhost."""
        return {"localhost", *(name.strip().lower() for name in self.folio_allowed_hosts.split(",") if name.strip())}

    @property
    def chroma_path(self) -> Path:
        """Where the embedded Chroma store lives."""
        return self.folio_data_dir / "chroma"

    @property
    def uploads_dir(self) -> Path:
        """Where files uploaded through the UI are kept."""
        return self.folio_data_dir / "uploads"


def default(name: str) -> Any:
    """The default of a setting: the one home of every default (ReadLimits, ChatSession and Retriever use it)."""
    return Settings.model_fields[name].default


def load_settings(**overrides: Any) -> Settings:
    """The settings from the environment and `.env` (with `overrides`); ConfigError naming every bad value."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problems = [f"{'.'.join(map(str, e['loc'])).upper()}={e.get('input')!r}: {e['msg']}" for e in error.errors()]
        raise ConfigError("bad setting: " + "; ".join(problems)) from None


def llm_enabled(settings: Settings) -> bool:
    """Generated answers need an API key or an OpenAI-compatible base URL; otherwise Folio is extractive."""
    return bool(settings.openai_base_url or (settings.openai_api_key and settings.openai_api_key.get_secret_value()))
