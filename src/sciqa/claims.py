"""Does each sentence of an answer say only what the passages it cites say?

A verbatim quote proves a passage exists, not that it says what the answer says: "Aaron Roth's
favorite programming language is Python. [1]" can cite a real passage about Roth. So every
checkable token of an answer sentence must appear in one of the passages it cites (text, title
or location):

- **numbers**, as numbers: "$201,300", "201300 dollars" and "201.3k" are one value, "40%" is "40
  percent", "five" is 5, "2022-06-01" is "June 1, 2022";
- **names**: words with a capital not at the start of the sentence, acronyms ("Python", "SURE"),
  matched but for case, a plural s or a possessive ("Scholars" is "Scholar"; "Start" is not
  "started"); an acronym also matches the initials of words ("ML", "machine learning");
- **rare words**: other content words the collection rarely uses (in under :data:`RARE` of its
  chunks, by the ``Lexicon``; without one, every word is rare) that are not among the
  commonest English words (:data:`COMMON_ENGLISH`, pyspellchecker's counts), matched by stem or
  word family ("launched" and "launch", "optimizing" and "optimization"): a paraphrase's
  "began" or "located" is not a claim, "cryptography" is;
- the question's own lower-case words (``asked``) are not required of the passage: a small
  model echoes the question's phrasing ("the project on defining fairness metrics"), and
  requiring those words removed true sentences on the held-out set. The subject is checked
  through names and numbers, the question's included: "The Amazon Scholar earns $201,300 [1]"
  cannot cite an economist's job listing;
- a sentence that cites several passages must be held clause by clause, each clause (split at
  "; " and ", and") by one of them: two passages cannot make one claim together ("the Amazon
  Scholar [2] earns $201,300 [1]" is a listing's salary and another page's role).

Never checked: stop words and wh-words, words about the prompt ("passage 2", "the article"),
verbs that report ("mentions", "describes"), and words in :data:`VERY_COMMON` of the chunks. A
sentence without ``[n]`` is checked against every passage the answer cites; one with nothing to
check passes ("Here is what I found."). Pure functions, over the English word list.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from sciqa.lexical import STOPWORDS, Lexicon, english, stem
from sciqa.schema import Passage
from sciqa.text import MARKER, answer_sentences, cited_numbers

RARE = 0.05  # a word in fewer than this share of the collection's chunks is rare
VERY_COMMON = 0.25  # a word in at least this share of them is never checked
COMMON_ENGLISH = 5_000  # pyspellchecker frequency: about the 7,700 commonest English words
# Wh-words, and words about the prompt and its passages ("according to passage 2", "e.g.").
_SKIP = STOPWORDS | {
    *("whose", "whether", "passage", "passages", "document", "documents", "article", "articles"),
    *("source", "sources", "text", "context", "excerpt", "listing", "posting", "e.g", "i.e", "etc"),
}  # fmt: skip
# Stems of verbs that report what a text says ("he mentions", "the article describes").
_REPORTING = {
    *("mention", "cite", "quot", "quote", "refer", "describ", "describe", "discuss", "highlight"),
    *("emphasiz", "emphasize", "focus", "focuse", "involv", "involve", "advis", "advise", "list"),
}  # fmt: skip
# A unit's abbreviation claims what its word does: "38 km" is held by "38 kilometres".
_UNIT_WORDS = {
    "km": ("kilometre", "kilometer"), "cm": ("centimetre", "centimeter"),
    "mm": ("millimetre", "millimeter"), "kg": ("kilogram",), "mg": ("milligram",),
    "lb": ("pound",), "lbs": ("pound",), "ft": ("feet", "foot"), "mi": ("mile",),
    "mph": ("mile",), "kph": ("kilometre", "kilometer"), "h": ("hour",), "hr": ("hour",),
    "hrs": ("hour",), "min": ("minute",), "mins": ("minute",), "sec": ("second",),
    "yr": ("year",), "yrs": ("year",), "sq": ("square",), "pct": ("percent", "per cent"),
}  # fmt: skip
_PROMPT_REF = re.compile(
    r"\b(?:passages?|documents?|sources?|excerpts?)\s*\d{1,3}(?:\s*(?:,|and|&|or)\s*\d{1,3})*",
    re.IGNORECASE,
)
_WORD = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:[.'’][A-Za-z0-9]+)*")
# A name with a number in it ("HERON-2", "GPT-4"): one name, not a name and a number ("mid-2020"
# is a number).
_NUMBERED_NAME = re.compile(r"\b[A-Z][A-Za-z0-9]*-\d+\b")
# Questions whose answer may be a difference of two of the passage's numbers ("How much longer
# is A than B?" answered "210 metres longer" from "A is 620 metres, B 410").
_COMPARES = re.compile(
    r"\bhow (?:much|many)\b(?:\s+\w+){0,3}?\s+(?:more|less|fewer|longer|shorter|higher|lower|"
    r"bigger|smaller|larger|older|younger|taller|heavier|lighter|faster|slower|further|farther|"
    r"earlier|later)\b|\bby how (?:much|many)\b|\bdifference\b|"
    r"\bhow (?:much|many)\b(?:\s+\w+){0,6}?\s+(?:drop|fall|fell|rise|rose|grow|grew|shrink|"
    r"shrank|increase|decrease|decline|change|gain|lose|lost)\w*\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"(?<![\w.,$€£¥])(?:[$€£¥]\s?)?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![.,]?\d)(?:\s?%)?"
    r"(?:\s?(thousand|million|billion|trillion)\b|(k|m|mn|bn)\b)?",
    re.IGNORECASE,
)
_SCALE = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
          "k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9}  # fmt: skip
_ISO_DATE = re.compile(r"\b(\d{4})-(0[1-9]|1[0-2])-(\d{2})\b")
_UNITS = {w: n for n, w in enumerate(
    ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"))}  # fmt: skip
NUMBER_WORDS = {  # "one" is a pronoun too often to be checked as a number
    **{w: n for w, n in _UNITS.items() if n > 1},
    **{w: 10 + n for n, w in enumerate(("ten", "eleven", "twelve", "thirteen", "fourteen",
       "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"))},
    **{w: 20 + 10 * n for n, w in enumerate(
       ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"))},
}  # fmt: skip
# In a passage, "one" and ordinals say a number too.
_PASSAGE_NUMBER_WORDS = {**NUMBER_WORDS, "zero": 0, "one": 1, **{w: n for n, w in enumerate(
    ("first", "second", "third", "fourth", "fifth", "sixth"), 1)}}  # fmt: skip
_SCALED_WORD = re.compile(
    rf"\b({'|'.join(_PASSAGE_NUMBER_WORDS)})(?:[- ]({'|'.join(_UNITS)}))?"
    r"(?:\s(hundred|thousand|million|billion))?\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Verdict:
    """Whether a sentence is supported by its cited passages; if not, why."""

    supported: bool
    reason: str = ""
    missing: tuple[str, ...] = ()  # the checkable tokens no cited passage holds, as written


def evidence(passage: Passage) -> str:
    """What a passage offers as support: its title, location and text."""
    return f"{passage.title}\n{passage.location}\n{passage.text}"


def _dates(text: str) -> str:
    """ISO dates written out, so "2022-06-01" meets "June 1, 2022" (month as a name)."""
    return _ISO_DATE.sub(lambda m: f"{calendar.month_name[int(m[2])]} {int(m[3])}, {m[1]}", text)


def _numbers(
    text: str, words: Mapping[str, int], named: bool = False
) -> list[tuple[str, float, float]]:
    """(as written, value, value without its scale word) for each number of ``text``; with
    ``named``, not those inside a numbered name ("HERON-2")."""
    out = []
    names = [m.span() for m in _NUMBERED_NAME.finditer(text)] if named else []
    for m in _NUMBER.finditer(text):
        if any(a <= m.start() < b for a, b in names):
            continue
        value = float(m[1].replace(",", "") + (m[2] or ""))
        scale = _SCALE.get((m[3] or m[4] or "").lower(), 1.0)
        out.append((m[0].strip(), round(value * scale, 6), value))
    for m in _SCALED_WORD.finditer(text):
        if (head := m[1].lower()) in words:
            value = float(words[head] + (_UNITS[m[2].lower()] if m[2] else 0))
            out.append((m[0], value * _SCALE.get((m[3] or "").lower(), 1.0), value))
    return out


def _key(word: str) -> str:
    """A name as matched: lower case, without a possessive or a plural s."""
    word = word.lower().replace("’", "'").removesuffix("'s")
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _evidence(texts: Sequence[str]) -> tuple[set[float], set[str], set[str]]:
    """What the cited texts hold: numbers, names, word stems."""
    text = _dates("\n".join(texts))
    words = [w.lower() for w in _WORD.findall(text)]
    # An acronym is also the initials of the words it stands for ("ML": "machine learning").
    initials = {
        "".join(w[0] for w in words[i : i + n]) for n in (2, 3, 4) for i in range(len(words))
    }
    # "$20 million" holds 20 too: an answer may leave the scale to the words around it.
    values = {v for _, scaled, raw in _numbers(text, _PASSAGE_NUMBER_WORDS) for v in (scaled, raw)}
    numbered = {_key(w) for w in _NUMBERED_NAME.findall(text)}
    return values, {_key(w) for w in words} | initials | numbered, {stem(w) for w in words}


def related(term: str, stems: set[str]) -> bool:
    """A word of the same family: "optimizing" and "optimization", "total" and "totalling" (a
    start of 6 letters or more and of 3/4 of the shorter word, or all of it if 5 or more)."""
    term = term.removesuffix("e")
    for s in (s.removesuffix("e") for s in stems):
        shorter = min(len(term), len(s))
        n = next((i for i in range(shorter) if term[i] != s[i]), shorter)
        if (n == shorter >= 5) or (n >= 6 and n >= 0.75 * shorter):
            return True
    return False


def _tokens(sentence: str, lexicon: Lexicon | None) -> list[tuple[str, str, str | float]]:
    """(as written, kind, key): kind "number" (key: value), "name" or "numbered" (a name with
    a number, "HERON-2"; key: a _key), "unit" (an abbreviation) or "word" (a stem)."""
    text = _dates(_PROMPT_REF.sub(" ", MARKER.sub(" ", sentence)))
    found: dict[tuple[str, str | float], str] = {}
    for shown, value, _ in _numbers(text, NUMBER_WORDS, named=True):
        found.setdefault(("number", value), shown)
    for name in _NUMBERED_NAME.findall(text):
        found.setdefault(("numbered", _key(name)), name)
    common = english()
    for i, word in enumerate(_WORD.findall(text)):
        bare = word.lower().replace("’", "'").removesuffix("'s")
        if bare in _SKIP or bare in NUMBER_WORDS or (term := stem(bare)) in _REPORTING:
            continue
        if "'" in bare:  # a contraction ("doesn't", or a model's "doesn't't") claims nothing
            continue
        if len(bare) == 1 and word.islower():  # "s" of "1's", "h" of "km/h"
            continue
        if bare in _UNIT_WORDS and word.islower():
            found.setdefault(("unit", bare), word)
            continue
        share = lexicon.df.get(term, 0) / lexicon.n_docs if lexicon and lexicon.n_docs else 0.0
        if share >= VERY_COMMON:
            continue
        # A capital anywhere but at the start of the sentence makes a name ("Python", "SURE").
        if any(c.isupper() for c in (word[1:] if i == 0 else word)):
            found.setdefault(("name", _key(bare)), word)
        elif common.get(bare, 0) < COMMON_ENGLISH and share < RARE:
            found.setdefault(("word", term), word)
    return [(shown, kind, key) for (kind, key), shown in found.items()]


def _asked(question: str) -> set[str]:
    """Stems of the question's lower-case words: echoed in an answer, they claim nothing new."""
    return {stem(w) for w in _WORD.findall(question) if w.islower()}


def names_given(question: str) -> list[str]:
    """The names ``question`` gives, as written and in order: words with a capital, but not
    one opening a sentence ("When", "Which", "Wich" name nothing) nor a stop word."""
    return list(
        dict.fromkeys(
            w
            for part in answer_sentences(question)
            for i, w in enumerate(_WORD.findall(part))
            # A stop word names nothing, nor does its contraction ("I'm", "We've"; "Kearns's" does)
            if any(c.isupper() for c in (w[1:] if i == 0 else w))
            and w.lower().replace("’", "'").split("'")[0] not in _SKIP
        )
    )


def named_around(asked: str, cited: Sequence[str], around: Sequence[str]) -> list[str]:
    """The question's names, as written, that the ``cited`` texts do not hold but the
    documents ``around`` them do: whom a cited "he" or "the team" may mean."""
    held, elsewhere = _evidence(cited)[1], _evidence(around)[1]
    return [w for w in names_given(asked) if _key(w) not in held and _key(w) in elsewhere]


def check(
    sentence: str,
    cited: Sequence[str],
    *,
    lexicon: Lexicon | None = None,
    asked: str = "",
    around: Sequence[str] = (),
) -> Verdict:
    """Is every checkable token of ``sentence`` in one of the ``cited`` texts (see
    :func:`evidence`)? ``lexicon`` is the collection's; ``asked`` the question, whose
    lower-case words are not checked; ``around`` the documents the cited texts are part of.

    A name the question gave may stand on the cited chunk's document when the chunk does not
    repeat it: "What does Gianchandani list?" is answered from a paragraph of his interview
    that says "he". Everything else, numbers and the names the question did not give, must be
    in the chunk itself, and the document must hold the name: "the salary of an Amazon
    Scholar" cannot cite an economist's listing, which never says "Scholar"."""
    echoed = _asked(asked)
    tokens = [t for t in _tokens(sentence, lexicon) if not (t[1] == "word" and t[2] in echoed)]
    if not tokens:
        return Verdict(True)
    if not cited:
        return Verdict(False, "cites no passage", tuple(shown for shown, _, _ in tokens))
    numbers, names, stems = _evidence(cited)
    compares = bool(_COMPARES.search(asked))
    absent = [
        (shown, kind, key)
        for shown, kind, key in tokens
        if not _held(kind, key, numbers, names, stems, compares)
    ]
    if around and absent and (asked_names := {_key(w) for w in names_given(asked)}):
        given = asked_names & _evidence(around)[1]  # (a name opening the sentence is a "word")
        absent = [t for t in absent if t[1] in ("number", "numbered") or _key(t[0]) not in given]
    missing = tuple(shown for shown, _, _ in absent)
    if not missing:
        return Verdict(True)
    where = "the cited passage" if len(cited) == 1 else "the cited passages"
    return Verdict(False, f"not in {where}: " + ", ".join(f'"{t}"' for t in missing), missing)


def _held(
    kind: str,
    key: str | float,
    numbers: set[float],
    names: set[str],
    stems: set[str],
    compares: bool,
) -> bool:
    """Is the token (see :func:`_tokens`) in the evidence: a number as itself or, when the
    question ``compares``, as the difference of two of the passage's numbers; a unit's
    abbreviation by itself or its word."""
    if kind == "number":
        return key in numbers or (compares and _difference(float(key), numbers))
    if kind in ("name", "numbered"):
        return key in names
    if kind == "unit":
        return key in stems or any(stem(w) in stems for w in _UNIT_WORDS[str(key)])
    return key in stems or related(str(key), stems)


def _difference(value: float, numbers: set[float]) -> bool:
    """Is ``value`` (above 0) one of ``numbers`` less another?"""
    return value > 0 and any(round(n - value, 6) in numbers for n in numbers if n > value)


@lru_cache(maxsize=64)
def _names_in(document: str) -> frozenset[str]:
    """The names a document holds, as :func:`_evidence` reads them; kept for the documents
    read last (the same few are checked for every question about them)."""
    return frozenset(_evidence([document])[1])


# What a place's name becomes as a people or an adjective, and back: "Antarctic"/"Antarctica",
# "Kenya"/"Kenyan". Not "India"/"Indiana" nor "Niger"/"Nigeria": another place.
_KIN_ENDINGS = ("a", "n", "an", "ns", "ans")


def _kin(key: str, held: set[str]) -> bool:
    return any(
        key + e in held or (key.endswith(e) and key[: -len(e)] in held) for e in _KIN_ENDINGS
    )


def about(asked: str, documents: Sequence[str], lexicon: Lexicon | None = None) -> Verdict:
    """Do the ``documents`` an answer cites, together, name every name the question gives?

    "How many hours a week do Amazon Scholars work?" answered "40 hours per week [1]" from a
    job listing makes no claim the listing lacks, yet answers about another subject: the
    listing never says "Scholars". Names the collection uses in :data:`VERY_COMMON` of its
    chunks ("Amazon" here) say nothing about the subject and are not required; a misspelt name
    is read as the collection spells it, and a name one ending away from one the documents use
    is theirs (:data:`_KIN_ENDINGS`: "Antarctic" and "Antarctica")."""
    if not documents:
        return Verdict(True)
    question = lexicon.correct(asked) if lexicon else asked
    names = {(_key(w), w) for w in names_given(question)}
    if lexicon and lexicon.n_docs:
        names = {
            (key, w)
            for key, w in names
            if lexicon.df.get(stem(w.lower()), 0) / lexicon.n_docs < VERY_COMMON
        }
    if not names:
        return Verdict(True)
    held: set[str] = set().union(*(_names_in(d) for d in documents))
    missing = tuple(sorted({w for key, w in names if key not in held and not _kin(key, held)}))
    if not missing:
        return Verdict(True)
    said = ", ".join(f'"{w}"' for w in missing)
    return Verdict(False, f"the cited passages are about something else: not {said}", missing)


CLAUSE_BREAK = re.compile(r";\s+|,\s+(?:and|but|while|whereas)\s+")


def clauses(sentence: str) -> list[str]:
    """The clauses of ``sentence``, split at "; " and ", and" (", but", ", while")."""
    return [c for c in CLAUSE_BREAK.split(sentence) if c.strip()]


def check_clauses(
    sentence: str,
    cited: Sequence[str],
    *,
    lexicon: Lexicon | None = None,
    asked: str = "",
    around: Sequence[str] = (),
) -> Verdict:
    """:func:`check` for a sentence that cites several texts: every clause must be held by one
    of them (the first failing clause's verdict otherwise). ``around[i]``, when given, is the
    document of ``cited[i]``."""
    for clause in clauses(sentence):
        verdicts = [
            check(clause, [t], lexicon=lexicon, asked=asked, around=around[i : i + 1])
            for i, t in enumerate(cited)
        ]
        if not any(v.supported for v in verdicts):
            whole = check(clause, cited, lexicon=lexicon, asked=asked, around=around)
            if whole.supported:  # each word is somewhere, but no one passage says it all
                return Verdict(False, "no one cited passage says it all", ())
            return whole
    return Verdict(True)


def check_answer(
    text: str,
    cited: Mapping[int, str],
    *,
    lexicon: Lexicon | None = None,
    asked: str = "",
    around: Mapping[int, str] | None = None,
    subject: bool = True,
) -> list[tuple[str, Verdict]]:
    """Each sentence of ``text`` (an answer with ``[n]`` markers) and its verdict: checked
    against the ``cited[n]`` texts it marks or, when it marks none, against all of them;
    ``asked`` is the question, ``around[n]`` the document of ``cited[n]`` (see :func:`check`);
    with them and ``subject``, a sentence is also unsupported when the documents cited are not
    :func:`about` what the question names."""
    subject_verdict = Verdict(True)
    if subject and around:
        subject_verdict = about(asked, list(around.values()), lexicon)
    out = []
    for sentence in answer_sentences(text):
        ns = dict.fromkeys(cited_numbers(sentence))
        keys = [n for n in ns if n in cited] if ns else list(cited)
        texts = [cited[n] for n in keys]
        docs = [around.get(n, "") for n in keys] if around else []
        if len(texts) > 1:
            verdict = check_clauses(sentence, texts, lexicon=lexicon, asked=asked, around=docs)
        else:
            verdict = check(sentence, texts, lexicon=lexicon, asked=asked, around=docs)
        out.append((sentence, verdict if not verdict.supported else subject_verdict))
    return out
