"""Score the answers to questions about which job listings exist.

    python evals/listings.py                       # evals/listings.jsonl, the bundled corpus
    python evals/listings.py --file other.jsonl --home /tmp/sciqa-home --rows

Each line: {"id", "question", "locations": [exact location lines], "titles": [roles], "none":
bool}. A row is right when the answer lists exactly the listings in those locations (by their
location lines), or, for ``none``, says there are none. Also counted: questions answered by the
listing path at all, and the expected titles found among the roles listed. The store is built
in ``--home`` (a temporary folder by default) from the bundled corpus.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sciqa import Answer, Pipeline, Settings
from sciqa.listings import MODEL
from sciqa.roles import role_of

DEFAULT = Path(__file__).with_name("listings.jsonl")


@dataclass(frozen=True)
class Row:
    id: str
    question: str
    listed: bool  # answered by the listing path
    right: bool
    titles_found: int
    titles: int
    note: str


def judge(row: dict, answer: Answer) -> Row:
    listed = answer.model == MODEL
    says_none = listed and answer.answer.startswith("No ")
    passages = {p.chunk_id: p for p in answer.passages}
    places = set() if says_none else {passages[c.chunk_id].location for c in answer.citations
                                      if c.chunk_id in passages}  # fmt: skip
    roles = set() if says_none else {role_of(c.title).lower() for c in answer.citations}
    if row["none"]:
        right = says_none
    else:
        right = listed and places == set(row["locations"])
    found = sum(any(t.lower() in r or (r and r in t.lower()) for r in roles) for t in row["titles"])
    note = "" if right else f"listed {sorted(places)}" if listed else "answered by the answerer"
    return Row(row["id"], row["question"], listed, right, found, len(row["titles"]), note)


def run(path: Path, pipeline: Pipeline) -> list[Row]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [judge(row, pipeline.ask(row["question"])) for row in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=DEFAULT)
    parser.add_argument("--home", type=Path, help="SCIQA_HOME to use (default: a temporary one)")
    parser.add_argument("--rows", action="store_true", help="one line per question")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sciqa-listings-") as tmp:
        pipeline = Pipeline(Settings(home=args.home or Path(tmp), progress=False))
        rows = run(args.file, pipeline)
    if args.rows:
        for r in rows:
            print(f"{'ok ' if r.right else 'NO '} {r.id} {r.question}  {r.note}")
    right = sum(r.right for r in rows)
    print(
        f"{args.file}: right {right}/{len(rows)}, answered as listings "
        f"{sum(r.listed for r in rows)}/{len(rows)}, titles found "
        f"{sum(r.titles_found for r in rows)}/{sum(r.titles for r in rows)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
