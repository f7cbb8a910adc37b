"""One answer, its sources and errors as HTML for a Gradio Markdown or Chatbot component.

Document and model text is always passed through :func:`html.escape` before it is placed in
that HTML, and the HTML is written without blank lines, so Markdown never reinterprets it;
Gradio's sanitizer stays on as a second guard. Error messages are redacted
(:mod:`sciqa.redaction`): no secret sciqa was given reaches a visitor.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from sciqa import (
    Answer,
    Citation,
    ConfigError,
    IngestError,
    ModelError,
    Passage,
    QuestionError,
    SciQAError,
    StoreError,
)
from sciqa.citations import defuse
from sciqa.listings import place_name
from sciqa.redaction import redact
from sciqa.roles import JOB_TITLE_SEPARATOR, role_of
from sciqa.text import MARKER
from sciqa_ui.collection import Collection, coverage_html

KIND = {"article": "Article", "job": "Job listing", "document": "Document"}


def text_html(text: str) -> str:
    """Escaped text with its line breaks kept and no blank line left in the HTML."""
    return html.escape(text).replace("\r", "").replace("\n", "<br>")


def cite_id(turn: int, n: int) -> str:
    return f"sq-t{turn}-c{n}"


def answer_text_html(text: str, turn: int, numbers: Sequence[int] | None = None) -> str:
    """The answer with each ``[n]`` turned into a link to its source below the answer.

    ``numbers`` are the citations the answer has; while it is still streaming (``None``) every
    marker becomes a link.
    """
    return _link_markers(text_html(text), turn, numbers)


def _link(turn: int, n: int) -> str:
    return f'<a class="sq-cite" href="#{cite_id(turn, n)}" title="Show source {n}">[{n}]</a>'


def _link_markers(out: str, turn: int, numbers: Sequence[int] | None) -> str:
    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if numbers is not None and n not in numbers:
            return m.group(0)
        return _link(turn, n)

    return MARKER.sub(link, out)


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
        f'<div class="sq-notice" role="status">{text_html(notice[:1].upper() + notice[1:])}.</div>'
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
    return f'<div class="sq-error" role="alert">{text_html(error_message(error))}</div>'


def question_html(question: str) -> str:
    return f'<div class="sq-q">{text_html(question)}</div>'
