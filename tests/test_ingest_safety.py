"""Ingest against hostile folders (issue 15, items 3, 4, 7, 8): reads are bounded and only of
regular files, links that leave the folder are not followed unless asked, quotes index the text
as Python reads the file, and a file name cannot forge a line of the report.

Small stores with fake embeddings (as in test_store.py); nothing loads the MiniLM model.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from click.testing import CliRunner

from sciqa import IngestReport, StoreReadOnlyError
from sciqa.chunking import chunk_documents, count_tokens, encoding
from sciqa.cli import cli
from sciqa.cli.collection import print_report
from sciqa.documents import OUTSIDE, Span, discover, parse, read_file, shown
from sciqa.schema import Skipped
from sciqa.store import Store
from sciqa.text import split_sentences

from .conftest import invoke_cli
from .test_store import _text, make_pipeline

T = TypeVar("T")


def finishes(work: Callable[[], T], seconds: float = 60) -> T:
    """``work()``, failing the test (not hanging it) if it takes longer than ``seconds``."""
    result: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as e:  # handed to the test below
            errors.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    if errors:
        raise errors[0]
    return result[0]


def reasons(report: IngestReport) -> dict[str, str]:
    return {Path(s.path).name: s.reason for s in report.skipped}


# -- item 3: bounded reads of regular files only ---------------------------------------------


def test_links_to_devices_and_fifos_are_skipped_and_the_good_file_ingested(
    tmp_path: Path,
) -> None:
    root = tmp_path / "hostile"
    root.mkdir()
    (root / "good.txt").write_text(_text("good"), encoding="utf-8")
    os.symlink("/dev/zero", root / "zero.txt")
    os.symlink("/dev/urandom", root / "urandom.txt")
    os.mkfifo(root / "pipe.txt")  # nobody ever writes to it
    os.symlink("pipe.txt", root / "pipe-link.txt")
    p = make_pipeline(tmp_path / "h")

    # follow_links: the links to /dev are read as far as read_file, which must refuse them
    report = finishes(lambda: p.ingest([root], follow_links=True))

    assert report.added == ("good.txt",)
    why = reasons(report)
    assert set(why) == {"zero.txt", "urandom.txt", "pipe.txt", "pipe-link.txt"}
    assert why["zero.txt"] == "links to /dev/zero, a device, not a regular file"
    assert "a device" in why["urandom.txt"]
    assert why["pipe.txt"] == "a FIFO (named pipe), not a regular file"
    assert "a FIFO" in why["pipe-link.txt"] and str(root / "pipe.txt") in why["pipe-link.txt"]


def test_a_device_or_fifo_given_as_the_path_is_refused_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.txt"
    os.mkfifo(fifo)
    assert finishes(lambda: read_file(Path("/dev/zero"), "zero"), 10) == Skipped(
        "/dev/zero", "a device, not a regular file"
    )
    found = finishes(lambda: list(discover([fifo])), 10)
    assert found == [(fifo, "fifo.txt")]
    assert finishes(lambda: read_file(fifo, "fifo.txt"), 10) == Skipped(
        str(fifo), "a FIFO (named pipe), not a regular file"
    )


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
def test_the_size_on_disk_is_not_trusted() -> None:
    maps = Path("/proc/self/maps")  # a regular file whose st_size is 0
    assert maps.stat().st_size == 0
    skipped = read_file(maps, "maps", limit=64)
    assert skipped == Skipped(str(maps), f"larger than {64 / 2**20:g} MB")


def test_a_file_over_the_limit_is_skipped_and_one_at_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("x" * 101, encoding="utf-8")
    assert isinstance(read_file(big, "big.txt", limit=100), Skipped)
    assert read_file(big, "big.txt", limit=101).text == "x" * 101  # type: ignore[union-attr]


# -- item 3: parsing and chunking in linear time --------------------------------------------


def _one_line(chars: int) -> str:
    """Words and numbers in a seeded random order, no sentence boundary anywhere."""
    words = ("survey", "measured", "the", "lynx", "of", "site", "42", "units", "and", "x7")
    rng = random.Random(42)
    return " ".join(rng.choices(words, k=chars // 4))[:chars].rstrip()


def test_a_2_mb_line_without_a_sentence_boundary_chunks_in_seconds() -> None:
    text = _one_line(2_000_000)  # took about 15 minutes before (400 KB: 38-71 s)
    encoding()  # loading the tokenizer is not what is measured

    began = time.perf_counter()
    chunks = chunk_documents(parse("long.txt", text), 128, 24)
    seconds = time.perf_counter() - began

    assert seconds < 20, f"{seconds:.1f} s"
    assert len(chunks) > 3000
    covered = 0
    for c in chunks:
        for offset, start, end in c.spans:
            assert c.text[offset : offset + end - start] == text[start:end]
        assert count_tokens(c.text) <= 128 + 2 * len(c.spans)
        covered = max(covered, c.end)
    assert covered == len(text)


def test_many_initials_or_related_content_lines_parse_in_linear_time() -> None:
    initials = "J. " * 100_000  # each full stop is a boundary the abbreviation check rejects
    related = "Notes\n\n" + "Related content\nnot a location line\n" * 20_000

    began = time.perf_counter()
    (sentence,) = split_sentences(Span(0, len(initials) - 1, initials[:-1]))
    docs = parse("related.txt", related)
    seconds = time.perf_counter() - began

    assert seconds < 10, f"{seconds:.1f} s"  # before: 90 KB of initials 250 s, 620 KB 40 s
    assert sentence.text == initials[:-1]
    assert [d.section for d in docs] == ["document"]


# -- item 4: links that leave the folder ------------------------------------------------------


def _linked_folder(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    (root / "sub").mkdir(parents=True)
    (root / "good.txt").write_text(_text("good"), encoding="utf-8")
    (root / "sub" / "data.dat").write_text(_text("inner"), encoding="utf-8")
    os.symlink("sub/data.dat", root / "inner.txt")  # stays inside: read
    os.symlink("/etc/passwd", root / "passwd.txt")
    os.symlink("/etc", root / "etc")  # a folder outside: not walked
    return root


@pytest.mark.skipif(not Path("/etc/passwd").is_file(), reason="needs /etc/passwd")
def test_a_link_out_of_the_folder_is_skipped_unless_follow_links(tmp_path: Path) -> None:
    root = _linked_folder(tmp_path)
    p = make_pipeline(tmp_path / "h")

    report = p.ingest([root])

    assert report.added == ("good.txt", "inner.txt")
    assert reasons(report) == {"passwd.txt": OUTSIDE, "etc": OUTSIDE}
    for question in ("root:x:0:0 root /bin/bash", "What is in passwd?"):
        answer = p.ask(question)
        assert all(q.source != "passwd.txt" for q in answer.passages)
        assert "root:x:0:0" not in answer.answer + "".join(q.text for q in answer.passages)

    report = p.ingest([root], follow_links=True)

    assert "passwd.txt" in report.added
    assert any(name.startswith("etc/") for name in report.added)  # walked now
    passages = p.retrieve("root:x:0:0 root /bin/bash", k=50)
    assert any(q.source == "passwd.txt" and "root:x:0:0" in q.text for q in passages)

    report = p.ingest([root])  # without the flag again: what the link gave is taken out

    assert "passwd.txt" in report.removed
    assert reasons(report)["passwd.txt"] == OUTSIDE


@pytest.mark.skipif(not Path("/etc/passwd").is_file(), reason="needs /etc/passwd")
def test_sciqa_ingest_names_the_link_it_skips_and_follows_it_when_asked(tmp_path: Path) -> None:
    root = _linked_folder(tmp_path)
    home = tmp_path / "h"

    plain = invoke_cli("ingest", str(root), "--dry-run", home=home)
    followed = invoke_cli("ingest", str(root), "--dry-run", "--follow-links", "--json", home=home)

    assert plain.returncode == 0, plain.stderr
    assert f"skipped   {root / 'passwd.txt'}: {OUTSIDE}" in plain.stderr.splitlines()
    assert f"skipped   {root / 'etc'}: {OUTSIDE}" in plain.stderr.splitlines()
    assert "added     passwd.txt" not in plain.stdout
    assert followed.returncode == 0, followed.stderr
    assert "passwd.txt" in json.loads(followed.stdout)["added"]


# -- item 7: offsets index the text as open() reads it --------------------------------------


BOM_AND_LINE_ENDS = {
    "bom.txt": "\ufeffThe Brannock survey\n\nThe Brannock survey found 41 lynx in 2017. "
    "It was led by Ada Fenwick.\n",
    "crlf.txt": "The Corvid census\r\n\r\nThe Corvid census counted 812 ravens in 2019.\r\n"
    "It was run by Tomas Ek.\r\n\r\nA second paragraph says the count rose by 3 percent.\r\n",
    "cr.txt": "The Marl report\r\rThe Marl report measured 7 wells in 2021.\r",
    "bom-crlf.md": "\ufeff# The Ostrava notes\r\n\r\nThe Ostrava notes list 23 bridges.\r\n",
}


def _write_bom_and_line_ends(root: Path) -> Path:
    root.mkdir()
    for name, text in BOM_AND_LINE_ENDS.items():
        (root / name).write_bytes(text.encode("utf-8"))
    return root


def test_paragraph_offsets_index_the_text_open_returns(tmp_path: Path) -> None:
    root = _write_bom_and_line_ends(tmp_path / "ends")
    for name in BOM_AND_LINE_ENDS:
        with open(root / name, encoding="utf-8") as f:
            as_read = f.read()
        file = read_file(root / name, name)
        assert not isinstance(file, Skipped)
        assert file.text == as_read
        (doc,) = parse(name, file.text)
        assert doc.title and not doc.title.startswith("\ufeff")
        for span in doc.paragraphs:
            assert as_read[span.start : span.end] == span.text


@pytest.mark.parametrize(
    "question",
    [
        "How many lynx did the Brannock survey find?",
        "How many ravens did the Corvid census count?",
        "How many wells did the Marl report measure?",
        "How many bridges do the Ostrava notes list?",
    ],
)
def test_every_quote_is_open_read_at_its_offsets(tmp_path: Path, question: str) -> None:
    root = _write_bom_and_line_ends(tmp_path / "ends")
    p = make_pipeline(tmp_path / "h")
    p.ingest([root])

    answer = p.ask(question)

    assert answer.citations
    for c in answer.citations:
        with open(root / c.source, encoding="utf-8") as f:
            assert f.read()[c.start : c.end] == c.quote
    for passage in answer.passages:
        with open(root / passage.source, encoding="utf-8") as f:
            text = f.read()
        for offset, start, end in passage.spans:
            assert passage.text[offset : offset + end - start] == text[start:end]


# -- item 8: a name cannot forge a line of the report -----------------------------------------


def test_control_characters_in_names_are_escaped_in_the_report(
    capsys: pytest.CaptureFixture[str],
) -> None:
    print_report(
        IngestReport(
            added=("a\nremoved   b.txt",),
            skipped=(Skipped("/x/c\r\nremoved   d.txt", "empty"),),
            dry_run=True,
        )
    )
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "added     a\\nremoved   b.txt"
    assert err.splitlines() == ["skipped   /x/c\\r\\nremoved   d.txt: empty"]
    assert shown("café\x1b[31m\udcff.txt") == "café\\x1b[31m\\udcff.txt"


def test_sciqa_ingest_prints_a_name_with_a_newline_on_one_line(tmp_path: Path) -> None:
    root = tmp_path / "names"
    root.mkdir()
    (root / "a\nremoved   secret.txt").write_text(_text("newline"), encoding="utf-8")

    result = invoke_cli("ingest", str(root), "--dry-run", home=tmp_path / "h")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "added     a\\nremoved   secret.txt"
    assert not any(line.startswith("removed") for line in result.stdout.splitlines())


# -- item 8: a read-only store says so --------------------------------------------------------

READ_ONLY = "error returned from database: (code: 8) attempt to write a readonly database"


def _chroma_read_only(*args: object, **kwargs: object) -> None:
    """What chromadb raises when it opens a store this user cannot write (as measured)."""
    from chromadb.errors import InternalError

    raise InternalError(READ_ONLY)


def test_a_read_only_store_is_called_read_only_not_corrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("chromadb.PersistentClient", _chroma_read_only)

    with pytest.raises(StoreReadOnlyError) as err:
        make_pipeline(tmp_path / "h")

    assert "is read-only" in str(err.value) and "attempt to write" in str(err.value)
    assert "corrupt" not in str(err.value) and "--rebuild" not in str(err.value)


def test_ingest_rebuild_does_not_move_a_read_only_store_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "h"
    monkeypatch.setenv("SCIQA_HOME", str(home))
    monkeypatch.setattr("chromadb.PersistentClient", _chroma_read_only)

    result = CliRunner().invoke(cli, ["ingest", "--rebuild"])

    assert result.exit_code == 1
    assert "is read-only" in result.output and "corrupt" not in result.output
    assert sorted(p.name for p in home.iterdir()) == ["store"]  # nothing set aside


def test_a_write_refused_during_ingest_is_called_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "notes"
    root.mkdir()
    (root / "a.txt").write_text(_text("alpha"), encoding="utf-8")
    p = make_pipeline(tmp_path / "h")
    monkeypatch.setattr(Store, "add", _chroma_read_only)

    with pytest.raises(StoreReadOnlyError, match="is read-only"):
        p.ingest([root])


def test_a_store_chmod_read_only_says_so(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    root.mkdir()
    (root / "a.txt").write_text(_text("alpha"), encoding="utf-8")
    home = tmp_path / "h"
    make_pipeline(home).ingest([root])
    store = home / "store"
    modes = {path: path.stat().st_mode for path in [store, *store.rglob("*")]}
    for path, mode in modes.items():
        path.chmod(mode & ~0o222)
    try:
        if os.access(store / "chroma", os.W_OK):
            pytest.skip("this user can write to a read-only folder (root)")
        with pytest.raises(StoreReadOnlyError, match="is read-only"):
            make_pipeline(home).ask("What did the alpha survey measure?")
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
