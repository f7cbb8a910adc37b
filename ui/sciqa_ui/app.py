"""The page: components first, then events. Decisions live in ``handlers.py``.

    sciqa ui                      # http://127.0.0.1:7860
    SCIQA_UI_USERS="alice:pw1" sciqa ui --host 0.0.0.0

Each visitor's chat lives in a ``gr.State`` (the session's list of ``Turn``), and so do the
model servers found on this machine when the page loaded (the probe runs after the page shows,
never before); the pipeline is shared and thread-safe; the queue runs up to ``CONCURRENCY``
answers at once.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from importlib import resources
from typing import Any

import gradio as gr  # sciqa_ui/__init__.py has turned its telemetry off by now

from sciqa import LocalServer, Pipeline, SciQAError, Settings
from sciqa.lexical import english
from sciqa.redaction import redact
from sciqa_ui import handlers as h
from sciqa_ui.collection import View, current, intro_html, page

CONCURRENCY = 4  # answers computed at once (typed or example questions); the rest queue
QUEUE_SIZE = 64  # beyond this, a visitor is told the queue is full
# Sessions whose chat is kept in memory (about 140 KB each with two turns, measured in
# tests/test_load.py); beyond this the least recently used one forgets its history. Gradio's
# default, 10,000, would let a long-running server grow past a gigabyte.
SESSIONS = 1000


def _asset(name: str) -> str:
    return resources.files("sciqa_ui").joinpath(name).read_text(encoding="utf-8")


def theme() -> gr.themes.Base:
    """Gradio's default look in the visitor's own system fonts: no font file is fetched at all
    (the subsetted web fonts Gradio ships lack digits and punctuation in their bold weights)."""
    sans = ["-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
    return gr.themes.Default(
        primary_hue="indigo",
        neutral_hue="slate",
        font=sans,
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
    )


def build(pipeline: Pipeline, collection: h.Collection | None = None) -> gr.Blocks:
    """The page for ``pipeline``. ``collection`` describes the store when the page is built
    (read from it if None); each visitor's page shows the store as it is when it loads."""
    built: str | None = None  # the store build the page is built for (None: unknown)
    if collection is None:
        view = current(pipeline)
        built, collection, about = view.build, view.collection, view.page
    else:
        about = page(pipeline, collection)  # title, intro, examples: from the collection
    choices = h.answerer_choices(pipeline)
    values = [v for _, v in choices]
    default_llm = pipeline.settings.llm if pipeline.settings.llm in values else "extractive"
    looking = h.looks_for_models(pipeline)

    # -- components ---------------------------------------------------------------------
    with gr.Blocks(title="sciqa: ask the documents", analytics_enabled=False) as demo:
        turns = gr.State([])
        shown_build = gr.State(built)  # the store build this visitor's page describes
        local_servers = gr.State([])  # what this session was offered from this machine
        with gr.Sidebar(label="Settings", open=True, width=300, elem_id="sq-sidebar"):
            gr.Markdown("### Settings")
            llm = gr.Dropdown(
                choices=choices,
                value=default_llm,
                label="Answerer",
                info=h.answerer_info(pipeline, None if looking else []) or None,
                elem_id="sq-llm",
            )
            find = gr.Button(
                "Look for local models",
                variant="secondary",
                size="sm",
                visible=looking,
                elem_id="sq-find",
            )
            k = gr.Slider(
                minimum=1,
                maximum=12,
                step=1,
                value=min(pipeline.settings.k, 12),
                label="Passages to read",
                info="How many retrieved passages the answerer reads.",
                elem_id="sq-k",
            )
            new_chat = gr.Button("New chat", variant="secondary", elem_id="sq-new")
            side = gr.Markdown(h.sidebar_html(collection), elem_id="sq-side")
        intro = gr.Markdown(intro_html(about), elem_id="sq-intro")
        chat = gr.Chatbot(
            elem_id="sq-chat",
            show_label=False,
            height="62vh",
            min_height=360,
            layout="panel",
            latex_delimiters=[],
            buttons=[],
            sanitize_html=True,
            allow_tags=False,
            placeholder="Ask a question below, or start with one of these:",
            examples=[{"text": q} for q in about.examples] or None,
            feedback_options=("Like", "Dislike"),
        )
        question = gr.Textbox(
            show_label=False,
            placeholder=about.placeholder,
            submit_btn="Ask",
            max_lines=6,
            autofocus=True,
            elem_id="sq-question",
        )
        with gr.Accordion("Why these sources?", open=False, elem_id="sq-why-box"):
            why = gr.Markdown(h.WHY_EMPTY, elem_id="sq-why", sanitize_html=True)

    # -- events ---------------------------------------------------------------------------
    def describe(shown: str | None) -> tuple[Any, ...]:
        """The page's words for the collection as it is now; nothing to send when the page
        already describes this build."""
        view: View = current(pipeline)
        if shown is not None and view.build == shown:
            return (gr.skip(),) * 5
        return (
            intro_html(view.page),
            h.sidebar_html(view.collection),
            gr.Chatbot(examples=[{"text": q} for q in view.page.examples] or None),
            gr.Textbox(placeholder=view.page.placeholder),
            view.build,
        )

    def find_models() -> tuple[Any, ...]:
        servers = h.find_models(pipeline)
        update = gr.Dropdown(
            choices=h.answerer_choices(pipeline, servers),
            info=h.answerer_info(pipeline, servers) or None,
        )
        return update, servers

    def ask(
        text: str,
        state: list[h.Turn],
        llm_value: str,
        k_value: float,
        servers: list[LocalServer],
    ) -> Iterator[tuple[Any, ...]]:
        first = True
        chosen = h.chosen_answerer(llm_value, servers)
        now = current(pipeline).collection  # the store as it is for this question
        for new_turns, why_html in h.respond(
            pipeline, text, state, collection=now, llm=chosen, k=int(k_value)
        ):
            yield (
                h.chat_messages(new_turns),
                new_turns,
                gr.skip() if why_html is None else why_html,
                "" if first else gr.skip(),
            )
            first = False
        if first:  # a blank question: nothing to do
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()

    def ask_example(
        state: list[h.Turn],
        llm_value: str,
        k_value: float,
        servers: list[LocalServer],
        event: gr.SelectData,
    ) -> Iterator[tuple[Any, ...]]:
        value = event.value
        text = value.get("text", "") if isinstance(value, dict) else str(value)
        yield from ask(text, state, llm_value, k_value, servers)

    def feedback(state: list[h.Turn], event: gr.LikeData) -> None:
        index = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
        turn = h.turn_for_message(state, int(index))
        if turn is None or event.liked in (None, ""):
            return
        h.record_feedback(h.feedback_path(pipeline), turn, event.liked)
        gr.Info("Thanks: your feedback was saved.")

    def clear() -> tuple[Any, ...]:
        return [], [], h.WHY_EMPTY, ""

    outputs = [chat, turns, why, question]
    described = [intro, side, chat, question, shown_build]
    with demo:
        # Each page, opened or reloaded, describes the store as it is then (another process
        # may have ingested other documents since the server started), and after each answer
        # an open page catches up with an ingest finished meanwhile.
        demo.load(describe, shown_build, described, show_progress="hidden")
        if looking:
            # After the page has loaded (a second at most), the models found fill the setting;
            # the offline answerer stays chosen until the visitor picks another.
            demo.load(find_models, None, [llm, local_servers], show_progress="hidden")
            find.click(find_models, None, [llm, local_servers], show_progress="hidden")
        # A question sent while the last answer is finishing waits its turn, never dropped.
        question.submit(
            ask,
            [question, turns, llm, k, local_servers],
            outputs,
            show_progress="hidden",
            trigger_mode="always_last",
            concurrency_id="answer",
        ).then(describe, shown_build, described, show_progress="hidden")
        chat.example_select(
            ask_example,
            [turns, llm, k, local_servers],
            outputs,
            show_progress="hidden",
            concurrency_id="answer",
        ).then(describe, shown_build, described, show_progress="hidden")
        chat.like(feedback, [turns], None, show_progress="hidden")
        chat.clear(clear, None, outputs, show_progress="hidden")
        new_chat.click(clear, None, outputs, show_progress="hidden")
    return demo


def warm_up(pipeline: Pipeline) -> None:
    """Index the corpus if the store is empty and load every model before the first visitor
    (and the English word list that spelling correction checks words against)."""
    pipeline.ensure_ready()
    pipeline.ask("What does this collection cover?")
    english()


def start_priming(pipeline: Pipeline, stop: threading.Event) -> threading.Thread:
    """In the background, let the answerer read every sentence once (see prime_answerer)."""

    def prime() -> None:
        started = time.perf_counter()
        try:
            n = h.prime_answerer(pipeline, stop=stop.is_set)
        except Exception as e:  # only a speed-up: the page works without it
            print(f"sciqa: warning: could not prime the answerer: {e}", file=sys.stderr)
            return
        took = time.perf_counter() - started
        if not stop.is_set():
            print(f"sciqa: answerer primed: {n} sentences in {took:.1f}s", file=sys.stderr)

    thread = threading.Thread(target=prime, name="sciqa-prime", daemon=True)
    thread.start()
    return thread


def launch(
    host: str = "127.0.0.1",
    port: int = 7860,
    *,
    settings: Settings | None = None,
    open_browser: bool = False,
) -> None:
    """Serve the page until interrupted, saying where in one line on stdout. Login from
    ``SCIQA_UI_USERS`` when it is set; ``open_browser`` opens the page when there is a display."""
    settings = settings or Settings()
    logins = settings.ui_users.get_secret_value() if settings.ui_users else None
    users = h.parse_users(logins)
    if not users and not h.is_loopback(host):
        print(
            f"sciqa: warning: serving on {host} with no login: anyone who can reach this "
            'machine can use the page. Set SCIQA_UI_USERS="alice:password1,bob:password2" '
            "to require one.",
            file=sys.stderr,
        )
    pipeline = Pipeline(settings)
    stop = threading.Event()
    try:
        warm_up(pipeline)
    except SciQAError as e:
        print(
            f"sciqa: warning: {redact(str(e))}. The page will say so to each visitor.",
            file=sys.stderr,
        )
        stop.set()  # nothing to prime
    demo = build(pipeline)
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    if users:
        print(f"sciqa: login required ({len(users)} users from SCIQA_UI_USERS)", file=sys.stderr)
    priming = start_priming(pipeline, stop)
    try:
        _serve(demo, host, port, users, open_browser=open_browser)
    finally:
        stop.set()
        priming.join(timeout=10)


def has_display() -> bool:
    """Whether a browser opened here would show a window (not a text browser in the terminal)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _serve(
    demo: gr.Blocks,
    host: str,
    port: int,
    users: list[tuple[str, str]],
    *,
    open_browser: bool = False,
) -> None:
    """Blocks until the server is stopped (Ctrl-C). Gradio is quiet: its start-up lines speak
    to Python callers (``share=True`` in ``launch()``), so sciqa prints its own."""
    demo.launch(
        quiet=True,
        prevent_thread_lock=True,
        server_name=host,
        server_port=port,
        auth=users or None,
        auth_message="sciqa: sign in with the name and password you were given.",
        share=False,
        inbrowser=False,
        show_error=False,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        enable_monitoring=False,
        run_history=False,
        state_session_capacity=SESSIONS,
        footer_links=[],
        theme=theme(),
        css=_asset("style.css"),
        js=_asset("page.js"),
    )
    url = demo.local_url or f"http://{host}:{port}/"
    print(f"sciqa: the chat page is at {url} (Ctrl-C stops it)", flush=True)
    if open_browser and has_display():
        import webbrowser

        webbrowser.open(url)
    try:
        while demo.is_running:
            time.sleep(0.2)
    except KeyboardInterrupt:
        print("sciqa: stopped", file=sys.stderr)
    finally:
        demo.close(verbose=False)
