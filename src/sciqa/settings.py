"""One settings object, read from ``SCIQA_*`` environment variables, built once and passed in."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path(platformdirs.user_data_dir("sciqa", appauthor=False))


class Settings(BaseSettings):
    """Everything a sciqa pipeline can be told. ``Settings()`` reads the environment."""

    model_config = SettingsConfigDict(env_prefix="SCIQA_", extra="ignore", frozen=True)

    home: Path = Field(
        default_factory=_default_home,
        description="Folder for the vector store, its manifest and the feedback file.",
    )
    corpus: Path | None = Field(
        default=None,
        description=(
            "Folder ingested into a store that never recorded any (store/sources.json); "
            "default: the bundled corpus."
        ),
    )
    collection: str = Field(default="sciqa", description="Chroma collection name.")
    chroma_url: str | None = Field(
        default=None,
        description="http://host:port of a Chroma server; default: embedded store under home.",
    )
    embeddings: str = Field(
        default="minilm",
        description="Embedding provider: 'minilm' (offline, shipped on PyPI) or 'openai'.",
    )
    embeddings_model: str = Field(
        default="text-embedding-3-small", description="Model name for 'openai' embeddings."
    )
    embeddings_base_url: str | None = Field(
        default=None, description="OpenAI-compatible base URL for embeddings only."
    )
    llm: Literal["extractive", "openai"] = Field(
        default="extractive",
        description="Answerer: 'extractive' (offline, quotes the documents) or 'openai'.",
    )
    model: str = Field(default="gpt-4o-mini", description="Chat model name for 'openai'.")
    context_tokens: int = Field(
        default=8192,
        ge=512,
        description="The chat model's context window; passages are added, most relevant "
        "first, until the prompt and the answer would not fit.",
    )
    answer_tokens: int = Field(
        default=512, ge=16, description="Most tokens the chat model may write in one answer."
    )
    llm_timeout: float = Field(
        default=60.0, gt=0, description="Seconds to wait for the model server on each try."
    )
    llm_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Retries (with backoff) after a timeout, a 429 or a 5xx from the model "
        "server, before giving up with an error naming the endpoint.",
    )
    verify_claims: bool = Field(
        default=True,
        description="After the lexical claim check, ask the chat model whether each answer "
        "sentence's cited passage states it (one short call per sentence, a second or two on "
        "a small local model) and remove a sentence it says no to.",
    )
    verify_threshold: float = Field(
        default=0.55,
        ge=0.0,
        le=1.0,
        description="How sure the model must be that a sentence's cited passage answers the "
        "question as the sentence does: P(TRUE) / (P(TRUE) + P(FALSE)) of its one-word reply, "
        "when the server gives log-probabilities. A sentence below it is removed; higher "
        "declines more (README, 'Quality').",
    )
    fallback: bool = Field(
        default=True,
        description="When the model fails while answering (server down, a timeout, a reply "
        "it cannot read), answer offline by quoting the documents, with a notice saying so, "
        "instead of failing. `sciqa eval` never falls back: it measures the model.",
    )
    local_servers: str = Field(
        default="",
        description="More places to look for a local model server (`sciqa models`, the web "
        "page), besides Ollama, llama.cpp, LM Studio and vLLM on their usual ports: ports or "
        "loopback URLs, comma-separated, e.g. '8081,http://127.0.0.1:5000/v1'. Only this "
        "machine (127.0.0.1, localhost, ::1) is ever probed.",
    )
    k: int = Field(default=5, ge=1, le=50, description="Passages given to the answerer.")
    fetch_k: int = Field(
        default=20, ge=1, le=500, description="Candidates taken from each retriever before fusion."
    )
    chunk_tokens: int = Field(default=128, ge=16, le=2048, description="Max tokens per chunk.")
    chunk_overlap: int = Field(default=24, ge=0, le=512, description="Tokens of overlap.")
    min_score: float | None = Field(
        default=None,
        description="Extractive answerer: below this probability that its best sentence answers, "
        "it says the documents do not hold the answer. Default: the threshold calibrated on "
        "evals/gold.jsonl by evals/calibrate.py.",
    )
    max_question_chars: int = Field(
        default=2000, ge=10, description="Longer questions are refused with a clear error."
    )
    progress: bool = Field(default=True, description="Show progress bars on stderr.")
    lock_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds to wait while another process (an ingest, a database browser) "
        "holds the store's lock, before giving up with an error that says so.",
    )
    ingest_batch: int = Field(
        default=256,
        ge=1,
        le=5000,
        description="Chunks embedded and written per batch while ingesting; the manifest is "
        "saved after each batch, so an interrupted ingest resumes from there.",
    )
    vector_cache: Path | None = Field(
        default=None,
        description="SQLite file where the offline embeddings (minilm) keep every vector they "
        "compute, by text, so that no text is embedded twice (a re-ingest, the chat page's "
        "warm-up after a restart, a question asked before). Default: HOME/cache/vectors.sqlite3.",
    )
    vector_cache_size: int = Field(
        default=50_000,
        ge=0,
        description="Vectors the cache keeps at most, the oldest dropped first (1.6 KB each: "
        "50,000 is about 80 MB); 0 turns the cache off.",
    )

    ui_users: SecretStr | None = Field(
        default=None,
        description="Logins the chat page (`sciqa ui`) requires: user:password pairs, "
        "comma-separated, e.g. 'alice:pw1,bob:pw2'. Unset: no login (loopback only is safe).",
    )
    debug: bool = Field(
        default=False,
        description="The CLI shows the Python traceback of an unexpected error instead of one "
        "line.",
    )

    @property
    def store_dir(self) -> Path:
        return self.home / "store"
