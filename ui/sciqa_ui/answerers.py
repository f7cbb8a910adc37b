"""The answerer setting: offline always, OpenAI when configured, the model servers found on
this machine; and what a visitor's choice answers with (no Gradio here)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from sciqa import Endpoint, LocalServer, Pipeline, SciQAError, find_local_servers
from sciqa.providers import is_configured

log = logging.getLogger("sciqa_ui")

OFFLINE = ("offline (quotes from the documents)", "extractive")


def looks_for_models(pipeline: Pipeline) -> bool:
    """Whether the page looks for models on this machine: only when the person running it has
    not chosen an answerer (SCIQA_LLM, or ``Settings(llm=...)``)."""
    return "llm" not in pipeline.settings.model_fields_set


def find_models(
    pipeline: Pipeline, probe: Callable[[str], list[LocalServer]] | None = None
) -> list[LocalServer]:
    """The model servers on this machine the page offers (none when an answerer was chosen,
    or when SCIQA_LOCAL_SERVERS is malformed: then the log says why). Takes up to a second."""
    if not looks_for_models(pipeline):
        return []
    try:
        return (probe or find_local_servers)(pipeline.settings.local_servers)
    except SciQAError as e:
        log.warning("not looking for local model servers: %s", e)
        return []


def local_value(server: LocalServer, model: str) -> str:
    """The choice's value for ``model`` on ``server``: its URL and name, not a secret."""
    return f"{server.base_url}#{model}"


def answerer_choices(
    pipeline: Pipeline, servers: Sequence[LocalServer] = ()
) -> list[tuple[str, str]]:
    """(label, value) for the answerer setting: offline always, OpenAI when configured, then
    every model on ``servers`` ("gemma3-270m on llama.cpp at 127.0.0.1:8080")."""
    choices = [OFFLINE]
    if is_configured():
        choices.append((f"OpenAI-compatible: {pipeline.settings.model}", "openai"))
    for server in servers:
        choices += [(server.label(m), local_value(server, m)) for m in server.models]
    return choices


def answerer_info(pipeline: Pipeline, servers: Sequence[LocalServer] | None) -> str:
    """The line under the answerer setting; ``servers`` is None while still looking."""
    if servers is None:
        return "Looking for model servers on this machine…"
    if servers and any(s.models for s in servers):
        return "Models found on this machine are listed; the offline answerer needs none."
    if is_configured():
        return ""
    if not looks_for_models(pipeline):
        return "Set OPENAI_API_KEY or OPENAI_BASE_URL before `sciqa ui` to add a model."
    return (
        "No model server found on this machine (Ollama, llama.cpp, LM Studio, vLLM); "
        "`sciqa models` says how to add one."
    )


def chosen_answerer(value: str | None, servers: Sequence[LocalServer]) -> str | Endpoint:
    """What the pipeline answers with for a choice's value. A local model is taken only from
    ``servers`` (what this session was offered), so no visitor can point the server at a URL
    of their own; anything else unknown is the offline answerer."""
    if value in ("extractive", "openai"):
        return value
    for server in servers:
        for model in server.models:
            if local_value(server, model) == value:
                return server.endpoint(model)
    if value:
        log.warning("unknown answerer choice %r: answering offline", value[:200])
    return "extractive"
