"""Answer types: what a question asks for, and where a sentence holds one.

A "when" question wants a date of any era ("1072", "AD 911", "300 BC", "the 12th century",
"the late 80s", "March 4, 1918"), "how many" a number, "how much" money (or an amount), "how
tall" a measure (a number with a unit of length, mass, area or volume), "how long" or "how far"
a duration or a measure, "who" a person, "where" a place, "which university" an organisation.
These are recognised by general English patterns (no names of any collection): capitalised names,
numbers and their units, currency signs and words, months and centuries.

:func:`expected_type` reads the question; :func:`spans` finds the type's spans in a sentence
(character offsets), which the answerer checks ("does the sentence hold what is asked?") and
marks in the answer (``Citation.highlights``).
"""

from __future__ import annotations

import re

from sciqa.text import question_sentences

TIME, DURATION, NUMBER, MONEY, PERCENT = "time", "duration", "number", "money", "percent"
MEASURE, EXTENT = "measure", "extent"  # extent: a duration or a measure ("how long", "how far")
PERSON, PLACE, ORG = "person", "place", "org"
KINDS = (TIME, DURATION, NUMBER, MONEY, PERCENT, MEASURE, EXTENT, PERSON, PLACE, ORG)
# The kinds that are values written with digits or number words: a sentence holding none does
# not answer a question asking for one.
VALUES = frozenset({TIME, DURATION, NUMBER, MONEY, PERCENT, MEASURE, EXTENT})

_N = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
_N += r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
_N += r"eighty|ninety|hundred|thousand|million|billion|trillion|dozen|dozens|hundreds|thousands|"
_N += r"millions|several|a few|a dozen|half a|a half|a couple of|a)"
NUMBER_WORDS = re.compile(rf"\b{_N}(?:[- ]{_N})*\b", re.IGNORECASE)
_ORDINAL = (
    r"(?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|"
    r"tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|"
    r"eighteenth|nineteenth|twentieth|twenty-first)"
)
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan\.|Feb\.|Mar\.|Apr\.|Jun\.|Jul\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
)
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = r"(?:\s?(?:thousand|million|billion|trillion|bn|m|k)\b)?"

_TIME = re.compile(
    "|".join(
        [
            rf"\b(?:(?:early|mid|late|the early|the mid|the late)[- ])?(?:the )?{_ORDINAL}"
            r"(?:[- ]century|[- ]centuries| and {_O} centuries)\b".replace("{_O}", _ORDINAL),
            r"\b(?:(?:early|mid|late)[- ]?)?(?:1\d|20)?\d0['’]?s\b",  # 1960s, the late 80s
            r"['’]\d0s\b",
            r"\b(?:the )?(?:early |mid-|late )?(?:twenties|thirties|forties|fifties|sixties|"
            r"seventies|eighties|nineties)\b",
            rf"\b(?:\d{{1,2}} )?{_MONTH}(?: \d{{1,2}}(?:st|nd|rd|th)?)?(?:,? \d{{3,4}})?\b",
            r"\b(?:spring|summer|autumn|fall|winter) (?:of )?\d{3,4}\b",
            r"\b(?:AD|A\.D\.|CE|C\.E\.)\s?\d{1,4}\b",
            r"\b\d{1,4}\s?(?:BC|BCE|B\.C\.|B\.C\.E\.|AD|A\.D\.|CE)(?![\w])",
            r"\b(?:1[0-9]\d\d|20\d\d)\b(?![,.]\d)",  # a four-digit year, 1000-2099
            r"\bc\. ?\d{3,4}\b",
            r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b",
        ]
    ),
    re.IGNORECASE,
)
# A three-digit year needs a cue: "in 843", not "in 500 cities".
_TIME_CUED = re.compile(
    r"\b(?:in|by|of|from|until|till|since|around|about|circa|year|before|after) (?:c\. ?)?"
    r"(\d{3})\b(?![,.]\d)(?! (?:\w+ )?[a-z]+s\b)",
    re.IGNORECASE,
)
_UNIT = (
    r"(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centuries|century|"
    r"millennia|millennium|generations?|semesters?|terms?|nights?)"
)
_DURATION = re.compile(
    rf"\b(?:{_DIGITS}|{_N}(?:[- ]{_N})*)(?:[- ]and[- ]a[- ]half)?[- ](?:\w+[- ])?{_UNIT}\b",
    re.IGNORECASE,
)
_CURRENCY_WORD = (
    r"(?:dollars?|euros?|pounds?(?: sterling)?|yen|yuan|renminbi|rupees?|francs?|marks?|"
    r"crowns?|kronor|krona|kroner|pesos?|lire|lira|shillings?|pence|ducats?|florins?|guilders?|"
    r"livres?|denarii|drachmas?|talents?|rubles?|roubles?|won|rand|reais|real|cents?|"
    r"USD|EUR|GBP|JPY|CNY|INR|CHF|AUD|CAD)"
)
_MONEY = re.compile(
    rf"(?:[$€£¥₹₩]|\b(?:US|USD|EUR|GBP|A|C|HK)\$?)\s?(?:{_DIGITS}){_SCALE}(?:\s?(?:/|per|an|a)\s?"
    rf"(?:year|yr|hour|hr|month|week|day|annum))?"
    rf"|\b(?:{_DIGITS}|{_N}(?:[- ]{_N})*){_SCALE}\s{_CURRENCY_WORD}\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(
    rf"\b(?:{_DIGITS})\s?(?:%|per ?cent\b|percentage points?\b)|\b{_N}(?:[- ]{_N})* per ?cent\b|"
    r"\b(?:half|a third|two thirds|a quarter|three quarters|a fifth|a tenth|a majority)\b(?!-)",
    re.IGNORECASE,
)
_NUMBER = re.compile(rf"\b(?:{_DIGITS}){_SCALE}|{NUMBER_WORDS.pattern}", re.IGNORECASE)
# A measure is a number (digits, or a number word: never "a", so "I am" and "a stone" are not
# measures) and a unit of length, mass, area or volume, squared or cubed ("km2", "m²").
_MEASURE_UNIT = (
    r"(?:(?:square |sq\.? |cubic |nautical |statute )?(?:(?:kilo|centi|milli)?(?:metres?|meters?)|"
    r"miles?|feet|foot|inch(?:es)?|yards?)|km|cm|mm|nm|mi|ft|yd|sq\.? ?(?:ft|mi|km|m)|"
    r"(?:kilo|milli)?grams?|kg|mg|tonnes?|tons?|lbs?|ounces?|oz|hundredweight|hectares?|acres?|"
    r"(?:milli)?lit(?:re|er)s?|ml|gallons?|pints?|barrels?|cubits?|leagues?|fathoms?)(?:[23²³])?"
)
_MEASURE_NUMBER = rf"(?:{_DIGITS}|(?!a\b|a few\b|half a\b|a half\b|a couple\b){_N}(?:[- ]{_N})*)"
_MEASURE = re.compile(
    rf"\b{_MEASURE_NUMBER}(?:[- ]and[- ]a[- ]half)?(?:[- ]|(?<=\d))(?:{_MEASURE_UNIT}|m|g)\b"
    r"(?![-'’]\w)|"  # "12 metres", "12m", "12 km2"; not "6 m-long"
    rf"\b{_MEASURE_NUMBER}-(?:{_MEASURE_UNIT}|m)\b",  # "a 17-metre tower"
    re.IGNORECASE,
)

# A capitalised name: one or more capitalised words, with the small words names contain
# ("Duke of Normandy", "Leonardo da Vinci", "Charles the Bald") and initials ("J. R. Smith").
_CAP = r"(?:[A-Z][\w’'\-]*[\w]|[A-Z]\.|[A-Z])"
_NAME = re.compile(
    rf"(?<![\w’'-]){_CAP}(?:(?:\s+(?:of|de|da|di|von|van|der|den|la|le|du|del|bin|ibn|al|the|and)"
    rf")*\s+{_CAP})*"
)
_ORG_WORD = re.compile(
    r"\b(?:University|College|Institute|School|Academy|Company|Corporation|Corp\.?|Inc\.?|"
    r"Ltd\.?|LLC|Group|Society|Association|Agency|Council|Committee|Commission|Foundation|Bank|"
    r"Laboratory|Laboratories|Lab|Labs|Museum|Library|Church|Party|Army|Navy|Force|Federation|"
    r"Union|League|Ministry|Department|Office|Board|Trust|Press|Hospital|Centre|Center|"
    r"Organi[sz]ation|Company|Guild|Order|Club|Team|Initiative|Program|Programme|Fund|Court)\b"
)
_ACRONYM = re.compile(r"\b[A-Z][A-Z&]{1,7}s?\b")
_PLACE_CUE = re.compile(
    r"\b(?:in|at|from|to|near|into|across|throughout|outside|inside|toward|towards|between|"
    r"around|north of|south of|east of|west of|based in|located in|born in|capital of)\s+$",
    re.IGNORECASE,
)
_PLACE_WORD = re.compile(
    r"\b(?:City|River|Mountains?|Mount|Lake|Sea|Ocean|Island|Islands|Bay|Valley|Coast|Kingdom|"
    r"Republic|Empire|Province|County|State|Street|Road|Square|Park|Desert|Peninsula|Strait|"
    r"Gulf|Harbour|Harbor|Port|Castle|Abbey|Cathedral|Palace|Bridge)\b"
)
# Capitalised words that are not names: months and days (a date), and words capitalised only
# because they open a sentence are handled by the caller.
_NOT_NAME = re.compile(
    rf"^(?:{_MONTH}|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|I|A|An|The|This|"
    r"That|These|Those|It|Its|He|She|They|We|You|His|Her|Their|Our|In|On|At|By|For|From|With|"
    r"As|After|Before|During|When|While|Although|However|But|And|Or|If|Since|Until|Today|"
    r"Yesterday|Mr|Mrs|Ms|Dr|Sir|St|What|Which|Who|Whom|Whose|Where|Why|How|There|Here|Yet|"
    r"Also|Then|Such|My|Your|Not|Yes|No)$"
)

_PATTERNS = {
    TIME: _TIME,
    DURATION: _DURATION,
    MONEY: _MONEY,
    PERCENT: _PERCENT,
    NUMBER: _NUMBER,
    MEASURE: _MEASURE,
}

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


def _names(sentence: str) -> list[tuple[int, int]]:
    """Capitalised names in ``sentence``, without a sentence-opening word that is not a name."""
    out = []
    for m in _NAME.finditer(sentence):
        start, text = m.start(), m.group(0)
        words = text.split()
        # Drop leading words that are capitalised as grammar, not as names ("The", "In").
        while words and _NOT_NAME.match(words[0].rstrip(".")):
            start += len(words[0]) + (len(text) - len(text.lstrip())) + 1
            text = text[len(words[0]) :].lstrip()
            words = words[1:]
        while words and words[-1].lower() in {"of", "de", "the", "and", "da", "von", "van"}:
            text = text[: text.rfind(words[-1])].rstrip()
            words = words[:-1]
        if not words or all(_NOT_NAME.match(w.rstrip(".")) for w in words):
            continue
        start = sentence.find(text, start)
        out.append((start, start + len(text)))
    return out


def spans(sentence: str, kind: str) -> list[tuple[int, int]]:
    """Character spans of ``kind`` in ``sentence``, in order."""
    if kind == EXTENT:
        return sorted(set(spans(sentence, DURATION)) | set(spans(sentence, MEASURE)))
    if kind in _PATTERNS:
        found = [(m.start(), m.end()) for m in _PATTERNS[kind].finditer(sentence)]
        if kind == TIME:
            found += [m.span(1) for m in _TIME_CUED.finditer(sentence)]
            found = [s for s in found if not any(_inside(s, o) for o in found)]
        if kind == NUMBER:  # a count is not a year, a date, money or a share
            taken = [s for k in (TIME, MONEY, PERCENT) for s in spans(sentence, k)]
            found = [s for s in found if not any(_overlaps(s, t) for t in taken)]
            found += [s for s in spans(sentence, MONEY) + spans(sentence, PERCENT)]
            found = [s for s in found if sentence[s[0] : s[1]].strip().lower() != "a"]
        if kind == DURATION:
            found = [s for s in found if not re.match(r"a\s", sentence[s[0] : s[1]], re.I)] + [
                s for s in found if re.match(r"a\s", sentence[s[0] : s[1]], re.I)
            ]
        return sorted(set(found))
    dates = spans(sentence, TIME)
    names = [s for s in _names(sentence) if not any(_overlaps(s, d) for d in dates)]
    if kind == PERSON:
        return [s for s in names if not _ORG_WORD.search(sentence[s[0] : s[1]])]
    if kind == ORG:
        return [
            s
            for s in names
            if _ORG_WORD.search(sentence[s[0] : s[1]]) or _ACRONYM.fullmatch(sentence[s[0] : s[1]])
        ]
    if kind == PLACE:
        return [
            s
            for s in names
            if _PLACE_CUE.search(sentence[max(0, s[0] - 16) : s[0]])
            or _PLACE_WORD.search(sentence[s[0] : s[1]])
        ]
    return []


def _inside(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """``a`` lies within ``b`` and is not ``b``."""
    return b[0] <= a[0] and a[1] <= b[1] and a != b


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


# A unit after a number (a length, a mass, a time, a currency, "per", "percent"): a value's
# measure, not the thing it counts ("12 metres" against "31 stations").
UNIT = re.compile(
    rf"(?:{_MEASURE_UNIT}|{_UNIT}|{_CURRENCY_WORD}|per|percent|m|g|am|pm|bc|ad)", re.IGNORECASE
)


def numbers(text: str) -> set[str]:
    """The numbers written in ``text`` as digits, normalised ("201,300" -> "201300")."""
    return {m.group(0).replace(",", "").rstrip(".") for m in re.finditer(_DIGITS, text)}


_STANDALONE = re.compile(rf"(?<![\w.,-])(?:{_DIGITS})(?![\w]|[.,]\d)")


def standalone_numbers(text: str) -> set[str]:
    """The numbers ``text`` names on their own, normalised: "in 1925", "3,100"; not the digits
    of "1920s", "CO2", "19th" or "HERON-2" (part of a word or a name)."""
    return {m.group(0).replace(",", "").rstrip(".") for m in _STANDALONE.finditer(text)}
