"""The import graph points one way: the page (``ui/sciqa_ui``) and the eval harness
(``sciqa.harness``) import the library; the library imports neither.

Checked on the source (every import statement, also inside functions, and every
``importlib.import_module`` / ``__import__`` of a constant name), not only on what importing
``sciqa`` happens to load.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

from .conftest import ROOT

SRC = ROOT / "src" / "sciqa"
# The shells over the library, allowed to reach the harness (lazily, inside a command).
SHELLS = ("cli.py", "cli/")
HARNESS = "harness/"


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``."""
    package = ".".join(("sciqa", *path.relative_to(SRC).parent.parts))
    return imports(path.read_text(encoding="utf-8"), package)


def imports(source: str, package: str) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in ``source``, a module of ``package``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package this file is in
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            yield node.lineno, base
            yield from ((node.lineno, f"{base}.{a.name}") for a in node.names)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if name in ("import_module", "__import__") and isinstance(first, ast.Constant):
                yield node.lineno, str(first.value)


def offending(files: list[Path], *packages: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in files
        for line, name in imported(path)
        if any(name == p or name.startswith(f"{p}.") for p in packages)
    ]


def library() -> list[Path]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if not rel.startswith((*SHELLS, HARNESS)):
            out.append(path)
    return out


def test_the_walk_sees_every_kind_of_import() -> None:
    code = (
        "import sciqa_ui.app\n"
        "from sciqa import harness\n"
        "from .harness.metrics import normalize\n"
        "def f():\n"
        "    from sciqa.harness import evalrun\n"
        "    importlib.import_module('gradio')\n"
    )
    names = {n for _, n in imports(code, "sciqa.answerer")}
    assert {"sciqa_ui.app", "sciqa.harness", "sciqa.answerer.harness.metrics"} <= names
    assert {"sciqa.harness.evalrun", "gradio"} <= names
    top = {n for _, n in imports("from ..harness import evalrun\n", "sciqa.answerer")}
    assert "sciqa.harness.evalrun" in top


def test_the_library_never_imports_the_harness() -> None:
    """Nothing the pipeline runs depends on how it is measured: the harness (metrics, scoring,
    runs, reports, baseline, judge) sits beside it, reached from the CLI's eval command."""
    files = library()
    assert SRC / "pipeline.py" in files and SRC / "answerer" / "answerer.py" in files
    assert offending(files, "sciqa.harness") == []


def test_sciqa_never_imports_the_ui() -> None:
    """No module of sciqa (the CLI and the harness included) imports the page's package or
    Gradio, not even inside a function; importing sciqa and running its CLI loads neither;
    `sciqa ui` finds the page through the ``sciqa.ui`` entry point its package registers."""
    assert offending(sorted(SRC.rglob("*.py")), "sciqa_ui", "gradio") == []
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "import sciqa, sciqa.cli\n"
        "for args in (['--help'], ['ui', '--help'], ['sources', '--json']):\n"
        "    assert CliRunner().invoke(sciqa.cli.cli, args).exit_code == 0, args\n"
        "print(sorted(m for m in sys.modules if m.startswith(('sciqa_ui', 'gradio'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    (page,) = entry_points(group="sciqa.ui", name="launch")
    assert page.value == "sciqa_ui.app:launch"


def test_importing_sciqa_loads_neither_the_harness_nor_matplotlib() -> None:
    code = (
        "import sys, sciqa, sciqa.cli\n"
        "print(sorted(m for m in sys.modules if m.startswith(('sciqa.harness', 'matplotlib'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_library_and_the_harness_log_instead_of_printing() -> None:
    """Only the shells (the CLI) print; the library and the harness log (``sciqa`` and
    ``sciqa.progress``, which the CLI shows)."""
    files = [
        p for p in sorted(SRC.rglob("*.py")) if not p.relative_to(SRC).as_posix().startswith(SHELLS)
    ]
    printing = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in files
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "print"
    ]
    assert printing == []
