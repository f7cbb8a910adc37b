"""Score the follow-up rule on two-turn exchanges: is a question joined to the one before it
exactly when it is a follow-up?

    python evals/conversations.py                      # evals/conversations.jsonl
    python evals/conversations.py --file other.jsonl --misses

Each line: {"id", "collection", "history": [first question], "question", "follow_up": bool,
"resolves_to"}. Prints the follow-ups joined, the switches of topic not joined, and the total.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from sciqa.conversation import is_follow_up

DEFAULT = Path(__file__).with_name("conversations.jsonl")


@dataclass(frozen=True)
class Score:
    follow_ups: int
    joined: int  # follow-ups the rule joins to the question before
    switches: int
    kept_apart: int  # questions standing alone that the rule leaves alone
    misses: tuple[str, ...]

    @property
    def correct(self) -> int:
        return self.joined + self.kept_apart

    @property
    def total(self) -> int:
        return self.follow_ups + self.switches


def score(path: Path) -> Score:
    follow_ups = joined = switches = kept_apart = 0
    misses = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        said = is_follow_up(row["question"])
        if row["follow_up"]:
            follow_ups += 1
            joined += said
        else:
            switches += 1
            kept_apart += not said
        if said != row["follow_up"]:
            kind = "not joined" if row["follow_up"] else "joined"
            misses.append(f"{row['id']} {kind}: {row['history'][-1]!r} -> {row['question']!r}")
    return Score(follow_ups, joined, switches, kept_apart, tuple(misses))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=DEFAULT)
    parser.add_argument("--misses", action="store_true", help="list the exchanges it gets wrong")
    args = parser.parse_args(argv)
    s = score(args.file)
    print(
        f"{args.file}: follow-ups joined {s.joined}/{s.follow_ups}, switches not joined "
        f"{s.kept_apart}/{s.switches}, correct {s.correct}/{s.total}"
    )
    if args.misses:
        print("\n".join(s.misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
