"""Issue 15, item 1: the sources a store is built from survive any kill.

A killed ``sciqa ingest --rebuild``, a killed first ingest of a user's folder and a
``manifest.json`` deleted by hand used to leave a store that the next ``sciqa ask`` or
``sciqa ingest`` filled with the bundled corpus. ``store/sources.json`` (``sources.py``) now
records the user's folders before anything is written or dropped; only a store that never
recorded any gets the bundled corpus.

The SIGKILL tests run 3 kills of each kind in CI and 20 with ``pytest -m stress``.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from sciqa import StoreError, sources
from sciqa.store import Store

from .conftest import CORPUS, run_cli
from .test_reliability import (
    QUESTION,
    _fake_pipeline,
    _kill_delays,
    _notes,
    ask_json,
    assert_store_consistent,
    kill_cli_at,
)

TOPICS = (
    "alder", "birch", "cedar", "dogwood", "elm", "fir", "ginkgo", "hazel", "ironwood", "juniper",
    "larch", "maple", "oak", "pine", "quince", "rowan", "spruce", "tamarack", "willow", "yew",
)  # fmt: skip
USER_FILES = {f"{t}.txt" for t in TOPICS}
BUNDLED = {f.name for f in CORPUS.glob("*.txt")}
USER_QUESTION = "What did the maple survey number 3 measure?"


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def journal(home: Path) -> list[str]:
    """The sources ``sources.json`` records, oldest first."""
    return [s["path"] for s in read_json(home / "store" / "sources.json")["sources"]]


def recorded_paths(store_dir: Path) -> list[str] | None:
    entries = sources.recorded(store_dir)
    return None if entries is None else [e.path for e in entries]


def assert_mirrors_only(home: Path, folder: Path, *, finished: bool = True) -> None:
    """The journal and the manifest name ``folder`` alone, and the store holds its files only
    (all of them, when ``finished``)."""
    store = home / "store"
    assert journal(home) == [str(folder)]
    manifest = read_json(store / "manifest.json")
    assert manifest["roots"] == [str(folder)]
    held = set(assert_store_consistent(home))
    assert held <= USER_FILES and not held & BUNDLED, held
    if finished:
        assert set(manifest["files"]) == held == USER_FILES and manifest["pending"] == []


# -- through the API (fake embeddings: fast) -------------------------------------------------


def test_a_rebuild_killed_after_the_drop_rebuilds_the_users_documents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _notes(tmp_path / "user", TOPICS)
    home = tmp_path / "home"
    _fake_pipeline(home, ingest_batch=4).ingest([folder])

    def die(self: Store, chunks, vectors) -> None:  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt  # killed with the store dropped, before a chunk is back

    monkeypatch.setattr(Store, "add", die)
    with pytest.raises(KeyboardInterrupt):
        _fake_pipeline(home, ingest_batch=4).ingest(rebuild=True)
    monkeypatch.undo()
    assert set(assert_store_consistent(home)) == set()

    # the next question refills the store from the user's folder, not the bundled corpus
    again = _fake_pipeline(home, ingest_batch=4)
    answer = again.ask(USER_QUESTION)
    assert {p.source for p in answer.passages} <= USER_FILES
    assert_mirrors_only(home, folder)
    report = _fake_pipeline(home).ingest()  # no path: the user's folder
    assert set(report.unchanged) == USER_FILES


def test_a_manifest_deleted_by_hand_does_not_switch_to_the_bundled_corpus(
    tmp_path: Path,
) -> None:
    folder = _notes(tmp_path / "user", TOPICS)
    home = tmp_path / "home"
    _fake_pipeline(home).ingest([folder])
    before = assert_store_consistent(home)

    (home / "store" / "manifest.json").unlink()
    answer = _fake_pipeline(home).ask(QUESTION)  # an Amazon question: the bundled corpus's
    assert {p.source for p in answer.passages} <= USER_FILES
    assert_mirrors_only(home, folder)
    assert assert_store_consistent(home) == before

    (home / "store" / "manifest.json").unlink()
    report = _fake_pipeline(home).ingest()
    assert set(report.added) == USER_FILES and report.removed == ()
    assert_mirrors_only(home, folder)
    assert assert_store_consistent(home) == before


def test_relative_paths_are_recorded_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _notes(tmp_path / "work" / "user", ("alder", "birch"))
    note = _notes(tmp_path / "work" / "more", ("cedar",)) / "cedar.txt"
    monkeypatch.chdir(tmp_path / "work")
    home = tmp_path / "home"
    _fake_pipeline(home).ingest(["user", "./sub/../more/cedar.txt"])
    roots = [str(folder), str(note)]
    recorded = read_json(home / "store" / "sources.json")
    assert recorded["version"] == 2 and journal(home) == roots
    assert all(s["ingested"].endswith("Z") for s in recorded["sources"])
    assert read_json(home / "store" / "manifest.json")["roots"] == roots

    monkeypatch.chdir(tmp_path)  # elsewhere: the recorded paths still name the same files
    report = _fake_pipeline(home).ingest()
    assert report.unchanged == ("alder.txt", "birch.txt", "cedar.txt")


def test_only_a_store_that_never_recorded_a_source_gets_the_bundled_corpus(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    p = _fake_pipeline(home)
    assert sources.recorded(p.store.dir) is None and p.roots() == [p.corpus_root()]
    p.ensure_ready()
    assert set(assert_store_consistent(home)) == BUNDLED
    assert recorded_paths(p.store.dir) == ["bundled"]  # by name: a reinstall moves its folder

    # a store written before sources.json existed: its manifest's roots, then recorded
    folder = _notes(tmp_path / "user", ("alder", "birch"))
    home = tmp_path / "old-home"
    _fake_pipeline(home).ingest([folder])
    (home / "store" / "sources.json").unlink()
    old = _fake_pipeline(home)
    assert old.roots() == [folder]
    old.ingest()
    assert recorded_paths(old.store.dir) == [str(folder)]


def test_an_unreadable_journal_is_a_clear_error_never_the_bundled_corpus(
    tmp_path: Path,
) -> None:
    folder = _notes(tmp_path / "user", ("alder", "birch"))
    home = tmp_path / "home"
    _fake_pipeline(home).ingest([folder])
    journal = home / "store" / "sources.json"
    (home / "store" / "manifest.json").unlink()  # so that the next ask has to fill the store
    for garbage in ("{not json", '{"roots": ["relative/path"]}', '{"roots": "x"}'):
        journal.write_text(garbage, encoding="utf-8")
        with pytest.raises(StoreError, match=r"sources\.json is unreadable .*sciqa ingest"):
            _fake_pipeline(home).ask(USER_QUESTION)
        with pytest.raises(StoreError, match="sciqa ingest"):
            _fake_pipeline(home).ingest(rebuild=True)
    _fake_pipeline(home).ingest([folder])  # naming the folder writes it again
    assert recorded_paths(home / "store") == [str(folder)]


# -- SIGKILL through the CLI (real embeddings) ---------------------------------------------

KILLS_IN_CI = 3
KILLS_IN_STRESS = 20
BATCH = 4  # chunks per batch: about 10 batches for the 20 files, so many places to be killed


def _holding_the_lock(home: Path):  # type: ignore[no-untyped-def]
    """Whether the process ``pid`` holds the ingest lock and the journal is written: from
    there on the ingest writes or drops (before, a kill leaves the store as it was)."""
    store = home / "store"

    def ready(pid: int) -> bool:
        try:
            holder = (store / "ingest.lock").read_text(encoding="utf-8")
        except OSError:
            return False
        return holder == str(pid) and (store / "sources.json").exists()

    return ready


@pytest.fixture(scope="module")
def user_scene(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A user's folder of 20 files, a store built from it by ``sciqa ingest FOLDER``, and how
    long a first ingest and a ``--rebuild`` of it take once they hold the lock."""
    tmp = tmp_path_factory.mktemp("user-scene")
    docs = _notes(tmp / "user", TOPICS)
    built = tmp / "built"
    args = ["ingest", str(docs)]
    killed, first = kill_cli_at(built, args, 600, ready=_holding_the_lock(built), batch=BATCH)
    assert not killed
    chunks = assert_store_consistent(built)
    assert_mirrors_only(built, docs)
    again = tmp / "again"
    shutil.copytree(built, again)
    args = ["ingest", "--rebuild"]
    killed, rebuild = kill_cli_at(again, args, 600, ready=_holding_the_lock(again), batch=BATCH)
    assert not killed and assert_store_consistent(again) == chunks
    return {"docs": docs, "built": built, "chunks": chunks, "first": first, "rebuild": rebuild}


def _phase(home: Path, killed: bool) -> str:
    """Where the ingest was when it was killed, from what its manifest says."""
    if not killed:
        return "finished first"
    path = home / "store" / "manifest.json"
    if not path.exists():
        return "before the first manifest"
    manifest = read_json(path)
    if manifest["pending"]:
        return "writing chunks" if manifest["files"] else "nothing stored yet"
    return "rebuilding BM25" if not manifest["bm25"] else "writing the last manifest"


def _survive_kill(scene: dict, home: Path, kind: str, delay: float) -> tuple[bool, str]:
    """Kill a ``kind`` ingest ``delay`` seconds after it took the lock; then ``sciqa ask`` and
    ``sciqa ingest`` (no path) rebuild the user's folder, never the bundled corpus."""
    docs = scene["docs"]
    if kind == "rebuild":
        shutil.copytree(scene["built"], home)
        args = ["ingest", "--rebuild"]
    else:
        args = ["ingest", str(docs)]
    killed, _ = kill_cli_at(home, args, delay, ready=_holding_the_lock(home), batch=BATCH)
    phase = _phase(home, killed)
    assert journal(home) == [str(docs)]

    # 1. the next question is answered from the user's files only (refilling an empty store)
    user, amazon = ask_json(home, USER_QUESTION, QUESTION)
    for answer in (user, amazon):
        cited = {c["source"] for c in answer["citations"]}
        assert cited <= USER_FILES and {p["source"] for p in answer["passages"]} <= USER_FILES
    assert_mirrors_only(home, docs, finished=False)

    # 2. `sciqa ingest` with no path finishes the user's folder: what a clean ingest makes
    done = run_cli("ingest", "--json", home=home)
    assert done.returncode == 0, done.stderr
    assert_mirrors_only(home, docs)
    assert assert_store_consistent(home) == scene["chunks"]
    return killed, phase


def _kill_many(scene: dict, tmp_path: Path, kind: str, n: int, *, kills: int = 0) -> int:
    """One kill the moment the ingest holds the lock (a rebuild is dropping the store), ``n - 1``
    spread over the rest; then more at random delays until ``kills`` of them landed mid-ingest.
    Returns how many did."""
    seconds = scene[kind]
    delays = [0.0, *_kill_delays(n - 1, seconds, seed=15)]
    runs: list[tuple[bool, str]] = []
    while len(runs) < len(delays) or (sum(k for k, _ in runs) < kills and len(runs) < 2 * n):
        if len(runs) >= len(delays):
            delays.append(_kill_delays(1, seconds, seed=15 + len(runs))[0])
        home = tmp_path / f"{kind}{len(runs):02d}"
        runs.append(_survive_kill(scene, home, kind, delays[len(runs)]))
    killed = sum(k for k, _ in runs)
    phases = Counter(phase for _, phase in runs)
    print(
        f"\nsigkill {kind}: {killed} of {len(runs)} killed at "
        f"{', '.join(f'{d:.2f}' for d in sorted(delays))} s of {seconds:.2f} s under the lock "
        f"({dict(phases)}); the user's sources survived every one"
    )
    assert killed >= max(kills, n * 2 // 3)  # most kills land mid-ingest
    return killed


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("kind", ["rebuild", "first"], ids=["rebuild", "first-ingest"])
def test_sigkill_keeps_the_users_sources(user_scene: dict, tmp_path: Path, kind: str) -> None:
    _kill_many(user_scene, tmp_path, kind, KILLS_IN_CI)


@pytest.mark.stress
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("kind", ["rebuild", "first"], ids=["rebuild", "first-ingest"])
def test_sigkill_20_times_keeps_the_users_sources(
    user_scene: dict, tmp_path: Path, kind: str
) -> None:
    _kill_many(user_scene, tmp_path, kind, KILLS_IN_STRESS, kills=KILLS_IN_STRESS)
