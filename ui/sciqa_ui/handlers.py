"""What the page does, as plain functions over plain values and ``sciqa.Answer``: no Gradio.

``app.py`` (and the tests) call them through this module; each lives with its concern:

- :mod:`sciqa_ui.rendering`: an answer, its sources, its notice and errors as HTML
- :mod:`sciqa_ui.why`: the "why these sources?" table
- :mod:`sciqa_ui.session`: a visitor's turns, and answering the next question
- :mod:`sciqa_ui.collection`: what the store holds (``Pipeline.overview``), and the page's words
- :mod:`sciqa_ui.answerers`: the answerer setting and the model servers found on this machine
- :mod:`sciqa_ui.feedback`: thumbs up and down, one JSON line each
- :mod:`sciqa_ui.serving`: logins, loopback, priming the answerer before visitors come

Every string of HTML they return escapes document and model text; error messages, the log and
the feedback file are redacted (:mod:`sciqa.redaction`).
"""

from __future__ import annotations

from sciqa_ui.answerers import (
    OFFLINE,
    answerer_choices,
    answerer_info,
    chosen_answerer,
    find_models,
    local_value,
    looks_for_models,
)
from sciqa_ui.collection import Collection, collection_overview, coverage_html, sidebar_html
from sciqa_ui.feedback import feedback_path, record_feedback
from sciqa_ui.rendering import (
    KIND,
    answer_html,
    answer_text_html,
    cite_id,
    error_html,
    error_message,
    final_html,
    job_heading,
    not_found_html,
    notice_html,
    passage_html,
    question_html,
    removed_html,
    source_label,
    sources_html,
    streaming_html,
)
from sciqa_ui.serving import is_loopback, parse_users, prime_answerer
from sciqa_ui.session import Turn, chat_messages, history, respond, turn_for_message
from sciqa_ui.why import WHY_EMPTY, why_error_html, why_html

__all__ = [
    "KIND",
    "OFFLINE",
    "WHY_EMPTY",
    "Collection",
    "Turn",
    "answer_html",
    "answer_text_html",
    "answerer_choices",
    "answerer_info",
    "chat_messages",
    "chosen_answerer",
    "cite_id",
    "collection_overview",
    "coverage_html",
    "error_html",
    "error_message",
    "feedback_path",
    "final_html",
    "find_models",
    "history",
    "is_loopback",
    "job_heading",
    "local_value",
    "looks_for_models",
    "not_found_html",
    "notice_html",
    "parse_users",
    "passage_html",
    "prime_answerer",
    "question_html",
    "record_feedback",
    "removed_html",
    "respond",
    "sidebar_html",
    "source_label",
    "sources_html",
    "streaming_html",
    "turn_for_message",
    "why_error_html",
    "why_html",
]
