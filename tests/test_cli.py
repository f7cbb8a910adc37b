"""The ``sciqa`` command against a copy of the real store: in this process through click's
``CliRunner`` (``invoke_cli``), and as the installed command in a process of its own
(``run_cli``) where the process is what is tested: the entry point, argv bytes, exit codes."""

from __future__ import annotations

import json
import re
import shutil
import socket
from pathlib import Path

import pytest

from .conftest import ANSWER_KEYS, CORPUS, ROOT, invoke_cli, run_cli

QUESTION = "When did Amazon launch the Amazon Scholars program?"
CITATION_KEYS = {
    *("n", "source", "title", "section", "chunk_id", "quote", "start", "end", "score"),
    "highlights",
}
CORPUS_FILES = {p.name for p in CORPUS.glob("*.txt")}


def corpus_text(name: str) -> str:
    # exactly as sciqa reads it: bytes decoded, no newline translation
    return (CORPUS / name).read_bytes().decode("utf-8-sig")


def assert_clean_error(result, *needles: str) -> str:  # type: ignore[no-untyped-def]
    """One 'sciqa: error:' line on stderr, a non-zero exit, no traceback."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[:2000]
    assert lines[0].startswith("sciqa: error:"), lines[0][:500]
    for needle in needles:
        assert needle in lines[0], lines[0][:500]
    return lines[0]


# -- ask -----------------------------------------------------------------------------------


def test_ask_json_gives_one_object_with_verifiable_citations(home_copy: Path) -> None:
    # the installed command, end to end in a process of its own
    result = run_cli("ask", QUESTION, "--json", home=home_copy)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert set(data) == ANSWER_KEYS
    assert data["question"] == QUESTION
    assert data["abstained"] is False
    assert data["model"] == "extractive"
    assert "2019" in data["answer"]
    assert set(data["timings"]) >= {"total_ms"}
    assert data["citations"], data
    for i, c in enumerate(data["citations"], start=1):
        assert set(c) == CITATION_KEYS
        assert c["n"] == i
        assert c["source"] in CORPUS_FILES
        assert 0 <= c["start"] < c["end"]
        assert c["quote"] == corpus_text(c["source"])[c["start"] : c["end"]]
        assert f"[{c['n']}]" in data["answer"]
    assert any("2019" in c["quote"] for c in data["citations"])


def test_ask_plain_prints_answer_and_sources(home_copy: Path) -> None:
    result = invoke_cli("ask", QUESTION, home=home_copy)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "2019" in out.split("\n\n")[0]
    sources = [ln for ln in out.splitlines() if ln.startswith("[")]
    assert sources and sources[0].startswith("[1] ")
    m = re.fullmatch(r"\[1\] (.+) \((\w+), (\S+\.txt):(\d+)-(\d+)\)", sources[0])
    assert m, sources[0]
    assert m.group(3) in CORPUS_FILES
    assert int(m.group(4)) < int(m.group(5))
    assert out.rstrip().endswith("(quoted from the documents, offline)")
    assert out.splitlines()[0] == "2019"  # the phrase that answers, then the quote
    assert "searched for" not in out  # asked as written


def test_ask_plain_shows_only_the_checked_llm_answer_and_what_was_removed(home_copy: Path) -> None:
    from .openai_server import Scripted, sse

    reply = "Amazon launched the Scholars program in 2019 [1]. Its first Scholar was Ada Lovelace."
    server = Scripted([(200, sse(reply), 0.0)])
    try:
        env = {"OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": "sk-test", "SCIQA_MODEL": "m"}
        result = invoke_cli("ask", QUESTION, "--llm", "openai", home=home_copy, env=env)
    finally:
        server.close()
    assert result.returncode == 0, result.stderr
    # Not streamed: stdout has the checked answer, its sources, then what was taken out.
    answer, sources, notes = result.stdout.split("\n\n")
    assert answer == "Amazon launched the Scholars program in 2019 [1]."
    assert sources.startswith("[1] ") and "\n" not in sources
    assert notes.splitlines() == [
        "removed: Its first Scholar was Ada Lovelace. "
        '(not in the cited passage: "Ada", "Lovelace")',
        "(written by m, each sentence checked against the passage it cites)",
    ]


def test_ask_plain_says_what_it_searched_for_when_it_corrected_spelling(home_copy: Path) -> None:
    result = invoke_cli("ask", "What does Michael Kerns advise students?", home=home_copy)
    assert result.returncode == 0, result.stderr
    assert "(searched for: What does Michael Kearns advise students?)" in result.stdout


def test_ask_stdin_answers_each_line_in_order(home_copy: Path) -> None:
    questions = [
        QUESTION,
        "Where is the AWS Center for Quantum Computing?",
        "Who are Michael Kearns and Aaron Roth?",
    ]
    stdin = f"{questions[0]}\n\n{questions[1]}\n   \n{questions[2]}\n"
    result = invoke_cli("ask", "-", "--json", home=home_copy, stdin=stdin)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3, result.stdout
    answers = [json.loads(line) for line in lines]
    assert [a["question"] for a in answers] == questions
    assert all(set(a) == ANSWER_KEYS for a in answers)
    assert "2019" in answers[0]["answer"]


def test_ask_stdin_a_line_that_is_not_utf8_is_that_lines_error(home_copy: Path) -> None:
    """Issue 15, item 6: was exit 2 at line 2, and line 3 never answered."""
    lines = f"{QUESTION}\nWhen \xff?\nWho are the authors of The Ethical Algorithm?\n"
    stdin = lines.encode("latin-1")
    for as_json in (True, False):
        args = ["ask", "-", *(["--json"] if as_json else [])]
        done = invoke_cli(*args, home=home_copy, stdin=stdin)
        out, err = done.stdout, done.stderr
        assert done.returncode == 1, err  # a line failed: said at the end, after the others
        assert "Traceback" not in err and "unexpected" not in err
        if as_json:
            first, bad, third = (json.loads(line) for line in out.splitlines())
            assert "2019" in first["answer"] and "Kearns" in third["answer"]
            assert bad == {
                "line": 2,
                "question": "When \ufffd?",
                "error": "the question is not UTF-8 text (byte 0xff at byte 6); save the "
                "questions as UTF-8",
            }
        else:
            assert "Kearns" in out and "sciqa: error: line 2: the question is not UTF-8" in err
    help_text = invoke_cli("ask", "--help", home=home_copy).stdout
    assert "line's error" in " ".join(help_text.split())


def test_a_question_argument_that_is_not_utf8_is_a_clean_error(home_copy: Path) -> None:
    import os
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("sciqa")
    env = {**os.environ, "SCIQA_HOME": str(home_copy), "SCIQA_PROGRESS": "false"}
    done = subprocess.run(
        [str(exe).encode(), b"ask", b"When \xff?"], capture_output=True, env=env, timeout=180
    )
    assert done.returncode == 1
    assert done.stderr.decode().startswith("sciqa: error: the question is not valid text")


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["", "   "], ids=["empty", "blank"])
def test_empty_question_is_a_clean_error(home_copy: Path, question: str) -> None:
    result = invoke_cli("ask", question, home=home_copy)
    assert_clean_error(result, "empty")
    assert result.stdout == ""


def test_huge_question_is_a_clean_error(home_copy: Path) -> None:
    # 200 KB cannot go through argv (Linux caps one argument at 128 KiB), so it comes on stdin
    question = ("Why " + "very " * 40_000 + "long?")[:200_000]
    assert len(question.encode()) >= 200_000
    result = invoke_cli("ask", "-", home=home_copy, stdin=question + "\n")
    line = assert_clean_error(result, "line 1:", "200,000 characters", "limit")
    assert len(line) < 500  # the question itself is not echoed back
    as_json = invoke_cli("ask", "-", "--json", home=home_copy, stdin=f"{QUESTION}\n{question}\n")
    assert as_json.returncode == 1
    ok, failed = (json.loads(x) for x in as_json.stdout.splitlines())
    assert "2019" in ok["answer"]
    assert failed["line"] == 2 and "limit" in failed["error"]
    assert len(failed["question"]) <= 201 and failed["question"].startswith("Why very")


def test_ingest_missing_path_is_a_clean_error(home_copy: Path) -> None:
    manifest = (home_copy / "store" / "manifest.json").read_bytes()
    result = invoke_cli("ingest", "/no/such/path", home=home_copy)
    assert_clean_error(result, "/no/such/path")
    assert (home_copy / "store" / "manifest.json").read_bytes() == manifest


@pytest.mark.parametrize(
    "args", [("ask", QUESTION), ("ingest", "--dry-run")], ids=["ask", "ingest"]
)
def test_garbage_manifest_is_a_clean_error(home_copy: Path, args: tuple[str, ...]) -> None:
    (home_copy / "store" / "manifest.json").write_text("not json", encoding="utf-8")
    result = invoke_cli(*args, home=home_copy)
    assert_clean_error(result, "manifest", "--rebuild")
    assert result.stdout == ""


# -- ingest --------------------------------------------------------------------------------


def test_ingest_dry_run_json_on_unchanged_store(home_copy: Path) -> None:
    manifest = (home_copy / "store" / "manifest.json").read_bytes()
    result = invoke_cli("ingest", "--dry-run", "--json", home=home_copy)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["dry_run"] is True
    assert sorted(report["unchanged"]) == sorted(CORPUS_FILES) and len(report["unchanged"]) == 5
    assert report["added"] == report["changed"] == report["removed"] == []
    assert report["chunks_added"] == 0
    assert (home_copy / "store" / "manifest.json").read_bytes() == manifest


def test_ingest_folder_then_ask_about_it(tmp_path: Path) -> None:
    home = tmp_path / "fresh-home"
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "observatory.txt").write_text(
        "The Kvernholt Observatory\n\n"
        "The Kvernholt Observatory was founded in 1931 by the astronomer Ingrid Solvang. "
        "It stands on a granite ridge above the village of Kvernholt.\n",
        encoding="utf-8",
    )
    ingested = invoke_cli("ingest", str(folder), "--json", home=home)
    assert ingested.returncode == 0, ingested.stderr
    report = json.loads(ingested.stdout)
    assert report["added"] == ["observatory.txt"] and report["chunks_added"] >= 1

    result = invoke_cli("ask", "When was the Kvernholt Observatory founded?", "--json", home=home)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["abstained"] is False
    assert "1931" in data["answer"]
    assert data["citations"]
    assert {c["source"] for c in data["citations"]} == {"observatory.txt"}
    text = (folder / "observatory.txt").read_text(encoding="utf-8")
    for c in data["citations"]:
        assert text[c["start"] : c["end"]] == c["quote"]


# -- help ----------------------------------------------------------------------------------


def test_help_shows_examples(tmp_path: Path) -> None:
    top = invoke_cli("--help", home=tmp_path / "h")
    assert top.returncode == 0, top.stderr
    assert "Examples:" in top.stdout
    assert 'sciqa ask "' in top.stdout
    assert "ask" in top.stdout and "ingest" in top.stdout

    sub = invoke_cli("ask", "--help", home=tmp_path / "h")
    assert sub.returncode == 0, sub.stderr
    assert "Example:" in sub.stdout
    assert re.search(r"^\s+sciqa ask \S.*--json", sub.stdout, re.MULTILINE), sub.stdout
    assert "--json" in sub.stdout
    assert not (tmp_path / "h" / "store").exists()  # help touches no store


def test_ingest_rebuild_without_paths_keeps_the_users_folder(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "tea.md").write_text("# Tea\n\nOolong tea is partly oxidised.\n", encoding="utf-8")
    home = tmp_path / "home"
    assert invoke_cli("ingest", str(notes), home=home).returncode == 0
    rebuilt = invoke_cli("ingest", "--rebuild", "--json", home=home)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert json.loads(rebuilt.stdout)["added"] == ["tea.md"]  # not the bundled corpus


# -- ui and make run -----------------------------------------------------------------------

GRADIO_ADVICE = ("launch()", "GRADIO_SERVER_PORT", "server_port", "share=True")


def _listening_socket() -> socket.socket:
    """A loopback port that something already listens on."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s


def test_ui_on_a_busy_port_is_one_line_in_sciqas_words(tmp_path: Path) -> None:
    with _listening_socket() as busy:
        port = busy.getsockname()[1]
        result = invoke_cli("ui", "--port", str(port), home=tmp_path / "h")
    line = assert_clean_error(result, f"port {port} is in use", "--port")
    assert line == f"sciqa: error: port {port} is in use; pick another with --port"
    for advice in GRADIO_ADVICE:
        assert advice not in result.stdout + result.stderr
    assert not (tmp_path / "h" / "store").exists()  # said at once, before indexing anything


def test_ui_port_taken_while_the_page_got_ready_is_the_same_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from click.testing import CliRunner

    import sciqa_ui.app
    from sciqa.cli import cli

    taken: list[socket.socket] = []

    def launch(host: str, port: int, open_browser: bool) -> None:
        # someone took the port during the warm-up; Gradio then raises this
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        s.listen()
        taken.append(s)
        raise OSError(
            f"Cannot find empty port in range: {port}-{port}. You can specify a different port "
            "by setting the GRADIO_SERVER_PORT environment variable or passing the `server_port` "
            "parameter to `launch()`."
        )

    monkeypatch.setattr(sciqa_ui.app, "launch", launch)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    try:
        result = CliRunner().invoke(cli, ["ui", "--port", str(port)])
    finally:
        for s in taken:
            s.close()
    assert taken and result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last == f"sciqa: error: port {port} is in use; pick another with --port"
    for advice in GRADIO_ADVICE:
        assert advice not in result.output


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_serves_the_chat_page(tmp_path: Path) -> None:
    """The README's first command serves the page (and sets up first, saying so)."""
    import subprocess

    def recipe(*args: str) -> list[str]:
        # Under `make test` the child make would print "Entering directory" lines: not asked.
        done = subprocess.run(
            ["make", "--no-print-directory", "-n", "run", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    lines = recipe()
    assert lines[-1].endswith(".venv/bin/sciqa ui --port 7860 --open"), lines
    assert not any("sciqa ask" in ln for ln in lines)
    assert recipe("PORT=7861")[-1].endswith("sciqa ui --port 7861 --open")
    # On a fresh clone: every set-up step says what it does; pip is not silenced.
    fresh = recipe(f"VENV={tmp_path / 'venv'}")
    said = [ln for ln in fresh if ln.startswith("echo ")]
    assert len(said) >= 3, fresh
    install = [ln for ln in fresh if "pip install" in ln and "-e ." in ln]
    assert install and "--quiet" not in install[0], install


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("SCIQA_INGEST_BATCH", "0", "greater than or equal to 1"),
        ("SCIQA_VECTOR_CACHE_SIZE", "lots", "valid integer"),
    ],
)
def test_a_setting_it_cannot_use_is_one_line_naming_it(
    tmp_path: Path, variable: str, value: str, says: str
) -> None:
    done = invoke_cli("sources", home=tmp_path / "home", env={variable: value})
    (line,) = done.stderr.strip().splitlines()
    assert done.returncode == 2 and done.stdout == ""
    assert line.startswith("sciqa: error: a setting is not valid") and variable in line
    assert says in line and repr(value) not in line and "pydantic" not in line  # no value shown
