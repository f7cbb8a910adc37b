"""Server mode: a real ``chroma run`` on loopback, the default corpus ingested and asked through
it, with the same answers as the embedded store gives."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from sciqa import Pipeline, Settings
from sciqa.bm25 import stored_ids

from .conftest import invoke_cli

QUESTIONS = (
    "When did Amazon launch the Amazon Scholars program?",
    "Where is the AWS Center for Quantum Computing?",
    "What is the salary of the Amazon Scholars?",  # the documents do not say: abstains
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Chroma server from the chromadb package, on a free loopback port; stopped after."""
    exe = Path(sys.executable).with_name("chroma")
    if not exe.exists():
        pytest.fail(f"no `chroma` command next to {sys.executable}; is chromadb installed?")
    path, port = tmp_path_factory.mktemp("chroma-server"), _free_port()
    log = open(path.parent / f"{path.name}.log", "w")  # noqa: SIM115 - closed below
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "CHROMA_ANONYMIZED_TELEMETRY": "False"}
    server = subprocess.Popen(
        [str(exe), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"chroma server did not start: {Path(log.name).read_text()[-500:]}")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_ingest_and_ask_through_a_chroma_server(
    chroma_url: str, tmp_path: Path, pipeline: Pipeline
) -> None:
    home = tmp_path / "server-home"
    served = Pipeline(Settings(home=home, chroma_url=chroma_url, progress=False))
    assert not (home / "store" / "chroma").exists()  # the vectors are on the server

    report = served.ingest()
    assert report.chunks_added == pipeline.store.count() == served.store.count()
    assert stored_ids(home / "store" / "bm25")  # BM25 built from the server's chunks
    assert served.ingest().chunks_added == 0  # unchanged corpus: nothing re-embedded

    for question in QUESTIONS:
        got, want = served.ask(question), pipeline.ask(question)
        assert got.answer == want.answer, question
        assert got.abstained == want.abstained
        assert [(c.source, c.start, c.end) for c in got.citations] == [
            (c.source, c.start, c.end) for c in want.citations
        ]
        assert [p.chunk_id for p in served.retrieve(question)] == [
            p.chunk_id for p in pipeline.retrieve(question)
        ]

    # the command line (run in process: the server is what is under test), told only
    # SCIQA_CHROMA_URL, answers from the server
    done = invoke_cli(
        "ask", QUESTIONS[0], "--json", home=home, env={"SCIQA_CHROMA_URL": chroma_url}
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["answer"] == pipeline.ask(QUESTIONS[0]).answer


def test_new_machine_on_a_filled_server_answers_without_ingesting(
    chroma_url: str, tmp_path: Path, pipeline: Pipeline
) -> None:
    """A second UI worker with its own empty SCIQA_HOME: BM25 comes from the server's collection,
    and nothing is ingested again."""
    home = tmp_path / "worker-home"
    worker = Pipeline(Settings(home=home, chroma_url=chroma_url, progress=False))
    if worker.store.count() == 0:  # this test alone: fill the server first
        Pipeline(Settings(home=tmp_path / "filler", chroma_url=chroma_url, progress=False)).ingest()
    count = worker.store.count()

    answer = worker.ask(QUESTIONS[0])

    assert answer.answer == pipeline.ask(QUESTIONS[0]).answer
    assert worker.store.count() == count
    assert not (home / "store" / "manifest.json").exists()  # no ingest ran here
    assert len(stored_ids(home / "store" / "bm25")) == count
