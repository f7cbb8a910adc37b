"""Issue 7, load: concurrent API calls on one shared pipeline, and concurrent sessions of the
real web page (``sciqa ui`` in a subprocess, driven with ``gradio_client``).

Every call must be answered, with no error, each from its own question's passages and with the
answer that question gets alone (nothing crosses between calls or sessions), and memory must
stay bounded. "Alone" is asked of the same process afterwards: the answerer's sentence vectors
differ in the last bits with the batch they were embedded in, which can swap a near-tied
sentence, so another process is not a fair reference.
Throughput and p95 latency are printed (``-s``) and written to ``test-artifacts/load/``.

CI: 100 API calls from 20 threads, 20 UI sessions of two turns each. ``pytest -m stress``: five
rounds of each, where memory must stop growing after the first.
"""

from __future__ import annotations

import html
import json
import random
import re
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from sciqa import Answer, Pipeline, Settings
from sciqa.harness.gold import load_gold

from .conftest import ROOT
from .ui_server import UIServer

ARTIFACTS = ROOT / "test-artifacts" / "load"
GOLD = [item for item in load_gold(ROOT / "evals" / "gold.jsonl") if item.kind != "injection"]
QUESTIONS = [item.question for item in GOLD[:20]]  # twenty distinct questions
FOLLOW_UP = "And when was that?"


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory now (not the peak), from /proc."""
    status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    kb = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    assert kb, status
    return int(kb.group(1)) / 1024


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def record(name: str, figures: dict[str, Any]) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n", "utf-8")
    print(f"\n{name}: {json.dumps(figures)}")


# -- the API: threads sharing one Pipeline -------------------------------------------------


def _same(a: Answer, b: Answer) -> bool:
    return (a.answer, a.abstained, [(c.chunk_id, c.start, c.end) for c in a.citations]) == (
        b.answer,
        b.abstained,
        [(c.chunk_id, c.start, c.end) for c in b.citations],
    )


def _api_load(home: Path, rounds: int) -> dict[str, Any]:
    """Each round: the 100 distinct questions at once from 20 threads, on one fresh Pipeline
    (nothing cached at first), then each question alone to compare with."""
    pipeline = Pipeline(Settings(home=home, progress=False))
    pipeline.ask(QUESTIONS[0])  # open the store and load the models first
    questions = [item.question for item in GOLD[:100]]
    assert len(set(questions)) == 100

    def one(question: str) -> tuple[str, Answer, float]:
        started = time.perf_counter()
        answer = pipeline.ask(question)
        return question, answer, time.perf_counter() - started

    rng = random.Random(11)
    rss = [rss_mb()]
    seconds, latencies = [], []
    identical = 0
    for _ in range(rounds):
        plan = list(questions)
        rng.shuffle(plan)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=20) as pool:
            results = list(pool.map(one, plan))  # re-raises the first error, if any
        seconds.append(time.perf_counter() - started)
        rss.append(rss_mb())
        latencies += [latency for _, _, latency in results]
        assert len(results) == len(plan)
        for question, answer, _ in results:
            assert answer.question == question
            alone = pipeline.ask(question)
            own = [p.chunk_id for p in alone.passages]
            assert [p.chunk_id for p in answer.passages] == own, question  # its own passages
            assert {c.chunk_id for c in answer.citations} <= set(own), question
            identical += _same(answer, alone)
    calls = len(questions) * rounds
    return {
        "calls": calls,
        "threads": 20,
        "errors": 0,
        "identical_to_alone": identical,
        "throughput_per_s": round(calls / sum(seconds), 1),
        "first_round_per_s": round(len(questions) / seconds[0], 1),
        "latency_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "latency_p95_ms": round(p95(latencies) * 1000, 1),
        "rss_mb": [round(r) for r in rss],
        "rss_growth_mb": round(rss[-1] - rss[0], 1),
    }


def test_100_concurrent_api_calls_on_one_pipeline(built_home: Path) -> None:
    figures = _api_load(built_home, rounds=1)
    record("api-100", figures)
    assert figures["rss_growth_mb"] < 150


@pytest.mark.stress
@pytest.mark.timeout(1800)
def test_api_load_in_five_rounds_memory_stays_flat(built_home: Path) -> None:
    figures = _api_load(built_home, rounds=5)
    record("api-5x100", figures)
    rss = figures["rss_mb"]
    assert rss[-1] - rss[1] < 50  # after the first round, memory stops growing


# -- the web page: sessions through gradio_client ------------------------------------------


@pytest.fixture(scope="module")
def ui_server(built_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[UIServer]:
    import shutil

    tmp = tmp_path_factory.mktemp("ui-load")
    shutil.copytree(built_home, tmp / "home")
    server = UIServer(tmp / "home", tmp / "ui.log")
    try:
        server.wait()
        # let the background priming finish, so it does not share the CPU with the sessions
        server.wait_for_log("answerer primed", timeout=240)
        yield server
    finally:
        server.stop()
    assert "Traceback" not in server.output(), server.output()


def _texts(messages: list[dict[str, Any]], role: str) -> list[str]:
    out = []
    for m in messages:
        if m["role"] != role:
            continue
        content = m["content"]
        parts = content if isinstance(content, list) else [content]
        out.append("".join(p["text"] if isinstance(p, dict) else str(p) for p in parts))
    return out


def _session(url: str, question: str) -> dict[str, Any]:
    """One visitor: a question, then a follow-up that only makes sense after it."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    started = time.perf_counter()
    chat, _, _ = client.predict(question, api_name="/ask")
    first = time.perf_counter() - started
    started = time.perf_counter()
    chat2, why2, _ = client.predict(FOLLOW_UP, api_name="/ask")
    second = time.perf_counter() - started
    client.close()
    return {"question": question, "chat": chat, "chat2": chat2, "why2": why2,
            "latencies": [first, second]}  # fmt: skip


def _first_answer(url: str, question: str) -> str:
    from gradio_client import Client

    client = Client(url, verbose=False)
    chat, _, _ = client.predict(question, api_name="/ask")
    client.close()
    return _texts(chat, "assistant")[0]


def _check_session(s: dict[str, Any], alone: str, others: list[str]) -> None:
    q = s["question"]
    assert _texts(s["chat"], "user") == [f'<div class="sq-q">{html.escape(q)}</div>']
    (first,) = _texts(s["chat"], "assistant")
    assert first == alone, q  # the page it shows when asked alone, to the letter
    users = _texts(s["chat2"], "user")
    assert users == [users[0], f'<div class="sq-q">{html.escape(FOLLOW_UP)}</div>']
    assert _texts(s["chat2"], "assistant")[0] == first  # its own history, unchanged
    # the follow-up was searched with this session's own question, nobody else's
    assert f"searched as “{html.escape(f'{q} {FOLLOW_UP}')}”" in s["why2"]
    page = json.dumps([s["chat2"], s["why2"]], ensure_ascii=False)
    for other in others:
        assert html.escape(other) not in page, other


def _ui_load(server: UIServer, sessions: int, waves: int) -> dict[str, Any]:
    rss = [rss_mb(server.proc.pid)]
    done: list[dict[str, Any]] = []
    latencies: list[float] = []
    seconds = 0.0
    for _ in range(waves):
        plan = [QUESTIONS[i % len(QUESTIONS)] for i in range(sessions)]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=sessions) as pool:
            results = list(pool.map(lambda q: _session(server.url, q), plan))
        seconds += time.perf_counter() - started
        done += results
        latencies += [latency for s in results for latency in s["latencies"]]
        rss.append(rss_mb(server.proc.pid))
    alone = {q: _first_answer(server.url, q) for q in QUESTIONS}  # one at a time, afterwards
    for s in done:
        _check_session(s, alone[s["question"]], [q for q in QUESTIONS if q != s["question"]])
    return {
        "sessions": sessions * waves,
        "turns": 2 * sessions * waves,
        "concurrent_sessions": sessions,
        "errors": 0,
        "throughput_turns_per_s": round(2 * sessions * waves / seconds, 2),
        "latency_p50_ms": round(statistics.median(latencies) * 1000),
        "latency_p95_ms": round(p95(latencies) * 1000),
        "server_rss_mb": [round(r) for r in rss],
        "server_rss_growth_mb": round(rss[-1] - rss[0], 1),
    }


def test_20_concurrent_ui_sessions(ui_server: UIServer) -> None:
    figures = _ui_load(ui_server, sessions=20, waves=1)
    record("ui-20-sessions", figures)
    assert figures["server_rss_growth_mb"] < 150


@pytest.mark.stress
@pytest.mark.timeout(1800)
def test_ui_load_in_five_waves_memory_stays_flat(ui_server: UIServer) -> None:
    figures = _ui_load(ui_server, sessions=20, waves=5)
    record("ui-5x20-sessions", figures)
    rss = figures["server_rss_mb"]
    assert rss[-1] - rss[1] < 50


def test_the_sessions_kept_in_memory_are_capped(
    home_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory per session is what the waves above measure; the number of sessions is capped."""
    import gradio as gr

    from sciqa_ui import app
    from sciqa_ui import handlers as h

    launched: list[dict[str, Any]] = []
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: launched.append(kw))
    monkeypatch.setattr(h, "prime_answerer", lambda pipeline, **kw: 0)
    app.launch(settings=Settings(home=home_copy, progress=False))
    assert launched[-1]["state_session_capacity"] == app.SESSIONS <= 1000
