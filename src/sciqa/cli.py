"""The ``sciqa`` command: a thin shell over the Python API.

Library errors become one line on stderr and exit status 1; nothing shows a traceback unless
``SCIQA_DEBUG=1``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from sciqa.errors import SciQAError
from sciqa.schema import Answer, IngestReport

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"sciqa: error: {message}", err=True)
    sys.exit(code)


def _clean_errors(func: F) -> F:
    """Turn any failure into one clear line and a non-zero exit."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SciQAError as e:
            _fail(str(e))
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except Exception as e:
            if os.environ.get("SCIQA_DEBUG"):
                raise
            _fail(f"unexpected {type(e).__name__}: {e} (run with SCIQA_DEBUG=1 for details)", 2)

    return wrapper  # type: ignore[return-value]


def _pipeline(**overrides: Any) -> Any:
    from sciqa.pipeline import Pipeline
    from sciqa.settings import Settings

    return Pipeline(Settings(**{k: v for k, v in overrides.items() if v is not None}))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sciqa")
def cli() -> None:
    """Ask questions about a document collection; answers cite the passages they use.

    Works offline: the default collection (five Amazon Science articles) is indexed into an
    embedded Chroma store under SCIQA_HOME on first use.

    \b
    Examples:
      sciqa ask "When did Amazon launch the Amazon Scholars program?"
      sciqa ask - --json < questions.txt
      sciqa ingest ~/notes --dry-run
    """


def _emit(answer: Answer, as_json: bool, *, heading: bool = False) -> None:
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
        return
    if heading:
        click.echo(f"Q: {answer.question}")
    click.echo(answer.answer)
    if answer.citations:
        click.echo()
        for c in answer.citations:
            where = f"{c.source}:{c.start}-{c.end}"
            click.echo(f"[{c.n}] {c.title} ({c.section}, {where})")
    if heading:
        click.echo()


@cli.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as one JSON object.")
@click.option("-k", type=click.IntRange(1, 50), default=None, help="Passages to retrieve.")
@click.option(
    "--llm", type=click.Choice(["extractive", "openai"]), default=None, help="Answerer to use."
)
@_clean_errors
def ask(question: str, as_json: bool, k: int | None, llm: str | None) -> None:
    """Answer QUESTION from the documents, with citations.

    With QUESTION "-", read one question per line from stdin and answer each in turn
    (one JSON object per line with --json).

    \b
    Example:
      sciqa ask "Where is the AWS Center for Quantum Computing?" --json
    """
    pipeline = _pipeline(llm=llm, progress=None if sys.stderr.isatty() else False)
    if question != "-":
        _emit(pipeline.ask(question, k=k), as_json)
        return
    failures = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = pipeline.ask(line, k=k)
        except SciQAError as e:
            failures += 1
            if as_json:
                click.echo(json.dumps({"question": line.strip(), "error": str(e)}))
            else:
                click.echo(f"sciqa: error: {e}", err=True)
            continue
        _emit(answer, as_json, heading=True)
    if failures:
        sys.exit(1)


def _print_report(report: IngestReport) -> None:
    verb = "would be" if report.dry_run else "were"
    for label, names in (
        ("added", report.added),
        ("changed", report.changed),
        ("removed", report.removed),
    ):
        for name in names:
            click.echo(f"{label:9} {name}")
    for s in report.skipped:
        click.echo(f"skipped   {s.path}: {s.reason}", err=True)
    click.echo(
        f"{len(report.added)} added, {len(report.changed)} changed, {len(report.removed)} "
        f"removed, {len(report.unchanged)} unchanged {verb} ingested"
        + ("" if report.dry_run else f"; {report.chunks_added} chunks in {report.seconds:.1f}s")
    )


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--dry-run", is_flag=True, help="List what would change; write nothing.")
@click.option("--rebuild", is_flag=True, help="Drop the store and index everything again.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_clean_errors
def ingest(paths: tuple[str, ...], dry_run: bool, rebuild: bool, as_json: bool) -> None:
    """Make the store mirror PATHS (files or folders of .txt/.md; default: the bundled corpus).

    Unchanged files are skipped, changed ones replaced, files no longer there removed.
    Unreadable, empty, binary and duplicate files are reported by name and skipped.

    \b
    Example:
      sciqa ingest ./my-papers --dry-run
    """
    pipeline = _pipeline(progress=None if sys.stderr.isatty() else False)
    report = pipeline.ingest(list(paths) or None, dry_run=dry_run, rebuild=rebuild)
    if as_json:
        click.echo(json.dumps(report.to_dict()))
    else:
        _print_report(report)


def main() -> None:
    cli(prog_name="sciqa")
