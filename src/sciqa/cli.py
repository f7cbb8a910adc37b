"""The ``sciqa`` command: a thin shell over the Python API.

Library errors become one line on stderr and exit status 1; nothing shows a traceback unless
``SCIQA_DEBUG=1``. Every error line is redacted (:mod:`sciqa.redaction`): a server that echoes
the key it refused, or a password in ``OPENAI_BASE_URL``, is never printed.
"""

from __future__ import annotations

import errno
import json
import os
import shlex
import sys
from collections.abc import Callable
from dataclasses import asdict
from functools import wraps
from typing import Any, TypeVar

import click

from sciqa.errors import (
    QuestionError,
    SciQAError,
    StoreError,
    StoreLockedError,
    StoreMismatchError,
    StoreReadOnlyError,
)
from sciqa.redaction import redact
from sciqa.schema import Answer, IngestReport

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"sciqa: error: {redact(message)}", err=True)
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
        except OSError as e:
            if os.environ.get("SCIQA_DEBUG"):
                raise
            if e.errno in (errno.ENOSPC, errno.EDQUOT):
                _fail(f"the disk is full ({e}); free some space and try again")
            where = f": {e.filename}" if e.filename else ""
            _fail(f"{e.strerror or e}{where} (run with SCIQA_DEBUG=1 for details)", 2)
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
      sciqa sources
    """


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


@cli.command()
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
@_clean_errors
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
    pipeline = _pipeline(llm=llm, progress=progress, fallback=False if no_fallback else None)
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


def _print_report(report: IngestReport, *, removing: bool = False) -> None:
    """One line per file, grouped by the source it belongs to, each group closed by that
    source's count; a name is printed with its control characters escaped, so a file named
    "a\\nremoved b" cannot print a line of its own."""
    from sciqa.documents import shown

    kinds = (
        ("added", report.added),
        ("changed", report.changed),
        ("removed", report.removed),
        ("unchanged", report.unchanged),
    )
    groups: dict[str, dict[str, list[str]]] = {}
    for label, names in kinds:
        for name in names:
            group = groups.setdefault(report.root_of.get(name, ""), {k: [] for k, _ in kinds})
            group[label].append(name)
    for root, group in groups.items():
        for label, _ in kinds[:3]:
            for name in group[label]:
                click.echo(f"{label:9} {shown(name)}")
        if root:
            counts = ", ".join(f"{len(group[k])} {k}" for k, _ in kinds if group[k])
            click.echo(f"  in {shown(root)}: {counts}")
    for s in report.skipped:
        click.echo(f"skipped   {shown(s.path)}: {shown(s.reason)}", err=True)
    if removing:
        done = "would be removed" if report.dry_run else f"removed ({report.chunks_deleted} chunks)"
        n = len(report.removed)
        click.echo(f"{n} file{'' if n == 1 else 's'} {done}")
        return
    verb = "would be" if report.dry_run else "were"
    click.echo(
        f"{len(report.added)} added, {len(report.changed)} changed, {len(report.removed)} "
        f"removed, {len(report.unchanged)} unchanged {verb} ingested"
        + ("" if report.dry_run else f"; {report.chunks_added} chunks in {report.seconds:.1f}s")
    )


def _named(paths: tuple[str, ...]) -> list[str]:
    """The command line's sources: the word ``bundled`` is the bundled corpus (a note on
    stderr when a folder here has that name: ``./bundled`` names it)."""
    from pathlib import Path

    if "bundled" in paths and Path("bundled").exists():
        click.echo(
            "sciqa: `bundled` names the bundled corpus; write ./bundled for the folder here",
            err=True,
        )
    return list(paths)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option(
    "--dry-run", is_flag=True, help="Print the plan (files to add, update, remove); write nothing."
)
@click.option(
    "--rebuild", is_flag=True, help="Drop the store and read every source again (and PATHS)."
)
@click.option(
    "--follow-links",
    is_flag=True,
    help="Also read symbolic links that lead out of the folders (skipped by default).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_clean_errors
def ingest(
    paths: tuple[str, ...], dry_run: bool, rebuild: bool, follow_links: bool, as_json: bool
) -> None:
    """Add PATHS (files or folders of .txt/.md) to the store, or bring them up to date.

    The store's other sources are kept: `sciqa ingest ~/papers` adds your papers beside the
    bundled articles. Ingesting a folder again mirrors that folder only: its new files are
    added, changed ones replaced, files no longer there removed; other sources are untouched.
    With no PATHS: every source the store holds is read again (a new store gets the bundled
    corpus). --rebuild drops the store and reads every source again. A store whose first
    ingest is your folder holds only that folder; `sciqa ingest bundled` adds the bundled
    corpus, `sciqa remove` drops a source, `sciqa sources` lists them.

    A source is a folder, a file, or `bundled`: the five Amazon Science articles shipped with
    sciqa. The word `bundled` always means them; write ./bundled for a folder of that name.
    Paths are stored absolute (a relative path is resolved against the folder you run the
    command in), so later commands work from anywhere.

    Unreadable, empty, binary and duplicate files, devices, FIFOs, files over 20 MB and
    symbolic links that lead out of the folder are reported by name and skipped; so is a file
    whose name or content another source already holds (the first source keeps it). Give
    --follow-links on every ingest that should read such links (without it, what the store
    has of them is removed).

    \b
    Examples:
      sciqa ingest ./my-papers --dry-run
      sciqa ingest ~/papers ~/notes/todo.md
      sciqa ingest bundled
    """
    progress = None if sys.stderr.isatty() else False
    named = _named(paths)
    try:
        pipeline = _pipeline(progress=progress)
    except StoreError as e:
        if not rebuild or isinstance(e, StoreMismatchError | StoreLockedError | StoreReadOnlyError):
            raise
        # The store cannot even be opened (a corrupt database): keep it aside, start afresh.
        from sciqa.chroma import set_aside
        from sciqa.settings import Settings

        settings = Settings()
        moved = set_aside(settings)
        click.echo(
            f"sciqa: the store at {settings.store_dir} cannot be opened; moved it to {moved} "
            "(delete that once the new store answers) and rebuilding from the documents",
            err=True,
        )
        pipeline = _pipeline(progress=progress)
    report = pipeline.ingest(
        named or None, dry_run=dry_run, rebuild=rebuild, follow_links=follow_links
    )
    if as_json:
        click.echo(json.dumps(report.to_dict()))
    else:
        _print_report(report)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--dry-run", is_flag=True, help="Print the files that would go; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_clean_errors
def remove(paths: tuple[str, ...], dry_run: bool, as_json: bool) -> None:
    """Remove the sources PATHS from the store, with every passage of their files.

    PATHS are sources as `sciqa sources` lists them (a folder, a file, or `bundled`); your files
    themselves are not touched. A path that is not a source is an error, and nothing is
    removed. Removing every source leaves an empty store that stays empty (the bundled corpus
    does not come back until `sciqa ingest bundled`).

    A source is a folder, a file, or `bundled`: the five Amazon Science articles shipped with
    sciqa. The word `bundled` always means them; write ./bundled for a folder of that name.
    Paths are stored absolute (a relative path is resolved against the folder you run the
    command in), so later commands work from anywhere.

    \b
    Examples:
      sciqa remove bundled
      sciqa remove ~/papers --dry-run
    """
    named = _named(paths)
    report = _pipeline(progress=False).remove(named, dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(report.to_dict()))
    else:
        _print_report(report, removing=True)


@cli.command("sources")
@click.option("--json", "as_json", is_flag=True, help="Print the sources as one JSON object.")
@_clean_errors
def sources_(as_json: bool) -> None:
    """List the store's sources: each folder or file (or `bundled`), its files and passages
    (chunks), and when it was last ingested (UTC).

    \b
    Example:
      sciqa sources --json
    """
    from sciqa import sources
    from sciqa.settings import Settings

    settings = Settings()
    listed = sources.summarize(settings.store_dir)
    never = sources.recorded(settings.store_dir) is None
    if as_json:
        click.echo(json.dumps({"sources": [s.to_dict() for s in listed]}))
        return
    if not listed:
        click.echo(
            "The store holds no sources yet: the first question indexes the bundled corpus."
            if never
            else "The store holds no sources (all were removed)."
        )
        click.echo("Add your own with: sciqa ingest PATH")
        return
    from sciqa.documents import shown

    rows = [("SOURCE", "FILES", "CHUNKS", "LAST INGESTED")]
    for s in listed:
        when = s.ingested.replace("T", " ").replace("Z", " UTC") if s.ingested else "never"
        name = shown(s.source) + ("" if s.kind in ("bundled", "folder", "file") else " (missing)")
        if s.unfinished:
            when += f" ({s.unfinished} files unfinished: run sciqa ingest)"
        rows.append((name, str(s.files), str(s.chunks), when))
    width = max(len(r[0]) for r in rows)
    for r in rows:
        click.echo(f"{r[0]:<{width}}  {r[1]:>5}  {r[2]:>6}  {r[3]}")


# -- eval: the harness (sciqa.harness) runs it: evalrun.py runs and checks, reporting.py reports


@cli.command("eval")
@click.option(
    "--gold",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Gold set, JSONL (default: evals/gold.jsonl).",
)
@click.option(
    "--llm",
    type=click.Choice(["extractive", "openai"]),
    default=None,
    help="Answerer of both pipelines (default: SCIQA_LLM).",
)
@click.option(
    "--judge/--no-judge",
    default=None,
    help="Also score faithfulness with the LLM judge (default: on with --llm openai).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report to stdout.")
@click.option(
    "--threshold",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set one metric's threshold, e.g. answer_accuracy=0.8 (repeatable).",
)
@click.option(
    "--thresholds",
    "thresholds_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Thresholds file (default: thresholds.toml beside the gold set).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default="evals/reports",
    show_default=True,
    help="Folder for the reports.",
)
@click.option("--no-baseline", is_flag=True, help="Skip the naive baseline.")
@_clean_errors
def eval_(
    gold: str | None,
    llm: str | None,
    judge: bool | None,
    as_json: bool,
    overrides: tuple[str, ...],
    thresholds_file: str | None,
    out: str,
    no_baseline: bool,
) -> None:
    """Score sciqa and a naive baseline on gold questions; exit 1 below any threshold.

    Both answer every gold question from the same store and embeddings with the same answerer:
    sciqa, and the pipeline of LangChain's RAG tutorial (1000-character chunks of the raw files,
    Chroma similarity top 4). Writes sciqa-eval.json (every metric and question), .md (the
    table, the change since the committed report, the failures) and .png to --out; prints one
    line per missed threshold on stderr.

    A question the model fails on (down, timeout, garbage) is scored as a wrong answer and
    counted on stderr: unlike `sciqa ask`, the eval never falls back to the offline answerer,
    since it measures the model.

    \b
    Examples:
      sciqa eval
      sciqa eval --gold evals/heldout.jsonl --json > heldout.json
      sciqa eval --threshold answer_accuracy=0.8 --threshold latency_p95_ms=500
    """
    from pathlib import Path

    from sciqa.harness import evalrun, reporting
    from sciqa.harness.judge import make_judge_model

    gold_path = Path(gold) if gold else evalrun.default_gold()
    limits_file = Path(thresholds_file) if thresholds_file else gold_path.parent / "thresholds.toml"
    limits = evalrun.load_thresholds(limits_file, gold_path.stem)
    limits.update(evalrun.parse_overrides(overrides))
    pipeline = _pipeline(llm=llm, progress=None if sys.stderr.isatty() else False)
    use_judge = judge if judge is not None else llm == "openai"
    run = evalrun.run(
        pipeline,
        gold_path,
        llm=llm,
        baseline=not no_baseline,
        judge=make_judge_model(pipeline.settings) if use_judge else None,
        progress=pipeline.settings.progress,
    )
    checked = evalrun.check(run.runs["sciqa"].metrics, limits)
    name, out_dir = reporting.report_name(gold_path), Path(out)
    previous = reporting.previous_report(out_dir, name)
    report = reporting.build_report(run, limits, checked, previous)
    paths = reporting.write_reports(report, previous[0], out_dir, name)
    if as_json:
        click.echo(reporting.dumps(report), nl=False)
    else:
        click.echo(reporting.summary_text(report, paths))
    for metric in checked.unmeasured:
        click.echo(f"sciqa: eval: {metric} was not measured; its threshold is skipped", err=True)
    if errors := run.runs["sciqa"].model_errors:
        click.echo(f"sciqa: eval: the model failed on {errors} question(s), scored wrong", err=True)
    for miss in checked.misses:
        click.echo(f"sciqa: eval: {miss}", err=True)
    if checked.misses:
        sys.exit(1)


# -- models: the probing lives in discovery.py -----------------------------------------------


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print what was found as one JSON object.")
@_clean_errors
def models(as_json: bool) -> None:
    """List the model servers running on this machine and the models they serve.

    Looks, for about a second, at Ollama (port 11434), llama.cpp's server (8080), LM Studio
    (1234) and vLLM (8000) on 127.0.0.1, and at the ports or loopback URLs in
    SCIQA_LOCAL_SERVERS. Nothing beyond this machine is contacted. The web page (`sciqa ui`)
    offers every model found; `sciqa ask` uses the one that SCIQA_LLM=openai,
    OPENAI_BASE_URL and SCIQA_MODEL name.

    \b
    Examples:
      sciqa models
      SCIQA_LOCAL_SERVERS=8081 sciqa models --json
    """
    from sciqa import discovery
    from sciqa.settings import Settings

    places = discovery.targets(Settings().local_servers)
    servers = discovery.probe(places)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "servers": [asdict(s) for s in servers],
                    "looked_at": [t.base_url for t in places],
                }
            )
        )
        return
    if not servers:
        where = ", ".join(f"{t.name or 'port'} {t.port}" for t in places)
        click.echo(
            f"No local model server found on this machine (looked at {where}).\n"
            "Meanwhile sciqa answers offline, quoting the documents. To answer with a model,\n"
            "start one of those servers, or point sciqa at any OpenAI-compatible server:\n"
            "  SCIQA_LLM=openai OPENAI_BASE_URL=http://127.0.0.1:8080/v1 SCIQA_MODEL=<model> "
            'sciqa ask "..."\n'
            "Add OPENAI_API_KEY for a hosted server; SCIQA_LOCAL_SERVERS=8081 looks at another "
            "port too."
        )
        return
    for server in servers:
        click.echo(f"{server.name} at {server.address} ({server.base_url})")
        for model in server.models:
            click.echo(f"  {model}")
        if not server.models:
            click.echo("  (no models loaded)")
    first = next((s for s in servers if s.models), None)
    if first is not None:
        click.echo(
            "\nTo answer with one:\n"
            f"  SCIQA_LLM=openai OPENAI_BASE_URL={first.base_url} "
            f'SCIQA_MODEL={shlex.quote(first.models[0])} sciqa ask "..."\n'
            "or pick it under Settings in the web page (sciqa ui)."
        )


# -- bench: the measurements live in bench.py ----------------------------------------------


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the measurements as one JSON object.")
@click.option(
    "--max-chunks",
    type=click.IntRange(1_000, None),
    default=100_000,
    show_default=True,
    help="Largest scaling row (1k, 10k, 100k chunks); 10000 skips the 100k row.",
)
@_clean_errors
def bench(as_json: bool, max_chunks: int) -> None:
    """Measure ingest, retrieval and answer costs here, sciqa beside the naive baseline.

    Works in a temporary SCIQA_HOME (your store is not touched) and takes about ten minutes
    with the 100k-chunk row on 2 cores.

    \b
    Example:
      sciqa bench --json --max-chunks 10000
    """
    from sciqa import bench as measure

    report = measure.run(max_chunks, log=lambda m: click.echo(f"bench: {m}", err=True))
    if as_json:
        click.echo(json.dumps(report))
        return
    rows = (
        "ingest_s",
        "reingest_s",
        "ingest_chunks_per_s",
        "model_chunks_per_s",
        "retrieve_p50_ms",
        "retrieve_p95_ms",
        "answer_p50_ms",
        "peak_rss_mb",
    )
    click.echo(f"{'':22}{'sciqa':>10}{'naive':>10}")
    for key in rows:
        click.echo(f"{key:22}{report['sciqa'][key]:>10}{report['naive'][key]:>10}")
    click.echo(f"{'ask_cold_start_s':22}{report['sciqa']['ask_cold_start_s']:>10}")
    click.echo()
    click.echo(f"{'chunks':>8}{'p50 ms':>9}{'p95 ms':>9}{'RSS MB':>9}{'store MB':>10}")
    for r in report["scaling"]:
        click.echo(
            f"{r['chunks']:>8}{r['retrieve_p50_ms']:>9}{r['retrieve_p95_ms']:>9}"
            f"{r['rss_mb']:>9}{r['store_mb']:>10}"
        )


# -- ui: the web page lives in ui/sciqa_ui, found through the "sciqa.ui" entry point when the
# command runs (sciqa never imports it by name) ----------------------------------------------


def _port_taken(host: str, port: int) -> bool:
    """Whether something already listens on ``host:port`` (checked as Gradio checks it)."""
    import socket

    address = host.strip("[]")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return True
            raise
    return False


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to serve on; anything but loopback should have SCIQA_UI_USERS set.",
)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=7860, show_default=True, help="Port."
)
@click.option(
    "--open",
    "open_browser",
    is_flag=True,
    help="Also open the page in a browser, when this machine has a display.",
)
@_clean_errors
def ui(host: str, port: int, open_browser: bool) -> None:
    """Serve the chat page: answers stream in with their sources; Ctrl-C stops it.

    A new store is indexed first (the bundled corpus, with progress on stderr); then one line
    says where the page is. Makes no network calls of its own (Gradio's telemetry is off). Set
    SCIQA_UI_USERS="alice:pw1,bob:pw2" to require a login. Feedback (thumbs up/down) is
    appended to SCIQA_HOME/feedback.jsonl.

    \b
    Example:
      sciqa ui --port 7860     # then open http://127.0.0.1:7860
    """
    busy = f"port {port} is in use; pick another with --port"
    try:
        taken = _port_taken(host, port)  # before loading anything: say so at once
    except OSError as e:  # a port below 1024, an address not of this machine
        _fail(f"cannot serve on {host}:{port} ({e.strerror or e}); pick another --host or --port")
    if taken:
        _fail(busy)
    # Importing Gradio alone takes seconds, then a new store is indexed: say so at once.
    click.echo("sciqa: loading the page, the store and the models; its address follows", err=True)
    from importlib.metadata import entry_points

    pages = entry_points(group="sciqa.ui", name="launch")
    if not pages:
        _fail(
            "the web page is not installed with this sciqa (no 'sciqa.ui' entry point); "
            "reinstall sciqa"
        )
    try:
        launch = next(iter(pages)).load()
    except ImportError as e:
        _fail(f"the web page is not installed with this sciqa ({e}); reinstall sciqa")
    try:
        launch(host=host, port=port, open_browser=open_browser)
    except OSError:
        # Taken while the page was getting ready: Gradio's own message speaks to Python
        # callers (GRADIO_SERVER_PORT, launch()), so say it in the command's words.
        if _port_taken(host, port):
            _fail(busy)
        raise


def main() -> None:
    cli(prog_name="sciqa")
