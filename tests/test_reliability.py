"""Issue 7, reliability: bad input, broken or locked stores, a full disk, and SIGKILL mid-ingest.

The CLI's contract for every failure here: one ``sciqa: error:`` line on stderr, a non-zero
exit, no traceback, and a store that still answers from what it held. Covered elsewhere and not
repeated: empty/blank questions, a 200 KB question on stdin, a missing path and an unparsable
manifest (``test_cli.py``); bad files and symlink loops through the API, a store built with
other embeddings through the API, an exception or a kill mid-ingest resumed (``test_store.py``,
``test_large_corpus.py``); model-server faults (``test_llm_http.py``).

The SIGKILL test runs 3 kills in CI and 20 with ``pytest -m stress``.
"""

from __future__ import annotations

import errno
import json
import os
import pydoc
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

import sciqa
from sciqa import Pipeline, QuestionError, Settings, StoreError
from sciqa.bm25 import saved_build, stored_ids
from sciqa.store import Store

from .conftest import CORPUS, invoke_cli, run_cli
from .test_cli import assert_clean_error

QUESTION = "When did Amazon launch the Amazon Scholars program?"
SCHOLARS = "000_daec2444bc2564f3.txt"
NEW_FACTS = (
    "The Kvernholt Observatory\n\n"
    "The Kvernholt Observatory was founded in 1931 by the astronomer Ingrid Solvang. "
    "It stands on a granite ridge above the village of Kvernholt.\n\n"
    "Its main instrument is a 32 metre radio dish that maps hydrogen clouds in nearby galaxies.\n"
)
NEW_QUESTION = "When was the Kvernholt Observatory founded?"


def file_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8-sig")  # as sciqa reads it


def assert_verified(answer: dict, *folders: Path) -> None:
    """Every citation's quote is its file's text at its offsets, in one of ``folders``."""
    for c in answer["citations"]:
        texts = [file_text(f / c["source"]) for f in folders if (f / c["source"]).exists()]
        assert texts, f"{c['source']} is in none of {folders}"
        assert any(t[c["start"] : c["end"]] == c["quote"] for t in texts), c


def ask_json(
    home: Path, *questions: str, env: dict[str, str] | None = None, run: Callable = invoke_cli
) -> list[dict]:
    """``sciqa ask - --json`` for each question, in one run (in this process; in a process of
    its own with ``run=run_cli``)."""
    done = run("ask", "-", "--json", home=home, stdin="\n".join(questions) + "\n", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [a["question"] for a in answers] == list(questions)
    return answers


def assert_scholars_answered(answer: dict, *folders: Path) -> None:
    assert not answer["abstained"] and "2019" in answer["answer"], answer["answer"]
    assert any(c["source"] == SCHOLARS and "2019" in c["quote"] for c in answer["citations"])
    assert_verified(answer, *(folders or (CORPUS,)))


# -- bad questions -------------------------------------------------------------------------


def test_a_200_kb_question_is_refused_at_once_by_the_api(pipeline: Pipeline) -> None:
    question = ("Why " + "very " * 40_000 + "long?")[:200_000]
    started = time.perf_counter()
    with pytest.raises(QuestionError) as err:
        pipeline.ask(question)
    with pytest.raises(QuestionError):
        list(pipeline.stream(question))
    assert time.perf_counter() - started < 1.0
    message = str(err.value)
    assert "200,000 characters" in message and "SCIQA_MAX_QUESTION_CHARS" in message
    assert len(message) < 300  # the question is not echoed back


def test_the_longest_argument_linux_allows_is_refused_quickly(home_copy: Path) -> None:
    # One argv string is capped at 128 KiB (MAX_ARG_STRLEN); 200 KB goes by stdin (test_cli).
    question = ("Why " + "very " * 30_000)[:130_000]
    started = time.monotonic()
    result = run_cli("ask", question, "--json", home=home_copy)
    line = assert_clean_error(result, "130,000 characters", "limit")
    assert len(line) < 500 and result.stdout == ""
    assert time.monotonic() - started < 60  # startup included; nothing is embedded


def test_a_huge_line_among_good_ones_fails_alone(home_copy: Path) -> None:
    huge = "x" * 200_000
    done = invoke_cli(
        "ask", "-", "--json", home=home_copy, stdin=f"{QUESTION}\n{huge}\n{QUESTION}\n"
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    first, error, last = (json.loads(line) for line in done.stdout.splitlines())
    assert_scholars_answered(first)
    assert_scholars_answered(last)
    assert "200,000 characters" in error["error"] and "answer" not in error


OTHER_SCRIPTS = {
    "chinese": "亚马逊学者计划是哪一年启动的？",
    "arabic": "متى أطلقت أمازون برنامج علماء أمازون؟",
    "hindi": "अमेज़न स्कॉलर्स कार्यक्रम कब शुरू हुआ?",
    "emoji": "🤖🔬📚❓",
    "mixed": "When did Amazon launch the Amazon Scholars program? 请用中文回答 🙏",
    "zero-width": "\u200b\u200b\u200b",
    "control": "What\x00 is\x07 the\x1b[31m Scholars program?",
}


@pytest.mark.parametrize("question", OTHER_SCRIPTS.values(), ids=OTHER_SCRIPTS.keys())
def test_a_question_in_another_script_is_answered_or_abstained(
    pipeline: Pipeline, question: str
) -> None:
    answer = pipeline.ask(question)
    assert answer.question == question.strip()
    if answer.abstained:
        assert answer.answer == sciqa.NOT_FOUND and answer.citations == ()
    else:
        assert answer.citations
    for c in answer.citations:
        assert file_text(CORPUS / c.source)[c.start : c.end] == c.quote
    if question.startswith("When did Amazon"):
        assert not answer.abstained and "2019" in answer.answer  # the English part is answered


def test_other_scripts_through_the_cli(home_copy: Path) -> None:
    questions = [q for name, q in OTHER_SCRIPTS.items() if name not in ("control", "zero-width")]
    answers = ask_json(home_copy, *questions)
    for answer in answers:
        assert answer["abstained"] or answer["citations"]
        assert_verified(answer, CORPUS)


# -- a folder of bad files -----------------------------------------------------------------


def write_bad_folder(root: Path) -> Path:
    """The default corpus, one new good file, and one of each kind of bad file."""
    root.mkdir(parents=True)
    for f in CORPUS.glob("*.txt"):
        shutil.copyfile(f, root / f.name)
    (root / "observatory.txt").write_text(NEW_FACTS, encoding="utf-8")
    (root / "observatory.txt.copy.txt").write_text(NEW_FACTS, encoding="utf-8")
    (root / "empty.txt").write_bytes(b"")
    (root / "binary.txt").write_bytes(b"PK\x03\x04\x00\x00\x08\x00" + bytes(range(256)) * 40)
    (root / "latin1.md").write_bytes("Caf\xe9 cr\xe8me br\xfbl\xe9e, na\xefve.\n".encode("latin-1"))
    with (root / "huge.txt").open("wb") as f:  # 50 MB, sparse: never read, refused by its size
        f.truncate(50 * 2**20)
    os.symlink("loop.txt", root / "loop.txt")  # loop.txt -> loop.txt
    (root / "sub").mkdir()
    os.symlink("..", root / "sub" / "up")  # sub/up/sub/up/... forever
    return root


BAD = {
    "observatory.txt.copy.txt": "same content as observatory.txt",
    "empty.txt": "empty",
    "binary.txt": "binary",
    "latin1.md": "not UTF-8",
    "huge.txt": "larger than 20 MB",
    "loop.txt": "cannot be read",
}


def test_ingest_of_a_folder_with_bad_files_takes_the_good_and_names_the_bad(
    home_copy: Path, tmp_path: Path
) -> None:
    folder = write_bad_folder(tmp_path / "mixed")
    started = time.monotonic()
    done = invoke_cli("ingest", str(folder), home=home_copy)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 120  # the 50 MB file is not read
    assert "Traceback" not in done.stderr
    assert done.stdout.splitlines()[0] == "added     observatory.txt"
    assert "1 added, 0 changed, 0 removed, 0 unchanged" in done.stdout
    skipped = {
        Path(line.split(": ", 1)[0].removeprefix("skipped").strip()).name: line
        for line in done.stderr.splitlines()
    }
    # the copies of the bundled corpus: the store's bundled source already holds them
    copies = {f.name: f"same content as {f.name} in bundled" for f in CORPUS.glob("*.txt")}
    assert set(skipped) == set(BAD) | set(copies), done.stderr
    for name, reason in (BAD | copies).items():
        assert reason in skipped[name], skipped[name]

    old, new = ask_json(home_copy, QUESTION, NEW_QUESTION)
    assert_scholars_answered(old, folder)  # everything the store had still answers
    assert not new["abstained"] and "1931" in new["answer"]
    assert {c["source"] for c in new["citations"]} == {"observatory.txt"}
    assert_verified(new, folder)


def _fake_pipeline(home: Path, **kw: object) -> Pipeline:
    settings = Settings(home=home, progress=False, **kw)  # type: ignore[arg-type]
    return Pipeline(settings, embeddings=DeterministicFakeEmbedding(size=384))


def _chunks_by_source(p: Pipeline) -> dict[str, set[str]]:
    got = p.store.collection.get(include=["metadatas"])
    out: dict[str, set[str]] = {}
    for cid, meta in zip(got["ids"], got["metadatas"] or []):
        out.setdefault(str(meta["source"]), set()).add(cid)
    return out


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (lambda p: p.write_bytes(b"\xff\xfe not utf-8 \xe9"), "not UTF-8"),
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_bytes(b"\x00" * 100), "binary"),
    ],
    ids=["not-utf8", "emptied", "binary"],
)
def test_a_file_that_became_unreadable_keeps_what_the_store_had(
    tmp_path: Path, spoil, reason: str
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "observatory.txt").write_text(NEW_FACTS, encoding="utf-8")
    (folder / "garden.txt").write_text("Basil prefers shade and rich soil.\n", encoding="utf-8")
    p = _fake_pipeline(tmp_path / "home")
    p.ingest([folder])
    before = _chunks_by_source(p)

    spoil(folder / "observatory.txt")
    report = p.ingest([folder])
    assert report.removed == () and report.unchanged == ("garden.txt",)
    (skip,) = report.skipped
    assert Path(skip.path).name == "observatory.txt" and reason in skip.reason
    assert "the copy ingested before is kept" in skip.reason
    assert _chunks_by_source(p) == before
    assert "observatory.txt" in json.loads(p.store.manifest_path.read_text())["files"]

    (folder / "observatory.txt").unlink()  # gone for real: now it is removed
    assert p.ingest([folder]).removed == ("observatory.txt",)
    assert set(_chunks_by_source(p)) == {"garden.txt"}


# -- a broken, locked or foreign store -------------------------------------------------------


def _garble(path: Path, at: int, size: int) -> None:
    with path.open("r+b") as f:
        f.seek(at)
        f.write(random.Random(7).randbytes(size))


CORRUPT_DB = {
    "truncated": lambda db: os.truncate(db, 100_000),
    "garbled": lambda db: _garble(db, 4096 * 2, 4096 * 30),
    "not-a-database": lambda db: db.write_bytes(b"this is not sqlite\n" * 50),
}


@pytest.mark.parametrize("how", CORRUPT_DB.values(), ids=CORRUPT_DB.keys())
def test_a_corrupt_chroma_database_is_a_clear_error(home_copy: Path, how) -> None:
    how(home_copy / "store" / "chroma" / "chroma.sqlite3")
    result = invoke_cli("ask", QUESTION, "--json", home=home_copy)
    assert_clean_error(result, "cannot open the Chroma store", "sciqa ingest --rebuild")
    assert result.stdout == ""  # no answer at all rather than a garbage one
    assert result.returncode == 1


def test_ingest_rebuild_recovers_from_a_corrupt_database(home_copy: Path, tmp_path: Path) -> None:
    CORRUPT_DB["truncated"](home_copy / "store" / "chroma" / "chroma.sqlite3")
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "observatory.txt").write_text(NEW_FACTS, encoding="utf-8")
    done = invoke_cli("ingest", str(folder), "--rebuild", home=home_copy)
    assert done.returncode == 0, done.stderr
    (announced,) = [ln for ln in done.stderr.splitlines() if "cannot be opened" in ln]
    assert "moved it to" in announced and "rebuilding" in announced
    (aside,) = home_copy.glob("store.unreadable-*")  # kept, not deleted
    assert (aside / "chroma" / "chroma.sqlite3").stat().st_size == 100_000
    (answer,) = ask_json(home_copy, NEW_QUESTION)
    assert "1931" in answer["answer"]
    assert_verified(answer, folder)


def _sql(folder: Path, change: str) -> None:
    """Spoil the BM25 index in ``folder``: overwrite it, cut it short, or run ``change``."""
    db = folder / "index.sqlite3"
    if change == "garbage":
        for f in folder.iterdir():
            f.write_bytes(b"garbage" * 100)
    elif change == "truncated":
        with sqlite3.connect(db) as c:
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        c.close()
        db.write_bytes(db.read_bytes()[: db.stat().st_size // 2])
    else:
        c = sqlite3.connect(db, isolation_level=None)
        c.execute(change)
        c.close()


@pytest.mark.parametrize(
    "spoil",
    [
        lambda d: _sql(d, "garbage"),
        lambda d: _sql(d, "truncated"),
        lambda d: _sql(d, "DROP TABLE postings"),
        lambda d: _sql(d, "UPDATE meta SET value = 'another' WHERE key = 'build'"),
    ],
    ids=["garbage", "truncated", "table-missing", "other-build"],
)
def test_a_broken_bm25_index_is_rebuilt_in_memory_and_announced(
    home_copy: Path, spoil, caplog: pytest.LogCaptureFixture
) -> None:
    spoil(home_copy / "store" / "bm25")
    p = Pipeline(Settings(home=home_copy, progress=False))
    answer = p.ask(QUESTION)
    assert_scholars_answered(answer.to_dict())
    assert any(pa.bm25_rank for pa in answer.passages)  # BM25 is in play again
    assert "BM25 index" in caplog.text and "sciqa ingest" in caplog.text
    # the next ingest repairs it on disk; after that, nothing to announce
    p.ingest()
    caplog.clear()
    again = Pipeline(Settings(home=home_copy, progress=False))
    assert_scholars_answered(again.ask(QUESTION).to_dict())
    assert "BM25" not in caplog.text


def test_a_broken_bm25_index_through_the_cli(home_copy: Path) -> None:
    _sql(home_copy / "store" / "bm25", "garbage")
    done = invoke_cli("ask", QUESTION, "--json", home=home_copy)
    assert done.returncode == 0, done.stderr
    assert_scholars_answered(json.loads(done.stdout))
    (warning,) = done.stderr.strip().splitlines()
    assert warning.startswith("sciqa: warning: the BM25 index") and "sciqa ingest" in warning


@pytest.mark.parametrize(
    "manifest",
    ['{"files": []}', '{"embedding_model": "x", "chunking": {}, "files": []}', "[]", "null"],
)
def test_a_manifest_of_the_wrong_shape_is_a_clear_error(home_copy: Path, manifest: str) -> None:
    (home_copy / "store" / "manifest.json").write_text(manifest, encoding="utf-8")
    with pytest.raises(StoreError, match=r"manifest .* is unreadable .*--rebuild"):
        Pipeline(Settings(home=home_copy, progress=False)).ask(QUESTION)


def test_a_home_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("a file, not a folder", encoding="utf-8")
    with pytest.raises(StoreError, match=r"cannot create the store .* SCIQA_HOME .* write to"):
        Pipeline(Settings(home=home, progress=False))


def test_a_store_built_with_another_model_is_refused_by_the_cli(home_copy: Path) -> None:
    path = home_copy / "store" / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["embedding_model"] = "text-embedding-3-small"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    for args in (("ask", QUESTION), ("ingest",)):
        result = invoke_cli(*args, home=home_copy)
        line = assert_clean_error(result, "text-embedding-3-small", "sciqa ingest --rebuild")
        assert "SCIQA_EMBEDDINGS" in line and result.stdout == ""
    assert json.loads(path.read_text(encoding="utf-8")) == manifest  # refused, not changed


def _holding(code: str, ready: str) -> Iterator[subprocess.Popen]:
    """Run ``code`` in another Python process until the test ends, once it has printed
    ``ready`` (it has taken whatever it holds)."""
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == ready
    yield proc
    proc.kill()
    proc.wait()


@pytest.fixture
def sqlite_locker(home_copy: Path) -> Iterator[subprocess.Popen]:
    """Another process holding an exclusive lock on the store's database."""
    db = home_copy / "store" / "chroma" / "chroma.sqlite3"
    code = (
        "import sqlite3, sys, time\n"
        f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
        "c.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        "time.sleep(120)\n"
    )
    yield from _holding(code, "locked")


def test_a_database_locked_by_another_process_is_a_clear_error(
    home_copy: Path, sqlite_locker: subprocess.Popen
) -> None:
    started = time.monotonic()
    result = invoke_cli("ask", QUESTION, home=home_copy, env={"SCIQA_LOCK_TIMEOUT": "1"})
    assert time.monotonic() - started < 60  # Chroma alone would wait as long as the lock is held
    assert_clean_error(result, "locked by another process", "try again", "SCIQA_LOCK_TIMEOUT")
    assert result.stdout == ""
    sqlite_locker.kill()
    sqlite_locker.wait()
    (answer,) = ask_json(home_copy, QUESTION)
    assert_scholars_answered(answer)


@pytest.fixture
def ingest_holder(home_copy: Path) -> Iterator[subprocess.Popen]:
    """Another process in the middle of an ingest, holding the store's ingest lock."""
    code = (
        "import sys, time\n"
        "from sciqa import Settings\n"
        "from sciqa.store import Store\n"
        f"store = Store(Settings(home={str(home_copy)!r}), 'all-MiniLM-L6-v2-onnx-int8')\n"
        "with store.ingest_lock():\n"
        "    print('holding', flush=True)\n"
        "    time.sleep(120)\n"
    )
    yield from _holding(code, "holding")


def test_a_second_ingest_waits_then_says_another_is_running(
    home_copy: Path, ingest_holder: subprocess.Popen
) -> None:
    manifest = (home_copy / "store" / "manifest.json").read_bytes()
    result = invoke_cli("ingest", home=home_copy, env={"SCIQA_LOCK_TIMEOUT": "1"})
    assert_clean_error(result, f"another ingest (process {ingest_holder.pid})", "try again")
    assert (home_copy / "store" / "manifest.json").read_bytes() == manifest
    # answering needs no ingest lock
    (answer,) = ask_json(home_copy, QUESTION, env={"SCIQA_LOCK_TIMEOUT": "1"})
    assert_scholars_answered(answer)
    ingest_holder.kill()  # the system releases the lock of a killed process
    ingest_holder.wait()
    done = invoke_cli("ingest", "--json", home=home_copy, env={"SCIQA_LOCK_TIMEOUT": "1"})
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["unchanged"]) == 5


# -- a full disk ---------------------------------------------------------------------------


def _notes(folder: Path, names: tuple[str, ...], unit: str = "units") -> Path:
    from .test_store import _text

    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / f"{name}.txt").write_text(_text(name).replace("units", unit), encoding="utf-8")
    return folder


def _disk_full() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def assert_store_consistent(home: Path) -> dict[str, set[str]]:
    """The manifest parses, every file it vouches for (not pending) has exactly its chunks, and
    every chunk belongs to a file the manifest lists or has pending. Returns chunks by source."""
    manifest = json.loads((home / "store" / "manifest.json").read_text(encoding="utf-8"))
    store = Store(Settings(home=home, progress=False), manifest["embedding_model"])
    got = store.collection.get(include=["metadatas"])
    by_source: dict[str, set[str]] = {}
    for cid, meta in zip(got["ids"], got["metadatas"] or []):
        by_source.setdefault(str(meta["source"]), set()).add(cid)
    pending = set(manifest.get("pending", []))
    for source, entry in manifest["files"].items():
        if source not in pending:
            assert len(by_source.get(source, ())) == entry["chunks"], (source, manifest)
    assert set(by_source) <= set(manifest["files"]) | pending, (set(by_source), manifest)
    return by_source


FAULTS = {
    # the first manifest write (the journal, before anything is touched)
    "journal": ("sciqa.manifest.atomic_write", 0),
    # a later manifest write (after a batch was stored)
    "manifest": ("sciqa.manifest.atomic_write", 1),
    # Chroma's SQLite writing a batch
    "chroma": ("sciqa.store.Store.add", 0),
    # adding a batch to the BM25 index (after Chroma stored it)
    "bm25": ("sciqa.sparse.SparseIndex.add", 0),
}


@pytest.mark.parametrize("fault", FAULTS, ids=FAULTS)
def test_a_full_disk_mid_ingest_is_a_clear_error_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    corpus = _notes(tmp_path / "corpus", ("alpha", "beta", "gamma"))
    home = tmp_path / "home"
    _fake_pipeline(home, ingest_batch=2).ingest([corpus])
    before = assert_store_consistent(home)

    # the next run has work: beta changed, delta new, gamma removed
    _notes(corpus, ("beta",), unit="grams")
    _notes(corpus, ("delta",))
    (corpus / "gamma.txt").unlink()
    target, after_calls = FAULTS[fault]
    owner, name = target.rsplit(".", 1)
    obj = pydoc.locate(owner)  # a module, or a class in one
    real, calls = getattr(obj, name), []

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) > after_calls:
            if fault == "chroma":  # what Chroma raises: SQLite's words, not an OSError
                raise RuntimeError(
                    "error returned from database: (code: 13) database or disk is full"
                )
            raise _disk_full()
        return real(*args, **kwargs)

    monkeypatch.setattr(obj, name, failing)
    p = _fake_pipeline(home, ingest_batch=2)
    with pytest.raises(StoreError) as err:
        p.ingest([corpus])
    message = str(err.value)
    assert "is full" in message and "Free some space" in message and "nothing was lost" in message
    assert "sciqa ingest" in message
    monkeypatch.undo()

    now = assert_store_consistent(home)
    assert now["alpha.txt"] == before["alpha.txt"]
    assert before["beta.txt"] <= now.get("beta.txt", set()) or fault == "bm25"  # old beta stays
    fresh = _fake_pipeline(home, ingest_batch=2)
    assert fresh.retrieve("alpha survey number 3", k=3)[0].source == "alpha.txt"
    if fault != "bm25":
        found = fresh.retrieve("beta survey number 5 units", k=8)
        beta = [p for p in found if p.source == "beta.txt" and "survey" in p.text]
        assert any("units" in p.text for p in beta)  # the old version still answers

    # with room again, the next ingest finishes the job: as if it had never failed
    report = fresh.ingest([corpus])
    assert set(report.added) | set(report.changed) | set(report.unchanged) == {
        "alpha.txt",
        "beta.txt",
        "delta.txt",
    }
    clean = _fake_pipeline(tmp_path / "clean", ingest_batch=2)
    clean.ingest([corpus])
    assert assert_store_consistent(home) == assert_store_consistent(tmp_path / "clean")
    manifest = json.loads(fresh.store.manifest_path.read_text(encoding="utf-8"))
    assert manifest["pending"] == [] and manifest["bm25"] == fresh.store.bm25_build()


def test_a_chroma_failure_mid_ingest_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chromadb.errors import InternalError

    corpus = _notes(tmp_path / "corpus", ("alpha", "beta"))
    home = tmp_path / "home"
    _fake_pipeline(home).ingest([corpus])
    before = assert_store_consistent(home)
    _notes(corpus, ("gamma",))

    def add(self: Store, chunks, vectors) -> None:  # type: ignore[no-untyped-def]
        raise InternalError("Error in compaction: Failed to apply logs to the metadata segment")

    monkeypatch.setattr(Store, "add", add)
    with pytest.raises(StoreError, match=r"Chroma could not write .* Nothing was lost"):
        _fake_pipeline(home).ingest([corpus])
    monkeypatch.undo()
    assert assert_store_consistent(home) == before
    assert _fake_pipeline(home).ingest([corpus]).added == ("gamma.txt",)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB tmpfs, when this machine lets the tests mount one (root, not in a sandbox)."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root; the injected-fault test covers a full disk")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_ingest_onto_a_really_full_disk(home_copy: Path, small_disk: Path, tmp_path: Path) -> None:
    home = small_disk / "home"
    shutil.copytree(home_copy / "store", home / "store")
    env = {"TIKTOKEN_CACHE_DIR": str(tmp_path / "tiktoken")}  # the disk is for the store
    folder = tmp_path / "more"
    shutil.copytree(CORPUS, folder)
    text = file_text(CORPUS / SCHOLARS)  # 65 more chunks: about 650 KB more of SQLite
    (folder / "edition2.txt").write_text(f"Edition 2\n\n{text}", encoding="utf-8")
    filler = small_disk / "filler"
    free = shutil.disk_usage(small_disk).free
    with filler.open("wb") as f:
        f.write(b"\0" * (free - 300 * 1024))  # leave 300 KB

    result = run_cli("ingest", str(folder), home=home, env=env)
    assert_clean_error(result, "is full", "Free some space", "nothing was lost")
    assert result.returncode == 1

    filler.unlink()  # the user frees some space
    (answer,) = ask_json(home, QUESTION, env=env)
    assert not answer["abstained"] and "2019" in answer["answer"]  # from either copy
    assert {c["source"] for c in answer["citations"]} <= {SCHOLARS, "edition2.txt"}
    assert_verified(answer, folder)
    assert_store_consistent(home)
    done = run_cli("ingest", str(folder), "--json", home=home, env=env)
    assert done.returncode == 0, done.stderr
    assert_store_consistent(home)
    manifest = json.loads((home / "store" / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) == {p.name for p in folder.iterdir()}


# -- interrupted rebuild -------------------------------------------------------------------


def test_a_rebuild_interrupted_after_dropping_the_collection_heals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = _notes(tmp_path / "corpus", ("alpha", "beta"))
    home = tmp_path / "home"
    _fake_pipeline(home, corpus=corpus).ingest([corpus])
    before = assert_store_consistent(home)

    def reset_then_die(self: Store) -> None:  # killed inside reset, the collection gone
        self.client.delete_collection(self.settings.collection)
        raise KeyboardInterrupt

    monkeypatch.setattr(Store, "reset", reset_then_die)
    with pytest.raises(KeyboardInterrupt):
        _fake_pipeline(home, corpus=corpus).ingest([corpus], rebuild=True)
    monkeypatch.undo()

    # the manifest vouches for nothing, so the next question indexes the corpus again
    manifest = json.loads((home / "store" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"] == {} and set(manifest["pending"]) == {"alpha.txt", "beta.txt"}
    again = _fake_pipeline(home, corpus=corpus)
    answer = again.ask("What did the alpha survey number 3 measure?")
    assert answer.abstained or answer.citations
    assert assert_store_consistent(home) == before


# -- SIGKILL mid-ingest --------------------------------------------------------------------

KILLS_IN_CI = 3
KILLS_IN_STRESS = 20
REMOVED = "004_75d555dda68bfd9d.txt"
REMOVED_QUESTION = "What is Bernhard Schölkopf's title at Amazon?"  # only the removed file says
CHANGED = "003_ec9fe093f6959211.txt"


@pytest.fixture(scope="module")
def kill_scene(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A store of the user's folder (``base``), their edits to it (one file changed, one
    removed, one added) and the store a clean, uninterrupted ``sciqa ingest`` of them makes
    from ``base``."""
    tmp = tmp_path_factory.mktemp("kill")
    docs = tmp / "docs"
    docs.mkdir()
    for f in CORPUS.glob("*.txt"):
        shutil.copyfile(f, docs / f.name)
    # The user's store: their own folder (a copy of the corpus as it was), its only source;
    # `sciqa ingest docs` then re-reads that folder after the edits below.
    base = tmp / "base"
    built = run_cli("ingest", str(docs), home=base)
    assert built.returncode == 0, built.stderr
    (docs / REMOVED).unlink()
    # every offset in the changed file moves: its chunks must all be rewritten
    (docs / CHANGED).write_text(
        "Updated in 2026: this page was revised.\n\n" + file_text(CORPUS / CHANGED),
        encoding="utf-8",
    )
    (docs / "observatory.txt").write_text(NEW_FACTS, encoding="utf-8")
    reference = tmp / "reference"
    shutil.copytree(base, reference)
    started = time.monotonic()
    quiet = {"SCIQA_INGEST_BATCH": "16", "SCIQA_VECTOR_CACHE_SIZE": "0"}  # as kill_cli_at's
    done = run_cli("ingest", str(docs), home=reference, env=quiet)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    return {
        "docs": docs,
        "base": base,
        "chunks": assert_store_consistent(reference),
        "seconds": seconds,
    }


def _kill_ingest_at(home: Path, docs: Path, delay: float) -> bool:
    """Start ``sciqa ingest docs``, SIGKILL it after ``delay`` seconds; whether it was killed."""
    return kill_cli_at(home, ["ingest", str(docs)], delay)[0]


def kill_cli_at(
    home: Path,
    args: list[str],
    delay: float,
    *,
    ready: Callable[[int], bool] | None = None,
    batch: int = 16,
) -> tuple[bool, float]:
    """Start ``sciqa *args`` (in batches of ``batch`` chunks: many places to be killed), SIGKILL it
    ``delay`` seconds after ``ready(pid)`` first holds (after it starts, without ``ready``);
    whether it was killed, and the seconds it ran from then on."""
    env = {**os.environ, "SCIQA_HOME": str(home), "SCIQA_PROGRESS": "false"}
    env["SCIQA_INGEST_BATCH"] = str(batch)
    env["SCIQA_VECTOR_CACHE_SIZE"] = "0"  # every chunk embedded: the ingest takes its real time
    exe = Path(sys.executable).with_name("sciqa")
    child = subprocess.Popen(
        [str(exe), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 300
    while ready is not None and child.poll() is None and not ready(child.pid):
        assert time.monotonic() < deadline, f"sciqa {' '.join(args)} never got ready"
        time.sleep(0.005)
    since = time.monotonic()
    try:
        child.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGKILL)
    _, err = child.communicate()
    assert child.returncode in (0, -signal.SIGKILL), err.decode(errors="replace")[-2000:]
    return child.returncode == -signal.SIGKILL, time.monotonic() - since


def _phase(home: Path, killed: bool) -> str:
    """Where the ingest was when it was killed, from what its manifest says."""
    manifest = json.loads((home / "store" / "manifest.json").read_text(encoding="utf-8"))
    pending = set(manifest["pending"]) if "pending" in manifest else None
    if not killed:
        return "finished first"
    if pending is None or (not pending and manifest["bm25"] and REMOVED in manifest["files"]):
        return "starting up"  # the manifest is still the one the built store had
    if REMOVED in pending:
        return "deleting the removed file"
    if pending:
        return "writing chunks"
    return "rebuilding BM25" if not manifest["bm25"] else "writing the last manifest"


def _survive_kill(
    scene: dict, home: Path, delay: float, *, ask_after: bool = True
) -> tuple[bool, str]:
    shutil.copytree(scene["base"], home)
    docs = scene["docs"]
    killed = _kill_ingest_at(home, docs, delay)
    phase = _phase(home, killed)

    # 1. what the kill left is consistent, and the next `sciqa ask` answers from it
    assert_store_consistent(home)
    # (each a process of its own, as after a real kill: no state carried between them)
    (answer,) = ask_json(home, QUESTION, run=run_cli)
    assert_scholars_answered(answer, docs, CORPUS)  # the old or the new version of a file

    # 2. the next `sciqa ingest` completes, and the store is what a clean ingest makes
    done = run_cli("ingest", str(docs), "--json", home=home)
    assert done.returncode == 0, done.stderr
    assert assert_store_consistent(home) == scene["chunks"]
    manifest = json.loads((home / "store" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["pending"] == []
    bm25 = home / "store" / "bm25"
    assert manifest["bm25"] == saved_build(bm25)
    ids = stored_ids(bm25)
    assert sorted(ids) == sorted(set().union(*scene["chunks"].values()))

    # 3. and it answers from the new corpus only (its chunks equal the reference's: asked once)
    if not ask_after:
        return killed, phase
    old, new, removed = ask_json(home, QUESTION, NEW_QUESTION, REMOVED_QUESTION, run=run_cli)
    assert_scholars_answered(old, docs)
    assert "1931" in new["answer"] and {c["source"] for c in new["citations"]} == {
        "observatory.txt"
    }
    assert REMOVED not in {c["source"] for c in removed["citations"]}
    assert_verified(removed, docs)
    return killed, phase


def _kill_delays(n: int, seconds: float, seed: int) -> list[float]:
    """``n`` delays spread over the ingest (one in each n-th of 90% of it: the last tenth is
    often over before a busy machine gets there), in random order."""
    rng = random.Random(seed)
    delays = [0.9 * seconds * (i + rng.random()) / n for i in range(n)]
    rng.shuffle(delays)
    return delays


def _kill_many(scene: dict, tmp_path: Path, n: int, *, kills: int = 0) -> None:
    """``n`` runs at delays spread over the ingest; then, until ``kills`` of them were killed
    mid-ingest (not finished first), more at random delays."""
    rng = random.Random(7)
    delays = _kill_delays(n, scene["seconds"], seed=7)
    runs: list[tuple[bool, str]] = []
    while len(runs) < len(delays) or (sum(k for k, _ in runs) < kills and len(runs) < 2 * n):
        delay = (
            delays[len(runs)] if len(runs) < len(delays) else rng.uniform(0, 0.8) * scene["seconds"]
        )
        if len(runs) >= len(delays):
            delays.append(delay)
        home = tmp_path / f"run{len(runs):02d}"
        runs.append(_survive_kill(scene, home, delay, ask_after=len(runs) == n - 1))
    killed = sum(k for k, _ in runs)
    phases = Counter(phase for _, phase in runs)
    print(
        f"\nsigkill: {killed} of {len(runs)} ingests killed at "
        f"{', '.join(f'{d:.1f}' for d in sorted(delays))} s of a {scene['seconds']:.1f} s ingest "
        f"({dict(phases)}); every one answered, resumed and matched a clean ingest"
    )
    assert killed >= max(kills, n * 2 // 3)  # most kills land mid-ingest


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_sigkill_mid_ingest_then_ask_and_resume(kill_scene: dict, tmp_path: Path) -> None:
    # Under a changing load (the suite runs on two workers) a kill may come after the end:
    # more runs until most have landed.
    _kill_many(kill_scene, tmp_path, KILLS_IN_CI, kills=KILLS_IN_CI * 2 // 3)


@pytest.mark.stress
@pytest.mark.timeout(3600)
def test_sigkill_mid_ingest_20_times(kill_scene: dict, tmp_path: Path) -> None:
    _kill_many(kill_scene, tmp_path, KILLS_IN_STRESS, kills=KILLS_IN_STRESS)
