"""The "why these sources?" view: the passages an answer was given, how each search ranked
them, and which the answer cites, as HTML (escaped throughout, as in :mod:`sciqa_ui.rendering`)."""

from __future__ import annotations

import html

from sciqa import Answer, Settings
from sciqa.listings import MODEL as LISTED
from sciqa.retrieval import RRF_K
from sciqa_ui.rendering import KIND, job_heading

FETCH_K: int = Settings.model_fields["fetch_k"].default  # each search's top, unless told

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


def why_html(answer: Answer, *, fetch_k: int = FETCH_K) -> str:
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
            f"(BM25, top {fetch_k}); the two ranks are fused as 1/({RRF_K} + dense rank) + "
            f"1/({RRF_K} + BM25 rank), and “—” means the passage was not in that search's top "
            f"{fetch_k}. {verdict}{took}"
        )
    return (
        f'<p class="sq-why-intro">For “{html.escape(answer.question)}”{searched} {how}</p>'
        '<table class="sq-why"><thead><tr><th>#</th><th>Passage</th><th>Dense rank</th>'
        "<th>BM25 rank</th><th>Fused score</th><th>Cited as</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
