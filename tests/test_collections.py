"""Issue 14, item 2: collections that grow, through the ``sciqa`` command (run in process).

A real store on disk with the real embeddings: ``sciqa ingest PATH`` adds a source beside the
bundled corpus, ``sciqa remove`` drops one (and its chunks), ``sciqa sources`` lists them, a
relative path is recorded absolute, and ``--dry-run`` changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from sciqa import Settings
from sciqa.bm25 import saved_build, stored_ids
from sciqa.store import Store

from .conftest import CORPUS, invoke_cli
from .test_cli import assert_clean_error
from .test_reliability import (
    NEW_FACTS,
    NEW_QUESTION,
    QUESTION,
    ask_json,
    assert_scholars_answered,
    assert_verified,
)

BUNDLED = {p.name for p in CORPUS.glob("*.txt")}


def _observatory(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "observatory.txt").write_text(NEW_FACTS, encoding="utf-8")
    return folder


def _ok(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    return str(result.stdout)


def _sources(home: Path) -> list[dict]:
    return json.loads(_ok(invoke_cli("sources", "--json", home=home)))["sources"]


def _chunks_of(home: Path, names: set[str]) -> tuple[int, int]:
    """Chunks of files ``names`` in Chroma, and ids of them in the BM25 index."""
    manifest = json.loads((home / "store" / "manifest.json").read_text(encoding="utf-8"))
    store = Store(Settings(home=home, progress=False), manifest["embedding_model"])
    got = store.collection.get(where={"source": {"$in": sorted(names)}}, include=[])
    bm25 = set(stored_ids(home / "store" / "bm25"))
    return len(got["ids"]), len(bm25 & set(got["ids"]))


def test_adding_a_folder_keeps_the_bundled_corpus_answering(
    home_copy: Path, tmp_path: Path
) -> None:
    folder = _observatory(tmp_path / "papers")
    report = json.loads(_ok(invoke_cli("ingest", str(folder), "--json", home=home_copy)))
    assert report["added"] == ["observatory.txt"] and report["removed"] == []
    assert report["root_of"] == {"observatory.txt": str(folder)}

    old, new = ask_json(home_copy, QUESTION, NEW_QUESTION)
    assert_scholars_answered(old)
    assert not new["abstained"] and "1931" in new["answer"]
    assert {c["source"] for c in new["citations"]} == {"observatory.txt"}
    assert_verified(new, folder)

    listed = _sources(home_copy)
    assert [(s["source"], s["kind"], s["files"]) for s in listed] == [
        ("bundled", "bundled", len(BUNDLED)),
        (str(folder), "folder", 1),
    ]
    assert all(s["chunks"] > 0 and s["ingested"] for s in listed[1:])
    plain = _ok(invoke_cli("sources", home=home_copy)).splitlines()
    assert plain[0].split() == ["SOURCE", "FILES", "CHUNKS", "LAST", "INGESTED"]
    assert plain[1].startswith("bundled ") and plain[2].startswith(f"{folder} ")
    assert plain[2].split()[1:3] == ["1", str(listed[1]["chunks"])]
    assert plain[2].endswith(" UTC")


def test_removing_a_source_drops_its_chunks_and_its_answers(
    home_copy: Path, tmp_path: Path
) -> None:
    folder = _observatory(tmp_path / "papers")
    _ok(invoke_cli("ingest", str(folder), home=home_copy))
    assert _chunks_of(home_copy, {"observatory.txt"})[0] > 0

    out = _ok(invoke_cli("remove", str(folder), home=home_copy))
    assert out.splitlines()[0] == "removed   observatory.txt"
    assert out.splitlines()[-1].startswith("1 file removed (")
    assert _chunks_of(home_copy, {"observatory.txt"}) == (0, 0)  # Chroma and BM25
    manifest = json.loads((home_copy / "store" / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) == BUNDLED and manifest["pending"] == []
    assert [s["source"] for s in _sources(home_copy)] == ["bundled"]

    old, new = ask_json(home_copy, QUESTION, NEW_QUESTION)
    assert new["abstained"], new["answer"]
    assert all(p["source"] in BUNDLED for p in new["passages"])
    assert_scholars_answered(old)


def test_a_relative_path_is_recorded_absolute(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first, second = tmp_path / "first", tmp_path / "second"
    _observatory(first / "docs" / "user")
    (second / "docs" / "user").mkdir(parents=True)
    for n in range(20):  # the other folder of the same name: never read
        (second / "docs" / "user" / f"other{n}.txt").write_text(f"Note {n}.\n", encoding="utf-8")

    _ok(invoke_cli("ingest", "docs/user", home=home, cwd=first))
    again = json.loads(_ok(invoke_cli("ingest", "--json", home=home, cwd=second)))
    assert again["unchanged"] == ["observatory.txt"]
    assert again["added"] == again["removed"] == []
    assert [s["path"] for s in _sources(home)] == [str(first / "docs" / "user")]

    # removing it by the relative path from elsewhere names another folder: an error
    wrong = invoke_cli("remove", "docs/user", home=home, cwd=second)
    assert_clean_error(wrong, f"{second / 'docs' / 'user'} is not a source")
    _ok(invoke_cli("remove", "docs/user", home=home, cwd=first))
    assert _sources(home) == []


def test_dry_runs_print_the_plan_and_change_nothing(home_copy: Path, tmp_path: Path) -> None:
    folder = _observatory(tmp_path / "papers")
    store = home_copy / "store"
    files = ("sources.json", "manifest.json")

    def bm25() -> tuple[list[str], str | None]:
        return stored_ids(store / "bm25"), saved_build(store / "bm25")

    before = {f: (store / f).read_bytes() for f in files}, bm25()

    out = _ok(invoke_cli("ingest", str(folder), "--dry-run", home=home_copy)).splitlines()
    assert out == [
        "added     observatory.txt",
        f"  in {folder}: 1 added",
        "1 added, 0 changed, 0 removed, 0 unchanged would be ingested",
    ]
    out = _ok(invoke_cli("remove", "bundled", "--dry-run", home=home_copy)).splitlines()
    assert {line.split()[1] for line in out[:-2]} == BUNDLED
    assert out[-2:] == [
        f"  in bundled: {len(BUNDLED)} removed",
        f"{len(BUNDLED)} files would be removed",
    ]

    assert ({f: (store / f).read_bytes() for f in files}, bm25()) == before
    assert _chunks_of(home_copy, BUNDLED)[0] > 0 and _chunks_of(home_copy, {"observatory.txt"}) == (
        0,
        0,
    )


def test_removing_what_is_not_a_source_is_one_line_and_changes_nothing(
    home_copy: Path, tmp_path: Path
) -> None:
    folder = _observatory(tmp_path / "papers")
    store = home_copy / "store"
    before = {f: (store / f).read_bytes() for f in ("sources.json", "manifest.json")}
    for args in ([str(folder)], ["bundled", str(folder)], [str(CORPUS / "x.txt")]):
        result = invoke_cli("remove", *args, home=home_copy)
        assert_clean_error(result, "is not a source of the store, nothing was removed")
    assert {f: (store / f).read_bytes() for f in before} == before
    assert [s["source"] for s in _sources(home_copy)] == ["bundled"]


def test_help_says_how_sources_grow_and_listing_a_new_store_touches_nothing(
    tmp_path: Path,
) -> None:
    home = tmp_path / "h"
    top = _ok(invoke_cli("--help", home=home))
    assert "sources " in top and "remove " in top
    for command in ("ingest", "remove"):
        text = " ".join(_ok(invoke_cli(command, "--help", home=home)).split())
        assert "write ./bundled for a folder of that name" in text
        assert "Paths are stored absolute" in text
    text = " ".join(_ok(invoke_cli("ingest", "--help", home=home)).split())
    assert "other sources are kept" in text.lower() and "sciqa ingest bundled" in text
    out = _ok(invoke_cli("sources", home=home))
    assert out.startswith("The store holds no sources yet: the first question indexes")
    assert json.loads(_ok(invoke_cli("sources", "--json", home=home))) == {"sources": []}
    assert not (home / "store").exists()
