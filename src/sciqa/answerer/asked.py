"""What a question asks for: the answer type its asking clause wants (:func:`expected_type`: a
date for "when", a number for "how many", money for "how much" or "what does it pay", a person
for "who" ...), the clause itself (:func:`asking_part`), and whether a sentence speaks of the
birth or death asked about (:func:`states_the_event`). General English patterns only; ``types.py``
finds the values of each kind in a sentence.
"""

from __future__ import annotations

import re

from sciqa.answerer.types import (
    DURATION,
    EXTENT,
    MEASURE,
    MONEY,
    NUMBER,
    ORG,
    PERCENT,
    PERSON,
    PLACE,
    TIME,
)
from sciqa.text import question_sentences

# What the question asks for, first match wins; each pattern is read in the question's opening
# words (where its wh-word stands), except money, which "what does the job pay?" asks anywhere.
_PERSON_NOUN = (
    r"(?:person|people|man|woman|men|women|king|queen|ruler|monarch|emperor|empress|prince|"
    r"princess|duke|count|earl|lord|lady|pope|bishop|archbishop|saint|leader|chief|author|"
    r"writer|poet|scientist|professor|researcher|scholar|engineer|inventor|founder|president|"
    r"chancellor|minister|senator|general|commander|admiral|captain|officer|artist|painter|composer|"
    r"architect|director|actor|player|coach|student|teacher|son|daughter|brother|sister|"
    r"half-brother|father|mother|wife|husband|heir|successor|predecessor|rival|explorer|"
    r"philosopher|mathematician|physicist|chemist|biologist|economist|manager|ceo|head)"
)
_PLACE_NOUN = (
    r"(?:city|cities|town|village|country|countries|nation|state|region|province|county|place|"
    r"location|continent|island|river|mountain|capital|port|harbou?r|area|site|territory|"
    r"kingdom|office|campus|street|district|neighbou?rhood)"
)
_ORG_NOUN = (
    r"(?:university|universities|college|school|company|companies|organi[sz]ations?|"
    r"institutions?|institute|agency|firm|team|party|group|club|society|church|army|"
    r"laboratory|lab|bank|publisher|newspaper|museum|foundation|corporation|business)"
)
_EXPECT: list[tuple[re.Pattern[str], str, bool]] = [
    (
        re.compile(
            r"\b(?:salary|salaries|wages?|hourly rate|pay|paid|costs?|price[sd]?|stipend|fees?|"
            r"compensation|budget|how much money|worth|spent|spend|earn|earned|revenue|funding|"
            r"fine[sd]?|ransom|tax|taxes)\b",
            re.I,
        ),
        MONEY,
        True,
    ),
    # "How long is the tunnel?" asks a length, "how long did it last?" a duration; "how far
    # ahead" can be either.
    (re.compile(r"\bhow (?:long|far)\b(?! ago)", re.I), EXTENT, False),
    (re.compile(r"\bfor how many\b|\bwhat (?:duration|period)\b", re.I), DURATION, False),
    # "What was the length of his reign?" asks a duration as well as "How long is the tunnel?".
    (re.compile(r"\bwhat(?: is| was|'s)?(?: the)? (?:length|distance)\b", re.I), EXTENT, False),
    (
        # Not "how high": "How high was inflation?" asks a share.
        re.compile(
            r"\bhow (?:tall|deep|wide|heavy|thick)\b|"
            r"\bwhat(?: is| was|'s)?(?: the)? (?:height|width|depth|weight|thickness|area)\b",
            re.I,
        ),
        MEASURE,
        False,
    ),
    (
        re.compile(
            r"\b(?:when|what year|which year|in what year|what date|which date|how long ago|"
            r"since when|deadline|what century|which century|what decade|which decade|what month|"
            r"which month|what day|what era|what time|at what age)\b",
            re.I,
        ),
        TIME,
        False,
    ),
    (
        re.compile(
            r"\b(?:what|which) (?:percentage|percent|share|proportion|fraction)\b|"
            r"\bhow (?:much|many) percent\b|\b(?:rate|ratio)\b",
            re.I,
        ),
        PERCENT,
        False,
    ),
    (
        re.compile(
            r"\b(?:how many|how much|what number|how big|how large|how old|how tall|how far|"
            r"how high|how deep|how wide|how heavy|what amount|what size|what population|"
            r"how often)\b",
            re.I,
        ),
        NUMBER,
        False,
    ),
    (re.compile(rf"\b(?:what|which)(?: \w+)? {_ORG_NOUN}\b", re.I), ORG, False),
    (re.compile(rf"\b(?:where|(?:what|which)(?: \w+)? {_PLACE_NOUN})\b", re.I), PLACE, False),
    (
        # "who" asks only where it opens the asking part ("To whom ..."), not as a relative
        # pronoun after it ("What does Kearns advise students who ...?").
        re.compile(
            rf"^[\s,;:(]*(?:\w+ )?(?:who|whom|whose)\b|\b(?:what|which)(?: \w+)? {_PERSON_NOUN}\b",
            re.I,
        ),
        PERSON,
        False,
    ),
]


# A birth or a death is stated as one: "When did X die?" is not answered by a sentence that
# gives X and years but says nothing of a death ("X directed the garden from 1849 to 1871"). A
# life span in brackets ("(14 March 1891 - 2 November 1968)") states both.
_LIFESPAN = r"\([^()]{0,30}?\b\d{3,4}\s*[-–—]\s*[^()]{0,30}?\b\d{3,4}\)"
_EVENTS = [
    (
        re.compile(r"\b(?:born|birth|birthplace|birthday)\b", re.I),
        re.compile(rf"\b(?:born|birth|birthplace|née|nee)\b|\bb\. ?\d|{_LIFESPAN}", re.I),
    ),
    (
        re.compile(r"\b(?:die|died|dies|death|dead)\b", re.I),
        re.compile(
            r"\b(?:die[sd]?|death|dead|killed|executed|murdered|drowned|perished|passed away|"
            rf"buried|funeral)\b|\bd\. ?\d|{_LIFESPAN}",
            re.I,
        ),
    ),
]


def states_the_event(question: str, text: str) -> bool:
    """Whether ``text`` speaks of the birth or death ``question`` asks about (True when it asks
    about neither)."""
    return all(says.search(text) for asks, says in _EVENTS if asks.search(question))


# Where the question's asking clause starts: its first wh-word at the start of a clause.
_WH_START = re.compile(
    r"(?:^|[,;:(]\s*|\b(?:and|but|then|so|me)\s+)(?=(?:what|which|who|whom|whose|when|where|why|"
    r"how|in what|in which|at what|on what|for what|from which|from what)\b)",
    re.IGNORECASE,
)


def asking_part(question: str) -> str:
    """The opening words of the question's last sentence: where its wh-word stands.

    "How does the team keep models current when data change?" asks "how", not "when"; a prompt
    that wraps a question ("Ignore this. When did ...?") asks its last sentence.
    """
    sentences = [s for s in question_sentences(question.strip(), at_colons=True) if s.strip()]
    last = sentences[-1] if sentences else question
    m = _WH_START.search(last)
    return " ".join(last[m.start() if m else 0 :].split()[:7])


def expected_type(question: str) -> str | None:
    """The answer type ``question`` asks for, or None ("what is X?", "why ...?")."""
    head = asking_part(question)
    for pattern, kind, anywhere in _EXPECT:
        if pattern.search(question if anywhere else head):
            return kind
    return None
