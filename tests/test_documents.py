from pathlib import Path

import pytest

from sciqa.documents import discover, parse, read_file
from sciqa.roles import job_role, role_of
from sciqa.schema import Skipped

from .conftest import CORPUS

HEADLINES = {
    "000_daec2444bc2564f3.txt": "A new paradigm for partnership between industry and academia "
    "in the age of AI",
    "001_c8fade9122c37a19.txt": "3 questions about the Amazon–National Science Foundation "
    "collaboration on fairness in AI",
    "002_d949ffa7b1657ad0.txt": "Amazon Scholars Michael Kearns and Aaron Roth discuss the ethics "
    "of machine learning",
    "003_ec9fe093f6959211.txt": "The science of operations planning under uncertainty",
    "004_75d555dda68bfd9d.txt": "Amazon at ICLR: Graphs, time series, and more",
}


@pytest.mark.parametrize("name", sorted(HEADLINES))
def test_amazon_science_page_splits_into_article_and_jobs(name: str) -> None:
    text = (CORPUS / name).read_text(encoding="utf-8")
    docs = parse(name, text)
    article, jobs = docs[0], docs[1:]
    assert article.section == "article"
    assert article.title == HEADLINES[name]
    body = "\n".join(p.text for p in article.paragraphs)
    assert ".jpg" not in body and ".png" not in body
    assert "Research areas" not in body and "Related content" not in body
    assert all(not p.text.startswith("Credit:") for p in article.paragraphs)
    # one job per location line, less verbatim repeats
    lines = [ln.strip() for ln in text.splitlines()]
    cut = len(lines) - lines[::-1].index("Related content")
    descriptions = {
        lines[i + 1]
        for i in range(cut, len(lines) - 1)
        if lines[i] and lines[i + 1] and "," in lines[i] and len(lines[i]) < 40
    }
    assert len(jobs) == len(descriptions) >= 9
    for job in jobs:
        assert job.section == "job" and job.location and job.title.endswith(f" · {job.location}")
    for doc in docs:
        assert doc.source == name
        for p in doc.paragraphs:
            assert text[p.start : p.end] == p.text


def test_inline_related_content_teaser_is_dropped() -> None:
    name = "004_75d555dda68bfd9d.txt"
    article = parse(name, (CORPUS / name).read_text(encoding="utf-8"))[0]
    body = "\n".join(p.text for p in article.paragraphs)
    assert "Stefano Soatto on how learning representations" not in body
    assert "Graph neural networks (GNNs) are a powerful tool" in body


def test_generic_text_is_one_document_with_paragraph_offsets() -> None:
    text = "# My notes\n\nFirst paragraph, line one.\nline two.\n\n\nSecond paragraph.\n"
    (doc,) = parse("notes.md", text)
    assert doc.section == "document" and doc.title == "My notes"
    assert [p.text for p in doc.paragraphs] == [
        "# My notes",
        "First paragraph, line one.\nline two.",
        "Second paragraph.",
    ]
    for p in doc.paragraphs:
        assert text[p.start : p.end] == p.text


def test_read_file_reports_bad_files(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("  \n")
    (tmp_path / "binary.txt").write_bytes(b"abc\x00def")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "ok.txt").write_text("Fine text.")
    reasons = {p.name: read_file(p, p.name) for p in tmp_path.iterdir()}
    assert isinstance(reasons["empty.txt"], Skipped) and reasons["empty.txt"].reason == "empty"
    assert "binary" in reasons["binary.txt"].reason  # type: ignore[union-attr]
    assert "UTF-8" in reasons["latin1.txt"].reason  # type: ignore[union-attr]
    assert not isinstance(reasons["ok.txt"], Skipped)


def test_discover_survives_symlink_loops_and_names_by_relative_path(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("A.")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path)
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    found = [f for f in discover([tmp_path]) if not isinstance(f, Skipped)]
    assert [name for _, name in found] == ["sub/a.txt"]


@pytest.mark.parametrize(
    ("description", "role"),
    [
        ("The team is looking for a passionate, talented Applied Scientist with a background in "
         "ML. As an Applied Scientist, you will ...", "Applied Scientist"),
        ("Join Amazon as an Applied Scientist Intern and be at the forefront.",
         "Applied Scientist Intern"),
        ("We are looking for economists who are able to work with partners.", "Economist"),
        ("Offered Position: Manager III, Economist Job Location: Sunnyvale, California",
         "Manager III, Economist"),
        ("Postdoctoral Scientists will innovate as members of our teams.",
         "Postdoctoral Scientist"),
        ("An organization tied to an Applied Scientist Applied Scientist who drives ...",
         "Applied Scientist"),
        ("We build dashboards and models to industrialize these findings at scale.", ""),
    ],
)  # fmt: skip
def test_a_job_listing_is_titled_with_the_role_its_description_names(
    description: str, role: str
) -> None:
    assert job_role(description) == role
    (job,) = [
        d
        for d in parse("x.txt", f"Text.\n\nRelated content\nUS, WA, Seattle\n{description}\n")
        if d.section == "job"
    ]
    assert job.title == f"{role or 'Job listing'} · US, WA, Seattle"
    assert role_of(job.title) == role
