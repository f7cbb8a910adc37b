"""Follow-up questions: turn "and in which cities?" into a question that stands on its own.

Without a language model this is a rule, and it joins a question to the last one the user asked
only when the question cannot stand alone, which is when one of these holds:

- **it points back**: a personal pronoun (it, they, he, ...), a demonstrative (this, that,
  those, ...) or the place word "there", with nothing earlier in the question itself that it
  could refer to: "When was it launched?", "Who leads that program?", "What does he study?",
  "How many people work there?". Words that point at nothing are not counted: the "there" of
  "is there / there are", the "it" of "is it possible to ...", "that" joining a clause ("the
  jobs that are remote"), "this year", "those who ...". What such a word can refer to inside
  the question is a name (a capitalised word after the first) or a noun phrase ("the ...",
  "a ...") in an earlier clause ("Who is Michael Kearns and what does he study?"), or, for a
  possessive, a name before it in its own ("Does Amazon pay its Scholars?");
- **it is an ellipsis**, a fragment that leaves its verb, its subject or its noun to the question
  before: "what about Haifa?", "how about remote ones?", "why?", "when exactly?", "and in 2021?",
  "in which cities?", "any in Haifa?", "tell me more".

Everything else stands alone, however short: "tell me about fairness", "who is Michael Kearns?",
"Is there a program for PhD students?", "any jobs in Seattle?". The word lists below are
English function words, nothing about any collection.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypedDict


class Message(TypedDict):
    """An OpenAI-style chat message."""

    role: str
    content: str


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words that refer to something said before. "we", "you", "I" refer to the speakers; "one" is
# a number as often as a pronoun ("which one?" is caught as an ellipsis).
_PRONOUNS = _set(
    "it its itself they them their theirs themselves he him his himself she her hers herself ones"
)
# Pronouns that may refer to a name earlier in their own clause ("Does Amazon pay its
# Scholars?"); "it", "them", "he" cannot ("How does Amazon select them?").
_POSSESSIVES = _set("its itself their theirs themselves his himself her hers herself")
_DEMONSTRATIVES = _set("this that these those")
_AUXILIARIES = _set(
    "is are was were be been being am 's do does did has have had can could will would "
    "shall should may might must isn't aren't wasn't weren't don't doesn't didn't hasn't "
    "haven't can't couldn't won't wouldn't shouldn't"
)
_BE = _set("is are was were 's")
_WH = _set("what which who whom whose when where why how")
_PREPOSITIONS = _set(
    "in at on for from to with without by about of near within across outside inside into "
    "during before after since under over between among than versus vs per via"
)
_CONNECTIVES = _set("and but or so also then plus ok okay well")
_DETERMINERS = _set("the a an")
# Function words a fragment may consist of: "why?", "how so?", "when exactly?", "why not?".
_FUNCTION = (
    _WH
    | _AUXILIARIES
    | _CONNECTIVES
    | _PREPOSITIONS
    | _PRONOUNS
    | _DEMONSTRATIVES
    | _DETERMINERS
    | _set("i me my we us our you your not exactly then else instead now again too")
    | _set("really precisely there")
)
# Words standing for a noun the question leaves out when a preposition, an auxiliary or the end
# follows: "any in Haifa?", "how many are remote?", "which one?", "anything else?".
_ELIDED_HEAD = _set("any some many much else others one none both")
_POINTS_BACK = re.compile(
    r"^(?:what|how) about\b|^what of\b|^(?:the )?same (?:for|in|with)\b|"
    r"^(?:please )?(?:tell me|say|explain) more(?: please)?$|^(?:go on|continue|elaborate)$"
)
_TIME_NOUNS = _set(
    "year years month months week weeks day days morning evening summer winter spring fall "
    "autumn semester quarter time"
)
_LONG = 8  # words from which a question without an auxiliary is not a fragment
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?|[,;.!?]")


class _Words:
    """A question's words, lower-cased, with the clause each stands in (a clause ends at a
    comma, a semicolon, a full stop, or before "and", "but", "or") and which are names."""

    def __init__(self, question: str) -> None:
        self.text: list[str] = []
        self.clause: list[int] = []
        self.name: list[bool] = []
        clause = 0
        for token in _TOKEN.findall(question):
            if token in ",;.!?":
                clause += 1
                continue
            word = token.lower().replace("’", "'")
            if word in {"and", "but", "or"}:
                clause += 1
            # A capitalised word after the first that is not a function word names something.
            self.name.append(bool(self.text) and token[0].isupper() and word not in _FUNCTION)
            self.text.append(word)
            self.clause.append(clause)

    def resolved(self, i: int) -> bool:
        """Whether something before word ``i`` could be what it refers to: a name or a noun
        phrase ("the ...", "a ...") in an earlier clause; for a possessive, a name in its own."""
        for j in range(i):
            if self.clause[j] < self.clause[i]:
                if self.name[j] or self.text[j] in _DETERMINERS:
                    return True
            elif self.name[j] and self.text[i] in _POSSESSIVES:
                return True
        return False


def _has_clause(words: list[str]) -> bool:
    """Whether ``words`` hold a verb with its subject: an auxiliary ("is", "did", ...), or a
    wh-word asking about a subject ("who leads the team?"). Without one it is a fragment."""
    if any(w in _AUXILIARIES for w in words):
        return True
    return len(words) >= 3 and words[0] in _WH and words[1] not in _PREPOSITIONS


def _is_ellipsis(words: list[str]) -> bool:
    """Whether the question leaves its verb, its subject or its noun to the question before."""
    rest = words
    while rest and rest[0] in _CONNECTIVES:
        rest = rest[1:]
    if not rest or _POINTS_BACK.match(" ".join(rest)):
        return True
    if all(w in _FUNCTION for w in rest):  # "why?", "and when?", "how so?"
        return True
    # "any in Haifa?", "which one?", "how many are remote?"; but "how much did the dam cost?"
    # and "how many did they hire?" have their subject after the auxiliary, and "how much is
    # the toll?" asks an amount of a noun it names.
    for w, after in zip(rest, [*rest[1:], None]):
        if w in _ELIDED_HEAD and (
            after is None
            or (after in _BE and w != "much")
            or (after in _PREPOSITIONS and after != "of")
        ):
            return True
    if _has_clause(rest):
        return False
    # A fragment opened by a connective or a preposition ("and in 2021?", "in which cities?"),
    # or a wh-word with a noun ("which year?"). A noun phrase of its own stands alone ("any
    # jobs in Seattle?", "internships in London?"). A fragment is short: a long question opened
    # by a phrase ("For the economics internship, roughly what share of interns went on ...?")
    # has its verb without an auxiliary.
    if len(rest) >= _LONG:
        return False
    return len(rest) < len(words) or rest[0] in _PREPOSITIONS or rest[0] in _WH


def _points_back(words: _Words) -> bool:
    """Whether a pronoun, demonstrative or "there" refers to something outside the question."""
    text = words.text
    for i, w in enumerate(text):
        prev = text[i - 1] if i else None
        nxt = text[i + 1] if i + 1 < len(text) else None
        after = text[i + 2] if i + 2 < len(text) else None
        if w in _PRONOUNS:
            if w == "it" and {"to", "that"} & set(text[i + 1 : i + 4]):
                continue  # "is it possible to ...", "is it true that ...": points at nothing
        elif w == "there":
            if prev in _AUXILIARIES or nxt in _AUXILIARIES or nxt in {"seem", "seems", "exist"}:
                continue  # "is there ...", "there are ...": says something exists
        elif w in {"this", "these"}:
            if nxt in _TIME_NOUNS:
                continue  # "this year" is now, not something said before
        elif w == "those":
            if nxt in {"who", "whom", "whose", "which", "that"}:
                continue  # "those who apply": anyone who does
        elif w == "that":
            # A demonstrative opens the question, follows a function word ("is that", "about
            # that"), or ends it with its noun ("who leads that program?"); otherwise "that"
            # joins a clause ("the jobs that are remote", "the ship that sailed from Acapulco").
            ends = after is None and nxt not in _AUXILIARIES
            if not (prev is None or prev in _FUNCTION or ends):
                continue
        else:
            continue
        if not words.resolved(i):
            return True
    return False


def is_follow_up(question: str) -> bool:
    """Whether ``question`` cannot stand alone: it points back at something said before, or
    leaves out what the question before it said (see the module docstring)."""
    words = _Words(question)
    if not words.text:
        return False
    return _is_ellipsis(words.text) or _points_back(words)


def is_ellipsis(question: str) -> bool:
    """Whether ``question`` is a fragment that leaves out what it asks about ("and in how many
    cities?", "what about Haifa?", "why?")."""
    words = _Words(question)
    return bool(words.text) and _is_ellipsis(words.text)


def standalone_question(question: str, history: Sequence[Message]) -> str:
    """The question to retrieve with: the question itself, or joined to the last user turn."""
    previous = [m["content"] for m in history if m.get("role") == "user" and m.get("content")]
    if not previous or not is_follow_up(question):
        return question
    return f"{previous[-1]} {question}"
