"""The web page's handlers, without a browser: plain functions over the real offline pipeline."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sciqa import (
    Answer,
    Citation,
    ConfigError,
    Endpoint,
    LocalServer,
    ModelError,
    Passage,
    Pipeline,
    Removed,
    Settings,
    StoreError,
)
from sciqa.listings import place_name
from sciqa.roles import role_of
from sciqa_ui import handlers as h
from sciqa_ui.collection import BUNDLED_EXAMPLES, current, intro_html, page

from .conftest import run_cli

SCHOLARS = "When did Amazon launch the Amazon Scholars program?"
FOLLOW_UP = "And in how many cities?"  # on its own, the documents do not answer it
NOT_THERE = "What is the capital of France?"

# A corpus whose text is hostile HTML: it must show literally, never run.
EVIL_CORPUS = {
    "evil.txt": (
        "The Zorblax observatory <script>window.__pwned=1</script>\n\n"
        'The Zorblax telescope was built in 1987 by <img src=x onerror="window.__pwned=1"> '
        "engineers at the Quentin Institute in Norway.\n\n"
        "The telescope observes radio galaxies & quasars with a <b>32 metre</b> dish, and its "
        "data are public.\n"
    ),
    "plain.txt": (
        "Gardening in small spaces\n\n"
        "Tomatoes grow well in pots on a sunny balcony if they are watered every day.\n\n"
        "Basil and mint prefer partial shade and rich soil.\n"
    ),
}
EVIL_QUESTION = "What does the Zorblax telescope observe?"


def write_corpus(folder: Path, files: dict[str, str] = EVIL_CORPUS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def collection(pipeline: Pipeline) -> h.Collection:
    return h.collection_overview(pipeline)


def run(pipeline: Any, question: str, turns: Sequence[h.Turn] = (), **kw: Any) -> list[Any]:
    kw.setdefault("collection", h.Collection())
    return list(h.respond(pipeline, question, turns, **kw))


# -- answering ----------------------------------------------------------------------------


def test_respond_shows_the_question_then_streams_then_sources(
    pipeline: Pipeline, collection: h.Collection
) -> None:
    before: list[h.Turn] = []
    steps = run(pipeline, SCHOLARS, before, collection=collection)
    assert before == []  # the caller's list is never changed
    first_turns, first_why = steps[0]
    assert [t.question for t in first_turns] == [SCHOLARS] and first_turns[0].html == ""
    assert first_why is None
    streamed = [turns[0].html for turns, _ in steps[1:-1]]
    assert streamed and all("sq-streaming" in s for s in streamed)
    assert '<a class="sq-cite" href="#sq-t0-c1"' in streamed[0]

    turns, why = steps[-1]
    (turn,) = turns
    answer = turn.answer
    assert answer is not None and not answer.abstained and answer.citations
    page = turn.html
    assert "2019" in page and 'class="sq-sources"' in page
    for c in answer.citations:
        card = re.search(rf'<details class="sq-src" id="sq-t0-c{c.n}">(.*?)</details>', page)
        assert card, f"no card for [{c.n}]"
        assert f'href="#sq-t0-c{c.n}"' in page  # the marker links to it
        body = card.group(1)
        assert "Article" in body and c.source in body and c.title in body
        quote = re.search(r'<mark class="sq-quote">(.*?)</mark>', body)
        assert quote and quote.group(1) == html.escape(c.quote)
        # shown inside its surrounding passage, not alone
        assert len(re.sub("<[^>]+>", "", body)) > len(c.quote) + 40
    assert why is not None and "Dense rank" in why and "BM25 rank" in why


def test_a_job_listing_source_says_where_and_which_page(
    pipeline: Pipeline, collection: h.Collection
) -> None:
    turns, _ = run(pipeline, BUNDLED_EXAMPLES[-1], collection=collection)[-1]
    answer = turns[0].answer
    assert answer is not None
    jobs = [c for c in answer.citations if c.section == "job"]
    assert jobs, "the job example should cite a job listing"
    passage = {p.chunk_id: p for p in answer.passages}[jobs[0].chunk_id]
    heading, details = h.source_label(jobs[0], collection, passage)
    role, place = heading.split(" · ")  # "Sr. Applied Scientist · Seattle, United States"
    assert role == role_of(jobs[0].title) != "" and place == place_name(passage.location)
    assert details.startswith("Job listing, listed with “") and jobs[0].source in details
    assert html.escape(heading) in turns[0].html


def test_a_job_card_names_the_role_and_the_place() -> None:
    assert (
        h.job_heading("Applied Scientist · IL, Tel Aviv") == "Applied Scientist · Tel Aviv, Israel"
    )
    assert h.job_heading("Job listing · US, WA, Seattle") == "Job listing · Seattle, United States"
    # a store indexed before listings were titled with their role
    assert h.job_heading("Job listing, GB, London", "GB, London") == (
        "Job listing · London, United Kingdom"
    )


def test_the_phrase_that_answers_is_marked_in_the_quote(pipeline: Pipeline) -> None:
    (turn,), _ = run(pipeline, SCHOLARS)[-1]
    assert turn.answer is not None and turn.answer.citations[0].highlights
    assert "<mark>2019</mark>" in turn.html
    quote = "<b>x</b> in 1999"
    cited = Citation.of(1, _passage(quote), (quote, 100, 116), 1.0, ((12, 16),))
    hostile = Answer("q", f"{quote} [1]", False, (cited,))
    shown = h.answer_html(hostile, 0)
    assert "&lt;b&gt;x&lt;/b&gt; in <mark>1999</mark>" in shown and "<b>" not in shown


def test_follow_up_uses_the_conversation(pipeline: Pipeline) -> None:
    first, _ = run(pipeline, SCHOLARS)[-1]
    alone, _ = run(pipeline, FOLLOW_UP)[-1]
    assert alone[0].answer is not None and alone[0].answer.abstained
    both, _ = run(pipeline, FOLLOW_UP, first)[-1]
    assert [t.question for t in both] == [SCHOLARS, FOLLOW_UP]
    answer = both[1].answer
    assert answer is not None and not answer.abstained
    assert "24 cities" in answer.answer
    assert 'id="sq-t1-c1"' in both[1].html  # the second turn's cards have their own ids


def test_history_holds_only_answered_turns() -> None:
    answer = Answer("q1", "a1 [1]", False, ())
    turns = [h.Turn("q1", "x", answer=answer), h.Turn("q2", "err", error="boom")]
    assert h.history(turns) == [
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": "a1 [1]"},
    ]


def test_not_in_the_documents_says_so_and_what_is_covered(
    pipeline: Pipeline, collection: h.Collection
) -> None:
    turns, why = run(pipeline, NOT_THERE, collection=collection)[-1]
    assert turns[0].answer is not None and turns[0].answer.abstained
    page = turns[0].html
    assert "Not in the documents" in page and "sq-notfound" in page
    for _, title in collection.articles:
        assert html.escape(title) in page
    assert "job listings" in page
    assert why is not None and "None of them answered well enough" in why


def test_the_collection_is_five_articles_and_their_job_listings(
    collection: h.Collection,
) -> None:
    assert len(collection.articles) == 5
    assert collection.jobs > 10 and "US, WA, Seattle" in collection.job_locations
    assert collection.title_of("000_daec2444bc2564f3.txt").startswith("A new paradigm")


def test_blank_question_does_nothing(pipeline: Pipeline) -> None:
    assert run(pipeline, "   ") == []


class Failing:
    """A pipeline whose answerer fails the way a real one can."""

    def __init__(self, error: BaseException, after: Sequence[str] = ()) -> None:
        self.error, self.after = error, after
        self.settings = Settings(progress=False)

    def stream(self, question: str, **kw: Any) -> Iterator[str | Answer]:
        yield from self.after
        raise self.error


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (ModelError("connection refused at http://127.0.0.1:9/v1"), "model server did not answer"),
        (ConfigError("no API key: set OPENAI_API_KEY"), "not set up"),
        (StoreError("the store manifest is unreadable"), "document store cannot be read"),
        (RuntimeError("secret internal detail"), "Something went wrong on our side"),
    ],
)
def test_errors_become_friendly_messages(
    error: BaseException, says: str, caplog: pytest.LogCaptureFixture
) -> None:
    steps = run(Failing(error, after=["Half an ans"]), "Anything?")
    turns, why = steps[-1]
    (turn,) = turns
    assert turn.answer is None and turn.error and says in turn.error
    assert 'class="sq-error"' in turn.html and "Traceback" not in turn.html
    assert "secret internal detail" not in turn.html  # unexpected errors only go to the log
    assert why is not None and "No passages" in why
    assert h.history(turns) == []  # a failed turn is not sent as conversation
    if isinstance(error, RuntimeError):
        assert "answering 'Anything?' failed" in caplog.text


class Scripted:
    """A pipeline that streams ``pieces`` and ends with ``answer``."""

    def __init__(self, pieces: Sequence[str], answer: Answer) -> None:
        self.pieces, self.answer = pieces, answer
        self.settings = Settings(progress=False)

    def stream(self, question: str, **kw: Any) -> Iterator[str | Answer]:
        yield from self.pieces
        yield self.answer


def test_removed_sentences_leave_the_answer_and_show_as_a_muted_note() -> None:
    citation = Citation(1, "f.txt", "T", "article", "c1", "It began in 2019.", 0, 17, 0.9)
    why = 'not in the cited passage: "Python"'
    answer = Answer(
        "When?",
        "It began in 2019 [1].",
        False,
        (citation,),
        removed=(Removed("Its language is <b>Python</b>.", why),),
    )
    steps = run(
        Scripted(["It began in 2019 [1]. ", "Its language is <b>Python</b>."], answer), "When?"
    )
    assert "Python" in steps[-2][0][0].html  # streamed as the model wrote it ...
    final = steps[-1][0][0].html  # ... then replaced by the checked answer
    assert final == h.final_html(answer, 0, h.Collection())
    text, note = final.split('<div class="sq-removed">')
    assert "Python" not in text and "It began in 2019" in text
    assert note.startswith(
        "<p>removed: not in the cited passage: “Its language is &lt;b&gt;Python&lt;/b&gt;.” "
        "(&quot;Python&quot;)</p></div>"
    )
    assert 'class="sq-sources"' in note  # the sources come under the note
    # Nothing left: "not in the documents", with what was taken out under it.
    gone = Answer("When?", "x", True, (), removed=(Removed("It is 1850.", "cites no passage"),))
    html = h.final_html(gone, 0, h.Collection())
    assert "Not in the documents" in html
    assert html.endswith(
        '<div class="sq-removed"><p>removed: cites no passage: “It is 1850.”</p></div>'
    )


def test_too_long_a_question_is_a_message(pipeline: Pipeline) -> None:
    turns, _ = run(pipeline, "why " * 600)[-1]
    assert "characters long" in (turns[0].error or "")


# -- sessions -----------------------------------------------------------------------------


class Recording:
    """The real pipeline, remembering the history each call was given."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline, self.settings, self.calls = pipeline, pipeline.settings, []

    def stream(self, question: str, **kw: Any) -> Iterator[str | Answer]:
        self.calls.append((question, [m["content"] for m in kw.get("history") or []]))
        return self.pipeline.stream(question, **kw)


def test_two_sessions_interleaved_never_see_each_other(pipeline: Pipeline) -> None:
    spy = Recording(pipeline)
    alice: list[h.Turn] = []
    bob: list[h.Turn] = []
    # Each visitor asks a first question and a follow-up; their steps are interleaved.
    plan = [
        ("alice", SCHOLARS),
        ("bob", BUNDLED_EXAMPLES[2]),
        ("alice", FOLLOW_UP),
        ("bob", FOLLOW_UP),
    ]
    gens: dict[str, Iterator[Any]] = {}
    for who, question in plan:
        state = alice if who == "alice" else bob
        gens[who] = h.respond(spy, question, state, collection=h.Collection())
        other = "bob" if who == "alice" else "alice"
        for step in gens[who]:
            if other in gens:  # advance the other visitor's answer meanwhile
                next(gens[other], None)
            if who == "alice":
                alice = step[0]
            else:
                bob = step[0]
    assert [t.question for t in alice] == [SCHOLARS, FOLLOW_UP]
    assert [t.question for t in bob] == [BUNDLED_EXAMPLES[2], FOLLOW_UP]
    histories = {q: hist for q, hist in spy.calls}
    assert spy.calls[2] == (FOLLOW_UP, [SCHOLARS, alice[0].answer.answer])  # type: ignore[union-attr]
    assert spy.calls[3] == (FOLLOW_UP, [BUNDLED_EXAMPLES[2], bob[0].answer.answer])  # type: ignore[union-attr]
    assert histories[SCHOLARS] == [] and histories[BUNDLED_EXAMPLES[2]] == []
    assert "Ethical" not in " ".join(t.html for t in alice)
    assert "Scholars program in 2019" not in bob[1].html


# -- formatting ---------------------------------------------------------------------------


def _passage(text: str, **kw: Any) -> Passage:
    base: dict[str, Any] = dict(
        chunk_id="c1",
        text=text,
        source="f.txt",
        title="T",
        section="article",
        location="",
        start=100,
        end=100 + len(text),
        spans=((0, 100, 100 + len(text)),),
        score=0.03,
    )
    return Passage(**{**base, **kw})


def test_hostile_text_is_escaped_everywhere() -> None:
    evil = 'Built by <img src=x onerror="window.__pwned=1"> people <script>alert(1)</script>'
    passage = _passage(evil, title="<script>t()</script>", dense_rank=1, bm25_rank=None)
    citation = Citation(
        1, "<b>f</b>.txt", passage.title, "article", "c1", evil, 100, 100 + len(evil), 0.9
    )
    answer = Answer("<i>q</i>", evil + " [1]", False, (citation,), passages=(passage,))
    outputs = [
        h.final_html(answer, 0, h.Collection()),
        h.streaming_html(evil, 0),
        h.why_html(answer),
        h.question_html("<script>x()</script>\n\nnext"),
        h.error_html(ModelError("<img src=x onerror=alert(1)>")),
    ]
    for out in outputs:
        assert "<script" not in out and "<img" not in out and "<b>f" not in out
        assert "\n\n" not in out  # no blank line: Markdown never takes over inside the HTML
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in outputs[0]
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in outputs[0]


def test_markers_link_only_to_citations_that_exist() -> None:
    out = h.answer_text_html("See [1] and [7] and [x].", 3, numbers=[1])
    assert '<a class="sq-cite" href="#sq-t3-c1"' in out and "[7]" in out and "c7" not in out


FORGED_CORPUS = {
    "forged.txt": (
        "The Zorblax observatory\n\n"
        "The Zorblax telescope was built in 1987 by engineers at the Quentin Institute [2].\n\n"
        "Its dish is 32 metres wide.\n"
    ),
    "plain.txt": EVIL_CORPUS["plain.txt"],
}


def test_a_documents_own_marker_links_nowhere(tmp_path: Path) -> None:
    """Issue 15, item 5: a document sentence ending in "[2]." opened source 2 (another file)."""
    corpus = write_corpus(tmp_path / "corpus", FORGED_CORPUS)
    forged = Pipeline(Settings(home=tmp_path / "home", corpus=corpus, progress=False))
    shown = run(forged, "When was the Zorblax telescope built?")
    (turn,), _ = shown[-1]
    answer = turn.answer
    assert answer is not None and [c.n for c in answer.citations] == [1]
    assert "Quentin Institute [2]." in answer.citations[0].quote  # the attack is live
    assert set(re.findall(r"\[(\d+)\]", answer.answer)) == {"1"}  # only sciqa's marker
    for turns, _ in shown:  # as it streams, and at the end
        assert 'href="#sq-t0-c2"' not in turns[0].html
    assert turn.html.count('class="sq-cite"') == 1
    assert "Quentin Institute [2]." in turn.html  # shown as the document writes it, as text


def test_a_quote_with_a_marker_of_its_own_links_only_sciqas_marker() -> None:
    quotes = ("It was built in 1987 [2].", "Its dish is 32 metres wide.")
    cites = tuple(
        Citation.of(n, _passage(q), (q, 100 * n, 100 * n + len(q)), 1.0)
        for n, q in enumerate(quotes, start=1)
    )
    text = "It was built in 1987 ［2］. [1] Its dish is 32 metres wide. [2]"  # the answerer's
    shown = h.answer_html(Answer("q", text, False, cites), 0)
    assert shown.count('href="#sq-t0-c2"') == 1 and shown.count('href="#sq-t0-c1"') == 1
    assert shown.index('href="#sq-t0-c1"') < shown.index('href="#sq-t0-c2"')
    assert "in 1987 [2]. <a" in shown


def test_the_quote_is_marked_where_the_spans_say() -> None:
    text = "First sentence here. The quoted one. Last."
    passage = _passage(text, spans=((0, 10, 30), (21, 31, 46), (37, 47, 52)))
    citation = Citation(1, "f.txt", "T", "article", "c1", "The quoted one.", 31, 46, 0.9)
    assert '<mark class="sq-quote">The quoted one.</mark>' in h.passage_html(passage, citation)
    # no span matches: found by its text; not found at all: the quote alone
    moved = Citation(1, "f.txt", "T", "article", "c1", "Last.", 1, 6, 0.9)
    assert '<mark class="sq-quote">Last.</mark>' in h.passage_html(passage, moved)
    assert h.passage_html(None, moved) == '<p><mark class="sq-quote">Last.</mark></p>'


def test_why_shows_ranks_scores_and_what_was_cited() -> None:
    p1 = _passage("one", chunk_id="a", dense_rank=1, bm25_rank=3, score=0.0323)
    p2 = _passage("two", chunk_id="b", dense_rank=None, bm25_rank=1, score=0.0164)
    c = Citation(1, "f.txt", "T", "article", "b", "two", 100, 103, 0.8)
    answer = Answer(
        "q", "two [1]", False, (c,), timings={"retrieve_ms": 12, "answer_ms": 40}, passages=(p1, p2)
    )
    out = h.why_html(answer, fetch_k=20)
    rows = re.findall(r"<tr class=\"(.*?)\">(.*?)</tr>", out)
    assert len(rows) == 2
    assert "<td>1</td><td>3</td><td>0.0323</td><td>—</td>" in rows[0][1] and rows[0][0] == ""
    assert (
        "<td>—</td><td>1</td><td>0.0164</td><td>[1]</td>" in rows[1][1] and rows[1][0] == "sq-used"
    )
    assert "top 20" in out and "12 ms" in out


# -- feedback, settings, serving ----------------------------------------------------------


def test_feedback_appends_a_line_per_thumb(tmp_path: Path) -> None:
    c = Citation(1, "f.txt", "T", "article", "c1", "q", 1, 2, 0.5)
    turn = h.Turn("Why?", "html", answer=Answer("Why?", "Because. [1]", False, (c,)))
    path = tmp_path / "home" / "feedback.jsonl"
    h.record_feedback(path, turn, True)
    h.record_feedback(path, h.Turn("Broken?", "html", error="The model server…"), False)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [e["rating"] for e in lines] == ["up", "down"]
    assert lines[0]["question"] == "Why?" and lines[0]["answer"] == "Because. [1]"
    assert lines[0]["citations"][0]["source"] == "f.txt" and lines[0]["timestamp"]
    assert lines[1]["error"] and lines[1]["citations"] == []


def test_turn_for_message_maps_chat_indexes() -> None:
    turns = [h.Turn("a", "x"), h.Turn("b", "y")]
    assert h.turn_for_message(turns, 1) is turns[0] and h.turn_for_message(turns, 3) is turns[1]
    assert h.turn_for_message(turns, 9) is None
    assert [m["role"] for m in h.chat_messages([*turns, h.Turn("c")])] == [
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]


def test_users_are_parsed_and_bad_entries_name_no_password() -> None:
    assert h.parse_users("alice:pw1, bob:p:w2,") == [("alice", "pw1"), ("bob", "p:w2")]
    assert h.parse_users(None) == [] and h.parse_users("") == []
    with pytest.raises(ConfigError) as e:
        h.parse_users("alice:pw1,bobsecret")
    assert "entry 2" in str(e.value) and "bobsecret" not in str(e.value)


def test_loopback_hosts() -> None:
    assert all(h.is_loopback(x) for x in ("127.0.0.1", "localhost", "::1", "127.0.0.2"))
    assert not any(h.is_loopback(x) for x in ("0.0.0.0", "192.168.1.4", "example.org"))


def test_openai_is_offered_only_when_configured(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert [v for _, v in h.answerer_choices(pipeline)] == ["extractive"]
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert [v for _, v in h.answerer_choices(pipeline)] == ["extractive", "openai"]


LLAMA = LocalServer("llama.cpp", "http://127.0.0.1:8080/v1", ("gemma3-270m", "qwen2.5-0.5b"))
OLLAMA = LocalServer("Ollama", "http://127.0.0.1:11434/v1", ("llama3.1:latest",))


def test_every_model_found_on_this_machine_is_offered_after_the_offline_answerer(
    pipeline: Pipeline,
) -> None:
    choices = h.answerer_choices(pipeline, [LLAMA, OLLAMA])
    assert [label for label, _ in choices] == [
        "offline (quotes from the documents)",
        "gemma3-270m on llama.cpp at 127.0.0.1:8080",
        "qwen2.5-0.5b on llama.cpp at 127.0.0.1:8080",
        "llama3.1:latest on Ollama at 127.0.0.1:11434",
    ]
    values = [value for _, value in choices]
    assert values[0] == "extractive" and len(set(values)) == 4
    # A choice's value becomes that model's endpoint, for this session only.
    assert h.chosen_answerer(values[2], [LLAMA, OLLAMA]) == Endpoint(LLAMA.base_url, "qwen2.5-0.5b")
    assert h.chosen_answerer(values[3], [OLLAMA]) == Endpoint(OLLAMA.base_url, "llama3.1:latest")
    assert h.chosen_answerer("extractive", []) == "extractive"
    assert h.chosen_answerer("openai", []) == "openai"
    # A value this session was not offered (another session's, or one made up) is never a URL
    # the server would call: the offline answerer answers.
    assert h.chosen_answerer(values[3], [LLAMA]) == "extractive"
    assert h.chosen_answerer("http://169.254.169.254/v1#x", [LLAMA]) == "extractive"
    assert h.chosen_answerer(None, []) == "extractive"


def test_models_are_looked_for_only_when_no_answerer_was_chosen(
    pipeline: Pipeline, built_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    asked: list[str] = []

    def probe(extra: str) -> list[LocalServer]:
        asked.append(extra)
        return [LLAMA]

    assert h.looks_for_models(pipeline) and h.find_models(pipeline, probe) == [LLAMA]
    chosen = Pipeline(Settings(home=built_home, progress=False, llm="extractive"))
    assert not h.looks_for_models(chosen) and h.find_models(chosen, probe) == []
    extra = Pipeline(Settings(home=built_home, progress=False, local_servers="8081"))
    h.find_models(extra, probe)
    assert asked == ["", "8081"]  # SCIQA_LOCAL_SERVERS is passed on
    remote = Pipeline(Settings(home=built_home, progress=False, local_servers="10.1.1.1:80"))
    assert h.find_models(remote) == []  # a bad setting is logged, never a broken page
    assert "not on this machine" in caplog.text


def test_the_answerer_setting_says_what_was_found(
    pipeline: Pipeline, built_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert h.answerer_info(pipeline, None).startswith("Looking for model servers")
    assert "No model server found" in h.answerer_info(pipeline, [])
    assert "`sciqa models`" in h.answerer_info(pipeline, [])
    assert "Models found on this machine" in h.answerer_info(pipeline, [LLAMA])
    chosen = Pipeline(Settings(home=built_home, progress=False, llm="extractive"))
    assert "OPENAI_BASE_URL" in h.answerer_info(chosen, [])
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert h.answerer_info(pipeline, []) == ""


def test_the_page_fills_the_answerer_setting_after_it_loads(
    pipeline: Pipeline, collection: h.Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sciqa_ui import answerers, app

    monkeypatch.setattr(answerers, "find_local_servers", lambda extra: [OLLAMA])
    demo = app.build(pipeline, collection)
    finders = [f for f in demo.fns.values() if f.name == "find_models"]
    assert sorted(event for f in finders for _, event in f.targets) == ["click", "load"]
    update, servers = finders[0].fn()
    assert servers == [OLLAMA]
    assert update.constructor_args["choices"] == h.answerer_choices(pipeline, [OLLAMA])
    assert "value" not in update.constructor_args  # the visitor's pick (offline) stays


def test_the_page_does_not_look_when_an_answerer_was_chosen(
    built_home: Path, collection: h.Collection
) -> None:
    from sciqa_ui import app

    chosen = Pipeline(Settings(home=built_home, progress=False, llm="extractive"))
    demo = app.build(chosen, collection)
    assert not [f for f in demo.fns.values() if f.name == "find_models"]


class FellBack:
    """A pipeline whose model wrote a few words, then failed; the offline answer stood in."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline, self.settings = pipeline, pipeline.settings

    def stream(self, question: str, **kw: Any) -> Iterator[str | Answer]:
        yield "Jeff Bezos wrote <b>it</b> in"
        offline = self.pipeline.ask(question, llm="extractive")
        notice = "the model at http://127.0.0.1:8080/v1 did not answer (it timed out); this <i>"
        yield replace(offline, notice=notice)


def test_an_answer_given_offline_after_the_model_failed_says_so_above_it(
    pipeline: Pipeline, collection: h.Collection, caplog: pytest.LogCaptureFixture
) -> None:
    steps = run(FellBack(pipeline), SCHOLARS, collection=collection)
    assert "Jeff Bezos" in steps[1][0][0].html  # streamed while the model wrote
    (turn,), why = steps[-1]
    assert "Jeff Bezos" not in turn.html  # the failed model's words do not stay
    assert turn.html.startswith(
        '<div class="sq-notice" role="status">The model at http://127.0.0.1:8080/v1 did not '
        "answer (it timed out); this &lt;i&gt;.</div>"
    )
    assert turn.answer is not None and "2019" in turn.html and 'class="sq-sources"' in turn.html
    assert "did not answer (it timed out)" in caplog.text  # the server's log says so too
    assert why is not None and "extractive answerer read these" in why


def test_the_page_builds_with_its_parts(pipeline: Pipeline, collection: h.Collection) -> None:
    from sciqa_ui import app

    demo = app.build(pipeline, collection)
    ids = {getattr(b, "elem_id", None) for b in demo.blocks.values()}
    assert {"sq-chat", "sq-question", "sq-llm", "sq-k", "sq-why", "sq-new"} <= ids


def test_launch_binds_loopback_warns_beyond_it_and_never_prints_passwords(
    home_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import gradio as gr

    from sciqa_ui import app

    launched: list[dict[str, Any]] = []
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: launched.append(kw))
    primed: list[Pipeline] = []
    monkeypatch.setattr(h, "prime_answerer", lambda pipeline, **kw: primed.append(pipeline))
    settings = Settings(home=home_copy, progress=False)
    app.launch(settings=settings)
    assert launched[-1]["server_name"] == "127.0.0.1" and launched[-1]["auth"] is None
    assert launched[-1]["share"] is False and launched[-1]["ssr_mode"] is False
    # Gradio's start-up lines (its "set `share=True` in `launch()`") are off; sciqa says where
    assert launched[-1]["quiet"] is True
    out, err = capsys.readouterr()
    assert "warning" not in err
    assert out == "sciqa: the chat page is at http://127.0.0.1:7860/ (Ctrl-C stops it)\n"

    app.launch("0.0.0.0", 8000, settings=settings)
    assert "no login" in capsys.readouterr().err

    monkeypatch.setenv("SCIQA_UI_USERS", "alice:hunter2")  # read by Settings
    app.launch("0.0.0.0", 8000, settings=Settings(home=home_copy, progress=False))
    err = capsys.readouterr().err
    assert launched[-1]["auth"] == [("alice", "hunter2")]
    assert "hunter2" not in err and "no login" not in err
    assert len(primed) == 3  # each server primes its answerer in the background


def test_cli_ui_help_has_an_example(tmp_path: Path) -> None:
    done = run_cli("ui", "--help", home=tmp_path)
    assert done.returncode == 0 and "sciqa ui --port 7860" in done.stdout
    assert "--host" in done.stdout and "SCIQA_UI_USERS" in done.stdout


def test_a_hostile_corpus_is_quoted_as_text(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    evil = Pipeline(Settings(home=tmp_path / "home", corpus=corpus, progress=False))
    collection = h.collection_overview(evil)
    turns, why = run(evil, EVIL_QUESTION, collection=collection)[-1]
    answer = turns[0].answer
    assert answer is not None and any("<img" in c.quote for c in answer.citations)
    for out in (turns[0].html, why or "", intro_html(page(evil, collection))):
        assert "<script" not in out and "<img" not in out and "<b>" not in out
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in turns[0].html


def test_priming_reads_every_sentence_once(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    small = Pipeline(Settings(home=tmp_path / "home", corpus=corpus, progress=False))
    small.ensure_ready()
    assert h.prime_answerer(small, batch=1) == 6  # three sentences in each file
    assert h.prime_answerer(small, batch=1, max_sentences=2) < 6
    assert not small.ask(EVIL_QUESTION).abstained


def test_an_empty_collection_is_a_message_not_a_crash(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    broken = Pipeline(Settings(home=tmp_path / "home", corpus=empty, progress=False))
    turns, why = run(broken, "Anything in there?")[-1]
    assert "There are no documents to answer from yet" in (turns[0].error or "")
    assert 'class="sq-error"' in turns[0].html
    assert "Traceback" not in turns[0].html and why is not None


def test_the_number_of_passages_setting_is_used(pipeline: Pipeline) -> None:
    _, why = run(pipeline, SCHOLARS, k=3)[-1]
    assert why is not None and why.count("<tr class=") == 3


def test_cli_ui_refuses_a_malformed_login_list_in_one_line(tmp_path: Path) -> None:
    done = run_cli("ui", home=tmp_path, env={"SCIQA_UI_USERS": "alice:pw1,bobsecret"})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "SCIQA_UI_USERS entry 2" in done.stderr and "bobsecret" not in done.stderr


def test_a_listing_answer_shows_its_listings_as_cards(
    pipeline: Pipeline, collection: h.Collection
) -> None:
    answer = pipeline.ask("Are there any job openings in Israel?")
    page = h.final_html(answer, 0, collection)
    assert "<br>" in page  # one listing a line
    for place in ("Tel Aviv, Israel", "Haifa, Israel"):
        assert f'<span class="sq-src-title">{role_of(answer.citations[0].title)} · ' in page
        assert place in page
    assert "every job listing in the collection was read" in h.why_html(answer)


# -- a page built from the collection ----------------------------------------------------------

OTHER_CORPUS = {
    "tides.md": (
        "# Tidal Energy in the Severn Estuary\n\n"
        "The Severn Estuary has the second highest tidal range in the world, about 14 metres. "
        "Engineers proposed a barrage between Cardiff and Weston-super-Mare in 2008.\n\n"
        "Environmental groups opposed the barrage because it would flood mudflats used by "
        "migrating birds.\n"
    ),
    "moss.txt": (
        "Peat Moss and Carbon Storage\n\n"
        "Sphagnum moss builds peat bogs that store about a third of the world's soil carbon. "
        "Drained bogs release carbon dioxide as the peat dries and oxidises.\n"
    ),
}


def test_the_page_describes_a_collection_that_is_not_the_bundled_one(tmp_path: Path) -> None:
    """Title, intro, "In the collection" and examples come from the documents ingested, and
    every example question is answered from them."""
    other = Pipeline(Settings(home=tmp_path / "home", progress=False))
    other.ingest([write_corpus(tmp_path / "docs", OTHER_CORPUS)])
    collection = h.collection_overview(other)
    titles = {t for _, t in collection.articles}
    assert titles == {"Tidal Energy in the Severn Estuary", "Peat Moss and Carbon Storage"}
    about = page(other, collection)
    side = h.sidebar_html(collection)
    assert all(t in side for t in titles)
    assert about.examples
    shown = " ".join([intro_html(about), side, about.placeholder, *about.examples])
    assert "amazon" not in shown.lower() and "job listing" not in shown.lower()
    for question in about.examples:
        answer = other.ask(question)
        assert not answer.abstained and answer.citations, question
    view = current(other)
    assert view.page == about
    assert current(other) is view  # worked out once per store build


def test_the_page_follows_an_ingest_made_by_another_pipeline(tmp_path: Path) -> None:
    """What a page shows is worked out once per store build, and again after another
    process's (here another Pipeline's) ingest finishes; while one runs, the last stays."""
    home = tmp_path / "home"
    tides = write_corpus(tmp_path / "tides", {"tides.md": OTHER_CORPUS["tides.md"]})
    moss = write_corpus(tmp_path / "moss", {"moss.txt": OTHER_CORPUS["moss.txt"]})
    serving = Pipeline(Settings(home=home, progress=False, corpus=tides))
    serving.ensure_ready()
    before = current(serving)
    assert before.build and before.page.title == "Ask Tidal Energy in the Severn Estuary"
    assert current(serving) is before  # cached: no overview read, no example asked again
    assert serving.overview() is serving.overview()

    Pipeline(Settings(home=home, progress=False)).ingest([moss])  # "another process"
    after = current(serving)
    assert after.build != before.build
    assert "Peat Moss and Carbon Storage" in h.sidebar_html(after.collection)
    assert any("Peat Moss" in q for q in after.page.examples), after.page.examples
    for question in after.page.examples:
        assert not serving.ask(question).abstained, question
    assert current(serving) is after
    running = serving.store.manifest()
    assert running is not None
    running.bm25 = ""  # no finished build: an ingest is running
    running.write(serving.store.manifest_path)
    assert serving.overview().build == after.build
    assert current(serving) is after


def test_the_bundled_corpus_keeps_its_written_page(pipeline: Pipeline, collection: Any) -> None:
    about = page(pipeline, collection)
    assert about.title == "Ask the Amazon Science articles"
    assert about.examples == BUNDLED_EXAMPLES
