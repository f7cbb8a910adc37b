"""Where OpenAI-compatible endpoints and their secrets are looked up: in one place."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from sciqa.errors import ConfigError

if TYPE_CHECKING:
    from sciqa.settings import Settings


def get_key(explicit: str | None = None) -> str:
    """The API key: explicit argument, then ``OPENAI_API_KEY``, else a clear error.

    A local server (vLLM, Ollama, llama.cpp) ignores the key, so when ``OPENAI_BASE_URL`` points
    somewhere other than OpenAI a placeholder is used.
    """
    if explicit:
        return explicit
    key = os.environ.get("OPENAI_API_KEY")
    if key:
        return key
    if base_url():
        return "not-needed"
    raise ConfigError(
        "no API key: set OPENAI_API_KEY (or OPENAI_BASE_URL for a local OpenAI-compatible "
        "server), or use the offline answerer with SCIQA_LLM=extractive"
    )


def base_url(explicit: str | None = None) -> str | None:
    """``OPENAI_BASE_URL`` (or the older ``OPENAI_API_BASE``), if set."""
    return explicit or os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE")


def openai_client_kwargs(settings: Settings, *, url: str | None = None) -> dict[str, Any]:
    """Keyword arguments shared by LangChain's OpenAI chat and embedding classes."""
    url = base_url(url)
    kwargs: dict[str, Any] = {"api_key": get_key(), "timeout": 30.0, "max_retries": 2}
    if url:
        kwargs["base_url"] = url
    return kwargs
