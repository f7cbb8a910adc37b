"""The LLM answerer over real HTTP.

- Recorded: real traffic between the ``openai`` client and a real OpenAI-compatible server
  (llama.cpp's, serving Qwen2.5-Coder-1.5B-Instruct; see ``scripts/record-cassettes.sh``),
  replayed by vcrpy from ``tests/cassettes/`` with the network blocked. ``SCIQA_RECORD=all``
  re-records. The Authorization header is never written.
- Live: ``pytest -m live`` runs the same tests against ``OPENAI_BASE_URL`` when one is set.
- Faults (500, 429, timeouts, malformed JSON, nothing listening) come from a small scripted
  server on loopback, since a healthy server will not produce them on demand.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import vcr
from click.testing import CliRunner

from sciqa import (
    NOT_FOUND,
    Answer,
    ModelError,
    Pipeline,
    Settings,
    find_local_servers,
    verification,
)
from sciqa.cli import cli
from sciqa.text import strip_markers
from tests.conftest import CORPUS, invoke_cli
from tests.openai_server import Scripted, completion, models_list, sse

# Read at import, before the autouse fixture clears the OpenAI variables for each test.
LIVE_URL = os.environ.get("OPENAI_BASE_URL")
LIVE_KEY = os.environ.get("OPENAI_API_KEY", "")
LIVE_MODEL = os.environ.get("SCIQA_MODEL", "gpt-4o-mini")

RECORDED_URL = "http://127.0.0.1:8089/v1"  # where scripts/record-cassettes.sh serves the model
RECORDED_MODEL = "qwen2.5-coder-1.5b-instruct"
RECORDING_KEY = "sciqa-recording-key"  # the recording server's key; filtered from cassettes
RECORD_MODE = os.environ.get("SCIQA_RECORD", "none")
CASSETTES = Path(__file__).parent / "cassettes"

recorder = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode=RECORD_MODE,
    filter_headers=["authorization", "openai-organization", "x-stainless-arch", "x-stainless-os"],
    match_on=["method", "scheme", "host", "port", "path"],
    decode_compressed_response=True,
)

QUESTION = "When did Amazon launch the Amazon Scholars program?"


@pytest.fixture(params=["recorded", pytest.param("live", marks=pytest.mark.live)])
def server(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Which model answers: "recorded" (a real server, replayed) or "live" (``-m live``)."""
    if request.param == "live":
        if not LIVE_URL:
            pytest.skip("set OPENAI_BASE_URL (and OPENAI_API_KEY if it needs one) to run live")
        monkeypatch.setenv("OPENAI_BASE_URL", LIVE_URL)
        monkeypatch.setenv("OPENAI_API_KEY", LIVE_KEY or "not-needed")
        monkeypatch.setenv("SCIQA_MODEL", LIVE_MODEL)
        yield "live"
        return
    monkeypatch.setenv("OPENAI_BASE_URL", RECORDED_URL)
    monkeypatch.setenv("OPENAI_API_KEY", RECORDING_KEY)
    monkeypatch.setenv("SCIQA_MODEL", RECORDED_MODEL)
    with recorder.use_cassette(f"{request.node.originalname}.yaml"):
        yield "recorded"


def _settings(home: Path, **kw: object) -> Settings:
    # No retries while recording, so a cassette holds exactly the traffic of one attempt. No
    # fallback: what the model does is under test, and its errors are what it should raise.
    defaults: dict[str, object] = {
        "home": home,
        "progress": False,
        "llm": "openai",
        "fallback": False,
        "context_tokens": 4096,
        "answer_tokens": 80,
        "llm_retries": 0,
        "k": 3,
    }
    return Settings(**{**defaults, **kw})  # type: ignore[arg-type]


def assert_grounded(answer: dict[str, object]) -> None:
    """Every [n] maps to a citation whose quote is verbatim in its source file."""
    text = str(answer["answer"])
    cited = list(answer["citations"])  # type: ignore[call-overload]
    if answer["abstained"]:
        assert text == NOT_FOUND and cited == []
        return
    assert {int(n) for n in re.findall(r"\[(\d+)\]", text)} == {c["n"] for c in cited} != set()
    for c in cited:
        source = (CORPUS / c["source"]).read_text(encoding="utf-8")
        assert source[c["start"] : c["end"]] == c["quote"] != ""


# -- recorded (or live) traffic with a real server --------------------------------------------


def test_cli_ask_json_over_http(server: str, built_home: Path, monkeypatch) -> None:
    """`sciqa ask --llm openai --json`: a cited answer, and which model gave it."""
    monkeypatch.setenv("SCIQA_HOME", str(built_home))
    monkeypatch.setenv("SCIQA_CONTEXT_TOKENS", "4096")
    monkeypatch.setenv("SCIQA_ANSWER_TOKENS", "80")
    monkeypatch.setenv("SCIQA_LLM_RETRIES", "0")
    result = CliRunner().invoke(cli, ["ask", QUESTION, "--llm", "openai", "--json", "-k", "3"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["model"].startswith(os.environ["SCIQA_MODEL"])
    # A 1.5B model is weak, and a live model may differ: what is checked is the contract, not
    # its wisdom. The recording holds a cited answer, so that path is always exercised.
    if server == "recorded":
        assert not answer["abstained"], answer["answer"]
        assert "2019" in answer["answer"]
    assert_grounded(answer)
    assert LIVE_KEY not in result.output or not LIVE_KEY
    assert RECORDING_KEY not in result.output


def test_stream_over_http(server: str, built_home: Path) -> None:
    pieces = list(Pipeline(_settings(built_home)).stream(QUESTION))
    final = pieces[-1]
    assert isinstance(final, Answer)
    text = [p for p in pieces[:-1] if isinstance(p, str)]
    assert len(text) > 3  # it arrived in pieces, as the model wrote it
    if not final.abstained:  # what was shown is what was kept (markers may be added after),
        # but for the sentences taken out as unsupported
        shown = strip_markers("".join(text), as_models_write_them=True)
        for removed in final.removed:
            shown = shown.replace(removed.sentence, "")
        assert shown.split() == strip_markers(final.answer).split()
    assert_grounded(final.to_dict())


def test_follow_up_is_condensed_by_the_model(server: str, built_home: Path) -> None:
    history = [
        {"role": "user", "content": "What is the AWS Center for Quantum Computing?"},
        {"role": "assistant", "content": "A research center at Caltech [1]."},
    ]
    pipe = Pipeline(_settings(built_home))
    answer = pipe.ask("Where is it?", history=history)
    assert any("Quantum" in p.text for p in answer.passages)  # retrieved with the condensed one
    assert_grounded(answer.to_dict())


def test_faithfulness_judge_over_http(server: str, built_home: Path) -> None:
    """The eval's LLM judge speaks the same protocol; a weak model's reply may hold no verdict."""
    from sciqa.harness.judge import FaithfulnessVerdict, judge_faithfulness, make_judge_model

    settings = _settings(built_home)
    answer = Pipeline(settings).ask(QUESTION, llm="extractive")
    assert not answer.abstained
    verdict = judge_faithfulness(make_judge_model(settings), QUESTION, answer, answer.passages)
    assert verdict is None or isinstance(verdict, FaithfulnessVerdict)
    if server == "recorded":
        cassette = (CASSETTES / "test_faithfulness_judge_over_http.yaml").read_text("utf-8")
        assert answer.citations[0].quote[:40] in cassette.replace("\n", " ").replace("\\", "")


def test_wrong_key_is_one_clear_error(server: str, built_home: Path, monkeypatch) -> None:
    if server == "live" and not LIVE_KEY:
        pytest.skip("the live server takes any key")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong")
    with pytest.raises(ModelError, match=r"refused the API key \(401\): check OPENAI_API_KEY"):
        Pipeline(_settings(built_home)).ask(QUESTION)


# -- faults from a scripted server ------------------------------------------------------------


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[Scripted]]:
    started: list[Scripted] = []

    def start(replies: list[tuple[int, bytes, float]]) -> Scripted:
        s = Scripted(replies)
        started.append(s)
        monkeypatch.setenv("OPENAI_BASE_URL", s.url)
        return s

    yield start  # type: ignore[misc]
    for s in started:
        s.close()


ERROR_500 = json.dumps({"error": {"message": "model crashed", "type": "server_error"}}).encode()
ERROR_429 = json.dumps({"error": {"message": "slow down", "type": "rate_limit"}}).encode()
# A reply its passage supports: what passages do not say is taken out of an answer.
GOOD = sse("Amazon launched the Scholars program in 2019 [1].")
# The claim check's reply (sciqa.verification): one word, not streamed.
STATED = (200, completion("TRUE"), 0.0)
NOT_STATED = (200, completion("FALSE"), 0.0)


def test_a_500_is_retried_then_succeeds(scripted, built_home: Path) -> None:
    server = scripted([(500, ERROR_500, 0), (200, GOOD, 0), STATED])
    answer = Pipeline(_settings(built_home, llm_retries=2)).ask(QUESTION)
    assert server.requests == 3  # the failed answer, its retry, the claim check
    assert not answer.abstained and answer.citations and "2019" in answer.answer


def test_a_sentence_the_model_reads_as_not_stated_is_removed_over_http(
    scripted, built_home: Path
) -> None:
    """The claim check is a second request to the same server; its FALSE takes the sentence
    out, and the answer says the documents do not hold it, and why."""
    server = scripted([(200, GOOD, 0), NOT_STATED])
    answer = Pipeline(_settings(built_home)).ask(QUESTION)
    assert server.requests == 2 and answer.abstained and not answer.citations
    assert [r.reason for r in answer.removed] == [verification.REASON]


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (500, ERROR_500, r"failed with HTTP 500: .*model crashed"),
        (429, ERROR_429, r"is rate-limiting requests \(429\)"),
    ],
)
def test_persistent_errors_give_up_after_bounded_retries(
    scripted, built_home: Path, status: int, body: bytes, message: str
) -> None:
    server = scripted([(status, body, 0)])
    with pytest.raises(ModelError, match=rf"model server at {server.url} {message}"):
        Pipeline(_settings(built_home, llm_retries=2)).ask(QUESTION)
    assert server.requests == 3  # one try and two retries


def test_a_server_that_hangs_times_out_in_bounded_time(scripted, built_home: Path) -> None:
    server = scripted([(200, GOOD, 5.0)])
    started = time.monotonic()
    with pytest.raises(ModelError, match=r"did not answer in time.*SCIQA_LLM_TIMEOUT"):
        Pipeline(_settings(built_home, llm_timeout=0.5, llm_retries=1)).ask(QUESTION)
    assert time.monotonic() - started < 4.5 and server.requests == 2


def test_malformed_json_is_a_clear_error(scripted, built_home: Path) -> None:
    scripted([(200, b"data: {not json\n\ndata: [DONE]\n\n", 0)])
    with pytest.raises(ModelError, match=r"sent a response sciqa cannot read"):
        Pipeline(_settings(built_home)).ask(QUESTION)


def test_a_model_found_on_this_machine_answers_without_the_api_key(
    built_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-canary-not-for-local-servers")
    server = Scripted(
        [(200, GOOD, 0), STATED], get={"/v1/models": (200, models_list("gemma3-270m"), 0)}
    )
    try:
        (found,) = find_local_servers(str(server.port), known={})
        pipe = Pipeline(_settings(built_home, llm="extractive"))
        answer = pipe.ask(QUESTION, llm=found.endpoint("gemma3-270m"))
    finally:
        server.close()
    assert answer.model.startswith("gemma3-270m") and answer.notice == ""
    assert not answer.abstained and "2019" in answer.answer and answer.citations
    assert server.keys == ["not-needed"] * 2  # the answer and its claim check; never the key


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_stream_broken_mid_answer_is_answered_offline(scripted, built_home: Path) -> None:
    """The model's first words arrive, then garbage: the offline answer replaces them, and the
    notice says which server failed and how."""
    broken = sse("Michael Kearns and").removesuffix(b"data: [DONE]\n\n") + b"data: {not json\n\n"
    server = scripted([(200, broken, 0)])
    pipe = Pipeline(_settings(built_home, fallback=True))
    pieces = list(pipe.stream(QUESTION))
    final = pieces[-1]
    assert isinstance(final, Answer) and server.requests == 1
    streamed = "".join(p for p in pieces[:-1] if isinstance(p, str))
    assert streamed.startswith("Michael Kearns")  # shown while it came, then replaced
    offline = pipe.ask(QUESTION, llm="extractive")
    assert final.model == "extractive" and not final.abstained
    assert (final.answer, final.citations) == (offline.answer, offline.citations)
    assert final.passages == offline.passages and final.query == QUESTION
    assert final.notice == (
        f"the model at {server.url} did not answer (it sent a response sciqa cannot read); "
        "this answer is quoted from the documents offline"
    )
    with pytest.raises(ModelError, match="sent a response sciqa cannot read"):
        pipe.ask(QUESTION, fallback=False)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_cli_with_no_server_listening_answers_offline_with_one_line(home_copy: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    started = time.monotonic()
    result = invoke_cli(
        "ask", QUESTION, "--llm", "openai", home=home_copy, env={"OPENAI_BASE_URL": url}
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"sciqa: the model at {url} did not answer (could not connect); this answer is quoted "
        "from the documents offline"
    ]
    assert "2019" in result.stdout and result.stdout.rstrip().endswith(
        "(quoted from the documents, offline)"
    )
    assert time.monotonic() - started < 30


def test_cli_no_fallback_fails_fast_with_one_line(home_copy: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    started = time.monotonic()
    result = invoke_cli(
        "ask", QUESTION, "--llm", "openai", "--json", "--no-fallback",
        home=home_copy, env={"OPENAI_BASE_URL": url},
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"sciqa: error: cannot reach the model server at {url}: is it running? "
        "(check OPENAI_BASE_URL)"
    ]
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert time.monotonic() - started < 30


def test_cassettes_hold_no_secrets() -> None:
    cassettes = sorted(CASSETTES.glob("*.yaml"))
    assert cassettes
    for path in cassettes:
        text = path.read_text(encoding="utf-8")
        assert RECORDING_KEY not in text and "sk-wrong" not in text, path
        assert "authorization" not in text.lower(), path
