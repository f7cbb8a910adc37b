"""Issue 15, item 2 and the embedding server of item 8: no secret sciqa was given leaves the
process (errors, answers as they stream and whole, logs, the page, the feedback file), and an
embedding server that fails or sends garbage is one clear error naming it.

``test_security.py`` covers a chat server that echoes the key in its error body.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sciqa import ModelError, Pipeline, Settings, StoreMismatchError
from sciqa.redaction import RedactFilter, StreamRedactor, redact
from sciqa_ui import handlers as h

from .conftest import invoke_cli
from .openai_server import Embedder, Scripted, sse

QUESTION = "When did Amazon launch the Amazon Scholars program?"


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    """An API key not shaped like OpenAI's: only knowing it was given can mask it."""
    value = f"canary{uuid.uuid4().hex}"
    monkeypatch.setenv("OPENAI_API_KEY", value)
    return value


def _refusing() -> Scripted:
    """Refuses every request with 401, the key it was sent in the message."""

    def reply(sent: str) -> tuple[int, bytes, float]:
        message = f"Incorrect API key provided: {sent}. You can find your key at ..."
        return 401, json.dumps({"error": {"message": message, "type": "x"}}).encode(), 0.0

    return Scripted(reply)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _leaks(secret: str, *texts: str) -> list[str]:
    return [t[max(0, t.find(secret) - 80) : t.find(secret) + 80] for t in texts if secret in t]


# -- the redaction itself --------------------------------------------------------------------


def test_every_secret_given_is_masked_and_ordinary_text_is_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "plainkey-0123456789")
    monkeypatch.setenv("SCIQA_JUDGE_API_KEY", "judgekey-0123456789")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://me:url%2Fpass99@10.0.0.1:8080/v1")
    monkeypatch.setenv("SCIQA_UI_USERS", "alice:hunter22,bob:tiny,carol:pw1")
    text = (
        "plainkey-0123456789 / judgekey-0123456789 / http://me:url%2Fpass99@10.0.0.1:8080/v1 / "
        "url/pass99 alone / hunter22 / sk-proj-abcdefghijklmnop / https://tok3n@example.com/x"
    )
    out = redact(text)
    for secret in ("plainkey", "judgekey", "url%2Fpass99", "url/pass99", "hunter22", "abcdefgh"):
        assert secret not in out, out
    assert "http://me:***@10.0.0.1:8080/v1" in out and "https://***@example.com/x" in out
    # a short password is masked as a word of its own only, not inside others; one of fewer
    # than 4 characters never is (masking it would garble answers)
    assert redact("tiny, a tinyhouse, pw1") == "***, a tinyhouse, pw1"
    plain = "Amazon launched it in 2019 [1]: see https://www.amazon.science/ and sk-8 too."
    assert redact(plain) == plain


def test_a_key_split_across_streamed_pieces_is_still_masked(key: str) -> None:
    text = f"It launched in 2019 [1]. Key: {key} and sk-abcdefghijkl. URL http://u:pw123456@h/v1."
    for size in (1, 2, 3, 5, 8, 13):
        secrets = StreamRedactor()
        shown = [secrets.feed(text[i : i + size]) for i in range(0, len(text), size)]
        out = "".join(shown) + secrets.close()
        assert key not in out and "abcdefghijkl" not in out and "pw123456" not in out
        assert out.startswith("It launched in 2019 [1]. Key: ***")
        assert len(shown[0]) or size < 3  # it streams: the first words are not held back


def test_what_sciqa_logs_is_redacted(key: str) -> None:
    record = logging.LogRecord("sciqa", logging.ERROR, __file__, 1, "sent %s", (key,), None)
    try:
        raise RuntimeError(f"refused {key}")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    RedactFilter().filter(record)
    shown = logging.Formatter().format(record)
    assert key not in shown and "sent ***" in shown and "refused ***" in shown
    assert any(isinstance(f, RedactFilter) for f in logging.getLogger("sciqa").filters)
    assert any(isinstance(f, RedactFilter) for f in logging.getLogger("sciqa_ui").filters)


# -- at every boundary -----------------------------------------------------------------------


def test_an_embedding_server_that_echoes_the_key_is_a_clear_error_without_it(
    key: str, tmp_path: Path
) -> None:
    server = _refusing()
    try:
        env = {"SCIQA_EMBEDDINGS": "openai", "OPENAI_BASE_URL": server.url}
        done = invoke_cli("ask", QUESTION, home=tmp_path / "home", env=env)
    finally:
        server.close()
    assert server.keys and server.keys[0] == key  # it was sent, and echoed back
    assert done.returncode == 1, done.stderr
    assert "the embedding server at http://127.0.0.1:" in done.stderr
    assert "refused the API key (401): check OPENAI_API_KEY" in done.stderr
    assert "unexpected" not in done.stderr
    assert _leaks(key, done.stdout, done.stderr) == []


@pytest.fixture
def echoing(key: str) -> Iterator[Scripted]:
    """A model that answers, then repeats the key it was sent, streamed 3 characters a chunk."""

    def reply(sent: str) -> tuple[int, bytes, float]:
        text = f"Amazon launched the Amazon Scholars program in 2019 [1]. Your key is {sent}."
        return 200, sse(text, model="echo", size=3), 0.0

    server = Scripted(reply)
    yield server
    server.close()


def test_a_model_that_streams_the_key_shows_it_nowhere(
    key: str,
    echoing: Scripted,
    home_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[str] = []
    env = {"OPENAI_BASE_URL": echoing.url, "SCIQA_LLM": "openai"}
    for args in (("--json",), ()):
        done = invoke_cli("ask", QUESTION, *args, home=home_copy, env=env)
        assert done.returncode == 0, done.stderr
        seen += [done.stdout, done.stderr]
    assert "2019" in seen[0] and "***" in seen[0]

    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("OPENAI_BASE_URL", echoing.url)
    pipeline = Pipeline(Settings(home=home_copy, progress=False, llm="openai"))
    pieces = list(pipeline.stream(QUESTION))
    seen += [p if isinstance(p, str) else json.dumps(p.to_dict()) for p in pieces]
    turns, why = list(h.respond(pipeline, QUESTION, [], collection=h.Collection()))[-1]
    seen += [turns[-1].html, why or ""]
    feedback = home_copy / "feedback.jsonl"
    h.record_feedback(feedback, turns[-1], True)
    seen += [feedback.read_text(encoding="utf-8"), caplog.text]
    assert echoing.keys and all(k == key for k in echoing.keys)  # the key was sent each time
    assert _leaks(key, *seen) == []


def test_a_password_in_the_base_url_is_never_printed(
    key: str, home_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    password = f"pw{uuid.uuid4().hex}"
    url = f"http://sciqa:{password}@127.0.0.1:{_closed_port()}/v1"
    env = {"OPENAI_BASE_URL": url, "SCIQA_LLM": "openai", "SCIQA_LLM_RETRIES": "0"}
    home = home_copy  # the shared built store: an empty home would index the corpus first
    failed = invoke_cli("ask", QUESTION, "--no-fallback", home=home, env=env)
    assert failed.returncode == 1
    assert "cannot reach the model server at http://sciqa:***@127.0.0.1:" in failed.stderr
    quoted = invoke_cli("ask", QUESTION, home=home, env=env)  # offline, with a notice naming it
    assert quoted.returncode == 0 and "http://sciqa:***@127.0.0.1:" in quoted.stderr
    assert _leaks(password, failed.stdout, failed.stderr, quoted.stdout, quoted.stderr) == []
    monkeypatch.setenv("OPENAI_BASE_URL", url)  # the page's server, given the same URL
    error = h.error_message(ModelError(f"the server at {url} said {password}"))
    assert password not in error and "sciqa:***@" in error


# -- an embedding server that sends garbage ----------------------------------------------------


def _embedding_pipeline(home: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-embeddings")
    settings = Settings(home=home, embeddings="openai", llm_retries=0, progress=False)
    return Pipeline(settings)


@pytest.mark.parametrize(
    "body",
    [
        b"[1, 2]",  # was: unexpected AttributeError
        b'{"data": null}',  # was: unexpected ValueError
        b'{"data": [{"foo": 1}]}',  # was: unexpected IndexError
        b"not json at all",
        b'{"data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}]}',  # 1 for many
    ],
    ids=["a-list", "no-data", "no-embedding", "not-json", "too-few"],
)
def test_garbage_from_the_embedding_server_is_one_clear_error(
    body: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = Scripted([(200, body, 0.0)])
    try:
        pipeline = _embedding_pipeline(tmp_path / "home", server.url, monkeypatch)
        with pytest.raises(ModelError) as err:
            pipeline.ask(QUESTION)
    finally:
        server.close()
    message = str(err.value)
    assert message.startswith(f"the embedding server at {server.url} sent "), message
    assert "sciqa cannot" in message and "\n" not in message


def test_vectors_of_another_length_are_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = Embedder(dimension=8)
    try:
        home = tmp_path / "home"
        pipeline = _embedding_pipeline(home, server.url, monkeypatch)
        pipeline.ensure_ready()
        server.dimension = 5  # the server now runs another model under the same name
        with pytest.raises(ModelError, match=r"a vector of 5 numbers where 8 were expected"):
            pipeline.ask(QUESTION)
        restarted = _embedding_pipeline(home, server.url, monkeypatch)  # a new process
        with pytest.raises(StoreMismatchError, match=r"embeddings configured now are 5 numbers"):
            restarted.ask(QUESTION)
    finally:
        server.close()
