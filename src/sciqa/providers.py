"""Where OpenAI-compatible endpoints and their secrets are looked up: in one place.

Chat models come from small factories in :data:`CHAT_MODELS`, imported lazily; each returns
LangChain's own ``BaseChatModel``. :func:`endpoint_chat_model` makes one for an
:class:`Endpoint` chosen at run time (a model on a local server), which is never sent
``OPENAI_API_KEY``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sciqa.errors import ConfigError, ModelError
from sciqa.redaction import redact

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
    """The base URL requests go to, for error messages: its password, if any, masked."""
    return redact(base_url(url) or OPENAI_URL)


def server_error(
    e: Exception,
    server: str,
    endpoint: str,
    model: str,
    model_setting: str,
    url_setting: str = "OPENAI_BASE_URL",
) -> Exception:
    """One clear :class:`ModelError` for whatever an OpenAI client raised while talking to
    ``server`` ("the model server at URL"); ``model_setting`` and ``url_setting`` name what the
    user can change. Anything that is not the client's is returned as it is."""
    if isinstance(e, ModelError | ConfigError):
        return e
    import openai

    def fail(message: str, reason: str) -> ModelError:
        return ModelError(message, endpoint=endpoint, reason=reason)

    if isinstance(e, openai.AuthenticationError):
        return fail(
            f"{server} refused the API key (401): check OPENAI_API_KEY",
            "it refused the API key, HTTP 401",
        )
    if isinstance(e, openai.PermissionDeniedError):
        return fail(
            f"{server} denied access (403): check OPENAI_API_KEY and {model_setting}",
            "it denied access, HTTP 403",
        )
    if isinstance(e, openai.NotFoundError):
        return fail(
            f"{server} has no model {model!r} (404): set {model_setting} to one it serves",
            f"it has no model {model!r}, HTTP 404",
        )
    if isinstance(e, openai.RateLimitError):
        return fail(
            f"{server} is rate-limiting requests (429), even after retries",
            "it is rate-limiting requests, HTTP 429",
        )
    if isinstance(e, openai.APITimeoutError):
        return fail(
            f"{server} did not answer in time, even after retries: is it running and the "
            "model loaded? (SCIQA_LLM_TIMEOUT sets the wait)",
            "it timed out",
        )
    if isinstance(e, openai.APIConnectionError):
        return fail(
            f"cannot reach {server}: is it running? (check {url_setting})", "could not connect"
        )
    if isinstance(e, openai.APIStatusError):
        return fail(
            f"{server} failed with HTTP {e.status_code}: {short(e.message)}",
            f"HTTP {e.status_code}",
        )
    if isinstance(e, openai.APIError | ValueError):
        return fail(
            f"{server} sent a response sciqa cannot read: {short(str(e))}",
            "it sent a response sciqa cannot read",
        )
    return e


def short(text: str, limit: int = 200) -> str:
    """A server's message for an error line: redacted, on one line, at most ``limit`` long."""
    text = " ".join(redact(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_configured() -> bool:
    """Whether an OpenAI-compatible endpoint is set up (a key, or a local server's URL)."""
    return bool(os.environ.get("OPENAI_API_KEY") or base_url())


def _chat_openai(settings: Settings, model: str, kwargs: dict[str, Any]) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    from sciqa.chunking import prime_tiktoken_cache

    prime_tiktoken_cache()  # ChatOpenAI counts tokens with tiktoken's cl100k_base

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
