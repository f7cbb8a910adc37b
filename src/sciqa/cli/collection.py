"""What the store holds: ``sciqa ingest``, ``sciqa remove`` and ``sciqa sources``."""

from __future__ import annotations

import json
import sys

import click

from sciqa.cli.shell import clean_errors, make_pipeline
from sciqa.errors import StoreError, StoreLockedError, StoreMismatchError, StoreReadOnlyError
from sciqa.schema import IngestReport


def print_report(report: IngestReport, *, removing: bool = False) -> None:
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


@click.command()
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
@clean_errors
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
        pipeline = make_pipeline(progress=progress)
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
        pipeline = make_pipeline(progress=progress)
    report = pipeline.ingest(
        named or None, dry_run=dry_run, rebuild=rebuild, follow_links=follow_links
    )
    if as_json:
        click.echo(json.dumps(report.to_dict()))
    else:
        print_report(report)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--dry-run", is_flag=True, help="Print the files that would go; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@clean_errors
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
    report = make_pipeline(progress=False).remove(named, dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(report.to_dict()))
    else:
        print_report(report, removing=True)


@click.command("sources")
@click.option("--json", "as_json", is_flag=True, help="Print the sources as one JSON object.")
@clean_errors
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
