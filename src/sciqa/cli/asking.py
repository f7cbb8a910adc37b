"""``sciqa ask``: answers printed for people (the answering phrase, the answer, its sources)
or as JSON, one question or one per line of stdin."""

from __future__ import annotations

import json
import sys

import click

from sciqa.cli.shell import clean_errors, make_pipeline
from sciqa.errors import QuestionError, SciQAError
from sciqa.redaction import redact
from sciqa.schema import Answer


def answered_by(model: str) -> str:
    """Which answerer answered, in plain words."""
    if model == "extractive":
        return "quoted from the documents, offline"
    if model.startswith("listings"):
        return "listed from the documents"
    return f"written by {model}, each sentence checked against the passage it cites"


def _emit(answer: Answer, as_json: bool, *, heading: bool = False) -> None:
    if as_json:  # the notice, if any, is in the object
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
        return
    if answer.notice:
        click.echo(f"sciqa: {answer.notice}", err=True)
    if heading:
        click.echo(f"Q: {answer.question}")
    phrases = [c.quote[a:b] for c in answer.citations for a, b in c.highlights]
    if phrases:  # the phrase that answers (a date, a name, an amount), then where it stands
        click.secho("; ".join(dict.fromkeys(phrases)), bold=True)
    click.echo(answer.answer)
    if answer.citations:
        click.echo()
        for c in answer.citations:
            where = f"{c.source}:{c.start}-{c.end}"
            click.echo(f"[{c.n}] {c.title} ({c.section}, {where})")
    if answer.removed:  # a model's sentences its passages do not support, taken out
        click.echo()
        for r in answer.removed:
            click.echo(f"removed: {r.sentence} ({r.reason})")
    if answer.query and answer.query != answer.question:
        click.echo(f"(searched for: {answer.query})")  # a follow-up, or a spelling corrected
    click.echo(f"({answered_by(answer.model)})")
    if heading:
        click.echo()


@click.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as one JSON object.")
@click.option("-k", type=click.IntRange(1, 50), default=None, help="Passages to retrieve.")
@click.option(
    "--llm", type=click.Choice(["extractive", "openai"]), default=None, help="Answerer to use."
)
@click.option(
    "--no-fallback",
    is_flag=True,
    help="When the model fails, exit 1 with its error instead of answering offline.",
)
@clean_errors
def ask(question: str, as_json: bool, k: int | None, llm: str | None, no_fallback: bool) -> None:
    """Answer QUESTION from the documents, with citations.

    With QUESTION "-", read one question per line from stdin and answer each in turn
    (one JSON object per line with --json). A line that cannot be asked (not UTF-8 text, too
    long) is that line's error: one line on stderr naming it, or with --json the object
    {"line": N, "question": ..., "error": ...}; the other lines are answered, and the exit
    status is 1 at the end if any line failed. With --llm openai, sentences of the model's
    answer that the passages they cite do not support are taken out, each listed as
    "removed: ...".

    If the model (--llm openai) fails while answering, the answer is quoted from the documents
    offline and one line on stderr says why ("notice" in --json); --no-fallback (or
    SCIQA_FALLBACK=false) makes that an error instead.

    \b
    Example:
      sciqa ask "Where is the AWS Center for Quantum Computing?" --json
    """
    progress = None if sys.stderr.isatty() else False
    pipeline = make_pipeline(llm=llm, progress=progress, fallback=False if no_fallback else None)
    if question != "-":
        _emit(pipeline.ask(question, k=k), as_json)
        return
    failures = 0
    # Bytes, decoded a line at a time: a line that is not UTF-8 fails alone.
    for n, raw in enumerate(sys.stdin.buffer, start=1):
        line = raw.decode("utf-8", "replace")
        if not line.strip():
            continue
        try:
            answer = pipeline.ask(_utf8(raw), k=k)
        except SciQAError as e:
            failures += 1
            error = redact(str(e))
            if as_json:  # which line failed, without echoing a huge question back whole
                asked = line.strip()
                asked = asked if len(asked) <= 200 else asked[:200] + "…"
                click.echo(json.dumps({"line": n, "question": asked, "error": error}))
            else:
                click.echo(f"sciqa: error: line {n}: {error}", err=True)
            continue
        _emit(answer, as_json, heading=True)
    if failures:
        sys.exit(1)


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise QuestionError(
            f"the question is not UTF-8 text (byte {raw[e.start]:#04x} at byte {e.start + 1}); "
            "save the questions as UTF-8"
        ) from None
