"""What the page does, as plain functions: no Gradio here.

Every string these functions return is HTML for a Gradio Markdown or Chatbot component. Document
and model text is always passed through :func:`html.escape` before it is placed in that HTML, and
the HTML is written without blank lines, so Markdown never reinterprets it; Gradio's sanitizer
stays on as a second guard. Error messages, the log and the feedback file are redacted
(:mod:`sciqa.redaction`): no secret sciqa was given reaches a visitor or a file.
"""

from __future__ import annotations

import html
import ipaddress
import json
import logging
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sciqa import (
    Answer,
    Citation,
    ConfigError,
    Endpoint,
    IngestError,
    LocalServer,
    Message,
    ModelError,
    Passage,
    Pipeline,
    QuestionError,
    SciQAError,
    StoreError,
    find_local_servers,
)
from sciqa.answerer import ExtractiveAnswerer
from sciqa.citations import defuse
from sciqa.documents import JOB_TITLE_SEPARATOR, role_of
from sciqa.listings import MODEL as LISTED
from sciqa.listings import place_name
from sciqa.providers import base_url
from sciqa.redaction import redact, redact_logs

log = logging.getLogger("sciqa_ui")
redact_logs(log)

KIND = {"article": "Article", "job": "Job listing", "document": "Document"}


# -- the collection ----------------------------------------------------------------------


@dataclass(frozen=True)
class Collection:
    """What the store holds, for the intro and the "not in the documents" message."""

    articles: tuple[tuple[str, str], ...] = ()  # (source, title) of each article or document
    job_locations: tuple[str, ...] = ()  # distinct, most listings first
    jobs: int = 0

    def title_of(self, source: str) -> str:
        return next((t for s, t in self.articles if s == source), source)


def collection_overview(pipeline: Pipeline) -> Collection:
    """Titles of the documents in the store and where its job listings are."""
    got = pipeline.store.collection.get(include=["metadatas"])
    articles: dict[str, str] = {}
    listings: dict[tuple[str, str], str] = {}
    for meta in got["metadatas"] or []:
        source, title = str(meta.get("source", "")), str(meta.get("title", ""))
        if meta.get("section") == "job":
            listings[(source, title)] = str(meta.get("location") or title)
        else:
            articles.setdefault(source, title or source)
    counts: dict[str, int] = {}
    for place in listings.values():
        counts[place] = counts.get(place, 0) + 1
    places = sorted(counts, key=lambda p: (-counts[p], p))
    return Collection(tuple(sorted(articles.items())), tuple(places), len(listings))


def sidebar_html(collection: Collection) -> str:
    if not collection.articles:
        return ""
    listing = coverage_html(collection)
    return f'<div class="sq-side-coverage"><h3>In the collection</h3>{listing}</div>'


def _place(location: str) -> str:
    """'US, WA, Seattle' -> 'Seattle'."""
    return location.rsplit(",", 1)[-1].strip() or location


def coverage_html(collection: Collection) -> str:
    """A list of what the collection covers."""
    items = [f"<li>{html.escape(title)}</li>" for _, title in collection.articles]
    if collection.jobs:
        places = ", ".join(html.escape(_place(p)) for p in collection.job_locations[:4])
        more = len(collection.job_locations) - 4
        items.append(
            f"<li>{collection.jobs} job listings published with them, in {places}"
            + (f" and {more} more places" if more > 0 else "")
            + "</li>"
        )
    return f'<ul class="sq-coverage">{"".join(items)}</ul>' if items else ""


# -- one answer as HTML --------------------------------------------------------------------


def _text_html(text: str) -> str:
    """Escaped text with its line breaks kept and no blank line left in the HTML."""
    return html.escape(text).replace("\r", "").replace("\n", "<br>")


def cite_id(turn: int, n: int) -> str:
    return f"sq-t{turn}-c{n}"


_MARKER = re.compile(r"\[(\d{1,3})\]")


def answer_text_html(text: str, turn: int, numbers: Sequence[int] | None = None) -> str:
    """The answer with each ``[n]`` turned into a link to its source below the answer.

    ``numbers`` are the citations the answer has; while it is still streaming (``None``) every
    marker becomes a link.
    """
    return _link_markers(_text_html(text), turn, numbers)


def _link(turn: int, n: int) -> str:
    return f'<a class="sq-cite" href="#{cite_id(turn, n)}" title="Show source {n}">[{n}]</a>'


def _link_markers(out: str, turn: int, numbers: Sequence[int] | None) -> str:
    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if numbers is not None and n not in numbers:
            return m.group(0)
        return _link(turn, n)

    return _MARKER.sub(link, out)


def _highlight(passage: Passage | None, citation: Citation) -> tuple[str, int, int]:
    """The text to show and where the quote sits in it."""
    if passage is None:
        return citation.quote, 0, len(citation.quote)
    text = passage.text
    for offset, start, end in passage.spans:
        if (start, end) == (citation.start, citation.end):
            return text, offset, offset + (end - start)
    at = text.find(citation.quote)
    if at >= 0:
        return text, at, at + len(citation.quote)
    return citation.quote, 0, len(citation.quote)


def passage_html(passage: Passage | None, citation: Citation) -> str:
    """The cited passage in its paragraphs, the quoted sentence marked."""
    text, hs, he = _highlight(passage, citation)
    marked = (
        html.escape(text[:hs])
        + '<mark class="sq-quote">'
        + html.escape(text[hs:he])
        + "</mark>"
        + html.escape(text[he:])
    )
    marked = marked.replace("\r", "")
    paragraphs = [p.strip().replace("\n", "<br>") for p in marked.split("\n\n") if p.strip()]
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def job_heading(title: str, location: str = "") -> str:
    """'Applied Scientist · Tel Aviv, Israel': a job listing's role and place ('Job listing ·
    ...' when it names no role). The location line comes from the passage, else the title."""
    location = location or title.rpartition(JOB_TITLE_SEPARATOR)[2]
    location = location.removeprefix("Job listing, ")  # titled before roles were read
    return f"{role_of(title) or KIND['job']} · {place_name(location)}"


def source_label(
    citation: Citation | Passage, collection: Collection, passage: Passage | None = None
) -> tuple[str, str]:
    """(heading, details) for a source: article title, or a job's role and place, and the page
    it was listed with."""
    kind = KIND.get(citation.section, citation.section.capitalize())
    if citation.section == "job":
        location = getattr(citation, "location", "") or (passage.location if passage else "")
        page = collection.title_of(citation.source)
        where = f", listed with “{page}”" if page != citation.source else ""
        return job_heading(citation.title, location), f"{kind}{where} · {citation.source}"
    return citation.title, f"{kind} · {citation.source}"


def sources_html(answer: Answer, turn: int, collection: Collection) -> str:
    """One closed card per citation: title, section, file, and the passage, quote marked."""
    if not answer.citations:
        return ""
    passages = {p.chunk_id: p for p in answer.passages}
    cards = []
    for c in answer.citations:
        heading, details = source_label(c, collection, passages.get(c.chunk_id))
        cards.append(
            f'<details class="sq-src" id="{cite_id(turn, c.n)}">'
            f'<summary><span class="sq-n">{c.n}</span>'
            f'<span class="sq-src-title">{html.escape(heading)}</span>'
            f'<span class="sq-src-meta">{html.escape(details)}, characters '
            f"{c.start:,}–{c.end:,}</span></summary>"
            f'<div class="sq-passage">{passage_html(passages.get(c.chunk_id), c)}</div>'
            "</details>"
        )
    return f'<div class="sq-sources"><div class="sq-sources-h">Sources</div>{"".join(cards)}</div>'


def not_found_html(collection: Collection) -> str:
    return (
        '<div class="sq-answer sq-notfound">'
        "<p><strong>Not in the documents.</strong> I could not find the answer in the "
        "collection, so I won't guess.</p>"
        + (f"<p>It covers:</p>{coverage_html(collection)}" if collection.articles else "")
        + "<p>Try the words the articles would use, or one of the example questions. "
        "“Why these sources?” below shows the closest passages found.</p></div>"
    )


def removed_html(answer: Answer) -> str:
    """A small muted note per sentence of a model's answer taken out as unsupported (the text
    that streamed in held it): 'removed: not in the cited passage: “...” (“Python”)'."""
    notes = []
    for r in answer.removed:
        why, _, missing = r.reason.partition(": ")
        notes.append(
            f"<p>removed: {html.escape(why)}: “{html.escape(r.sentence)}”"
            + (f" ({html.escape(missing)})" if missing else "")
            + "</p>"
        )
    return f'<div class="sq-removed">{"".join(notes)}</div>' if notes else ""


def notice_html(notice: str) -> str:
    """A line above an answer that is not what was asked for (the model failed: quoted)."""
    if not notice:
        return ""
    return (
        f'<div class="sq-notice" role="status">{_text_html(notice[:1].upper() + notice[1:])}.</div>'
    )


def _marked(c: Citation) -> str:
    """A quote, escaped, with the phrase that answers in ``<mark>``."""
    out, pos = [], 0
    for a, b in c.highlights:
        out += [html.escape(c.quote[pos:a]), f"<mark>{html.escape(c.quote[a:b])}</mark>"]
        pos = b
    return "".join(out) + html.escape(c.quote[pos:])


def answer_html(answer: Answer, turn: int) -> str:
    """The answer's text with linked markers; a quoting answer marks the phrase that answers.

    A quote is shown as the document writes it, as text: only the marker sciqa put after it
    is a link (a document sentence ending in "[2]." links nowhere).
    """
    numbers = [c.n for c in answer.citations]
    if answer.answer != " ".join(f"{defuse(c.quote)} [{c.n}]" for c in answer.citations):
        return answer_text_html(answer.answer, turn, numbers)
    quoted = " ".join(f"{_marked(c)} {_link(turn, c.n)}" for c in answer.citations)
    return quoted.replace("\r", "").replace("\n", "<br>")


def final_html(answer: Answer, turn: int, collection: Collection) -> str:
    """The finished answer, after its notice if it has one: text with linked markers, what was
    taken out of it, then its sources. It replaces whatever was streamed (from a model whose
    unsupported sentences were removed, or that then failed)."""
    notice = notice_html(answer.notice)
    if answer.abstained:
        return notice + not_found_html(collection) + removed_html(answer)
    return (
        notice
        + f'<div class="sq-answer">{answer_html(answer, turn)}</div>'
        + removed_html(answer)
        + sources_html(answer, turn, collection)
    )


def streaming_html(text: str, turn: int) -> str:
    return f'<div class="sq-answer sq-streaming">{answer_text_html(text, turn)}</div>'


def error_message(error: BaseException) -> str:
    """What went wrong, in words a visitor can act on; never a traceback nor a secret."""
    return redact(_error_message(error))


def _error_message(error: BaseException) -> str:
    if isinstance(error, QuestionError):
        return str(error).capitalize() + "."
    if isinstance(error, ConfigError):
        return f"This answerer is not set up: {error}. Choose the offline answerer under Settings."
    if isinstance(error, ModelError):
        return (
            f"The model server did not answer: {error}. Try again in a moment, or choose the "
            "offline answerer under Settings."
        )
    if isinstance(error, StoreError):
        return f"The document store cannot be read: {error}."
    if isinstance(error, IngestError):
        return f"There are no documents to answer from yet: {error}"
    if isinstance(error, SciQAError):
        return str(error).capitalize() + "."
    return (
        "Something went wrong on our side while answering. The details are in the server's "
        "log; please try again."
    )


def error_html(error: BaseException) -> str:
    return f'<div class="sq-error" role="alert">{_text_html(error_message(error))}</div>'


def question_html(question: str) -> str:
    return f'<div class="sq-q">{_text_html(question)}</div>'


# -- a session: its turns -----------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    """One question and what was shown for it. A session's state is a list of these."""

    question: str
    html: str = ""  # the assistant message as shown ("" while waiting for the first words)
    answer: Answer | None = None
    error: str | None = None


def history(turns: Sequence[Turn]) -> list[Message]:
    """The conversation as the pipeline wants it: only turns that were answered."""
    messages: list[Message] = []
    for t in turns:
        if t.answer is not None:
            messages.append({"role": "user", "content": t.question})
            messages.append({"role": "assistant", "content": t.answer.answer})
    return messages


def chat_messages(turns: Sequence[Turn]) -> list[dict[str, str]]:
    """The Chatbot's value: a user message and, once there is one, the reply, per turn."""
    messages = []
    for t in turns:
        messages.append({"role": "user", "content": question_html(t.question)})
        if t.html:
            messages.append({"role": "assistant", "content": t.html})
    return messages


def turn_for_message(turns: Sequence[Turn], index: int) -> Turn | None:
    """The turn a Chatbot message index belongs to (each turn is two messages)."""
    i = index // 2
    return turns[i] if 0 <= i < len(turns) else None


def respond(
    pipeline: Pipeline,
    question: str,
    turns: Sequence[Turn],
    *,
    collection: Collection,
    llm: str | Endpoint | None = None,
    k: int | None = None,
) -> Iterator[tuple[list[Turn], str | None]]:
    """Answer ``question`` in a session: yields (the session's turns, "why" HTML or None).

    First the question alone (the page shows it at once), then the answer as it streams, then
    the finished answer with its sources and the "why these sources?" view. Errors become a
    message in the chat. ``turns`` is never changed: each yield is a new list.
    """
    question = (question or "").strip()
    if not question:
        return
    before = list(turns)
    n = len(before)
    turn = Turn(question)
    yield [*before, turn], None
    text = ""
    answer: Answer | None = None
    try:
        for piece in pipeline.stream(question, history=history(before), k=k, llm=llm):
            if isinstance(piece, Answer):
                answer = piece
            elif piece:
                text += piece
                yield [*before, replace(turn, html=streaming_html(text, n))], None
    except Exception as e:
        if not isinstance(e, SciQAError):
            log.exception("answering %r failed", question)
        failed = replace(turn, html=error_html(e), error=error_message(e))
        yield [*before, failed], why_error_html(question, failed.error or "")
        return
    if answer is None:  # the pipeline always ends with an Answer; be safe anyway
        failed = replace(turn, html=error_html(ModelError("no answer came back")))
        yield [*before, failed], None
        return
    if answer.notice:  # the model failed and the offline answerer stood in: say so in the log
        log.warning("%s", answer.notice)
    done = replace(turn, html=final_html(answer, n, collection), answer=answer)
    yield [*before, done], why_html(answer, fetch_k=pipeline.settings.fetch_k)


# -- "why these sources?" ------------------------------------------------------------------

WHY_EMPTY = (
    '<p class="sq-why-empty">Ask a question: this shows the passages that were retrieved for '
    "the last answer, and how they ranked.</p>"
)


def why_error_html(question: str, message: str) -> str:
    return (
        f'<p class="sq-why-empty">No passages for “{html.escape(question)}”: '
        f"{html.escape(message)}</p>"
    )


def _rank(rank: int | None) -> str:
    return str(rank) if rank is not None else "—"


def why_html(answer: Answer, *, fetch_k: int = 20) -> str:
    """The passages the answerer was given, with their dense and BM25 ranks and fused score."""
    cited: dict[str, list[int]] = {}
    for c in answer.citations:
        cited.setdefault(c.chunk_id, []).append(c.n)
    rows = []
    for i, p in enumerate(answer.passages, start=1):
        kind = KIND.get(p.section, p.section)
        title = job_heading(p.title, p.location) if p.section == "job" else f"{p.title} ({kind})"
        snippet = " ".join(p.text.split())
        snippet = snippet[:180] + ("…" if len(snippet) > 180 else "")
        used = ", ".join(f"[{n}]" for n in cited.get(p.chunk_id, [])) or "—"
        rows.append(
            f'<tr class="{"sq-used" if p.chunk_id in cited else ""}">'
            f"<td>{i}</td>"
            f'<td><div class="sq-why-title">{html.escape(title)}</div>'
            f'<div class="sq-why-file">{html.escape(p.source)}</div>'
            f'<div class="sq-why-snippet">{html.escape(snippet)}</div></td>'
            f"<td>{_rank(p.dense_rank)}</td><td>{_rank(p.bm25_rank)}</td>"
            f"<td>{p.score:.4f}</td><td>{used}</td></tr>"
        )
    timings = answer.timings
    took = ""
    if "retrieve_ms" in timings and "answer_ms" in timings:
        took = (
            f" Searching took {timings['retrieve_ms']:.0f} ms and answering "
            f"{timings['answer_ms']:.0f} ms."
        )
    verdict = (
        "None of them answered well enough, so the answer says the documents do not hold it."
        if answer.abstained
        else "The answer quotes the rows marked in the last column."
    )
    searched = ""
    if answer.query and answer.query != answer.question:
        searched = f" (searched as “{html.escape(answer.query)}”)"
    if answer.model == LISTED:
        how = (
            f"asks which job listings there are, so every job listing in the collection was "
            f"read and these {len(answer.passages)} passages hold the sentences quoted for the "
            f"listings that fit (no search ranked them). {took.strip()}"
        )
    else:
        how = (
            f"the {html.escape(answer.model)} answerer read these {len(answer.passages)} "
            f"passages. Each was found by meaning (dense embeddings, top {fetch_k}) and by words "
            f"(BM25, top {fetch_k}); the two ranks are fused as 1/(60 + dense rank) + 1/(60 + "
            f"BM25 rank), and “—” means the passage was not in that search's top {fetch_k}. "
            f"{verdict}{took}"
        )
    return (
        f'<p class="sq-why-intro">For “{html.escape(answer.question)}”{searched} {how}</p>'
        '<table class="sq-why"><thead><tr><th>#</th><th>Passage</th><th>Dense rank</th>'
        "<th>BM25 rank</th><th>Fused score</th><th>Cited as</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


# -- settings ------------------------------------------------------------------------------


OFFLINE = ("offline (quotes from the documents)", "extractive")


def openai_configured() -> bool:
    """Is an OpenAI-compatible server configured (a key or a base URL)?"""
    return bool(os.environ.get("OPENAI_API_KEY") or base_url())


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
    if openai_configured():
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
    if openai_configured():
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


# -- warming up ----------------------------------------------------------------------------


def prime_answerer(
    pipeline: Pipeline,
    *,
    batch: int = 8,
    max_sentences: int = 20_000,
    stop: Callable[[], bool] = lambda: False,
) -> int:
    """Have the extractive answerer embed every sentence of the collection once, in small
    batches, so that no visitor waits for it; returns how many sentences it saw.

    The answerer caches sentence vectors; scoring a question's passages is what costs time the
    first time they come up. Small batches keep a visitor's question from waiting long behind
    this (the answerer embeds one batch at a time).
    """
    answerer = pipeline.answerer_for("extractive")
    if not isinstance(answerer, ExtractiveAnswerer):
        return 0
    ids = pipeline.store.collection.get(include=[])["ids"]
    seen = 0
    for b in range(0, len(ids), batch):
        if stop():
            break
        passages = list(pipeline.store.passages(ids[b : b + batch]).values())
        seen += answerer.warm_up(passages)
        if seen >= max_sentences:
            break
    return seen


# -- feedback ------------------------------------------------------------------------------


def feedback_path(pipeline: Pipeline) -> Path:
    return pipeline.settings.home / "feedback.jsonl"


def record_feedback(
    path: Path, turn: Turn, liked: bool | str, *, now: datetime | None = None
) -> dict[str, Any]:
    """Append one JSON line: timestamp, rating, question, answer, citations (redacted)."""
    ratings: dict[bool | str, str] = {True: "up", False: "down", "Like": "up", "Dislike": "down"}
    rating = ratings.get(liked, str(liked))
    answer = turn.answer
    entry: dict[str, Any] = {
        "timestamp": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "rating": rating,
        "question": turn.question,
        "answer": answer.answer if answer else None,
        "abstained": answer.abstained if answer else None,
        "model": answer.model if answer else None,
        "citations": [asdict(c) for c in answer.citations] if answer else [],
    }
    if turn.error:
        entry["error"] = turn.error
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = json.loads(redact(json.dumps(entry, ensure_ascii=False)))
    line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
    # One write to a file opened for appending: lines from concurrent sessions never interleave.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return entry


# -- serving -------------------------------------------------------------------------------


def parse_users(spec: str | None) -> list[tuple[str, str]]:
    """``"alice:pw1,bob:pw2"`` -> ``[("alice", "pw1"), ("bob", "pw2")]``.

    Raises ``ConfigError`` naming the malformed entry's position (never the password).
    """
    users = []
    for i, item in enumerate((spec or "").split(","), start=1):
        item = item.strip()
        if not item:
            continue
        name, sep, password = item.partition(":")
        if not sep or not name.strip() or not password:
            raise ConfigError(
                f"SCIQA_UI_USERS entry {i} is not user:password; write it as "
                '"alice:secret1,bob:secret2"'
            )
        users.append((name.strip(), password))
    return users


def is_loopback(host: str) -> bool:
    if host in ("localhost", "127.0.0.1", "::1"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
