"""The page's words from the collection itself: what the store holds (:class:`Collection`,
read through :meth:`sciqa.Pipeline.overview`), its title, intro, placeholder and example
questions, for whatever documents the store holds (no Gradio here).

:func:`current` is what the page shows now: the store's overview and its page, worked out once
per store build and kept until another ingest (this process's or another's) finishes, so the
page can ask for it on every load and after every answer.

The bundled corpus keeps its written intro and example questions. Any other collection gets a
title and intro from its documents' titles, and example questions built from those titles and
kept only when the offline answerer answers them (checked once per store build: a few
questions, some tens of milliseconds each once the models are loaded).
"""

from __future__ import annotations

import html
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sciqa import Pipeline, SciQAError
from sciqa.resources import default_corpus

if TYPE_CHECKING:
    from sciqa.overview import Overview

log = logging.getLogger("sciqa_ui")


# -- what the store holds ------------------------------------------------------------------


@dataclass(frozen=True)
class Collection:
    """What the store holds, for the intro and the "not in the documents" message."""

    articles: tuple[tuple[str, str], ...] = ()  # (source, title) of each article or document
    job_locations: tuple[str, ...] = ()  # distinct, most listings first
    jobs: int = 0
    build: str | None = None  # the store build described (None: unknown)

    def title_of(self, source: str) -> str:
        return next((t for s, t in self.articles if s == source), source)

    @classmethod
    def of(cls, overview: Overview) -> Collection:
        """The page's summary of :meth:`sciqa.Pipeline.overview`: job listings by place."""
        counts: dict[str, int] = {}
        for _, title, location in overview.listings:
            place = location or title
            counts[place] = counts.get(place, 0) + 1
        places = sorted(counts, key=lambda p: (-counts[p], p))
        return cls(overview.documents, tuple(places), len(overview.listings), overview.build)


def collection_overview(pipeline: Pipeline) -> Collection:
    """Titles of the documents in the store and where its job listings are."""
    return Collection.of(pipeline.overview())


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


# -- the page's words ----------------------------------------------------------------------

# One question per article of the bundled corpus, and one about a job listing.
BUNDLED_EXAMPLES: tuple[str, ...] = (
    "When did Amazon launch the Amazon Scholars program?",
    "How much funding does the Fairness in AI program provide?",
    "Who are the authors of The Ethical Algorithm?",
    "Why is operations planning at Amazon uncertain?",
    "Which topics did Amazon's ICLR papers cover?",
    "What does a Machine Learning Scientist in Luxembourg work on?",
)
MAX_EXAMPLES = 4
MAX_CANDIDATES = 8  # questions tried at start, at most


@dataclass(frozen=True)
class Page:
    """What the page says about the collection."""

    title: str
    scope: str
    examples: tuple[str, ...] = ()
    placeholder: str = "Ask about the documents, then press Enter"


BUNDLED = Page(
    title="Ask the Amazon Science articles",
    scope=(
        "Answers come only from five Amazon Science articles on research between industry "
        "and academia (the Amazon Scholars program, the NSF Fairness in AI program, Kearns "
        "and Roth on ethical algorithms, operations planning under uncertainty, Amazon at "
        "ICLR 2022) and the job listings published with them."
    ),
    examples=BUNDLED_EXAMPLES,
    placeholder="Ask about the articles or their job listings, then press Enter",
)


@dataclass(frozen=True)
class View:
    """What the page shows for one build of the store (``build`` is None while unknown: no
    manifest yet, or an ingest running)."""

    build: str | None
    collection: Collection
    page: Page


_views: dict[str, View] = {}  # store folder -> the latest view worked out for it
_working = threading.Lock()  # one page worked out at a time: the others then find it done


def current(pipeline: Pipeline) -> View:
    """The collection and page for what ``pipeline``'s store holds now. Picks up an ingest
    another process finished (:meth:`sciqa.Pipeline.overview` follows the store), then works
    the view out once for that build: a dictionary look-up and a manifest ``stat`` otherwise.
    While an ingest runs (no finished build) the last view stays, as the answers still come
    from what was there."""
    folder = str(pipeline.settings.store_dir)
    try:
        collection = collection_overview(pipeline)
    except Exception as e:  # an unusable store: each question will say why
        log.warning("sciqa_ui: cannot list the collection: %s", e)
        collection = Collection()
    build = collection.build
    view = _views.get(folder)
    if view is not None and (build is None or view.build == build):
        return view
    with _working:
        view = _views.get(folder)
        if view is not None and (build is None or view.build == build):
            return view  # worked out meanwhile
        view = View(build, collection, page(pipeline, collection))
        _views[folder] = view
        return view


def is_bundled(pipeline: Pipeline) -> bool:
    """Whether the store mirrors the bundled corpus and nothing else."""
    try:
        roots = pipeline.roots()
    except SciQAError:
        return False
    return [Path(r).resolve() for r in roots] == [default_corpus().resolve()]


def page(pipeline: Pipeline, collection: Collection) -> Page:
    """The page for what ``collection`` describes of ``pipeline``'s store (its examples are
    checked by asking them: :func:`current` keeps the result per store build)."""
    return BUNDLED if is_bundled(pipeline) else _page_of(pipeline, collection)


def _page_of(pipeline: Pipeline, collection: Collection) -> Page:
    titles = [t for _, t in collection.articles]
    if len(titles) == 1:
        title, scope = f"Ask {titles[0]}", "Answers come only from this document."
    else:
        n = len(titles) or "no"
        title, scope = "Ask the documents", f"Answers come only from the {n} documents listed."
    return Page(title=title, scope=scope, examples=answered(pipeline, candidates(titles)))


def candidates(titles: list[str]) -> list[str]:
    """Questions to try, one per document title (the first :data:`MAX_CANDIDATES`)."""
    out = []
    for t in titles[:MAX_CANDIDATES]:
        name = " ".join(t.split()).strip(" .:")
        if name and "<" not in name and ">" not in name:  # markup makes a poor example
            out.append(f"What is {name} about?")
    return out


def answered(pipeline: Pipeline, questions: list[str]) -> tuple[str, ...]:
    """Those of ``questions`` the offline answerer answers (at most :data:`MAX_EXAMPLES`)."""
    kept: list[str] = []
    for q in questions:
        try:
            answer = pipeline.ask(q, llm="extractive", fallback=False)
        except SciQAError as e:  # an unusable store: no examples, the questions say why
            log.warning("sciqa_ui: no example questions: %s", e)
            break
        if not answer.abstained and answer.citations:
            kept.append(q)
            if len(kept) == MAX_EXAMPLES:
                break
    return tuple(kept)


def intro_html(page: Page) -> str:
    """The page's heading and one line on what it can answer from. A narrow screen shows that
    line folded under "What it answers from" (style.css picks one), so the chat starts high."""
    about = (
        f"{html.escape(page.scope)} Every answer quotes the documents: click a marker such as "
        '<span class="sq-cite">[1]</span> to read the passage it came from.'
    )
    return (
        f'<div class="sq-header"><h1>{html.escape(page.title)}</h1>'
        f'<p class="sq-scope">{about}</p>'
        f'<details class="sq-scope-folded"><summary>What it answers from</summary><p>{about}</p>'
        "</details></div>"
    )
