"""Where OpenAI-compatible endpoints and their secrets are looked up: in one place.

Chat models come from small factories in :data:`CHAT_MODELS`, imported lazily; each returns
LangChain's own ``BaseChatModel``. :func:`endpoint_chat_model` makes one for an
:class:`Endpoint` chosen at run time (a model on a local server), which is never sent
``OPENAI_API_KEY``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sciqa.errors import ConfigError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from sciqa.settings import Settings

OPENAI_URL = "https://api.openai.com/v1"
# What a server that checks no key is sent (the openai client refuses an empty key).
NO_KEY = "not-needed"


@dataclass(frozen=True)
class Endpoint:
    """An OpenAI-compatible server and one of its models, chosen at run time: what
    ``Pipeline.ask(llm=...)`` takes to answer with a model found by :mod:`sciqa.discovery`.

    Meant for servers on this machine that check no key: it is sent :data:`NO_KEY`, never
    ``OPENAI_API_KEY``, so a key cannot leak to whatever listens on a local port.
    """

    base_url: str
    model: str


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
        return NO_KEY
    raise ConfigError(
        "no API key: set OPENAI_API_KEY (or OPENAI_BASE_URL for a local OpenAI-compatible "
        "server), or use the offline answerer with SCIQA_LLM=extractive"
    )


_KEY_SHAPED = re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}")


def redact(text: str) -> str:
    """``text`` with the API key in use, and anything shaped like an OpenAI key, masked: for
    messages that repeat what a server said (some servers echo the key they refused)."""
    key = os.environ.get("OPENAI_API_KEY")
    if key and len(key) >= 6:
        text = text.replace(key, "***")
    return _KEY_SHAPED.sub("sk-***", text)


def base_url(explicit: str | None = None) -> str | None:
    """``OPENAI_BASE_URL`` (or the older ``OPENAI_API_BASE``), if set."""
    return explicit or os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE")


def openai_client_kwargs(
    settings: Settings, *, url: str | None = None, api_key: str | None = None
) -> dict[str, Any]:
    """Keyword arguments shared by LangChain's OpenAI chat and embedding classes."""
    import openai

    url = base_url(url)
    wait = settings.llm_timeout
    kwargs: dict[str, Any] = {
        "api_key": api_key or get_key(),
        # A server that is down or unroutable fails fast; a busy one gets the full wait.
        "timeout": openai.Timeout(wait, connect=min(wait, 5.0)),
        "max_retries": settings.llm_retries,
    }
    if url:
        kwargs["base_url"] = url
    return kwargs


def endpoint(url: str | None = None) -> str:
    """The base URL requests go to, for error messages."""
    return base_url(url) or OPENAI_URL


def is_configured() -> bool:
    """Whether an OpenAI-compatible endpoint is set up (a key, or a local server's URL)."""
    return bool(os.environ.get("OPENAI_API_KEY") or base_url())


def _chat_openai(settings: Settings, model: str, kwargs: dict[str, Any]) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    if kwargs.get("base_url"):
        # ChatOpenAI sends OpenAI's newer max_completion_tokens, which llama.cpp's server
        # (and other older OpenAI-compatible servers) ignore; send the classic name as well.
        kwargs["extra_body"] = {"max_tokens": settings.answer_tokens}
    return ChatOpenAI(
        model=model, temperature=0, max_completion_tokens=settings.answer_tokens, **kwargs
    )


def _openai_chat(settings: Settings) -> BaseChatModel:
    return _chat_openai(settings, settings.model, openai_client_kwargs(settings))


def endpoint_chat_model(settings: Settings, endpoint: Endpoint) -> BaseChatModel:
    """A chat model for ``endpoint``, with the timeouts and retries of ``settings``."""
    kwargs = openai_client_kwargs(settings, url=endpoint.base_url, api_key=NO_KEY)
    return _chat_openai(settings, endpoint.model, kwargs)


CHAT_MODELS: dict[str, Callable[[Settings], BaseChatModel]] = {"openai": _openai_chat}


def make_chat_model(settings: Settings, name: str = "openai") -> BaseChatModel:
    """The chat model called ``name``, configured from ``settings`` and the environment."""
    try:
        factory = CHAT_MODELS[name]
    except KeyError:
        raise ConfigError(
            f"unknown chat model provider {name!r}; choose one of: {', '.join(CHAT_MODELS)}"
        ) from None
    return factory(settings)
