"""The ``sciqa`` command: a thin shell over the Python API.

Library errors become one line on stderr and exit status 1; nothing shows a traceback unless
``SCIQA_DEBUG=1``. Every error line is redacted (:mod:`sciqa.redaction`): a server that echoes
the key it refused, or a password in ``OPENAI_BASE_URL``, is never printed.
"""

from __future__ import annotations

import logging
import sys

import click

from sciqa.cli.asking import ask
from sciqa.cli.collection import ingest, remove, sources_
from sciqa.cli.measuring import bench, eval_
from sciqa.cli.serving import models, ui


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


for _command in (ask, ingest, remove, sources_, eval_, models, bench, ui):
    cli.add_command(_command)


def show_progress_notes() -> None:
    """Print the library's notes for a person waiting (``sciqa.progress``: "first run, indexing
    ...") on stderr, as they are logged."""
    notes = logging.getLogger("sciqa.progress")
    if not notes.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        notes.addHandler(handler)
    notes.setLevel(logging.INFO)
    notes.propagate = False


def main() -> None:
    show_progress_notes()
    cli(prog_name="sciqa")
