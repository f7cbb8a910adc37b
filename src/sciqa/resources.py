"""Files sciqa ships: the default corpus (``ingest/corpus``) and the prompts (``prompts/``).

In a built wheel they are inside the package (``sciqa/_data/``, see pyproject.toml); in a source
checkout they are read from the repository's top-level folders.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_PACKAGED = Path(str(resources.files("sciqa"))) / "_data"
_CHECKOUT = Path(__file__).resolve().parents[2]


def _find(*parts: str) -> Path:
    for base in (_PACKAGED, _CHECKOUT):
        path = base.joinpath(*parts)
        if path.exists():
            return path
    raise FileNotFoundError(f"sciqa is installed without {'/'.join(parts)}; reinstall it")


def default_corpus() -> Path:
    """The folder of the five Amazon Science articles sciqa answers about by default."""
    return _find("ingest", "corpus")


def prompt(name: str) -> str:
    """The text of ``prompts/<name>``."""
    return _find("prompts", name).read_text(encoding="utf-8")
